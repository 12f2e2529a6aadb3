// Networks exported from Python as TorchScript score as the model files they
// came from.
//
// A seed-ae model file (the reference autoencoder, BatchNorm statistics that
// are not the initial ones) and the shipped default (a classifier) are
// exported by tests/support/export_torchscript.py with Debian's python3-torch:
// rebuilt in PyTorch from the file's weights, traced, saved with their JSON
// packed or in a sidecar. Each export, loaded by the Detector, scores the
// fixture crops within 1e-5 of the model file; `evaluate` takes it; a bad or
// incomplete export is refused in one line naming the file.

#include "support/subprocess.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/torchscript.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace wm = wellmonitor;
using wellmonitor_test::run_process;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kData = WELLMONITOR_TEST_DATA;
const std::string kPython = "/usr/bin/python3";
const std::string kExport = kSource + "/tests/support/export_torchscript.py";
constexpr double kTolerance = 1e-5;

fs::path g_tmp;
std::string g_no_torch;  // why the exports cannot be made, or empty

std::vector<cv::Mat> fixture_crops() {
  std::vector<cv::Mat> crops;
  for (const char* sub : {"crops/eval", "crops/spill", "crops/normal"})
    for (const auto& e : fs::directory_iterator(kData + "/" + sub)) {
      cv::Mat m = cv::imread(e.path().string(), cv::IMREAD_COLOR);
      if (!m.empty()) crops.push_back(m);
    }
  return crops;
}

std::string export_model(const std::string& model, const std::string& out, bool sidecar) {
  std::vector<std::string> args = {kExport, model, out};
  if (sidecar) args.push_back("--sidecar");
  const auto r = run_process(kPython, args, g_tmp.string());
  return r.exit_code == 0 ? std::string() : r.describe();
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_tmp = fs::temp_directory_path() / ("wellmonitor-torchscript-" + std::to_string(::getpid()));
    fs::create_directories(g_tmp);
    const auto r = run_process(kPython, {"-c", "import torch, numpy, PIL"}, g_tmp.string());
    if (r.exit_code != 0) g_no_torch = kPython + " has no torch, numpy or PIL (Debian: python3-torch): " + r.err;

    // seed-ae, grey, MSE, with BatchNorm statistics moved away from 0 / 1.
    torch::manual_seed(5);
    wm::ModelFile m;
    m.arch = "seed-ae";
    m.build_network();
    m.network->train();
    {
      torch::NoGradGuard ng;
      for (int i = 0; i < 3; ++i) m.network->forward(torch::rand({16, 1, 64, 64}) * 1.6 - 0.9);
    }
    m.network->eval();
    m.calibration.threshold = 0.0425;
    m.calibration.method = "quantile";
    wm::save_model(m, (g_tmp / "seed-ae.wmm").string());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g_tmp, ec);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new Environment);

double worst_difference(const std::string& native, const std::string& scripted) {
  auto a = wm::Detector::open(native, "cpu");
  auto b = wm::Detector::open(scripted, "cpu");
  EXPECT_EQ(b.model().arch, wm::kTorchScriptArch);
  EXPECT_EQ(b.threshold(), a.threshold());
  const auto crops = fixture_crops();
  EXPECT_GE(crops.size(), 60u);
  const auto sa = wm::score_all(a, crops), sb = wm::score_all(b, crops);
  double worst = 0;
  for (size_t i = 0; i < crops.size(); ++i) worst = std::max(worst, std::abs(sa[i] - sb[i]));
  // The scores are not all alike, so agreeing means something.
  EXPECT_GT(*std::max_element(sa.begin(), sa.end()) - *std::min_element(sa.begin(), sa.end()), 1e-3);
  return worst;
}

TEST(TorchScript, SeedAeExportedFromPythonScoresAsTheModelFileWithTheSameWeights) {
  if (!g_no_torch.empty()) GTEST_SKIP() << g_no_torch;
  const std::string native = (g_tmp / "seed-ae.wmm").string();
  const std::string packed = (g_tmp / "seed-ae.pt").string();
  ASSERT_EQ(export_model(native, packed, false), "");
  const double worst = worst_difference(native, packed);
  EXPECT_LE(worst, kTolerance);
  std::printf("seed-ae: largest score difference, TorchScript vs model file: %.3g\n", worst);
}

