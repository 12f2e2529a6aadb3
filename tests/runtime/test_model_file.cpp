// The one-file model format: save -> load round trip (weights, BatchNorm state,
// metadata, threshold, identical scores through the Detector), `wellmonitor-trainer
// info`, and every kind of damaged or foreign file refused with a ModelFileError
// that names the file and the reason.
#include "wellmonitor/model_file.h"

#include "support/subprocess.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/errors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
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
    model_.validation.test = wm::Metrics{};
    model_.validation.test->tp = 3;
    model_.validation.test->fn = 1;
    model_.validation.test_normal_scores = {0.25, 0.5};
    model_.validation.extra = {{"figure_of_a_newer_trainer", 7}};
    model_.training.loss = "mse";
    model_.training.epochs_run = 3;
    model_.training.seed = 5;
    model_.training.train_loss = {0.5, 0.25, 0.125};
    model_.provenance.trainer_version = "test";
    model_.provenance.train_hashes = {"0123456789abcdef"};
    model_.provenance.recalibrated = wm::Recalibration{"2026-01-02T03:04:05Z", 0.5, "normal"};
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
  // A copy of the saved model whose metadata (and, given `edit_payload`, weights)
  // are edited, with the payload hash and the footer recomputed as anyone can:
  // the checksum guards against damage, not against a crafted file.
  std::string crafted(const std::string& name, const std::function<void(nlohmann::json&)>& edit_meta,
                      const std::function<void(std::string&, const nlohmann::json&)>& edit_payload = nullptr) {
    const std::string b = read_bytes(path_);
    const uint64_t n = metadata_size();
    nlohmann::json meta = nlohmann::json::parse(b.substr(24, n));
    std::string payload = b.substr(24 + n, b.size() - 24 - n - 64);
    if (edit_payload) {
      edit_payload(payload, meta);
      meta["payload_sha256"] = wm::sha256_hex(payload.data(), payload.size());
    }
    edit_meta(meta);
    const std::string text = meta.dump(1);
    std::string out = b.substr(0, 16);
    const uint64_t size = text.size();
    out.append(reinterpret_cast<const char*>(&size), 8);
    out += text + payload;
    out += wm::sha256_hex(out.data(), out.size());
    const std::string p = (dir_ / name).string();
    write_bytes(p, out);
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
  // the typed records come back field by field, unknown keys kept
  EXPECT_EQ(back.provenance.to_json(), model_.provenance.to_json());
  EXPECT_EQ(back.provenance.train_hashes, model_.provenance.train_hashes);
  ASSERT_TRUE(back.provenance.recalibrated);
  EXPECT_DOUBLE_EQ(back.provenance.recalibrated->previous_threshold, 0.5);
  EXPECT_EQ(back.training.loss, "mse");
  EXPECT_EQ(back.training.seed, 5u);
  EXPECT_EQ(back.training.epochs_run, 3);
  EXPECT_EQ(back.training.train_loss, model_.training.train_loss);
  ASSERT_TRUE(back.validation.test);
  EXPECT_EQ(back.validation.test->tp, 3u);
  EXPECT_EQ(back.validation.test->fn, 1u);
  EXPECT_EQ(back.validation.test_normal_scores, model_.validation.test_normal_scores);
  EXPECT_EQ(back.validation.extra, model_.validation.extra);

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

// ---------------------------------------------------------------- crafted files
// Model files travel by mail and USB stick: every bound holds for a file whose
// checksums were recomputed after editing, and each refusal is one line that
// names the file.

// offset + nbytes wraps past 2^64 to a small number: the old check
// (offset + nbytes > size) let it through and read outside the buffer.
TEST_F(ModelFileTest, TensorOffsetThatWrapsPast2To64IsRefused) {
  const auto p = crafted("wrap.wmm", [](nlohmann::json& m) {
    auto& t = m["tensors"][0];
    t["offset"] = std::numeric_limits<uint64_t>::max() - t["nbytes"].get<uint64_t>() + 17;
  });
  const auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_TRUE(contains(msg, "lies outside the weights")) << msg;
  // An offset just past the end, and nbytes larger than the payload.
  auto q = crafted("past_end.wmm", [](nlohmann::json& m) {
    m["tensors"][1]["offset"] = m["payload_bytes"].get<uint64_t>() - m["tensors"][1]["nbytes"].get<uint64_t>() + 4;
  });
  EXPECT_TRUE(contains(load_error(q), "lies outside the weights")) << load_error(q);
  q = crafted("huge_nbytes.wmm", [](nlohmann::json& m) { m["tensors"][0]["nbytes"] = std::numeric_limits<uint64_t>::max(); });
  EXPECT_TRUE(contains(load_error(q), "does not match its shape")) << load_error(q);
  // `info` loads the weights too and refuses the same file.
  const auto r = wellmonitor_test::run_process(WELLMONITOR_TRAINER, {"info", "--model", p}, dir_.string());
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, p)) << r.describe();
  EXPECT_TRUE(contains(r.err, "lies outside the weights")) << r.describe();
}

