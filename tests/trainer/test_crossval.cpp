// Validation on the plant's other days: group-wise folds (never a group, never
// a byte-identical crop on both sides), the youden-logit threshold rule, the
// plain recipe's jitter, and `wellmonitor-trainer crossval` end to end on the
// committed other-days fixture (tests/fixtures/otherdays: 33 crops of 19 groups,
// one crop saved twice under two groups).
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/folds.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/training.h"

namespace wm = wellmonitor;
namespace fs = std::filesystem;

namespace {

const std::string kOther = std::string(WELLMONITOR_TEST_DATA) + "/otherdays";
const std::string kCrops = std::string(WELLMONITOR_TEST_DATA) + "/crops";

wm::Crop crop(const std::string& name, const std::string& hash, int label) {
  wm::Crop c;
  c.name = name;
  c.sha256 = hash;
  c.label = label;
  return c;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------- folds

TEST(GroupFolds, NoGroupAndNoIdenticalCropOnBothSides) {
  wm::LoadReport rep;
  const wm::GroupedSet set = wm::load_grouped(kOther, {}, &rep);
  ASSERT_EQ(set.crops.size(), 33u);
  for (int folds : {2, 3, 4}) {
    const auto fold = wm::group_folds(set.crops, set.groups, folds, 1);
    std::map<std::string, std::set<int>> by_group, by_hash;
    for (size_t i = 0; i < fold.size(); ++i) {
      ASSERT_GE(fold[i], 0);
      ASSERT_LT(fold[i], folds);
      by_group[set.groups[i]].insert(fold[i]);
      by_hash[set.crops[i].sha256].insert(fold[i]);
    }
    for (const auto& [g, f] : by_group) EXPECT_EQ(f.size(), 1u) << "group " << g << " in several folds";
    for (const auto& [h, f] : by_hash) EXPECT_EQ(f.size(), 1u) << "one picture in several folds";
    // Every fold gets spills and normals.
    for (int f = 0; f < folds; ++f) {
      size_t s = 0, n = 0;
      for (size_t i = 0; i < fold.size(); ++i)
        if (fold[i] == f) (set.crops[i].label ? s : n)++;
      EXPECT_GT(s, 0u) << folds << " folds, fold " << f;
      EXPECT_GT(n, 0u) << folds << " folds, fold " << f;
    }
  }
}

TEST(GroupFolds, IdenticalBytesTieTwoGroupsTogether) {
  // The fixture's copy-of-* crop sits in group gcopy with the bytes of a crop of g330.
  const wm::GroupedSet set = wm::load_grouped(kOther, {}, nullptr);
  const auto fold = wm::group_folds(set.crops, set.groups, 4, 7);
  std::set<int> tied;
  for (size_t i = 0; i < set.crops.size(); ++i)
    if (set.groups[i] == "gcopy" || set.groups[i] == "g330") tied.insert(fold[i]);
  EXPECT_EQ(tied.size(), 1u);
}

TEST(GroupFolds, BalancedStratifiedAndIndependentOfOrderAndNames) {
  std::vector<wm::Crop> crops;
  std::vector<std::string> groups;
  // 8 spill groups of 2 crops, 12 normal groups of 1-3 crops.
  for (int g = 0; g < 8; ++g)
    for (int k = 0; k < 2; ++k) {
      crops.push_back(crop("s" + std::to_string(g) + "_" + std::to_string(k), "hs" + std::to_string(g * 2 + k), 1));
      groups.push_back("S" + std::to_string(g));
    }
  for (int g = 0; g < 12; ++g)
    for (int k = 0; k <= g % 3; ++k) {
      crops.push_back(crop("n" + std::to_string(g) + "_" + std::to_string(k), "hn" + std::to_string(g * 3 + k), 0));
      groups.push_back("N" + std::to_string(g));
    }
  const auto fold = wm::group_folds(crops, groups, 4, 3);
  std::vector<int> spills(4, 0), normals(4, 0);
  for (size_t i = 0; i < crops.size(); ++i) (crops[i].label ? spills : normals)[static_cast<size_t>(fold[i])]++;
  for (int f = 0; f < 4; ++f) {
    EXPECT_EQ(spills[static_cast<size_t>(f)], 4) << "fold " << f;   // 16 spill crops dealt evenly
    EXPECT_GE(normals[static_cast<size_t>(f)], 5) << "fold " << f;  // 24 normal crops, groups of 1-3
    EXPECT_LE(normals[static_cast<size_t>(f)], 7) << "fold " << f;
  }
  // Reversed order and renamed groups: the same crops land in the same folds.
  std::vector<wm::Crop> rc(crops.rbegin(), crops.rend());
  std::vector<std::string> rg;
  for (auto it = groups.rbegin(); it != groups.rend(); ++it) rg.push_back("renamed-" + *it);
  const auto rfold = wm::group_folds(rc, rg, 4, 3);
  for (size_t i = 0; i < crops.size(); ++i) EXPECT_EQ(rfold[crops.size() - 1 - i], fold[i]) << crops[i].name;
  // Another seed deals differently.
  EXPECT_NE(wm::group_folds(crops, groups, 4, 4), fold);
  EXPECT_THROW(wm::group_folds(crops, groups, 1, 1), std::invalid_argument);
  EXPECT_THROW(wm::group_folds(std::vector<wm::Crop>(crops.begin(), crops.begin() + 2),
                               std::vector<std::string>(groups.begin(), groups.begin() + 2), 2, 1),
               std::invalid_argument);  // one group cannot fill two folds
}

TEST(GroupFolds, GroupsFileErrorsNameTheLine) {
  const fs::path p = fs::temp_directory_path() / ("wm_groups_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream f(p);
    f << "\xEF\xBB\xBF"
      << "a.jpg g1\n# comment\n\nb.jpg g2\n";
  }
  const auto g = wm::read_groups(p.string());
  EXPECT_EQ(g.size(), 2u);
  EXPECT_EQ(g.at("a.jpg"), "g1");  // the BOM is skipped
  {
    std::ofstream f(p);
    f << "a.jpg g1\nb.jpg\n";
  }
  try {
    wm::read_groups(p.string());
    ADD_FAILURE() << "a line without a group was accepted";
  } catch (const wm::DataError& e) {
    EXPECT_TRUE(contains(e.what(), p.string() + ":2:")) << e.what();
  }
  {
    std::ofstream f(p);
    f << "a.jpg g1\na.jpg g2\n";
  }
  EXPECT_THROW(wm::read_groups(p.string()), wm::DataError);
  fs::remove(p);
}

// ---------------------------------------------------------------- threshold rule

TEST(YoudenLogit, MiddleOfTheGapInLogits) {
  // Normals up to 0.02, spills from 0.9: the gap's middle in logits is
  // sigmoid((logit(0.02) + logit(0.9)) / 2) = 0.3: odds sqrt(0.02/0.98 * 9) = 3/7
  // (the plain middle would be 0.46).
  const std::vector<double> normal = {0.001, 0.005, 0.01, 0.02}, spill = {0.9, 0.95, 0.999};
  const auto c = wm::calibrate_youden_logit(normal, spill);
  const double lo = std::log(0.02 / 0.98), hi = std::log(0.9 / 0.1);
  EXPECT_NEAR(c.threshold, 1.0 / (1.0 + std::exp(-(lo + hi) / 2)), 1e-9);
  EXPECT_NEAR(c.threshold, 0.3, 1e-9);
  EXPECT_EQ(c.method, "youden-logit");
  EXPECT_DOUBLE_EQ(c.tnr, 1.0);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
  EXPECT_EQ(wm::calibrate("youden-logit", normal, spill, 0.0).threshold, c.threshold);
}

TEST(YoudenLogit, OverlapKeepsTheBestJAndItsWidestInterval) {
  // One normal at 0.6 among spills: the best J (TPR 1, TNR 0.8 or TPR 0.75, TNR 1)
  // is 1.75 above 0.6 (0.6 < t < 0.7: TNR 1, TPR 0.75) or 1.8 below (0.1 < t < 0.5:
  // TNR 0.8, TPR 1): the rule picks the latter, in its logit middle.
  const std::vector<double> normal = {0.01, 0.05, 0.08, 0.1, 0.6}, spill = {0.5, 0.7, 0.8, 0.9};
  const auto c = wm::calibrate_youden_logit(normal, spill);
  EXPECT_GT(c.threshold, 0.1);
  EXPECT_LT(c.threshold, 0.5);
  EXPECT_NEAR(c.threshold, 1.0 / (1.0 + std::exp(-(std::log(0.1 / 0.9) + 0.0) / 2)), 1e-9);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
  EXPECT_DOUBLE_EQ(c.tnr, 0.8);
  EXPECT_THROW(wm::calibrate_youden_logit(normal, {}), std::invalid_argument);
}

// ---------------------------------------------------------------- jitter

TEST(FlipAndLight, FlipMirrorsExactlyAndLightStaysInBounds) {
  torch::manual_seed(0);
  const auto x = torch::rand({64, 3, 8, 8}) * 2 - 1;
  const auto f = wm::flip_and_light(x, 5, true, false);
  int flipped = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const bool same = torch::equal(f[i], x[i]), mirrored = torch::equal(f[i], x[i].flip({2}));
    EXPECT_TRUE(same || mirrored) << "crop " << i;
    flipped += mirrored && !same;
  }
  EXPECT_GT(flipped, 16);  // about half of 64
  EXPECT_LT(flipped, 48);
  EXPECT_TRUE(torch::equal(wm::flip_and_light(x, 5, true, false), f));  // the same seed, the same batch
  EXPECT_FALSE(torch::equal(wm::flip_and_light(x, 6, true, false), f));

  const auto l = wm::flip_and_light(x, 5, false, true);
  EXPECT_LE(l.max().item<float>(), 1.0f);
  EXPECT_GE(l.min().item<float>(), -1.0f);
  // Brightness moves each crop's mean by at most 0.1 (before clipping), contrast by 0.8-1.2.
  const auto mean_shift = (l.mean({1, 2, 3}) - x.mean({1, 2, 3})).abs();
  EXPECT_LE(mean_shift.max().item<float>(), 0.1f + 0.05f);
  EXPECT_GT((l - x).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(wm::flip_and_light(x, 5, false, false), x));
}

// research/novelty.py (feature-space novelty scores, measured on the crossval folds):
// its model reader and preprocessing give evaluate's probabilities on the committed
// default-model fixtures, and its scores, rule and contrastive loss match
// hand-worked values (tests/research/test_novelty.py).
TEST(NoveltyTool, ReadsModelsAsTheTrainerDoesAndScoresHandCheckedInputs) {
  const std::string python = "/usr/bin/python3";
  const auto torch = wellmonitor_test::run_process(python, {"-c", "import torch, numpy, PIL"}, ".");
  ASSERT_EQ(torch.exit_code, 0) << python << " has no torch, numpy or PIL (Debian: python3-torch python3-pil "
                                << "python3-numpy; tools/setup-deps.sh installs them)\n" << torch.describe();
  const auto r = wellmonitor_test::run_process(
      python, {std::string(WELLMONITOR_SOURCE_DIR) + "/tests/research/test_novelty.py"}, WELLMONITOR_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("Ran 9 tests"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\nOK"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------- the command

class Crossval : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("wm_cv_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }
  wellmonitor_test::ProcessResult trainer(const std::vector<std::string>& args) const {
    return wellmonitor_test::run_process(WELLMONITOR_TRAINER, args, dir_.string());
  }
  std::vector<std::string> tiny() const {
    return {"crossval",
            "--otherdays",
            kOther,
            "--normal",
            kCrops + "/normal",
            "--anomalies",
            kCrops + "/spill",
            "--folds",
            "2",
            "--epochs",
            "2",
            "--arch-param",
            "base=2",
            "--batch-normals",
            "8",
            "--batch-spills",
            "4",
            "--test-fraction",
            "0.1",
            "--threads",
            "1",
            "--device",
            "cpu",
            "-q"};
  }
  fs::path dir_;
};

TEST_F(Crossval, TrainsPerFoldRecordsTheFiguresAndRefusesToScoreItsOwnTrainingDays) {
  auto args = tiny();
  for (const std::string& a :
       {std::string("--seeds"), std::string("2"), std::string("--out"), path("m.wmm"), std::string("--json"),
        path("cv.json"), std::string("--scores"), path("oof.csv"), std::string("--save-folds"), path("folds")})
    args.push_back(a);
  const auto r = trainer(args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "over folds and seeds: TPR")) << r.out;
  EXPECT_TRUE(contains(r.out, "model written to " + path("m.wmm"))) << r.out;

  // One out-of-fold score per crop and seed, each from the fold the crop is in.
  std::ifstream csv(path("oof.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "file,label,group,fold,seed,score");
  std::map<std::string, std::set<std::string>> folds_of_group;
  std::vector<std::pair<int, double>> oof_normals;  // (fold, score)
  size_t rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 6u) << line;
    folds_of_group[f[2]].insert(f[3]);
    const double s = std::stod(f[5]);
    if (f[1] == "0") oof_normals.push_back({std::stoi(f[3]), s});
    EXPECT_TRUE(s >= 0.0 && s <= 1.0) << line;
  }
  EXPECT_EQ(rows, 2u * 33u);
  for (const auto& [g, fs_] : folds_of_group) EXPECT_EQ(fs_.size(), 1u) << "group " << g;

  const auto cv = nlohmann::json::parse(std::ifstream(path("cv.json")));
  EXPECT_EQ(cv["folds"], 2);
  EXPECT_EQ(cv["seeds"], 2);
  EXPECT_EQ(cv["per_fold"].size(), 4u);
  EXPECT_EQ(cv["fold_thresholds"].size(), 2u);
  size_t n = 0;
  for (const auto& f : cv["per_fold"]) n += f["n"].get<size_t>();
  EXPECT_EQ(n, 2u * 33u);  // every crop once per seed
  // A fold's threshold comes from the other fold's out-of-fold normals only; the
  // shipped one from all of them (the default rule: their highest score, so that
  // no out-of-fold normal is over it).
  std::vector<double> all;
  for (int fold = 0; fold < 2; ++fold) {
    std::vector<double> others;
    for (const auto& [f, s] : oof_normals)
      if (f != fold) others.push_back(s);
    EXPECT_NEAR(cv["fold_thresholds"][static_cast<size_t>(fold)].get<double>(), wm::quantile(others, 1.0), 1e-7);
  }
  for (const auto& [f, s] : oof_normals) all.push_back(s);

  // The model records the figures, its rule and what it trained on.
  const wm::ModelFile m = wm::load_model(path("m.wmm"));
  EXPECT_EQ(m.calibration.method, "quantile");  // the default rule
  EXPECT_DOUBLE_EQ(m.calibration.parameter, 0.0);
  EXPECT_NEAR(m.threshold(), *std::max_element(all.begin(), all.end()), 1e-6);
  EXPECT_EQ(m.calibration.n_normal + m.calibration.n_anomaly, 2u * 33u);  // all out-of-fold scores
  EXPECT_EQ(m.validation.otherdays_cv["per_fold"], cv["per_fold"]);
  EXPECT_EQ(m.training.loss, "binary-cross-entropy");
  std::set<std::string> distinct;  // crops of a group are often byte-identical
  for (const auto& c : wm::load_grouped(kOther, {}, nullptr).crops) distinct.insert(c.sha256.substr(0, 16));
  EXPECT_EQ(m.provenance.train_otherdays_hashes.size(), distinct.size());

  // Each fold's model never trained on its fold's crops, and carries that fold's threshold.
  for (int f = 0; f < 2; ++f) {
    for (int seed = 1; seed <= 2; ++seed) {
      const wm::ModelFile fm =
          wm::load_model(path("folds/fold-" + std::to_string(f) + "-seed-" + std::to_string(seed) + ".wmm"));
      EXPECT_DOUBLE_EQ(fm.threshold(), cv["fold_thresholds"][static_cast<size_t>(f)].get<double>());
      std::set<std::string> trained;
      trained.insert(fm.provenance.train_otherdays_hashes.begin(), fm.provenance.train_otherdays_hashes.end());
      const auto fold_crops =
          wm::load_labelled(kOther + "/imgs", path("folds/fold-" + std::to_string(f) + ".labels.txt"), {});
      EXPECT_GT(fold_crops.size(), 5u);
      for (const auto& cr : fold_crops) EXPECT_EQ(trained.count(cr.sha256.substr(0, 16)), 0u) << cr.name;
      EXPECT_GT(trained.size(), 5u);
    }
  }

  // Scoring the shipped model on the days it trained on would be optimistic: the
  // command prints the cross-validated figures it records instead.
  const auto s = trainer({"crossval", "--otherdays", kOther, "--model", path("m.wmm"), "--folds", "2", "-q"});
  EXPECT_EQ(s.exit_code, 0) << s.describe();
  EXPECT_TRUE(contains(s.out, "cross-validated")) << s.out;
  // evaluate warns too.
  const auto e = trainer(
      {"evaluate", "--model", path("m.wmm"), "--images", kOther + "/imgs", "--labels", kOther + "/labels.txt", "-q"});
  EXPECT_EQ(e.exit_code, 0) << e.describe();
  EXPECT_TRUE(contains(e.err, "were used to train this model")) << e.err;

  // --fold-models scores the saved fold models again without training: as they
  // are, the very scores and thresholds; with --mirror, new ones, written into
  // the fold models and the final model (its weights and provenance kept).
  auto rescore = [&](const std::vector<std::string>& extra) {
    auto a = tiny();
    for (const std::string& x : {std::string("--seeds"), std::string("2"), std::string("--fold-models"), path("folds")})
      a.push_back(x);
    a.insert(a.end(), extra.begin(), extra.end());
    return trainer(a);
  };
  // (label, score) of every row of a --scores CSV
  auto read_scores = [&](const std::string& file) {
    std::ifstream in(file);
    std::vector<std::pair<int, double>> v;
    std::string row;
    std::getline(in, row);
    while (std::getline(in, row)) {
      std::vector<std::string> f;
      std::stringstream ss(row);
      for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
      EXPECT_EQ(f.size(), 6u) << row;
      if (f.size() == 6) v.push_back({std::stoi(f[1]), std::stod(f[5])});
    }
    return v;
  };
  const auto same = rescore({"--scores", path("oof-again.csv"), "--json", path("cv-again.json")});
  ASSERT_EQ(same.exit_code, 0) << same.describe();
  const auto oof = read_scores(path("oof.csv")), again = read_scores(path("oof-again.csv"));
  ASSERT_EQ(again.size(), oof.size());
  for (size_t i = 0; i < oof.size(); ++i) EXPECT_NEAR(again[i].second, oof[i].second, 1e-7) << i;
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(path("cv-again.json")))["fold_thresholds"], cv["fold_thresholds"]);

  const auto mir = rescore({"--mirror", "--scores", path("oof-mirror.csv"), "--save-folds", path("folds-mirror"),
                            "--final", path("m.wmm"), "--out", path("m-mirror.wmm")});
  ASSERT_EQ(mir.exit_code, 0) << mir.describe();
  const auto mirrored = read_scores(path("oof-mirror.csv"));
  ASSERT_EQ(mirrored.size(), oof.size());
  double moved = 0, top_normal = 0;
  for (size_t i = 0; i < oof.size(); ++i) {
    moved = std::max(moved, std::abs(mirrored[i].second - oof[i].second));
    if (mirrored[i].first == 0) top_normal = std::max(top_normal, mirrored[i].second);
  }
  EXPECT_GT(moved, 1e-5) << "--mirror changed no score";
  const wm::ModelFile mm = wm::load_model(path("m-mirror.wmm"));
  EXPECT_TRUE(mm.score.mirror);
  EXPECT_DOUBLE_EQ(mm.score.mirror_above, 0.02);  // the default gate
  EXPECT_NEAR(mm.threshold(), top_normal, 1e-6);
  EXPECT_EQ(mm.provenance.train_hashes, m.provenance.train_hashes);
  EXPECT_EQ(mm.provenance.date, m.provenance.date);
  EXPECT_EQ(mm.validation.otherdays_cv["seeds"], 2);
  for (int f = 0; f < 2; ++f) {
    const wm::ModelFile fm = wm::load_model(path("folds-mirror/fold-" + std::to_string(f) + "-seed-1.wmm"));
    EXPECT_TRUE(fm.score.mirror);
    EXPECT_EQ(fm.provenance.fold, f);
  }

  // Fold models that trained on the fold they would score, and --out without
  // the final model, are refused with a line that says why.
  const auto wrong = rescore({"--fold-seed", "9"});
  EXPECT_NE(wrong.exit_code, 0) << wrong.describe();
  EXPECT_TRUE(contains(wrong.err, "cannot score that fold")) << wrong.err;
  const auto no_final = rescore({"--out", path("x.wmm")});
  EXPECT_NE(no_final.exit_code, 0);
  EXPECT_TRUE(contains(no_final.err, "--final")) << no_final.err;
  // A final model trained on other crops than these options give is refused
  // before anything is scored.
  const auto other = rescore({"--normal-stride", "2", "--final", path("m.wmm"), "--out", path("y.wmm")});
  EXPECT_NE(other.exit_code, 0) << other.describe();
  EXPECT_TRUE(contains(other.err, "trained on other crops")) << other.err;
  EXPECT_FALSE(contains(other.out, "over folds")) << other.out;
  EXPECT_FALSE(fs::exists(path("y.wmm")));
}

TEST_F(Crossval, WithoutOtherDaysOneModelScoresThemAllAtAFixedThreshold) {
  auto args = tiny();
  for (const std::string& a :
       {std::string("--otherdays-normal-share"), std::string("0"), std::string("--otherdays-spill-share"),
        std::string("0"), std::string("--threshold"), std::string("0.5"), std::string("--json"), path("cv.json"),
        std::string("--out"), path("plain.wmm")})
    args.push_back(a);
  const auto r = trainer(args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto cv = nlohmann::json::parse(std::ifstream(path("cv.json")));
  EXPECT_EQ(cv["method"], "fixed");
  for (const auto& t : cv["fold_thresholds"]) EXPECT_DOUBLE_EQ(t.get<double>(), 0.5);
  const wm::ModelFile m = wm::load_model(path("plain.wmm"));
  EXPECT_DOUBLE_EQ(m.threshold(), 0.5);
  EXPECT_EQ(m.provenance.train_otherdays_hashes.size(), 0u);
  // A model that never saw the other days is scored on them fold by fold.
  const auto s = trainer({"crossval", "--otherdays", kOther, "--model", path("plain.wmm"), "--folds", "2", "--json",
                          path("scored.json"), "-q"});
  ASSERT_EQ(s.exit_code, 0) << s.describe();
  const auto j = nlohmann::json::parse(std::ifstream(path("scored.json")));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["all"]["n"], 33);
  EXPECT_EQ(j[0]["folds"].size(), 2u);
}

TEST_F(Crossval, BadInputIsOneLine) {
  auto r = trainer({"crossval", "--otherdays", path("missing"), "--model", kCrops, "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  r = trainer({"crossval", "--otherdays", kOther, "-q"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "--normal and --anomalies")) << r.err;
  auto args = tiny();
  args.push_back("--out");
  args.push_back(dir_.string());
  r = trainer(args);
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "names a folder")) << r.err;
}

// --augment h264: the crops' H.264 copies train the model, are scored out of
// fold beside the crops, and with --calibrate-on crops+h264 the rule sees them too.
TEST_F(Crossval, H264JitterScoresTheCopiesOutOfFoldAndCalibratesOnThem) {
  const std::string frame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/replay-frame.jpg";
  const std::string wells = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";
  auto args = tiny();
  for (const char* a : {"--augment", "flip,h264"}) args.push_back(a);
  auto r = trainer(args);
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "--augment h264 needs --codec-frame")) << r.err;

  for (const std::string& a : {std::string("--codec-frame"), frame, std::string("--codec-wells"), wells,
                               std::string("--calibrate-on"), std::string("crops+h264"), std::string("--scores"),
                               path("oof.csv"), std::string("--json"), path("cv.json")})
    args.push_back(a);
  r = trainer(args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "their 2 H.264 copies, same thresholds")) << r.out;

  // Two copies of every crop, each scored by the model of the crop's own fold.
  std::map<std::string, int> fold_of;
  {
    std::ifstream csv(path("oof.csv"));
    std::string line;
    std::getline(csv, line);
    while (std::getline(csv, line)) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
      fold_of[f[0]] = std::stoi(f[3]);
    }
  }
  std::ifstream h(path("oof-h264.csv"));
  ASSERT_TRUE(h.good()) << "the copies' scores are written beside --scores";
  std::string line;
  std::getline(h, line);
  EXPECT_EQ(line, "file,label,group,fold,seed,copy,score");
  std::map<int, std::vector<double>> normals_by_fold;
  size_t rows = 0;
  while (std::getline(h, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 7u) << line;
    EXPECT_EQ(std::stoi(f[3]), fold_of.at(f[0])) << line;
    const double s = std::stod(f[6]);
    EXPECT_TRUE(s >= 0.0 && s <= 1.0) << line;
    if (f[1] == "0") normals_by_fold[std::stoi(f[3])].push_back(s);
  }
  EXPECT_EQ(rows, 2u * 33u);

  // far 0 on crops and copies: each fold's threshold is at least every other
  // fold's copy of a normal.
  const auto cv = nlohmann::json::parse(std::ifstream(path("cv.json")));
  EXPECT_EQ(cv["calibrated_on"], "crops+h264");
  EXPECT_EQ(cv["h264_copies"]["copies"], 2);
  EXPECT_EQ(cv["h264_copies"]["per_fold"].size(), 2u * 2u);
  for (int fold = 0; fold < 2; ++fold)
    for (double s : normals_by_fold[1 - fold]) EXPECT_GE(cv["fold_thresholds"][fold].get<double>(), s - 1e-9);
}