TEST(TorchScript, TheDefaultClassifierWithASidecarScoresAsTheModelFile) {
  if (!g_no_torch.empty()) GTEST_SKIP() << g_no_torch;
  const std::string native = kSource + "/models/default.wmm";
  const std::string scripted = (g_tmp / "default.pt").string();
  ASSERT_EQ(export_model(native, scripted, true), "");
  ASSERT_TRUE(fs::exists(scripted + ".json"));
  EXPECT_LE(worst_difference(native, scripted), kTolerance);

  // A sidecar wins over the archive: a threshold changes without a new export.
  nlohmann::json side = nlohmann::json::parse(std::ifstream(scripted + ".json"));
  side["threshold"] = 0.5;
  std::ofstream(scripted + ".json") << side.dump();
  EXPECT_EQ(wm::load_model(scripted).threshold(), 0.5);
}

TEST(TorchScript, EvaluateTakesATorchScriptModel) {
  if (!g_no_torch.empty()) GTEST_SKIP() << g_no_torch;
  const std::string native = (g_tmp / "seed-ae.wmm").string();
  const std::string packed = (g_tmp / "seed-ae-eval.pt").string();
  ASSERT_EQ(export_model(native, packed, false), "");
  nlohmann::json figures[2];
  int k = 0;
  for (const std::string& m : {native, packed}) {
    const std::string json = (g_tmp / ("eval" + std::to_string(k) + ".json")).string();
    const auto r = run_process(WELLMONITOR_TRAINER,
                               {"evaluate", "--model", m, "--images", kData + "/crops/eval", "--labels",
                                kData + "/crops/labels.txt", "--json", json, "-q", "--threads", "1"},
                               g_tmp.string());
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    figures[k++] = nlohmann::json::parse(std::ifstream(json));
  }
  for (const char* key : {"tp", "tn", "fp", "fn", "n", "threshold"}) EXPECT_EQ(figures[0][key], figures[1][key]) << key;
  EXPECT_NEAR(figures[0]["roc_auc"].get<double>(), figures[1]["roc_auc"].get<double>(), 1e-9);
}

TEST(TorchScript, AnExportWithoutItsJsonOrWithTheWrongOutputIsRefusedNamingTheFile) {
  if (!g_no_torch.empty()) GTEST_SKIP() << g_no_torch;
  const std::string bare = (g_tmp / "bare.pt").string();
  ASSERT_EQ(export_model((g_tmp / "seed-ae.wmm").string(), bare, true), "");
  fs::remove(bare + ".json");
  try {
    wm::load_model(bare);
    ADD_FAILURE() << "loaded without its JSON";
  } catch (const wm::ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find(bare), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("wellmonitor.json"), std::string::npos) << e.what();
  }
  // An autoencoder declared a classifier: its output is not one logit per crop.
  std::ofstream(bare + ".json") << R"({"preprocess": {"width": 64, "height": 64, "color": "gray"},
                                       "score": "probability", "threshold": 0.5})";
  try {
    wm::load_model(bare);
    ADD_FAILURE() << "loaded with the wrong output";
  } catch (const wm::ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find("one logit per crop"), std::string::npos) << e.what();
  }
  std::ofstream(bare + ".json") << "{\"preprocess\": ";
  try {
    wm::load_model(bare);
    ADD_FAILURE() << "loaded with broken JSON";
  } catch (const wm::ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find(bare + ".json"), std::string::npos) << e.what();
  }
  // A zip that is not TorchScript, through the trainer: one line, the file named.
  const std::string zip = (g_tmp / "not-a-script.pt").string();
  std::ofstream(zip, std::ios::binary) << std::string("PK\x03\x04", 4) << std::string(100, 'x');
  const auto r = run_process(WELLMONITOR_TRAINER, {"info", "--model", zip}, g_tmp.string());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find(zip), std::string::npos) << r.err;
}

}  // namespace