// Shapes are checked against the payload and the architecture before anything
// is allocated: a shape of 2^40 x 2^40 elements, or arch params that call for
// hundreds of billions of weights, are refused at once.
TEST_F(ModelFileTest, ShapesAreCheckedBeforeAnythingIsAllocated) {
  auto p = crafted("huge_shape.wmm", [](nlohmann::json& m) {
    m["tensors"][0]["shape"] = {1ull << 40, 1ull << 40};
  });
  auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_TRUE(contains(msg, "larger than the weights")) << msg;
  p = crafted("negative_shape.wmm", [](nlohmann::json& m) { m["tensors"][0]["shape"] = {-4, 1}; });
  EXPECT_TRUE(contains(load_error(p), "non-negative integers")) << load_error(p);
  // compact-ae base 256, latent 8192 at 1024x1024: 2.7e11 weights if built.
  p = crafted("huge_arch.wmm", [](nlohmann::json& m) {
    m["arch_params"] = {{"base", 256}, {"latent", 8192}};
    m["preprocess"]["width"] = 1024;
    m["preprocess"]["height"] = 1024;
  });
  msg = load_error(p);
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_TRUE(contains(msg, "the tensor table holds")) << msg;
  // A tensor listed twice (the second would stand in for a missing one).
  p = crafted("twice.wmm", [](nlohmann::json& m) { m["tensors"][1] = m["tensors"][0]; });
  EXPECT_TRUE(contains(load_error(p), "listed twice")) << load_error(p);
}

TEST_F(ModelFileTest, NonFiniteWeightsAreRefused) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::string name;
    const auto p = crafted(
        std::isnan(bad) ? "nan.wmm" : "inf.wmm", [](nlohmann::json&) {},
        [&](std::string& payload, const nlohmann::json& m) {
          const auto& t = m["tensors"][2];
          name = t["name"].get<std::string>();
          std::memcpy(&payload[t["offset"].get<size_t>() + 4], &bad, 4);
        });
    const auto msg = load_error(p);
    EXPECT_TRUE(contains(msg, p)) << msg;
    EXPECT_TRUE(contains(msg, "'" + name + "' holds NaN or infinite values")) << msg;
  }
}

