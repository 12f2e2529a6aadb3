// wellmonitor-trainer end to end, run as a subprocess on the committed fixtures
// with a tiny model (compact-ae base=4 latent=8, 3 epochs, 1 thread): train ->
// info -> calibrate -> evaluate --json, reproducibility of a seed, resuming from a
// checkpoint (at the library level), and every bad input giving exit status 1 and
// one clear line on stderr, never a crash.
#include "support/evaluate_scores.h"
#include "support/subprocess.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/training.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace wm = wellmonitor;
namespace fs = std::filesystem;
using wellmonitor_test::ProcessResult;

namespace {

const std::string kCrops = std::string(WELLMONITOR_TEST_DATA) + "/crops";
const std::string kBad = std::string(WELLMONITOR_TEST_DATA) + "/bad";
const std::string kNormal = kCrops + "/normal";  // 40 files, 39 distinct
const std::string kSpill = kCrops + "/spill";    // 16 spills of 6 wells
const std::string kEval = kCrops + "/eval";      // 8 normal + 4 spill
const std::string kLabels = kCrops + "/labels.txt";

const std::vector<std::string> kTiny = {"--arch", "compact-ae", "--arch-param", "base=4", "--arch-param", "latent=8",
                                        "--epochs", "3", "--threads", "1", "--device", "cpu", "-q"};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class TrainerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("wm_cli_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  ProcessResult trainer(const std::vector<std::string>& args) const {
    return wellmonitor_test::run_process(WELLMONITOR_TRAINER, args, dir_.string());
  }
  ProcessResult train(const std::string& out, const std::vector<std::string>& extra = {}) const {
    return trainer(std::vector<std::string>{"train", "--normal", kNormal, "--anomalies", kSpill, "--out", out} + kTiny +
                   extra);
  }
  nlohmann::json info(const std::string& model) const {
    const auto r = trainer({"info", "--model", model});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return nlohmann::json::parse(r.out);
  }
  // An untrained tiny model written by the library: enough for the error cases of
  // evaluate and calibrate, without a training run.
  std::string quick_model() const {
    torch::manual_seed(1);
    wm::ModelFile m;
    m.arch = "compact-ae";
    m.arch_params = {{"base", 4}, {"latent", 8}};
    m.build_network();
    m.network->eval();
    m.calibration.threshold = 0.1;
    const std::string p = path("quick.wmm");
    wm::save_model(m, p);
    return p;
  }

  // A copy of `model` whose scores are all NaN although every weight is finite:
  // BatchNorm variances below zero (the loader cannot tell them from real ones).
  std::string nan_scoring(const std::string& model, const std::string& name) const {
    wm::ModelFile m = wm::load_model(model);
    {
      torch::NoGradGuard ng;
      for (auto& b : m.network->named_buffers(true))
        if (b.key().find("running_var") != std::string::npos) b.value().fill_(-1.0);
    }
    const std::string p = path(name);
    wm::save_model(m, p);
    return p;
  }

  // The contract for a bad input: exit status 1 (not a signal, not 134/139), one
  // line on stderr, starting with the program's prefix, naming the problem.
  static void expect_one_line_error(const ProcessResult& r, const std::vector<std::string>& parts) {
    EXPECT_EQ(r.signal, 0) << r.describe();
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    const auto lines = r.err_lines();
    ASSERT_EQ(lines.size(), 1u) << "want exactly one line on stderr\n" << r.describe();
    EXPECT_EQ(lines[0].rfind("wellmonitor-trainer: error: ", 0), 0u) << lines[0];
    for (const auto& p : parts) EXPECT_TRUE(contains(lines[0], p)) << "'" << p << "' not in: " << lines[0];
    for (const char* crash : {"terminate called", "Aborted", "core dumped", "Segmentation", "frame #"})
      EXPECT_FALSE(contains(r.err, crash)) << r.describe();
  }

  fs::path dir_;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> v;
  std::string l;
  while (std::getline(f, l)) v.push_back(l);
  return v;
}

}  // namespace

// ---------------------------------------------------------------- the whole chain

