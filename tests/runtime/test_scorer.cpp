// The torch-free façade the element uses (models/runtime/include/wellmonitor/scorer.h):
// it scores as the Detector does, reuses its batch, names a bad file, refuses
// a device it cannot use, and chooses its threads by measurement.
#include "wellmonitor/crop_preprocessor.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/scorer.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
namespace wm = wellmonitor;

namespace {

class ScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wellmonitor-scorer-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    torch::manual_seed(7);
    wm::ModelFile m;
    m.arch = "compact-ae";
    m.arch_params = {{"base", 4}, {"latent", 8}};
    m.calibration.threshold = 0.125;
    m.calibration.method = "test";
    m.training.loss = "mse";
    m.provenance.trainer_version = "test-version";
    m.build_network();
    path_ = (dir_ / "tiny.wmm").string();
    wm::save_model(m, path_);
    cv::RNG rng(3);
    for (int i = 0; i < 5; ++i) {
      cv::Mat c(20 + 7 * i, 30 + 3 * i, CV_8UC3);
      rng.fill(c, cv::RNG::UNIFORM, 0, 256);
      crops_.push_back(c);
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  wm::ScorerOptions cpu(int threads = 1) const {
    wm::ScorerOptions o;
    o.device = "cpu";
    o.threads = threads;
    return o;
  }

  fs::path dir_;
  std::string path_;
  std::vector<cv::Mat> crops_;
};

TEST_F(ScorerTest, ScoresAsTheDetectorDoesAndReportsTheModelFilesRecords) {
  auto scorer = wm::Scorer::open(path_, cpu());
  wm::Detector det = wm::Detector::open(path_, "cpu");
  const auto want = det.score(crops_);
  std::vector<double> got;
  scorer->score(crops_, got);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << i;
  // the batch is kept between calls; a different number of crops still scores right
  const std::vector<cv::Mat> two(crops_.begin(), crops_.begin() + 2);
  scorer->score(two, got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got[1], want[1], 1e-9);
  scorer->score({}, got);
  EXPECT_TRUE(got.empty());

  EXPECT_DOUBLE_EQ(scorer->threshold(), 0.125);
  EXPECT_EQ(scorer->device_name(), "cpu");
  const wm::ScorerInfo& info = scorer->info();
  EXPECT_EQ(info.path, path_);
  EXPECT_EQ(info.arch, "compact-ae");
  EXPECT_EQ(info.input_width, 64);
  EXPECT_EQ(info.color, "gray");
  EXPECT_EQ(info.score, "mse");
  EXPECT_EQ(info.loss, "mse");
  EXPECT_EQ(info.trainer_version, "test-version");
  EXPECT_EQ(info.threads, 1);
}

// A model file that says test_time "mirror" scores each crop as the mean of its
// own and its mirror image's score, in the element's Scorer and the trainer's
// Detector alike; the flag survives the file.
TEST_F(ScorerTest, MirrorScoresTheMeanOfTheCropAndItsMirrorImage) {
  torch::manual_seed(5);
  wm::ModelFile m;
  m.arch = "spill-cnn";
  m.arch_params = {{"base", 4}};
  m.preprocess.color = wm::ColorMode::Rgb;
  m.score = wm::ScoreConfig::from_name("probability");
  m.calibration.threshold = 0.5;
  m.calibration.method = "test";
  m.build_network();
  const std::string plain = (dir_ / "plain.wmm").string();
  wm::save_model(m, plain);
  m.score.mirror = true;
  const std::string mirrored = (dir_ / "mirror.wmm").string();
  wm::save_model(m, mirrored);
  ASSERT_TRUE(wm::load_model(mirrored).score.mirror);
  ASSERT_FALSE(wm::load_model(plain).score.mirror);

  std::vector<cv::Mat> flipped;
  for (const auto& c : crops_) {
    cv::Mat f;
    cv::flip(c, f, 1);
    flipped.push_back(f);
  }
  wm::Detector det = wm::Detector::open(plain, "cpu");
  const auto own = det.score(crops_);
  const auto mirror = det.score(flipped);
  auto scorer = wm::Scorer::open(mirrored, cpu());
  std::vector<double> got;
  scorer->score(crops_, got);
  ASSERT_EQ(got.size(), crops_.size());
  double moved = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], 0.5 * (own[i] + mirror[i]), 1e-6) << i;
    moved = std::max(moved, std::abs(got[i] - own[i]));
  }
  EXPECT_GT(moved, 1e-4) << "the random network scores a crop and its mirror image alike: the test shows nothing";
  wm::Detector mirror_det = wm::Detector::open(mirrored, "cpu");
  const auto det_got = mirror_det.score(crops_);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(det_got[i], got[i], 1e-9) << i;
  EXPECT_NE(scorer->info().score.find("mirror"), std::string::npos) << scorer->info().score;

  // mirror_above: a crop under it keeps its own score, one at or over it gets the mean.
  std::vector<double> sorted = own;
  std::sort(sorted.begin(), sorted.end());
  m.score.mirror_above = sorted[sorted.size() / 2];
  const std::string gated = (dir_ / "gated.wmm").string();
  wm::save_model(m, gated);
  ASSERT_DOUBLE_EQ(wm::load_model(gated).score.mirror_above, m.score.mirror_above);
  auto gated_scorer = wm::Scorer::open(gated, cpu());
  gated_scorer->score(crops_, got);
  size_t kept = 0, averaged = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (own[i] < m.score.mirror_above) {
      EXPECT_NEAR(got[i], own[i], 1e-6) << i;
      ++kept;
    } else {
      EXPECT_NEAR(got[i], 0.5 * (own[i] + mirror[i]), 1e-6) << i;
      ++averaged;
    }
  }
  EXPECT_GT(kept, 0u);
  EXPECT_GT(averaged, 0u);
}