// Reconstruction scores are >= 0, probabilities lie in [0, 1]: a threshold
// outside (say -5, which alarms every well) is refused.
TEST_F(ModelFileTest, ThresholdOutsideTheScoresRangeIsRefused) {
  auto p = crafted("negative.wmm", [](nlohmann::json& m) { m["calibration"]["threshold"] = -5; });
  auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, p)) << msg;
  EXPECT_TRUE(contains(msg, "threshold -5 is negative")) << msg;
  p = crafted("zero.wmm", [](nlohmann::json& m) { m["calibration"]["threshold"] = 0; });
  EXPECT_EQ(load_error(p), "<no error>");
  p = crafted("weights.wmm", [](nlohmann::json& m) { m["score"]["a"] = -1.0; });
  EXPECT_TRUE(contains(load_error(p), "must be finite and >= 0")) << load_error(p);

  // A classifier: probability scores.
  wm::ModelFile cnn;
  cnn.arch = "spill-cnn";
  cnn.arch_params = {{"base", 2}};
  cnn.preprocess.color = wm::ColorMode::Rgb;
  cnn.score.kind = wm::ScoreKind::Probability;
  cnn.calibration.threshold = 0.5;
  cnn.build_network();
  for (const double t : {1.5, -0.25, 1.0, 0.0}) {
    cnn.calibration.threshold = t;
    const std::string q = (dir_ / ("cnn" + std::to_string(t) + ".wmm")).string();
    wm::save_model(cnn, q);
    msg = load_error(q);
    if (t >= 0.0 && t <= 1.0) {
      EXPECT_EQ(msg, "<no error>") << t;
    } else {
      EXPECT_TRUE(contains(msg, "outside [0, 1]")) << msg;
      EXPECT_TRUE(contains(msg, q)) << msg;
    }
  }
}

// Wrong JSON types: one line naming the file and the key, never a bare
// library message.
TEST_F(ModelFileTest, WrongJsonTypesNameTheFileAndTheKey) {
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> cases = {
      {"calibration.threshold", [](nlohmann::json& m) { m["calibration"]["threshold"] = "high"; }},
      {"tensors[0].offset", [](nlohmann::json& m) { m["tensors"][0]["offset"] = "zero"; }},
      {"tensors[3].shape", [](nlohmann::json& m) { m["tensors"][3]["shape"] = 7; }},
      {"preprocess.width", [](nlohmann::json& m) { m["preprocess"]["width"] = "wide"; }},
      {"arch_params.base", [](nlohmann::json& m) { m["arch_params"]["base"] = 4.5; }},
      {"score.kind", [](nlohmann::json& m) { m["score"]["kind"] = nullptr; }},
      {"arch", [](nlohmann::json& m) { m["arch"] = 5; }},
      {"payload_bytes", [](nlohmann::json& m) { m["payload_bytes"] = "many"; }},
      {"calibration", [](nlohmann::json& m) { m["calibration"] = {1, 2}; }},
      {"tensors", [](nlohmann::json& m) { m.erase("tensors"); }},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [key, edit] = cases[i];
    const auto p = crafted("type" + std::to_string(i) + ".wmm", edit);
    const auto msg = load_error(p);
    EXPECT_TRUE(contains(msg, p)) << msg;
    EXPECT_TRUE(contains(msg, "key '" + key + "'")) << msg;
    EXPECT_FALSE(contains(msg, "json.exception")) << msg;
    EXPECT_FALSE(contains(msg, "\n")) << msg;
  }
  // The header-only reader checks the same top-level types.
  const auto p = crafted("meta_type.wmm", [](nlohmann::json& m) { m["payload_bytes"] = -3; });
  try {
    wm::read_model_metadata(p);
    ADD_FAILURE() << "no error";
  } catch (const wm::ModelFileError& e) {
    EXPECT_TRUE(contains(e.what(), "key 'payload_bytes'")) << e.what();
  }
}

// Only regular files are read: a directory, a device that never ends, a FIFO
// without a writer (which must not block), each refused in one line that names
// the path and why.
TEST_F(ModelFileTest, SpecialFilesAreRefusedNamingThePathAndWhy) {
  const std::string fifo = (dir_ / "model.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir_.string(), "not a regular file (a directory)"},
      {"/dev/zero", "not a regular file (a character device)"},
      {fifo, "not a regular file (a FIFO)"},
  };
  for (const auto& [path, why] : cases) {
    const auto msg = load_error(path);
    EXPECT_TRUE(contains(msg, path)) << msg;
    EXPECT_TRUE(contains(msg, why)) << msg;
    try {
      wm::read_model_metadata(path);
      ADD_FAILURE() << path;
    } catch (const wm::ModelFileError& e) {
      EXPECT_TRUE(contains(e.what(), why)) << e.what();
    }
  }
  const auto r = wellmonitor_test::run_process(WELLMONITOR_TRAINER, {"info", "--model", "/dev/zero"}, dir_.string());
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "/dev/zero: cannot load model: not a regular file")) << r.describe();
}