// ---------------------------------------------------------------- replay of other days

// A replay in H.264 says its colour matrix in the stream, and GStreamer's decoder
// gives back the colours drawn: the table's background above the wells comes out
// as the same frame sent through GStreamer's own I420 round trip does. (Written
// by OpenCV's FFmpeg writer, the stream was BT.601 without saying so and GStreamer
// read this HD size as BT.709: green came out 2.4 levels darker than that, red 1.2.)
TEST_F(Crossval, ReplayInH264SaysItsColourMatrixAndKeepsTheColours) {
  const std::string frame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/replay-frame.jpg";
  const std::string layout = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";
  const auto r = wellmonitor_test::run_process(
      WELLMONITOR_REPLAY, {"--labels", kOther + "/labels.txt", "--images", kOther + "/imgs", "--groups",
                           kOther + "/groups.txt", "--layout", layout, "--frame", frame, "--size", "1280x800", "--fps",
                           "4", "--duration", "1", "--spills", "0", "--keep-marks", "-o", path("c.mp4"), "--truth",
                           path("c.csv")},
      dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "BT.709 said in the stream")) << r.describe();
  const auto caps = wellmonitor_test::run_process(
      "/usr/bin/gst-launch-1.0",
      {"-v", "filesrc", "location=" + path("c.mp4"), "!", "qtdemux", "!", "h264parse", "!", "avdec_h264", "!", "fakesink", "sync=false"},
      dir_.string());
  EXPECT_TRUE(contains(caps.out, "colorimetry=(string)bt709")) << caps.describe();
  const std::vector<std::string> to_png = {"!", "videoconvert", "!", "video/x-raw,format=RGB", "!", "pngenc",
                                           "snapshot=true", "!", "filesink"};
  auto gst = [&](std::vector<std::string> args, const std::string& png) {
    args.insert(args.begin(), "-q");
    args.insert(args.end(), to_png.begin(), to_png.end());
    args.push_back("location=" + path(png));
    const auto g = wellmonitor_test::run_process("/usr/bin/gst-launch-1.0", args, dir_.string());
    EXPECT_EQ(g.exit_code, 0) << g.describe();
    return cv::imread(path(png));
  };
  const cv::Mat replayed = gst({"filesrc", "location=" + path("c.mp4"), "!", "decodebin"}, "replayed.png");
  // the picture the tool draws (its background, resized as it resizes it), sent
  // through GStreamer's BT.709 I420 and back: the reference for the colours
  cv::Mat drawn;
  cv::resize(cv::imread(frame, cv::IMREAD_COLOR), drawn, cv::Size(1280, 800), 0, 0, cv::INTER_LINEAR);
  ASSERT_TRUE(cv::imwrite(path("drawn.png"), drawn));
  const cv::Mat round_trip = gst({"filesrc", "location=" + path("drawn.png"), "!", "pngdec", "!", "videoconvert", "!",
                                  "video/x-raw,format=I420,colorimetry=bt709"},
                                 "round-trip.png");
  ASSERT_EQ(replayed.size(), cv::Size(1280, 800));
  ASSERT_EQ(round_trip.size(), cv::Size(1280, 800));
  // above the first row of wells: background only
  const auto wells = wm::load_layout(layout).scaled(1280, 800);
  int top = 800;
  for (const auto& b : wells) top = std::min(top, b.y);
  ASSERT_GT(top, 40);
  const cv::Rect strip(0, 0, 1280, top - 10);
  const cv::Scalar a = cv::mean(replayed(strip)), b = cv::mean(round_trip(strip));
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(a[c], b[c], 0.5) << "channel " << "BGR"[c];
}