TEST_F(TrainerCli, TrainInfoCalibrateEvaluate) {
  const std::string model = path("m.wmm");
  // train
  auto r = train(model, {"--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "model written to " + model)) << r.out;
  EXPECT_FALSE(fs::exists(model + ".ckpt")) << "the checkpoint of a finished run is removed";

  // info: what the model file says about the run
  const auto j = info(model);
  const double threshold = j.at("threshold").get<double>();
  EXPECT_TRUE(std::isfinite(threshold));
  EXPECT_GT(threshold, 0.0);
  EXPECT_EQ(j.at("arch"), "compact-ae");
  EXPECT_EQ(j.at("arch_params"), (nlohmann::json{{"base", 4}, {"latent", 8}}));
  EXPECT_EQ(j.at("calibration").at("method"), "tnr-target");  // the default with spills
  EXPECT_EQ(j.at("training").at("epochs_run"), 3);
  // 39 distinct normals: test 4, calibration 4, validation 2, training 29; 16 spills split by well.
  const auto& split = j.at("training").at("split");
  EXPECT_EQ(split.at("train"), 29);
  EXPECT_EQ(split.at("val"), 2);
  EXPECT_EQ(split.at("calib"), 4);
  EXPECT_EQ(split.at("test"), 4);
  EXPECT_EQ(split.at("calib_spills").get<int>() + split.at("test_spills").get<int>(), 16);
  for (int w : split.at("test_spill_wells").get<std::vector<int>>()) {
    const auto cw = split.at("calib_spill_wells").get<std::vector<int>>();
    EXPECT_EQ(std::count(cw.begin(), cw.end(), w), 0) << "well " << w << " on both sides";
  }
  EXPECT_EQ(j.at("calibration").at("n_normal"), 4);
  for (const char* k : {"tp", "tn", "fp", "fn", "tpr", "tnr", "roc_auc", "pr_auc", "threshold", "n"})
    EXPECT_TRUE(j.at("validation").at("test").contains(k)) << k;

  // calibrate on the fixture folders: the crops the model trained or was tested on are
  // left out, so the 2 validation + 4 calibration normals and all 16 spills remain.
  const std::string recal = path("recal.wmm");
  r = trainer({"calibrate", "--model", model, "--normal", kNormal, "--anomalies", kSpill, "--out", recal,
               "--target-tnr", "0.75", "--threads", "1", "--device", "cpu", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto jr = info(recal);
  EXPECT_EQ(jr.at("calibration").at("n_normal"), 6);
  EXPECT_EQ(jr.at("calibration").at("n_anomaly"), 16);
  EXPECT_EQ(jr.at("calibration").at("method"), "tnr-target");
  EXPECT_DOUBLE_EQ(jr.at("calibration").at("parameter").get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(jr.at("provenance").at("recalibrated").at("previous_threshold").get<double>(), threshold);
  EXPECT_DOUBLE_EQ(info(model).at("threshold").get<double>(), threshold) << "--out leaves the input model alone";
  EXPECT_FALSE(contains(r.out, "in place")) << r.out;
  {
    // Without --out the model is rewritten, and the command says so.
    const std::string inplace = path("inplace.wmm");
    fs::copy_file(model, inplace);
    const auto ri = trainer({"calibrate", "--model", inplace, "--normal", kNormal, "--anomalies", kSpill,
                             "--target-tnr", "0.75", "--threads", "1", "--device", "cpu", "-q"});
    ASSERT_EQ(ri.exit_code, 0) << ri.describe();
    EXPECT_TRUE(contains(ri.out, inplace + " (in place: no --out was given)")) << ri.out;
    EXPECT_DOUBLE_EQ(info(inplace).at("threshold").get<double>(), jr.at("threshold").get<double>());
  }
  {
    // The same threshold computed here, with the library, from the same crops.
    auto det = wm::Detector::open(recal, "cpu");
    std::set<std::string> used;
    const auto meta = wm::read_model_metadata(recal);
    for (const char* key : {"train_hashes", "test_hashes"})
      for (const auto& h : meta.at("provenance").at(key)) used.insert(h.get<std::string>());
    EXPECT_EQ(used.size(), 33u);  // 29 training + 4 test crops
    std::vector<cv::Mat> normal, spill;
    for (const auto& c : wm::load_folder(kNormal, 0, wm::LoadOptions{}))
      if (!used.count(c.sha256.substr(0, 16))) normal.push_back(c.image);
    for (const auto& c : wm::load_folder(kSpill, 1, wm::LoadOptions{})) spill.push_back(c.image);
    ASSERT_EQ(normal.size(), 6u);
    const auto cal = wm::calibrate_tnr_target(det.score(normal), det.score(spill), 0.75);
    EXPECT_NEAR(jr.at("threshold").get<double>(), cal.threshold, 1e-12 + 1e-9 * std::fabs(cal.threshold));
    EXPECT_NEAR(jr.at("calibration").at("tnr").get<double>(), cal.tnr, 1e-12);
  }

  // evaluate --json --scores on the labelled folder
  const std::string json = path("eval.json"), csv = path("scores.csv");
  r = trainer({"evaluate", "--model", model, "--images", kEval, "--labels", kLabels, "--json", json, "--scores", csv,
               "--threads", "1", "--device", "cpu", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::ifstream jf(json);
  const auto e = nlohmann::json::parse(jf);
  for (const char* k : {"tp", "tn", "fp", "fn", "tpr", "tnr", "roc_auc", "pr_auc", "threshold", "n"})
    ASSERT_TRUE(e.contains(k)) << "evaluate --json lacks '" << k << "': " << e.dump();
  const int tp = e.at("tp"), tn = e.at("tn"), fp = e.at("fp"), fn = e.at("fn");
  // labels.txt lists 12 crops, 4 of them spills.
  EXPECT_EQ(e.at("n"), 12);
  EXPECT_EQ(tp + fn, 4);
  EXPECT_EQ(tn + fp, 8);
  EXPECT_DOUBLE_EQ(e.at("tpr").get<double>(), tp / 4.0);
  EXPECT_DOUBLE_EQ(e.at("tnr").get<double>(), tn / 8.0);
  EXPECT_DOUBLE_EQ(e.at("threshold").get<double>(), threshold);
  EXPECT_GE(e.at("roc_auc").get<double>(), 0.0);
  EXPECT_LE(e.at("roc_auc").get<double>(), 1.0);
  EXPECT_EQ(e.at("trained_on"), 0);

  // The per-crop scores agree with the figures, and with the library's Detector.
  const auto rows = read_lines(csv);
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_EQ(rows[0], "file,label,score,predicted");
  std::map<std::string, double> by_name;
  std::vector<double> scores;
  std::vector<int> labels;
  int ctp = 0, ctn = 0, cfp = 0, cfn = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    std::stringstream s(rows[i]);
    std::string name, label, score, predicted;
    std::getline(s, name, ',');
    std::getline(s, label, ',');
    std::getline(s, score, ',');
    std::getline(s, predicted, ',');
    const double v = std::stod(score);
    const int l = std::stoi(label), p = std::stoi(predicted);
    EXPECT_EQ(p, v > threshold ? 1 : 0) << rows[i];
    (l ? (p ? ctp : cfn) : (p ? cfp : ctn))++;
    by_name[name] = v;
    scores.push_back(v);
    labels.push_back(l);
  }
  EXPECT_EQ(ctp, tp);
  EXPECT_EQ(ctn, tn);
  EXPECT_EQ(cfp, fp);
  EXPECT_EQ(cfn, fn);
  EXPECT_NEAR(wm::compute_metrics(scores, labels, threshold).roc_auc, e.at("roc_auc").get<double>(), 1e-9);
  auto det = wm::Detector::open(model, "cpu");
  for (const auto& c : wm::load_labelled(kEval, kLabels, wm::LoadOptions{})) {
    ASSERT_TRUE(by_name.count(c.name)) << c.name;
    const double mine = det.score({c.image})[0];
    EXPECT_NEAR(mine, by_name[c.name], 1e-8 * std::max(1.0, std::fabs(mine))) << c.name;
  }

  // --threshold overrides the model's.
  r = trainer({"evaluate", "--model", model, "--images", kEval, "--labels", kLabels, "--json", json, "--threshold", "0",
               "--threads", "1", "--device", "cpu", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::ifstream jf2(json);
  const auto e0 = nlohmann::json::parse(jf2);
  EXPECT_DOUBLE_EQ(e0.at("threshold").get<double>(), 0.0);
  EXPECT_EQ(e0.at("tp"), 4);  // every score is > 0
  EXPECT_EQ(e0.at("fp"), 8);
}

// The same seed trains the same weights and the same threshold; another seed does not.
TEST_F(TrainerCli, FixedSeedReproducesThreshold) {
  const std::string a = path("a.wmm"), b = path("b.wmm"), c = path("c.wmm");
  ASSERT_EQ(train(a, {"--seed", "7"}).exit_code, 0);
  ASSERT_EQ(train(b, {"--seed", "7"}).exit_code, 0);
  const auto ja = info(a), jb = info(b);
  EXPECT_EQ(ja.at("threshold").get<double>(), jb.at("threshold").get<double>());
  EXPECT_EQ(ja.at("training").at("train_loss"), jb.at("training").at("train_loss"));
  EXPECT_EQ(wm::read_model_metadata(a).at("payload_sha256"), wm::read_model_metadata(b).at("payload_sha256"));
  ASSERT_EQ(train(c, {"--seed", "8"}).exit_code, 0);
  EXPECT_NE(wm::read_model_metadata(a).at("payload_sha256"), wm::read_model_metadata(c).at("payload_sha256"));
}

// spill-cnn with the options that shape what it sees: the kinds of shifts and
// synthetic spills are recorded; --split-seed keeps the split (the same held-out
// crops) while --seed changes the weights; stress-youden gives the same threshold
// twice and reports its counts and rates on the plain calibration part.
TEST_F(TrainerCli, SpillCnnKindsSplitSeedAndStressYouden) {
  const std::vector<std::string> cnn = {"--arch", "spill-cnn", "--recipe", "synthetic", "--arch-param", "base=4",
                                        "--color", "rgb", "--method", "stress-youden", "--synthetic", "smooth,blob",
                                        "--shifts", "box,photometric", "--epochs", "2", "--threads", "1", "-q",
                                        "--allow-zero-tpr"};  // 2 epochs of a tiny net: it may catch nothing yet
  auto train_cnn = [&](const std::string& out, const std::vector<std::string>& extra) {
    return trainer(std::vector<std::string>{"train", "--normal", kNormal, "--anomalies", kSpill, "--out", out} + cnn +
                   extra);
  };
  const std::string a = path("a.wmm"), b = path("b.wmm"), c = path("c.wmm");
  auto r = train_cnn(a, {});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_EQ(train_cnn(b, {}).exit_code, 0);
  r = train_cnn(c, {"--seed", "5", "--split-seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto ja = info(a), jb = info(b), jc = info(c);
  EXPECT_EQ(ja.at("calibration").at("method"), "stress-youden");
  EXPECT_EQ(ja.at("threshold").get<double>(), jb.at("threshold").get<double>());
  const double thr = ja.at("threshold").get<double>();
  EXPECT_GT(thr, 0.0);
  EXPECT_LT(thr, 1.0);
  // Counts and rates are those of the plain calibration part (4 normals), not of the widened one.
  EXPECT_EQ(ja.at("calibration").at("n_normal"), 4);
  const double tnr = ja.at("calibration").at("tnr").get<double>();
  EXPECT_NEAR(tnr * 4, std::round(tnr * 4), 1e-9);
  EXPECT_EQ(ja.at("training").at("synthetic"), "smooth,blob");
  EXPECT_EQ(ja.at("training").at("shifts"), "box,photometric");
  EXPECT_EQ(ja.at("training").at("loss"), "binary-cross-entropy") << "a classifier's loss, recorded as such";
  EXPECT_EQ(jc.at("training").at("split_seed"), 1);
  EXPECT_EQ(jc.at("training").at("seed"), 5);
  // Same split, other weights.
  const auto full_a = nlohmann::json::parse(trainer({"info", "--model", a, "--full"}).out);
  const auto full_c = nlohmann::json::parse(trainer({"info", "--model", c, "--full"}).out);
  EXPECT_EQ(full_a.at("provenance").at("test_hashes"), full_c.at("provenance").at("test_hashes"));
  EXPECT_EQ(full_a.at("provenance").at("train_hashes"), full_c.at("provenance").at("train_hashes"));
  EXPECT_NE(wm::read_model_metadata(a).at("payload_sha256"), wm::read_model_metadata(c).at("payload_sha256"));
  // The wells whose spills it trains on are neither calibration nor test wells,
  // and none of its training spills is a test crop.
  std::set<int> train_wells, other_wells;
  for (const auto& w : ja.at("training").at("train_spill_wells")) train_wells.insert(w.get<int>());
  for (const char* k : {"calib_spill_wells", "test_spill_wells"})
    for (const auto& w : ja.at("training").at("split").at(k)) other_wells.insert(w.get<int>());
  EXPECT_FALSE(train_wells.empty());
  for (int w : train_wells) EXPECT_EQ(other_wells.count(w), 0u) << "well " << w;
  const auto train_spills = full_a.at("provenance").at("train_spill_hashes").get<std::vector<std::string>>();
  for (const auto& h : full_a.at("validation").at("test_spill_hashes"))
    EXPECT_EQ(std::count(train_spills.begin(), train_spills.end(), h.get<std::string>()), 0);
  // calibrate --method stress-youden needs no real spills.
  r = trainer({"calibrate", "--model", a, "--out", path("re.wmm"), "--normal", kNormal, "--method", "stress-youden",
               "--include-training", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(info(path("re.wmm")).at("calibration").at("method"), "stress-youden");
  // Unknown kinds are one clear line.
  expect_one_line_error(train(path("bad.wmm"), {"--synthetic", "streak"}), {"streak"});
  expect_one_line_error(train(path("bad.wmm"), {"--shifts", "glare"}), {"glare"});
}

// Without spills the default rule is the quantile of the calibration normals.
TEST_F(TrainerCli, TrainWithoutSpillsUsesQuantile) {
  const std::string model = path("n.wmm");
  auto r = trainer(std::vector<std::string>{"train", "--normal", kNormal, "--out", model} + kTiny);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto j = info(model);
  EXPECT_EQ(j.at("calibration").at("method"), "quantile");
  EXPECT_EQ(j.at("calibration").at("n_anomaly"), 0);
  EXPECT_FALSE(j.at("calibration").contains("tpr"));
}

// ---------------------------------------------------------------- the defaults

// `train` with nothing but the folders, on the fixtures (39 distinct normals, 16
// spills of 6 wells): with spills it trains the shipped model's classifier and
// recipe (spill-cnn, colour, 64x64, the plain recipe; 60 epochs) and the model
// alarms: it catches spills of its held-out calibration and test wells, and on
// the labelled eval crops (wells 23 and 25, never seen) it catches spills while
// passing normals. The other recipe's options are refused by name.
TEST_F(TrainerCli, DefaultsWithSpillsTrainTheClassifierAndItAlarms) {
  const std::string model = path("default.wmm");
  // Every default but the number of epochs: the default trains 390 batches (one an epoch here; 20 s of CPU).
  auto r = trainer({"train", "--normal", kNormal, "--anomalies", kSpill, "--out", model, "--epochs", "60", "--threads",
                    "1"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "architecture: spill-cnn, rgb (the default with spills")) << r.err;
  const auto j = info(model);
  EXPECT_EQ(j.at("arch"), "spill-cnn");
  EXPECT_EQ(j.at("preprocess").at("color"), "rgb");
  EXPECT_EQ(j.at("preprocess").at("width"), 64);
  EXPECT_EQ(j.at("score").at("kind"), "probability");
  EXPECT_EQ(j.at("training").at("recipe"), "plain");
  EXPECT_EQ(j.at("training").at("augment"), "flip,light,video");
  EXPECT_EQ(j.at("training").at("epochs_run"), 60);
  EXPECT_EQ(j.at("calibration").at("method"), "tnr-target");
  const auto& cal = j.at("calibration");
  const auto& test = j.at("validation").at("test");
  EXPECT_GT(cal.at("tpr").get<double>(), 0.0) << cal.dump();
  EXPECT_GT(test.at("tp").get<int>(), 0) << test.dump();
  EXPECT_EQ(test.at("fp").get<int>(), 0) << test.dump();

  const std::string json = path("eval.json");
  r = trainer({"evaluate", "--model", model, "--images", kEval, "--labels", kLabels, "--json", json, "--threads", "1",
               "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::ifstream jf(json);
  const auto e = nlohmann::json::parse(jf);
  EXPECT_GE(e.at("tp").get<int>(), 1) << e.dump();  // of 4 spills
  EXPECT_GE(e.at("tn").get<int>(), 6) << e.dump();  // of 8 normals
  EXPECT_GT(e.at("roc_auc").get<double>(), 0.75) << e.dump();  // spills above normals

  // The options of the other recipe are refused by name, before any training.
  expect_one_line_error(
      trainer({"train", "--normal", kNormal, "--anomalies", kSpill, "--out", path("x.wmm"), "--synthetic", "blob", "-q"}),
      {"--synthetic applies to --recipe synthetic"});
  expect_one_line_error(trainer({"train", "--normal", kNormal, "--out", path("x.wmm"), "--recipe", "plain", "-q"}),
                        {"--recipe applies to spill-cnn"});
  EXPECT_FALSE(fs::exists(path("x.wmm")));
}

// Without spills the default is an autoencoder (the only kind that learns from
// normals alone), grey, and the run says so.
TEST_F(TrainerCli, DefaultWithoutSpillsIsAnAutoencoderAndSaysSo) {
  const std::string model = path("ae.wmm");
  const auto r = trainer({"train", "--normal", kNormal, "--out", model, "--arch-param", "base=4", "--arch-param",
                          "latent=8", "--epochs", "2", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "the default without spills: an autoencoder is the only kind that learns from normals "
                              "alone")) << r.err;
  const auto j = info(model);
  EXPECT_EQ(j.at("arch"), "compact-ae");
  EXPECT_EQ(j.at("preprocess").at("color"), "gray");
  const auto help = trainer({"train", "--help"});
  EXPECT_TRUE(contains(help.out, "without spills compact-ae")) << help.out;
}

// Spills that look exactly like normals (the same pixels, other bytes: no
// model can tell them apart) give a model that catches none of them. train
// refuses to write it: exit status 1, one line saying why and naming the flag
// that writes it anyway, no model file and no checkpoint left behind;
// --allow-zero-tpr writes it.
TEST_F(TrainerCli, ModelThatCatchesNoHeldOutSpillIsRefused) {
  const fs::path normal = dir_ / "same-normal", spill = dir_ / "same-spill";
  fs::create_directories(normal);
  fs::create_directories(spill);
  const cv::Mat image = wm::load_folder(kNormal, 0, wm::LoadOptions{}).front().image;
  std::vector<uchar> png;
  ASSERT_TRUE(cv::imencode(".png", image, png));
  // One picture, many files: the bytes after PNG's end differ, so none is a
  // duplicate of another, and every one decodes to the same pixels.
  auto write = [&](const fs::path& file, int k) {
    std::ofstream f(file, std::ios::binary);
    f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    f << "copy " << k;
  };
  for (int k = 0; k < 40; ++k) write(normal / ("n" + std::to_string(k) + ".png"), k);
  for (int w : {11, 12, 13, 14, 15, 16})
    for (int k = 0; k < 3; ++k) write(spill / (std::to_string(w) + "_CAM_C_01-03-2023_05-39-0" + std::to_string(k) + "-000.png"), 100 * w + k);
  const std::string model = path("blind.wmm");
  const std::vector<std::string> args = {"train", "--normal", normal.string(), "--anomalies", spill.string(), "--out",
                                         model, "--epochs", "2", "--threads", "1", "-q"};
  auto r = trainer(args);
  expect_one_line_error(r, {model, "not written", "catches 0 of", "calibration and 0 of", "test spills",
                            "would never alarm", "--allow-zero-tpr"});
  EXPECT_FALSE(fs::exists(model));
  EXPECT_FALSE(fs::exists(model + ".ckpt"));
  // The old default, an autoencoder asked for by name, is told to leave out --arch.
  r = trainer(args + std::vector<std::string>{"--arch", "compact-ae", "--arch-param", "base=4", "--arch-param",
                                              "latent=8"});
  expect_one_line_error(r, {"catches 0 of", "leave out --arch"});
  EXPECT_FALSE(fs::exists(model));

  r = trainer(args + std::vector<std::string>{"--allow-zero-tpr"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(info(model).at("validation").at("test").at("tp"), 0);
}

// ---------------------------------------------------------------- resume (library level)

// A run of 2 epochs with a checkpoint, then the same run asked for 4 epochs with
// resume: it continues after epoch 2, and ends exactly where an uninterrupted
// 4-epoch run ends (same losses, same weights).
TEST(TrainerResume, ContinuesFromCheckpoint) {
  const fs::path dir = fs::temp_directory_path() / ("wm_resume_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  torch::set_num_threads(1);
  std::vector<cv::Mat> imgs;
  for (const auto& c : wm::load_folder(kNormal, 0, wm::LoadOptions{})) imgs.push_back(c.image);
  const auto all = wm::preprocess_batch(imgs, wm::PreprocessConfig{});
  const auto train_x = all.slice(0, 0, 32), val_x = all.slice(0, 32);
  auto make_net = [](uint64_t seed) {
    torch::manual_seed(seed);
    return wm::make_autoencoder("compact-ae", {{"base", 4}, {"latent", 8}}, 1, 64, 64);
  };
  wm::TrainOptions o;
  o.batch_size = 8;
  o.patience = 0;
  o.seed = 5;
  o.fingerprint = "fixture-run";
  o.checkpoint = (dir / "run.ckpt").string();

  // Interrupted run: 2 epochs, checkpoint kept.
  auto net1 = make_net(1);
  o.epochs = 2;
  const auto first = wm::train_autoencoder(*net1, train_x, val_x, o, torch::kCPU);
  EXPECT_EQ(first.epochs_run, 2);
  EXPECT_EQ(first.resumed_from, 0);
  ASSERT_TRUE(fs::exists(o.checkpoint));

  // Resumed: a freshly built net (other initial weights) continues from epoch 2.
  auto net2 = make_net(999);
  o.epochs = 4;
  o.resume = true;
  const auto resumed = wm::train_autoencoder(*net2, train_x, val_x, o, torch::kCPU);
  EXPECT_EQ(resumed.resumed_from, 2);
  EXPECT_EQ(resumed.epochs_run, 4);
  ASSERT_EQ(resumed.train_loss.size(), 4u);
  EXPECT_EQ(resumed.train_loss[0], first.train_loss[0]);
  EXPECT_EQ(resumed.train_loss[1], first.train_loss[1]);

  // Uninterrupted reference: 4 epochs from the same start.
  auto net3 = make_net(1);
  wm::TrainOptions ref = o;
  ref.resume = false;
  ref.checkpoint.clear();
  const auto straight = wm::train_autoencoder(*net3, train_x, val_x, ref, torch::kCPU);
  ASSERT_EQ(straight.train_loss.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(resumed.train_loss[i], straight.train_loss[i], 1e-6 * straight.train_loss[i]) << "epoch " << i + 1;
    EXPECT_NEAR(resumed.val_loss[i], straight.val_loss[i], 1e-6 * straight.val_loss[i]) << "epoch " << i + 1;
  }
  EXPECT_EQ(resumed.best_epoch, straight.best_epoch);
  auto p2 = net2->parameters(), p3 = net3->parameters();
  ASSERT_EQ(p2.size(), p3.size());
  for (size_t i = 0; i < p2.size(); ++i) EXPECT_TRUE(torch::allclose(p2[i], p3[i], 1e-5, 1e-6)) << "parameter " << i;

  // A checkpoint of another run (other data or settings) is refused with a clear error.
  o.fingerprint = "another-run";
  auto net4 = make_net(1);
  try {
    wm::train_autoencoder(*net4, train_x, val_x, o, torch::kCPU);
    ADD_FAILURE() << "a foreign checkpoint was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "another run")) << e.what();
  }
}

// A loss that is no longer a number stops training with an error before that
// epoch's checkpoint is written: the last good checkpoint stays.
TEST(TrainerDivergence, NonFiniteLossStopsWithAnErrorAndKeepsTheLastCheckpoint) {
  const fs::path dir = fs::temp_directory_path() / ("wm_diverge_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    torch::manual_seed(1);
    torch::nn::Linear net(4, 1);
    const auto x = torch::randn({16, 4});
    int batches = 0;
    const wm::BatchLoss loss = [&](const torch::Tensor& idx, uint64_t) {
      auto l = net->forward(x.index_select(0, idx)).pow(2).mean();
      if (++batches > 2) l = l * bad;  // epoch 1 (two batches) is fine, epoch 2 diverges
      return std::make_pair(l, idx.size(0));
    };
    wm::TrainOptions o;
    o.epochs = 5;
    o.batch_size = 8;
    o.patience = 0;
    o.checkpoint = (dir / "run.ckpt").string();
    o.fingerprint = "diverging";
    try {
      wm::train_loop(*net, 16, loss, nullptr, o, torch::kCPU);
      ADD_FAILURE() << "a non-finite loss did not stop training";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(contains(msg, "training diverged")) << msg;
      EXPECT_TRUE(contains(msg, std::isnan(bad) ? "NaN" : "infinite")) << msg;
      EXPECT_TRUE(contains(msg, "epoch 2")) << msg;
      EXPECT_TRUE(contains(msg, o.checkpoint)) << msg;
    }
    EXPECT_EQ(batches, 3) << "stops at the first bad batch";
    torch::serialize::InputArchive in;
    std::istringstream archive(wm::read_checkpoint(o.checkpoint));
    in.load_from(archive);
    torch::Tensor epoch;
    in.read("epoch", epoch);
    EXPECT_EQ(epoch.item<int64_t>(), 1) << "the checkpoint keeps the last good epoch";
    fs::remove(o.checkpoint);
  }
}

// A checkpoint with one byte flipped anywhere (here in the middle of the
// archive, and in its checksum) is refused on resume with one line naming it,
// never resumed from weights it no longer holds.
TEST(TrainerResume, CheckpointWithOneFlippedByteIsRefused) {
  const fs::path dir = fs::temp_directory_path() / ("wm_flipped_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  torch::manual_seed(1);
  torch::nn::Linear net(4, 1);
  const auto x = torch::randn({16, 4});
  const wm::BatchLoss loss = [&](const torch::Tensor& idx, uint64_t) {
    return std::make_pair(net->forward(x.index_select(0, idx)).pow(2).mean(), idx.size(0));
  };
  wm::TrainOptions o;
  o.epochs = 1;
  o.batch_size = 8;
  o.patience = 0;
  o.checkpoint = (dir / "run.ckpt").string();
  o.fingerprint = "flipped";
  wm::train_loop(*net, 16, loss, nullptr, o, torch::kCPU);
  std::string good;
  {
    std::ifstream f(o.checkpoint, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), {});
  }
  ASSERT_GT(good.size(), 200u);
  EXPECT_NO_THROW(wm::read_checkpoint(o.checkpoint));
  o.epochs = 2;
  o.resume = true;
  for (const size_t at : {good.size() / 2, good.size() - 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    std::ofstream(o.checkpoint, std::ios::binary | std::ios::trunc) << bad;
    try {
      wm::train_loop(*net, 16, loss, nullptr, o, torch::kCPU);
      ADD_FAILURE() << "resumed from a checkpoint with byte " << at << " flipped";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(o.checkpoint + ": cannot resume", 0), 0u) << msg;
      EXPECT_TRUE(contains(msg, "checksum mismatch")) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  fs::remove_all(dir);
}

// A run killed while writing its checkpoint leaves `<checkpoint>.tmp`; the next
// run removes it before anything else (here it fails on its first batch).
TEST(TrainerDivergence, StaleCheckpointTempFileIsRemoved) {
  const fs::path dir = fs::temp_directory_path() / ("wm_stale_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  wm::TrainOptions o;
  o.epochs = 1;
  o.batch_size = 4;
  o.checkpoint = (dir / "run.ckpt").string();
  std::ofstream(o.checkpoint + ".tmp") << "half a checkpoint";
  torch::nn::Linear net(2, 1);
  const wm::BatchLoss nan_loss = [&](const torch::Tensor& idx, uint64_t) {
    return std::make_pair(net->forward(torch::ones({idx.size(0), 2})).sum() * std::nan(""), idx.size(0));
  };
  EXPECT_THROW(wm::train_loop(*net, 4, nan_loss, nullptr, o, torch::kCPU), std::runtime_error);
  EXPECT_FALSE(fs::exists(o.checkpoint + ".tmp"));
  EXPECT_FALSE(fs::exists(o.checkpoint));
  fs::remove_all(dir);
}

// --out naming a directory (or a missing folder) fails at once, not after training;
// a damaged checkpoint on --resume is one line naming it.
TEST_F(TrainerCli, BadOutAndDamagedCheckpointFailAtOnceWithOneLine) {
  expect_one_line_error(train(dir_.string()), {dir_.string(), "--out names a directory"});
  expect_one_line_error(train(path("no/such/m.wmm")), {"no such folder", path("no/such")});
  const std::string out = path("m.wmm");
  std::ofstream(out + ".ckpt") << "PK\x03\x04 not really a checkpoint";
  expect_one_line_error(train(out, {"--resume"}), {out + ".ckpt", "cannot resume", "damaged"});
  EXPECT_FALSE(fs::exists(out));
}

// `train --lr 1e30` diverges: one line saying so, no model written (it spun
// forever in the metrics before).
TEST_F(TrainerCli, DivergingTrainingFailsWithOneLine) {
  const std::string out = path("diverged.wmm");
  const auto r = train(out, {"--lr", "1e30"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.describe();
  EXPECT_TRUE(contains(lines[0], "training diverged") || contains(lines[0], "not finite")) << lines[0];
  EXPECT_FALSE(fs::exists(out));
}

// NaN weights are refused when the model loads; a model with finite weights
// whose scores are NaN makes evaluate fail with one line, not spin.
TEST_F(TrainerCli, EvaluateRefusesNanWeightsAndNanScores) {
  wm::ModelFile m = wm::load_model(quick_model());
  {
    torch::NoGradGuard ng;
    m.network->parameters()[0].fill_(std::numeric_limits<float>::quiet_NaN());
  }
  const std::string nan_weights = path("nan_weights.wmm");
  wm::save_model(m, nan_weights);
  expect_one_line_error(trainer({"evaluate", "--model", nan_weights, "--images", kEval, "--labels", kLabels, "-q",
                                 "--threads", "1"}),
                        {nan_weights, "NaN or infinite values"});
  expect_one_line_error(trainer({"evaluate", "--model", nan_scoring(quick_model(), "nan_scores.wmm"), "--images", kEval,
                                 "--labels", kLabels, "-q", "--threads", "1"}),
                        {"12 of 12 scores are not finite"});
}

// Numeric options name their limits in --help and refuse values outside them
// with a short message (no 309-digit range), one line naming the option.
TEST_F(TrainerCli, NumericOptionsHaveNamedLimits) {
  const auto help = trainer({"train", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.describe();
  EXPECT_TRUE(contains(help.out, "0..256")) << help.out;
  EXPECT_TRUE(contains(help.out, "1..100000")) << help.out;
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const auto& c : std::vector<Case>{{{"--threads", "100000"}, "--threads"},
                                         {{"--threads", "-4"}, "--threads"},
                                         {{"--epochs", "0"}, "--epochs"},
                                         {{"--batch-size", "0"}, "--batch-size"},
                                         {{"--lr", "0"}, "positive number"},
                                         {{"--lr", "nan"}, "positive number"}}) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    const auto r = trainer(std::vector<std::string>{"train", "--normal", kNormal, "--out", path("x.wmm")} + c.args);
    expect_one_line_error(r, {c.args[0], c.names});
    EXPECT_LT(r.err.size(), 200u) << r.describe();
  }
}

// ---------------------------------------------------------------- bad inputs

TEST_F(TrainerCli, CorruptImageAmongCrops) {
  const std::string dir = path("normal");
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(kNormal)) fs::copy_file(e.path(), fs::path(dir) / e.path().filename());
  fs::copy_file(kBad + "/not_an_image.jpg", fs::path(dir) / "not_an_image.jpg");
  const std::string model = path("m.wmm");
  auto r = trainer(std::vector<std::string>{"train", "--normal", dir, "--out", model} + kTiny);
  expect_one_line_error(r, {"not_an_image.jpg", "not a readable image", "--skip-bad"});
  EXPECT_FALSE(fs::exists(model));

  // --skip-bad: trains, with a warning naming the file.
  r = trainer(std::vector<std::string>{"train", "--normal", dir, "--out", model, "--skip-bad"} + kTiny);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "warning: skipped not_an_image.jpg: not a readable image")) << r.err;
  EXPECT_TRUE(fs::exists(model));
}

TEST_F(TrainerCli, EmptyFolder) {
  const std::string dir = path("empty");
  fs::create_directories(dir);
  expect_one_line_error(trainer(std::vector<std::string>{"train", "--normal", dir, "--out", path("m.wmm")} + kTiny),
                        {dir, "no image files"});
}

TEST_F(TrainerCli, MissingFolder) {
  const std::string dir = path("does_not_exist");
  expect_one_line_error(trainer(std::vector<std::string>{"train", "--normal", dir, "--out", path("m.wmm")} + kTiny),
                        {dir, "no such folder"});
  expect_one_line_error(
      trainer(std::vector<std::string>{"train", "--normal", kNormal, "--anomalies", dir, "--out", path("m.wmm")} + kTiny),
      {dir, "no such folder"});
}

TEST_F(TrainerCli, LabelsFileWithBadLine) {
  const std::string model = quick_model(), labels = path("labels.txt");
  std::ofstream(labels) << "# two good lines, then a bad one\n10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg 0\n"
                           "23_CAM_C_01-03-2023_05-38-59-246.jpg 1\n31b3868b-f533-455e-af2e-9e9c132b01b0.jpg spill\n";
  expect_one_line_error(trainer({"evaluate", "--model", model, "--images", kEval, "--labels", labels, "--device", "cpu",
                                 "-q"}),
                        {labels + ":4:", "label must be 0 or 1"});
  std::ofstream(labels) << "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg\n";
  expect_one_line_error(trainer({"evaluate", "--model", model, "--images", kEval, "--labels", labels, "--device", "cpu",
                                 "-q"}),
                        {labels + ":1:", "expected '<file name> <0|1>'"});
}

TEST_F(TrainerCli, LabelsNamingMissingFile) {
  const std::string model = quick_model(), labels = path("labels.txt");
  std::ofstream(labels) << "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg 0\nghost.jpg 1\n";
  expect_one_line_error(trainer({"evaluate", "--model", model, "--images", kEval, "--labels", labels, "--device", "cpu",
                                 "-q"}),
                        {labels + ":2:", "no file 'ghost.jpg'"});
}

TEST_F(TrainerCli, DamagedModelFiles) {
  const std::string good = quick_model();
  const std::string bytes = wellmonitor_test::read_all(good);
  auto write = [&](const std::string& name, const std::string& b) {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << b;
    return p;
  };
  const std::string truncated = write("truncated.wmm", bytes.substr(0, bytes.size() / 2));
  std::string v99 = bytes;
  const uint32_t version = 99;
  std::memcpy(&v99[8], &version, 4);
  const std::string newer = write("newer.wmm", v99);
  const std::string foreign = kEval + "/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg";

  for (const auto& [file, why] : std::vector<std::pair<std::string, std::string>>{
           {truncated, "truncated"}, {foreign, "not a wellmonitor model"}, {newer, "newer"}}) {
    SCOPED_TRACE(file);
    expect_one_line_error(trainer({"info", "--model", file}), {file, why});
    expect_one_line_error(trainer({"evaluate", "--model", file, "--images", kEval, "--labels", kLabels, "--device",
                                   "cpu", "-q"}),
                          {file, why});
  }
  expect_one_line_error(trainer({"calibrate", "--model", newer, "--normal", kNormal, "--device", "cpu", "-q"}),
                        {newer, "newer"});
}

TEST_F(TrainerCli, CudaRequestedWithoutCuda) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA; the error case needs one without";
  expect_one_line_error(
      trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--device", "cuda", "--epochs", "1", "-q"}),
      {"cuda", "CUDA is not available"});
  expect_one_line_error(trainer({"evaluate", "--model", quick_model(), "--images", kEval, "--labels", kLabels,
                                 "--device", "cuda", "-q"}),
                        {"CUDA is not available"});
}

TEST_F(TrainerCli, BadSize) {
  for (const char* size : {"65x64", "axb", "1024x64"}) {
    SCOPED_TRACE(size);
    expect_one_line_error(
        trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--size", size, "--epochs", "1", "-q"}),
        {"--size", size});
  }
}

TEST_F(TrainerCli, BadArchitecture) {
  expect_one_line_error(trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--arch", "nope", "-q"}),
                        {"unknown architecture 'nope'"});
  expect_one_line_error(
      trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--arch-param", "latent=abc", "-q"}),
      {"--arch-param latent", "not an integer"});
  expect_one_line_error(
      trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--arch-param", "base=0", "-q"}),
      {"base"});
  expect_one_line_error(trainer({"train", "--normal", kNormal, "--out", path("m.wmm"), "--arch", "seed-ae",
                                 "--arch-param", "latent=0", "-q"}),
                        {"latent"});
}

// Usage errors, every subcommand: each bad invocation is exactly one line on
// stderr that names the option (or the word) at fault, exit status 1, nothing
// on stdout. A misspelt option is named before the required options it hides
// (--normals is not reported as "--normal is required"), with the option meant.
TEST_F(TrainerCli, UsageErrorsAreOneLineNamingTheOptionWithExitStatusOne) {
  const std::string model = quick_model(), out = path("x.wmm");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> names;  // what the line must name
  };
  const std::vector<Case> cases = {
      // train
      {{"train", "--normals", kNormal, "--out", out}, {"train:", "unknown option --normals", "did you mean --normal?"}},
      {{"train", "--normal", kNormal, "--out", out, "--bogus=1"}, {"unknown option --bogus"}},
      {{"train", "--normal", kNormal}, {"--out is required"}},
      {{"train", "--normal", kNormal, "--out", out, "--epochs", "0"}, {"--epochs", "0"}},
      {{"train", "--normal", kNormal, "--out", out, "--epochs", "many"}, {"--epochs", "many"}},
      {{"train", "--normal", kNormal, "--out", out, "--epochs"}, {"--epochs"}},
      {{"train", "--normal", kNormal, "--out", out, "--device", "tpu"}, {"--device", "tpu"}},
      {{"train", "--normal", kNormal, "--out", out, "stray"}, {"unexpected argument 'stray'"}},
      // calibrate, evaluate, info, stress, verify, crossval
      {{"calibrate", "--normal", kNormal}, {"calibrate:", "--model is required"}},
      {{"evaluate", "--model", "/no/such/model.wmm", "--images", kEval, "--labels", kLabels},
       {"--model", "/no/such/model.wmm"}},
      {{"evaluate", "--model", model, "--images", kEval, "--label", kLabels}, {"--label", "did you mean --labels?"}},
      {{"info"}, {"info:", "--model is required"}},
      {{"info", "--model", model, "--fulll"}, {"--fulll", "did you mean --full?"}},
      {{"stress", "--model", model, "--normal", kNormal, "--anomalies", kSpill, "--seeds", "x"}, {"--seeds", "x"}},
      {{"verify", "--model", model, "--normal", kNormal, "--tolerance", "-1"}, {"--tolerance"}},
      {{"crossval", "--normal", kNormal}, {"crossval:", "--otherdays is required"}},
      {{"crossval", "--otherdays", kCrops, "--folds", "1"}, {"--folds"}},
      // the data tools
      {{"extract", "--video", "v.mp4", "--wells", "w.txt", "--out", out, "--every", "0"}, {"extract:", "--every"}},
      {{"layout", "--image", "/no/such/frame.png"}, {"layout:", "--image"}},
      {{"review", "--images", "/no/such/folder", "--out", out}, {"review:", "--images"}},
      // the program itself
      {{}, {"a subcommand is required", "train"}},
      {{"trian", "--normal", kNormal}, {"'trian'", "did you mean train?"}},
      {{"--bogus"}, {"unknown option --bogus"}},
  };
  for (const auto& c : cases) {
    std::string line = "wellmonitor-trainer";
    for (const auto& a : c.args) line += " " + a;
    SCOPED_TRACE(line);
    const auto r = trainer(c.args);
    expect_one_line_error(r, c.names);
    EXPECT_EQ(r.out, "") << "nothing on stdout";
    EXPECT_TRUE(contains(r.err, "--help")) << "the line says where to read more: " << r.err;
  }
  // --help is no error: exit status 0, the text on stdout.
  for (const char* sub : {"train", "evaluate", "review"}) {
    const auto r = trainer({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << r.describe();
    EXPECT_TRUE(contains(r.out, "--")) << sub;
    EXPECT_EQ(r.err, "") << sub;
  }
  const auto v = trainer({"--version"});
  EXPECT_EQ(v.exit_code, 0) << v.describe();
}

// ---------------------------------------------------------------- verify

// A model records its test part crop by crop; verify finds those crops again by
// content (whatever their names), rescoring them gives the recorded scores, and the
// whole part gives the recorded figures. A crop scored differently is a mismatch
// (exit 1) naming the file.
TEST_F(TrainerCli, VerifyReproducesTheRecordedTestPart) {
  const std::string model = path("m.wmm");
  ASSERT_EQ(train(model).exit_code, 0);
  auto r = trainer({"verify", "--model", model, "--normal", kNormal, "--anomalies", kSpill, "-q", "--json",
                    path("v.json")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "-> reproduced")) << r.out;
  EXPECT_TRUE(contains(r.out, "verified")) << r.out;
  const auto j = nlohmann::json::parse(std::ifstream(path("v.json")));
  const auto full = trainer({"info", "--model", model, "--full"});
  ASSERT_EQ(full.exit_code, 0) << full.describe();
  const auto rec = nlohmann::json::parse(full.out).at("validation");
  EXPECT_EQ(j.at("found_normals"), rec.at("test_normal_scores").size());
  EXPECT_EQ(j.at("found_spills"), rec.at("test_spill_scores").size());
  EXPECT_TRUE(j.at("whole_test_part").get<bool>());
  EXPECT_EQ(j.at("decisions_changed"), 0);

  // Only some of the crops, under other names: each still matches; the figures are not checked.
  const std::string some = path("some");
  fs::create_directories(some);
  const auto hashes = rec.at("test_normal_hashes").get<std::vector<std::string>>();
  ASSERT_GE(hashes.size(), 2u);
  int copied = 0;
  for (const auto& e : fs::directory_iterator(kNormal)) {
    if (copied == 2) break;
    std::ifstream f(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), {});
    const std::string h = wm::sha256_hex(bytes.data(), bytes.size()).substr(0, 16);
    if (std::find(hashes.begin(), hashes.end(), h) == hashes.end()) continue;
    fs::copy_file(e.path(), fs::path(some) / ("renamed_" + std::to_string(copied++) + ".jpg"));
  }
  r = trainer({"verify", "--model", model, "--normal", some, "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "found 2 of")) << r.out;
  EXPECT_TRUE(contains(r.out, "figures are checked when every recorded test crop is given")) << r.out;

  // Another model's weights under this model's records: a mismatch naming crops.
  const std::string other = path("other.wmm");
  ASSERT_EQ(train(other, {"--seed", "7", "--split-seed", "1"}).exit_code, 0);
  wm::ModelFile a = wm::load_model(model), b = wm::load_model(other);
  b.validation = a.validation;
  b.calibration = a.calibration;
  wm::save_model(b, path("swapped.wmm"));
  r = trainer({"verify", "--model", path("swapped.wmm"), "--normal", kNormal, "--anomalies", kSpill, "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.out, "MISMATCH")) << r.out;
  EXPECT_TRUE(contains(r.out, kNormal)) << "names the crops that differ\n" << r.out;
}

TEST_F(TrainerCli, VerifyErrors) {
  // No crop of the recorded test part among those given.
  const std::string model = path("m.wmm");
  ASSERT_EQ(train(model).exit_code, 0);
  const std::string none = path("none");
  fs::create_directories(none);
  fs::copy_file(std::string(WELLMONITOR_TEST_DATA) + "/default-model/normal/" +
                    fs::directory_iterator(std::string(WELLMONITOR_TEST_DATA) + "/default-model/normal")->path().filename().string(),
                fs::path(none) / "x.jpg");
  expect_one_line_error(trainer({"verify", "--model", model, "--normal", none, "-q"}),
                        {"none of the crops given", "recorded test part"});
  // A model without per-crop records.
  expect_one_line_error(trainer({"verify", "--model", quick_model(), "--normal", kNormal, "-q"}),
                        {"records no per-crop test scores"});
  // The data folder missing.
  expect_one_line_error(trainer({"verify", "--model", model, "--normal", path("missing"), "-q"}),
                        {path("missing"), "no such folder"});
  // Scores that are NaN are never "within tolerance": a mismatch, exit 1.
  const auto r = trainer({"verify", "--model", nan_scoring(model, "nan.wmm"), "--normal", kNormal, "--anomalies", kSpill,
                          "-q", "--json", path("nan.json")});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.out, "are not finite numbers")) << r.out;
  EXPECT_TRUE(contains(r.out, "MISMATCH")) << r.out;
  EXPECT_FALSE(contains(r.out, "verified:")) << r.out;
  const auto j = nlohmann::json::parse(std::ifstream(path("nan.json")));
  EXPECT_FALSE(j.at("verified").get<bool>());
  EXPECT_GT(j.at("non_finite_scores").get<size_t>(), 0u);
}

// ---------------------------------------------------------------- the shipped default

// The short check: the committed crops of the default model's recorded test part
// (20 normals, 7 spills of held-out wells) score as the model file records, within
// 1e-5, with no decision changed.
TEST_F(TrainerCli, DefaultModelReproducesItsRecordedScoresOnFixtures) {
  const std::string fixtures = std::string(WELLMONITOR_TEST_DATA) + "/default-model";
  const auto r = trainer({"verify", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--normal",
                          fixtures + "/normal", "--threads", "1", "-q", "--json", path("v.json")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto j = nlohmann::json::parse(std::ifstream(path("v.json")));
  EXPECT_EQ(j.at("found_normals"), 20);
  EXPECT_EQ(j.at("found_spills"), 0);  // the default trains on every recorded spill
  EXPECT_EQ(j.at("outside_tolerance"), 0);
  EXPECT_EQ(j.at("decisions_changed"), 0);
  EXPECT_TRUE(j.at("verified").get<bool>());
}

// The other days' crops where the default's margin is thinnest (its 10 lowest
// spills and 10 highest normals, committed) score as recorded within 1e-5, every
// spill over the model's threshold and every normal under it.
TEST_F(TrainerCli, DefaultModelScoresTheHardestOtherDayCropsAsRecorded) {
  const std::string fixtures = std::string(WELLMONITOR_TEST_DATA) + "/default-model/otherdays";
  const auto r = trainer({"evaluate", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm",
                          "--images", fixtures + "/imgs", "--labels", fixtures + "/labels.txt", "--threads", "1", "-q",
                          "--scores", path("s.csv"), "--json", path("e.json")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto recorded = wellmonitor_test::read_evaluate_scores(fixtures + "/scores.csv");
  const auto now = wellmonitor_test::read_evaluate_scores(path("s.csv"));
  ASSERT_EQ(recorded.size(), 20u);
  ASSERT_EQ(now.size(), recorded.size());
  for (const auto& [name, rec] : recorded) {
    ASSERT_EQ(now.count(name), 1u) << name;
    EXPECT_EQ(now.at(name).label, rec.label) << name;
    EXPECT_NEAR(now.at(name).score, rec.score, 1e-5) << name;
  }
  const auto j = nlohmann::json::parse(std::ifstream(path("e.json")));
  EXPECT_EQ(j.at("tp"), 10) << j.dump();
  EXPECT_EQ(j.at("tn"), 10) << j.dump();
}

// The long check, on the plant's data beside the checkout: the whole recorded test
// part (830 normals, 56 spills) is found, rescored, and gives the recorded TP, FN,
// TN, FP and ROC AUC. Without the data it says so and is skipped.
TEST_F(TrainerCli, DefaultModelReproducesItsRecordedFiguresOnTheRealData) {
  const std::string data = WELLMONITOR_SHARED_DATA;
  if (!fs::is_directory(data + "/proliv/train") || !fs::is_directory(data + "/proliv/proliv"))
    GTEST_SKIP() << "the plant's data is not at " << data
                 << " (proliv/train, proliv/proliv): the long check of the default model needs it";
  const auto r = trainer({"verify", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--normal",
                          data + "/proliv/train", "--anomalies", data + "/proliv/proliv", "--threads", "1", "-q",
                          "--json", path("v.json")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "-> reproduced")) << r.out;
  const auto j = nlohmann::json::parse(std::ifstream(path("v.json")));
  EXPECT_TRUE(j.at("whole_test_part").get<bool>());
  EXPECT_EQ(j.at("found_normals"), j.at("recorded_normals"));
  EXPECT_EQ(j.at("found_spills"), j.at("recorded_spills"));
  EXPECT_GE(j.at("found_normals").get<int>(), 800);
}

// ---------------------------------------------------------------- stress

// Every part is reported over the seeds, with each model's size, cost and speed;
// the part accounting is checked at thresholds whose answers are known (0: every
// crop alarms, so TPR 1 and TNR 0 everywhere; 1e9: nothing alarms); the preview
// and histogram pictures are written; an ensemble of two models sharing a split is
// scored as one, and models of different splits are refused.
TEST_F(TrainerCli, StressReportsEveryPartAndEnsembles) {
  const std::string a = path("a.wmm"), b = path("b.wmm"), c = path("c.wmm");
  ASSERT_EQ(train(a).exit_code, 0);
  ASSERT_EQ(train(b, {"--seed", "5", "--split-seed", "1"}).exit_code, 0);
  ASSERT_EQ(train(c, {"--seed", "2"}).exit_code, 0);
  const std::vector<std::string> data = {"--normal", kNormal, "--anomalies", kSpill, "--seeds", "2", "--threads", "1", "-q"};
  auto r = trainer(std::vector<std::string>{"stress", "--model", a, "--json", path("s.json"), "--preview",
                                            path("p.png"), "--histogram", path("h.png")} + data);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto j = nlohmann::json::parse(std::ifstream(path("s.json")));
  for (const char* part : {"clean", "occluder", "box", "photometric", "mixed-shift", "blob-spill", "blend-spill",
                           "smooth-spill", "stress"}) {
    ASSERT_TRUE(j.at("parts").contains(part)) << part;
    const auto& p = j.at("parts").at(part);
    EXPECT_GT(p.at("normals").get<int>(), 0) << part;
    EXPECT_EQ(p.at("tnr").at("n"), std::string(part) == "clean" ? 1 : 2) << part;
    EXPECT_TRUE(contains(r.out, std::string("| ") + part)) << part;
  }
  // 4 held-out normals; the synthetic parts put a spill into each of them.
  EXPECT_EQ(j.at("parts").at("blob-spill").at("spills"), 4);
  EXPECT_EQ(j.at("parts").at("stress").at("spills"),
            j.at("parts").at("clean").at("spills").get<int>() + 3 * 4);
  const auto& m = j.at("models").at(0);
  EXPECT_EQ(m.at("parameters"), info(a).at("parameters"));
  EXPECT_EQ(m.at("multiply_adds_per_crop"), info(a).at("multiply_adds_per_crop"));
  EXPECT_GT(m.at("crops_per_second").get<double>(), 0.0);
  for (const auto& png : {path("p.png"), path("h.png")}) EXPECT_GT(fs::file_size(png), 1000u) << png;

  for (auto [thr, tpr, tnr] : {std::tuple{"0", 1.0, 0.0}, std::tuple{"1e9", 0.0, 1.0}}) {
    r = trainer(std::vector<std::string>{"stress", "--model", a, "--threshold", thr, "--json", path("t.json")} + data);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    j = nlohmann::json::parse(std::ifstream(path("t.json")));
    for (const auto& [name, p] : j.at("parts").items()) {
      EXPECT_DOUBLE_EQ(p.at("tpr").at("mean").get<double>(), tpr) << name << " at " << thr;
      EXPECT_DOUBLE_EQ(p.at("tnr").at("mean").get<double>(), tnr) << name << " at " << thr;
    }
  }

  r = trainer(std::vector<std::string>{"stress", "--model", a, "--model", b, "--ensemble", "--json", path("e.json")} + data);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  j = nlohmann::json::parse(std::ifstream(path("e.json")));
  ASSERT_EQ(j.at("models").size(), 1u);
  EXPECT_EQ(j.at("models").at(0).at("model"), "ensemble of 2 models");
  EXPECT_EQ(j.at("models").at(0).at("parameters").get<int64_t>(), 2 * info(a).at("parameters").get<int64_t>());
  expect_one_line_error(
      trainer(std::vector<std::string>{"stress", "--model", a, "--model", c, "--ensemble"} + data),
      {"--ensemble needs models trained on one split"});
}
