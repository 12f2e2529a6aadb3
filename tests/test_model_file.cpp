// The one-file model format: save -> load round trip (weights, BatchNorm state,
// metadata, threshold, identical scores through the Detector), `wellmonitor-trainer
// info`, and every kind of damaged or foreign file refused with a ModelFileError
// that names the file and the reason.
#include "wellmonitor/model_file.h"

#include "tools/subprocess.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/errors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace wm = wellmonitor;
namespace fs = std::filesystem;

namespace {

const std::string kCrops = std::string(WELLMONITOR_TEST_DATA) + "/crops";

std::string read_bytes(const std::string& path) { return wellmonitor_test::read_all(path); }
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("wm_model_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "model.wmm").string();

    // A small model with non-default everything: hybrid score, colour input,
    // a calibrated threshold and BatchNorm statistics that are not the initial ones.
    torch::manual_seed(11);
    model_.arch = "compact-ae";
    model_.arch_params = {{"base", 4}, {"latent", 8}};
    model_.preprocess.color = wm::ColorMode::Rgb;
    model_.preprocess.width = 64;
    model_.preprocess.height = 48;
    model_.score.kind = wm::ScoreKind::Hybrid;
    model_.score.a = 0.25;
    model_.score.b = 0.75;
    model_.build_network();
    model_.network->train();
    {
      torch::NoGradGuard ng;
      model_.network->forward(torch::rand({8, 3, 48, 64}) * 2 - 1);  // moves running_mean / running_var
    }
    model_.network->eval();
    model_.calibration = wm::calibrate_tnr_target({0.011, 0.012, 0.013, 0.02}, {0.05, 0.07}, 0.75);
    model_.validation = {{"test", {{"tp", 3}, {"fn", 1}}}};
    model_.training = {{"epochs_run", 3}, {"seed", 5}};
    model_.provenance = {{"trainer_version", "test"}, {"train_hashes", {"0123456789abcdef"}}};
    wm::save_model(model_, path_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Loads `path` and returns the ModelFileError's message ("<no error>" if it loads).
  static std::string load_error(const std::string& path) {
    try {
      wm::load_model(path);
    } catch (const wm::ModelFileError& e) {
      return e.what();
    }
    return "<no error>";
  }
  // A copy of the saved model with `edit` applied to its bytes.
  std::string damaged(const std::string& name, const std::function<void(std::string&)>& edit) {
    std::string bytes = read_bytes(path_);
    edit(bytes);
    const std::string p = (dir_ / name).string();
    write_bytes(p, bytes);
    return p;
  }
  uint64_t metadata_size() const {
    const std::string b = read_bytes(path_);
    uint64_t n = 0;
    std::memcpy(&n, b.data() + 16, 8);
    return n;
  }

  fs::path dir_;
  std::string path_;
  wm::ModelFile model_;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<cv::Mat> fixture_crops() {
  std::vector<cv::Mat> v;
  for (const auto& c : wm::load_folder(kCrops + "/eval", 0, wm::LoadOptions{})) v.push_back(c.image);
  return v;
}

}  // namespace

TEST_F(ModelFileTest, HeaderLayout) {
  const std::string b = read_bytes(path_);
  ASSERT_GT(b.size(), 24u);
  EXPECT_EQ(std::memcmp(b.data(), "WELLMON\0", 8), 0);
  uint32_t version = 0, reserved = 1;
  std::memcpy(&version, b.data() + 8, 4);
  std::memcpy(&reserved, b.data() + 12, 4);
  EXPECT_EQ(version, wm::kModelFormatVersion);
  EXPECT_EQ(reserved, 0u);
  const auto meta = nlohmann::json::parse(b.substr(24, metadata_size()));
  EXPECT_EQ(meta.at("format"), "wellmonitor-model");
  const uint64_t body = 24 + metadata_size() + meta.at("payload_bytes").get<uint64_t>();
  ASSERT_EQ(b.size(), body + 64);  // footer: hex SHA-256 of everything before it
  EXPECT_EQ(b.substr(body), wm::sha256_hex(b.data(), body));
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));  // written atomically, nothing left behind
}