TEST_F(Crossval, ReplayOfGroupsPlaysSpillGroupsAsSequencesAndNormalsByGroup) {
  const std::string frame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/replay-frame.jpg";
  const auto r = wellmonitor_test::run_process(
      WELLMONITOR_REPLAY, {"--labels",   kOther + "/labels.txt",
                           "--images",   kOther + "/imgs",
                           "--groups",   kOther + "/groups.txt",
                           "--layout",   std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt",
                           "--frame",    frame,
                           "--size",     "480x300",
                           "--fps",      "4",
                           "--duration", "40",
                           "--spills",   "3",
                           "--codec",    "mjpeg",
                           "-o",         path("r.avi"),
                           "--truth",    path("r.csv"),
                           "--shown",    path("shown.csv")},
      dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "13 normal groups")) << r.out;
  // --shown: every well's showings follow each other from frame 0 to the last
  // (40 s at 4 fps), each naming a crop of the fixture.
  {
    std::ifstream shown(path("shown.csv"));
    std::string line;
    std::getline(shown, line);
    EXPECT_EQ(line, "well,first_frame,last_frame,file");
    std::map<std::string, int> next_frame;
    while (std::getline(shown, line)) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
      ASSERT_EQ(f.size(), 4u) << line;
      EXPECT_EQ(std::stoi(f[1]), next_frame[f[0]]) << line;
      EXPECT_GE(std::stoi(f[2]), std::stoi(f[1])) << line;
      next_frame[f[0]] = std::stoi(f[2]) + 1;
      EXPECT_TRUE(fs::exists(f[3])) << line;
    }
    EXPECT_EQ(next_frame.size(), 42u);
    for (const auto& [w, n] : next_frame) EXPECT_EQ(n, 160) << "well " << w;
  }  // 12 normal groups + the copy's group
  // Each spill is one spill group of the fixture, played whole.
  std::set<std::string> spill_groups;
  {
    const auto groups = wm::read_groups(kOther + "/groups.txt");
    std::ifstream labels(kOther + "/labels.txt");
    for (std::string n, l; labels >> n >> l;)
      if (l == "1") spill_groups.insert(groups.at(n));
  }
  size_t spills = 0;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) {
    const auto at = line.find("of source well ");
    if (line.find("spill at") == std::string::npos || at == std::string::npos) continue;
    ++spills;
    std::string g = line.substr(at + 15);
    g = g.substr(0, g.find(','));
    EXPECT_EQ(spill_groups.count(g), 1u) << line;
  }
  EXPECT_EQ(spills, 3u);
  std::ifstream truth(path("r.csv"));
  std::string header;
  std::getline(truth, header);
  EXPECT_EQ(header, "well,first_frame,last_frame");
  EXPECT_GT(fs::file_size(path("r.avi")), 1000u);

  // --groups without --labels, or neither --normal nor --groups, is refused.
  const auto bad = wellmonitor_test::run_process(
      WELLMONITOR_REPLAY,
      {"--layout", std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt", "--frame", frame,
       "--spills", "0", "-o", path("x.avi"), "--truth", path("x.csv")},
      dir_.string());
  EXPECT_NE(bad.exit_code, 0) << bad.describe();
  EXPECT_TRUE(contains(bad.err, "--normal")) << bad.err;
}