TEST_F(ScorerTest, BadFileOrDeviceIsRefusedWithAReadableError) {
  const std::string bad = (dir_ / "bad.wmm").string();
  std::ofstream(bad) << "not a model";
  try {
    wm::Scorer::open(bad, cpu());
    ADD_FAILURE() << "a bad model file opened";
  } catch (const wm::ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  auto o = cpu();
  o.device = "tpu";
  EXPECT_THROW(wm::Scorer::open(path_, o), wm::DeviceError);
  if (!torch::cuda::is_available()) {
    o.device = "cuda";
    EXPECT_THROW(wm::Scorer::open(path_, o), wm::DeviceError);
  }
}

TEST_F(ScorerTest, ThreadsZeroChoosesOneOrEveryCoreByMeasurement) {
  auto o = cpu(0);
  o.batch = 8;
  auto scorer = wm::Scorer::open(path_, o);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_TRUE(scorer->info().threads == 1 || scorer->info().threads == cores) << scorer->info().threads;
  EXPECT_EQ(torch::get_num_threads(), scorer->info().threads);
  torch::set_num_threads(1);
}

TEST_F(ScorerTest, DelayMakesADeliberatelySlowScorer) {
  auto o = cpu();
  o.delay_us = 20000;
  auto scorer = wm::Scorer::open(path_, o);
  std::vector<double> s;
  const auto t0 = std::chrono::steady_clock::now();
  scorer->score(crops_, s);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
  EXPECT_EQ(s.size(), crops_.size());
}

// The element's preprocessing keeps its taps and scratch per crop size, and
// gives the very floats preprocess_into gives, for grey and colour models,
// BGR and grey crops, smaller, larger and equal to the input size.
TEST(CropPreprocessor, GivesPreprocessIntosValuesAndKeepsOneEntryPerCropSize) {
  cv::RNG rng(11);
  std::vector<cv::Mat> crops;
  for (const cv::Size size : {cv::Size(64, 64), cv::Size(31, 77), cv::Size(120, 40), cv::Size(64, 20)}) {
    cv::Mat bgr(size, CV_8UC3), grey(size, CV_8UC1);
    rng.fill(bgr, cv::RNG::UNIFORM, 0, 256);
    rng.fill(grey, cv::RNG::UNIFORM, 0, 256);
    crops.push_back(bgr);
    crops.push_back(grey);
    crops.push_back(bgr(cv::Rect(1, 1, size.width - 2, size.height - 2)));  // a view with the frame's stride
  }
  for (const wm::ColorMode color : {wm::ColorMode::Gray, wm::ColorMode::Rgb}) {
    wm::PreprocessConfig pc;
    pc.color = color;
    wm::CropPreprocessor p(pc);
    const size_t n = static_cast<size_t>(pc.channels()) * pc.width * pc.height;
    std::vector<float> want(n), got(n);
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < crops.size(); ++i) {
        wm::preprocess_into(crops[i], pc, want.data());
        p.run(crops[i], got.data());
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), n * sizeof(float))) << "crop " << i << " round " << round;
      }
    }
    EXPECT_EQ(p.sizes_seen(), crops.size()) << "one entry per crop size, made once";
  }
  wm::CropPreprocessor p(wm::PreprocessConfig{});
  std::vector<float> out(64 * 64);
  EXPECT_THROW(p.run(cv::Mat(), out.data()), std::invalid_argument);
}

}  // namespace
