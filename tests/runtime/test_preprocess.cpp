// Preprocessing against the reference Python pipeline (PIL convert + PIL bilinear
// resize to 64x64 + /255 + Normalize(0.5, 0.5)). The expected arrays were written by
// tests/support/make_preprocess_expected.py with Debian's python3-pil; torchvision is
// not installed there, so PIL's resize (the call torchvision's Resize makes on a PIL
// image) is the reference.
#include "wellmonitor/preprocess.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

const std::string kFixtures = WELLMONITOR_TEST_DATA;

struct Case {
  std::string image, mode, expected;
  int channels = 0, height = 0, width = 0;
};

std::vector<Case> read_manifest() {
  std::ifstream f(kFixtures + "/preprocess/manifest.txt");
  std::vector<Case> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    Case c;
    in >> c.image >> c.mode >> c.channels >> c.height >> c.width >> c.expected;
    if (in) out.push_back(c);
  }
  return out;
}

std::vector<float> read_f32(const std::string& path, size_t count) {
  std::ifstream f(path, std::ios::binary);
  std::vector<float> v(count);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
  if (static_cast<size_t>(f.gcount()) != count * sizeof(float)) v.clear();
  return v;
}

}  // namespace

// Every committed crop and synthetic image, grey and colour, matches PIL within
// 1/255 per value: that is less than one grey level (a level is 2/255 after
// Normalize), so the 8-bit intermediate must be identical to PIL's.
TEST(Preprocess, MatchesPilReferencePipeline) {
  const auto cases = read_manifest();
  ASSERT_EQ(cases.size(), 18u) << "manifest of tests/fixtures/preprocess is incomplete";
  double overall_max = 0.0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.image + " " + c.mode);
    // Single-channel images stay single-channel (the gray passthrough and the
    // grey->RGB expansion); the others decode to BGR as the dataset loader does.
    const bool single = c.image.find("synthetic_gray") != std::string::npos;
    const cv::Mat img = cv::imread(kFixtures + "/" + c.image, single ? cv::IMREAD_UNCHANGED : cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty());
    ASSERT_EQ(img.channels(), single ? 1 : 3);
    wm::PreprocessConfig cfg;
    cfg.color = c.mode == "gray" ? wm::ColorMode::Gray : wm::ColorMode::Rgb;
    ASSERT_EQ(cfg.channels(), c.channels);
    const size_t count = static_cast<size_t>(c.channels) * c.height * c.width;
    const auto expected = read_f32(kFixtures + "/" + c.expected, count);
    ASSERT_EQ(expected.size(), count) << "cannot read " << c.expected;

    const torch::Tensor t = wm::preprocess(img, cfg);
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{c.channels, c.height, c.width}));
    ASSERT_EQ(t.scalar_type(), torch::kFloat32);
    const float* got = t.contiguous().data_ptr<float>();
    double max_diff = 0.0;
    size_t worst = 0, off_by_a_level = 0;
    for (size_t i = 0; i < count; ++i) {
      const double d = std::fabs(static_cast<double>(got[i]) - expected[i]);
      if (d > max_diff) max_diff = d, worst = i;
      if (d > 1.0 / 255) ++off_by_a_level;
    }
    std::printf("  %-58s %-4s max |diff| = %.3g\n", c.image.c_str(), c.mode.c_str(), max_diff);
    EXPECT_EQ(off_by_a_level, 0u) << "values further than 1/255 from PIL; worst at " << worst << ": got "
                                  << got[worst] << ", PIL " << expected[worst];
    EXPECT_LE(max_diff, 1.0 / 255);
    overall_max = std::max(overall_max, max_diff);
  }
  std::printf("  overall max |diff| vs PIL: %.3g\n", overall_max);
}

// The batch path gives the same values as the single-crop path.
TEST(Preprocess, BatchEqualsSingleCrops) {
  const auto cases = read_manifest();
  ASSERT_GE(cases.size(), 4u);
  std::vector<cv::Mat> crops;
  for (size_t i = 0; i < 4; ++i) crops.push_back(cv::imread(kFixtures + "/" + cases[2 * i].image, cv::IMREAD_COLOR));
  wm::PreprocessConfig cfg;
  const auto batch = wm::preprocess_batch(crops, cfg);
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{4, 1, 64, 64}));
  for (size_t i = 0; i < crops.size(); ++i)
    EXPECT_TRUE(torch::equal(batch[static_cast<int64_t>(i)], wm::preprocess(crops[i], cfg))) << i;
}