// ---------------------------------------------------------------- the shipped default

// The README's command that made models/default.wmm, run again on the plant's
// data: every fold's figures, every fold's threshold and the shipped threshold
// come out as the model file records them (training is deterministic on one
// thread). About 5 minutes on one core.
TEST_F(Crossval, DefaultModelReproducesItsCrossValidatedFiguresOnTheOtherDays) {
  if (const char* once = std::getenv("WELLMONITOR_LONG_CHECKS_ELSEWHERE"))
    GTEST_SKIP() << "this 5-minute check runs in the other test suite of this build (" << once << ")";
  if (std::getenv("WELLMONITOR_QUICK"))
    GTEST_SKIP() << "the default model's 5-minute reproduction runs with tools/test.sh --long (WELLMONITOR_QUICK is set)";
  const std::string data = WELLMONITOR_SHARED_DATA;
  if (!fs::is_directory(data + "/otherdays/imgs") || !fs::is_directory(data + "/proliv/train"))
    GTEST_SKIP() << "the plant's data is not at " << data
                 << " (otherdays/, proliv/): the long check of the default model's cross-validated figures needs it";
  const wm::ModelFile shipped = wm::load_model(std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm");
  const auto r = trainer({"crossval",
                          "--otherdays",
                          data + "/otherdays",
                          "--normal",
                          data + "/proliv/train",
                          "--anomalies",
                          data + "/proliv/proliv",
                          "--normal-stride",
                          "2",
                          "--seeds",
                          "2",
                          "--threads",
                          "1",
                          "--device",
                          "cpu",
                          "-q",
                          "--json",
                          path("cv.json"),
                          "--out",
                          path("again.wmm")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto cv = nlohmann::json::parse(std::ifstream(path("cv.json")));
  const auto& recorded = shipped.validation.otherdays_cv;
  ASSERT_EQ(cv["per_fold"].size(), recorded["per_fold"].size());
  for (size_t i = 0; i < cv["per_fold"].size(); ++i) {
    const auto &now = cv["per_fold"][i], &rec = recorded["per_fold"][i];
    for (const char* k : {"fold", "seed", "tp", "fn", "tn", "fp", "n"}) EXPECT_EQ(now[k], rec[k]) << k << " row " << i;
    // Scores agree within float rounding (the element's folded network), 1e-5 as everywhere.
    EXPECT_NEAR(now["threshold"].get<double>(), rec["threshold"].get<double>(), 1e-5) << "row " << i;
    EXPECT_NEAR(now["roc_auc"].get<double>(), rec["roc_auc"].get<double>(), 1e-9) << "row " << i;
  }
  const wm::ModelFile again = wm::load_model(path("again.wmm"));
  EXPECT_NEAR(again.threshold(), shipped.threshold(), 1e-5);
  EXPECT_EQ(again.validation.test_normal_scores.size(), shipped.validation.test_normal_scores.size());
  for (size_t i = 0; i < again.validation.test_normal_scores.size(); ++i)
    ASSERT_NEAR(again.validation.test_normal_scores[i], shipped.validation.test_normal_scores[i], 1e-5)
        << "test normal " << i;
}