// Everything comes back: metadata, threshold, every parameter and buffer, and the
// Detector's scores for real crops are bit-identical.
TEST_F(ModelFileTest, RoundTrip) {
  const wm::ModelFile back = wm::load_model(path_);
  EXPECT_EQ(back.metadata(), model_.metadata());
  EXPECT_EQ(back.threshold(), model_.threshold());
  EXPECT_EQ(back.arch, "compact-ae");
  EXPECT_EQ(back.arch_params, (nlohmann::json{{"base", 4}, {"latent", 8}}));
  EXPECT_EQ(back.preprocess.color, wm::ColorMode::Rgb);
  EXPECT_EQ(back.preprocess.height, 48);
  EXPECT_EQ(back.score.kind, wm::ScoreKind::Hybrid);
  EXPECT_DOUBLE_EQ(back.score.b, 0.75);
  EXPECT_EQ(back.calibration.method, "tnr-target");
  EXPECT_EQ(back.calibration.n_anomaly, 2u);
  EXPECT_EQ(back.provenance, model_.provenance);

  auto a = model_.network->named_parameters(true), b = back.network->named_parameters(true);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  auto ab = model_.network->named_buffers(true), bb = back.network->named_buffers(true);
  ASSERT_EQ(ab.size(), bb.size());
  for (const auto& p : ab) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();

  const auto crops = fixture_crops();
  ASSERT_EQ(crops.size(), 12u);
  wm::Detector original(model_, torch::kCPU);
  wm::Detector loaded(back, torch::kCPU);
  const auto s1 = original.score(crops), s2 = loaded.score(crops);
  ASSERT_EQ(s1.size(), 12u);
  for (size_t i = 0; i < s1.size(); ++i) {
    EXPECT_EQ(s1[i], s2[i]) << "crop " << i;
    EXPECT_GT(s1[i], 0.0);
  }
  // Detector::open reads the same file to the same scores.
  auto opened = wm::Detector::open(path_, "cpu");
  EXPECT_EQ(opened.score(crops), s1);
  EXPECT_EQ(opened.threshold(), model_.threshold());
}

TEST_F(ModelFileTest, MetadataOnly) {
  const auto meta = wm::read_model_metadata(path_);
  EXPECT_DOUBLE_EQ(meta.at("threshold").get<double>(), model_.threshold());
  EXPECT_EQ(meta.at("arch"), "compact-ae");
  EXPECT_TRUE(meta.contains("tensors"));
  EXPECT_EQ(meta.at("payload_sha256").get<std::string>().size(), 64u);
}

// `wellmonitor-trainer info` prints the metadata as JSON, threshold included.
TEST_F(ModelFileTest, TrainerInfoShowsThreshold) {
  const auto r = wellmonitor_test::run_process(WELLMONITOR_TRAINER, {"info", "--model", path_}, dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), model_.threshold());
  EXPECT_DOUBLE_EQ(j.at("calibration").at("threshold").get<double>(), model_.threshold());
  EXPECT_EQ(j.at("arch"), "compact-ae");
  EXPECT_EQ(j.at("preprocess").at("color"), "rgb");
  EXPECT_EQ(j.at("score").at("kind"), "hybrid");
  EXPECT_EQ(j.at("parameters").get<int64_t>(), wm::parameter_count(*model_.network));
}

TEST_F(ModelFileTest, TruncatedFiles) {
  const uint64_t meta = metadata_size();
  const size_t size = read_bytes(path_).size();
  // Cut in the weights.
  auto p = damaged("cut_weights.wmm", [&](std::string& b) { b.resize(size - 100); });
  auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, "truncated")) << msg;
  EXPECT_TRUE(contains(msg, p)) << msg;
  // Cut in the metadata.
  p = damaged("cut_meta.wmm", [&](std::string& b) { b.resize(24 + meta / 2); });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "truncated")) << msg;
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_THROW(wm::read_model_metadata(p), wm::ModelFileError);
  // Right after the metadata: no weights at all.
  p = damaged("no_weights.wmm", [&](std::string& b) { b.resize(24 + meta); });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "truncated")) << msg;
  // Cut inside the 24-byte header: refused (the message is checked loosely, see the report).
  p = damaged("cut_header.wmm", [&](std::string& b) { b.resize(12); });
  msg = load_error(p);
  EXPECT_NE(msg, "<no error>");
  EXPECT_TRUE(contains(msg, p)) << msg;
}

TEST_F(ModelFileTest, ForeignFiles) {
  // A JPEG.
  const std::string jpeg = kCrops + "/eval/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg";
  auto msg = load_error(jpeg);
  EXPECT_TRUE(contains(msg, "not a wellmonitor model")) << msg;
  EXPECT_TRUE(contains(msg, jpeg)) << msg;
  // A text file, an empty file.
  const std::string text = (dir_ / "notes.wmm").string();
  write_bytes(text, "{\"threshold\": 0.5}\n");
  msg = load_error(text);
  EXPECT_TRUE(contains(msg, "not a wellmonitor model")) << msg;
  const std::string empty = (dir_ / "empty.wmm").string();
  write_bytes(empty, "");
  msg = load_error(empty);
  EXPECT_TRUE(contains(msg, "not a wellmonitor model")) << msg;
  // A missing file.
  msg = load_error((dir_ / "missing.wmm").string());
  EXPECT_TRUE(contains(msg, "missing.wmm")) << msg;
  EXPECT_TRUE(contains(msg, "cannot open")) << msg;
}