// A file over the 256 MiB cap is refused before it is read (a sparse file:
// no disk is used).
TEST_F(ModelFileTest, FileOverTheSizeCapIsRefusedUnread) {
  const std::string big = (dir_ / "big.wmm").string();
  fs::copy_file(path_, big);
  fs::resize_file(big, (256ull << 20) + 1);
  const auto msg = load_error(big);
  EXPECT_TRUE(contains(msg, big)) << msg;
  EXPECT_TRUE(contains(msg, "over the 256 MiB limit")) << msg;
  fs::resize_file(big, 256ull << 20);  // at the cap: read, then refused for its content
  EXPECT_TRUE(contains(load_error(big), "trailing bytes")) << load_error(big);
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

// Input echoed into an error stays one short, readable line: control bytes and
// bytes that are no UTF-8 are escaped, valid UTF-8 kept, long input cut with
// its length said.
TEST(ErrorText, PrintableEscapesBinaryAndCutsLongInput) {
  EXPECT_EQ(wm::printable("well-7"), "well-7");
  EXPECT_EQ(wm::printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(wm::printable(std::string("\x00\x01\xff\x80", 4)), "\\x00\\x01\\xFF\\x80");
  EXPECT_EQ(wm::printable("Gie\xc3\x9f" "form \xe2\x82\xac"), "Gie\xc3\x9f" "form \xe2\x82\xac");  // UTF-8 stays
  EXPECT_EQ(wm::printable("\xc3"), "\\xC3");              // a cut sequence is no UTF-8
  EXPECT_EQ(wm::printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // nor a surrogate
  const std::string huge(1 << 20, 'x');
  const std::string cut = wm::printable(huge);
  EXPECT_EQ(cut, std::string(wm::kMaxQuotedBytes, 'x') + "... (1048576 bytes)");
  // A multi-byte character that does not fit whole is left out, never split.
  EXPECT_EQ(wm::printable("ab\xe2\x82\xac", 3), "ab... (5 bytes)");
  const std::runtime_error binary(std::string("bad \x01\x02 line\nnext"));
  EXPECT_EQ(wm::error_text(binary), "bad \\x01\\x02 line\\nnext");
}

// A crafted model whose tensor name is 1 MB long: the error quotes a short part
// of it, on one line that names the file.
TEST_F(ModelFileTest, LongAndBinaryNamesAreEscapedAndCutInErrors) {
  const auto p = crafted("long_name.wmm", [&](nlohmann::json& m) {
    m["tensors"][0]["name"] = "param:" + std::string((1 << 20) - 6, 'n');
  });
  const auto msg = load_error(p);
  EXPECT_TRUE(contains(msg, p)) << msg.substr(0, 300);
  EXPECT_TRUE(contains(msg, "unexpected tensor 'param:nnn")) << msg.substr(0, 300);
  EXPECT_TRUE(contains(msg, "(1048576 bytes)")) << msg.substr(0, 300);
  EXPECT_LT(msg.size(), 1000u) << msg.substr(0, 300);
  // Control characters (a terminal escape) in the architecture's name.
  const auto q = crafted("binary_arch.wmm", [&](nlohmann::json& m) { m["arch"] = "\x07\x1b[2Jcompact"; });
  const auto msg2 = load_error(q);
  EXPECT_TRUE(contains(msg2, "\\x07\\x1B[2Jcompact")) << msg2;
  EXPECT_EQ(msg2.find('\x1b'), std::string::npos) << msg2;
}