// PIL's "L" conversion: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16, worked by hand.
TEST(Preprocess, GrayConversionRoundsLikePil) {
  cv::Mat bgr(1, 4, CV_8UC3);
  bgr.at<cv::Vec3b>(0, 0) = {0, 0, 255};      // pure red: 255*19595 = 4996725 (+32768) >> 16 = 76
  bgr.at<cv::Vec3b>(0, 1) = {0, 255, 0};      // pure green: 255*38470 = 9809850 (+32768) >> 16 = 150
  bgr.at<cv::Vec3b>(0, 2) = {255, 0, 0};      // pure blue: 255*7471 = 1905105 (+32768) >> 16 = 29
  bgr.at<cv::Vec3b>(0, 3) = {200, 100, 10};   // R=10 G=100 B=200: 195950+3847000+1494200 = 5537150 (+32768) >> 16 = 84
  const cv::Mat g = wm::to_gray_pil(bgr);
  ASSERT_EQ(g.type(), CV_8UC1);
  EXPECT_EQ(g.at<uint8_t>(0, 0), 76);
  EXPECT_EQ(g.at<uint8_t>(0, 1), 150);
  EXPECT_EQ(g.at<uint8_t>(0, 2), 29);
  EXPECT_EQ(g.at<uint8_t>(0, 3), 84);
  // Grey stays grey: (v*65536 + 32768) >> 16 = v.
  cv::Mat same(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v) same.at<cv::Vec3b>(0, v) = cv::Vec3b(v, v, v);
  const cv::Mat gs = wm::to_gray_pil(same);
  for (int v = 0; v < 256; ++v) ASSERT_EQ(gs.at<uint8_t>(0, v), v);
}

// A uniform image stays uniform at any size; [0, 255] maps to [-1, 1].
TEST(Preprocess, RangeAndConstantImages) {
  wm::PreprocessConfig cfg;
  for (int v : {0, 255, 128}) {
    const cv::Mat img(27, 49, CV_8UC3, cv::Scalar(v, v, v));
    const auto t = wm::preprocess(img, cfg);
    const float want = (v / 255.0f - 0.5f) / 0.5f;
    EXPECT_FLOAT_EQ(t.min().item<float>(), want) << v;
    EXPECT_FLOAT_EQ(t.max().item<float>(), want) << v;
  }
  const cv::Mat black(30, 50, CV_8UC3, cv::Scalar(0, 0, 0));
  EXPECT_FLOAT_EQ(wm::preprocess(black, cfg).max().item<float>(), -1.0f);
  // Colour keeps the channel order R, G, B (the input is BGR).
  wm::PreprocessConfig rgb;
  rgb.color = wm::ColorMode::Rgb;
  const cv::Mat blue(20, 20, CV_8UC3, cv::Scalar(255, 0, 0));
  const auto t = wm::preprocess(blue, rgb);
  EXPECT_FLOAT_EQ(t[0].max().item<float>(), -1.0f);  // R
  EXPECT_FLOAT_EQ(t[1].max().item<float>(), -1.0f);  // G
  EXPECT_FLOAT_EQ(t[2].min().item<float>(), 1.0f);   // B
}

// Other network input sizes come out with the configured shape.
TEST(Preprocess, ConfiguredSize) {
  wm::PreprocessConfig cfg;
  cfg.width = 32;
  cfg.height = 16;
  const cv::Mat img(28, 48, CV_8UC3, cv::Scalar(10, 20, 30));
  EXPECT_EQ(wm::preprocess(img, cfg).sizes(), (std::vector<int64_t>{1, 16, 32}));
  const cv::Mat r = wm::resize_bilinear_pil(img, 32, 16);
  EXPECT_EQ(r.cols, 32);
  EXPECT_EQ(r.rows, 16);
  // Same size in and out: the pixels are untouched.
  cv::Mat ramp(5, 7, CV_8UC1);
  for (int i = 0; i < 35; ++i) ramp.data[i] = static_cast<uint8_t>(i * 7);
  const cv::Mat same = wm::resize_bilinear_pil(ramp, 7, 5);
  EXPECT_EQ(cv::countNonZero(same != ramp), 0);
}

TEST(Preprocess, RejectsBadInputs) {
  wm::PreprocessConfig cfg;
  EXPECT_THROW(wm::preprocess(cv::Mat(), cfg), std::invalid_argument);
  EXPECT_THROW(wm::preprocess(cv::Mat(10, 10, CV_16UC3, cv::Scalar(0)), cfg), std::invalid_argument);
  EXPECT_THROW(wm::preprocess(cv::Mat(10, 10, CV_8UC4, cv::Scalar(0)), cfg), std::invalid_argument);
  EXPECT_THROW(wm::to_gray_pil(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))), std::invalid_argument);
  EXPECT_THROW(wm::resize_bilinear_pil(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0)), 0, 5), std::invalid_argument);
  EXPECT_THROW(wm::color_mode_from_string("cmyk"), std::invalid_argument);
}

TEST(Preprocess, ConfigJsonRoundTrip) {
  wm::PreprocessConfig cfg;
  cfg.width = 48;
  cfg.height = 32;
  cfg.color = wm::ColorMode::Rgb;
  const auto j = cfg.to_json();
  EXPECT_EQ(j.at("color"), "rgb");
  EXPECT_EQ(j.at("resize"), "bilinear-pil");
  const auto back = wm::PreprocessConfig::from_json(j);
  EXPECT_EQ(back.width, 48);
  EXPECT_EQ(back.height, 32);
  EXPECT_EQ(back.color, wm::ColorMode::Rgb);
  auto bad = j;
  bad["resize"] = "nearest";
  EXPECT_THROW(wm::PreprocessConfig::from_json(bad), std::invalid_argument);
  bad = j;
  bad["width"] = 4;
  EXPECT_THROW(wm::PreprocessConfig::from_json(bad), std::invalid_argument);
}