// The uint32 at offset 8 is the format version: 99 is from a newer wellmonitor, 0 is invalid.
TEST_F(ModelFileTest, FormatVersion) {
  auto p = damaged("v99.wmm", [](std::string& b) {
    const uint32_t v = 99;
    std::memcpy(&b[8], &v, 4);
  });
  auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, "newer")) << msg;
  EXPECT_TRUE(contains(msg, "99")) << msg;
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_THROW(wm::read_model_metadata(p), wm::ModelFileError);
  p = damaged("v0.wmm", [](std::string& b) { std::memset(&b[8], 0, 4); });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "not supported")) << msg;
}

// One flipped bit in the weights is caught by the payload checksum.
TEST_F(ModelFileTest, FlippedWeightByteFailsChecksum) {
  const uint64_t meta = metadata_size();
  for (const size_t where : {size_t{0}, size_t{1000}}) {
    auto p = damaged("flip" + std::to_string(where) + ".wmm", [&](std::string& b) { b[24 + meta + where] ^= 0x01; });
    const auto msg = load_error(p);
    EXPECT_TRUE(contains(msg, "checksum")) << msg;
    EXPECT_TRUE(contains(msg, p)) << msg;
  }
  auto p = damaged("flip_last.wmm", [&](std::string& b) { b.back() ^= 0x80; });
  EXPECT_TRUE(contains(load_error(p), "checksum"));
}

TEST_F(ModelFileTest, CorruptMetadata) {
  // Not JSON any more.
  auto p = damaged("badjson.wmm", [](std::string& b) { b[24] = '#'; });
  auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, "corrupt")) << msg;
  // An absurd metadata length.
  p = damaged("badsize.wmm", [](std::string& b) {
    const uint64_t n = 1ull << 40;
    std::memcpy(&b[16], &n, 8);
  });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "metadata size")) << msg;
  // Valid JSON naming an unknown architecture: the footer no longer matches.
  p = damaged("arch.wmm", [](std::string& b) {
    const auto at = b.find("\"compact-ae\"");
    ASSERT_NE(at, std::string::npos);
    b.replace(at, 12, "\"compact-xx\"");
  });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "checksum mismatch")) << msg;
  // The same with a recomputed footer: refused for the architecture itself.
  p = damaged("arch-refooted.wmm", [](std::string& b) {
    const auto at = b.find("\"compact-ae\"");
    ASSERT_NE(at, std::string::npos);
    b.replace(at, 12, "\"compact-xx\"");
    b.resize(b.size() - 64);
    b += wm::sha256_hex(b.data(), b.size());
  });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, "unusable model file")) << msg;
  EXPECT_TRUE(contains(msg, "compact-xx")) << msg;
}

// An edited threshold (same length, valid JSON) is refused: the footer guards
// the metadata as well as the weights.
TEST_F(ModelFileTest, AlteredThresholdIsRefused) {
  auto p = damaged("threshold.wmm", [](std::string& b) {
    const auto at = b.find("\"threshold\": ");
    ASSERT_NE(at, std::string::npos);
    const auto digit = b.find_first_of("0123456789", at + 13);
    b[digit] = b[digit] == '9' ? '8' : static_cast<char>(b[digit] + 1);
  });
  const auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, "checksum mismatch")) << msg;
}

// The Detector refuses the same files with the same error type.
TEST_F(ModelFileTest, DetectorOpenRefusesBadFiles) {
  auto p = damaged("v99.wmm", [](std::string& b) { b[8] = 99; });
  EXPECT_THROW(wm::Detector::open(p, "cpu"), wm::ModelFileError);
  EXPECT_THROW(wm::Detector::open(kCrops + "/eval/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", "cpu"),
               wm::ModelFileError);
}

// A LibTorch error reads as its message only: no C++ backtrace reaches the user.
TEST(ErrorText, LibTorchErrorsLoseTheirBacktraceOthersKeepTheirText) {
  try {
    (void)torch::zeros({2, 3}).mm(torch::zeros({4, 5}));
    FAIL() << "a product of mismatched matrices did not throw";
  } catch (const c10::Error& e) {
    const std::string full = e.what();
    const std::string text = wm::error_text(e);
    EXPECT_NE(full.find("Exception raised from"), std::string::npos) << "what() carries where it was raised";
    EXPECT_EQ(text.find("Exception raised from"), std::string::npos) << text;
    EXPECT_NE(text.find("cannot be multiplied"), std::string::npos) << text;
    EXPECT_EQ(text, e.what_without_backtrace());
  }
  const std::runtime_error plain("model.wmm: cannot open model file");
  EXPECT_EQ(wm::error_text(plain), plain.what());
}
