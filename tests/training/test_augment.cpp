// Shifts and synthetic spills on hand-made crops whose right answer can be
// worked out: a uniform crop stays uniform under a crop-box change, moves by at
// most brightness + cast under a photometric change, gets a dark shape from an
// occluder, a bright blob in its lower part from a blob spill and the texture's
// colour under a partial mask from a blend. Also the kind lists the trainer
// takes, and that a restricted random_shift never draws an excluded kind.
#include "wellmonitor/augment.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <set>
#include <stdexcept>

#include <unistd.h>

namespace wm = wellmonitor;

namespace {

constexpr int kW = 48, kH = 28;  // a typical crop

cv::Mat uniform_crop(int b, int g, int r) { return cv::Mat(kH, kW, CV_8UC3, cv::Scalar(b, g, r)); }

// A crop with structure: horizontal and vertical gradients, no two rows or columns alike.
cv::Mat textured_crop() {
  cv::Mat m(kH, kW, CV_8UC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(40 + 3 * x, 60 + 5 * y, 100 + (x * y) % 50);
  return m;
}

// Share of pixels where any channel differs from `ref` by more than `tol`.
double changed_share(const cv::Mat& a, const cv::Mat& ref, int tol = 2) {
  int n = 0;
  for (int y = 0; y < a.rows; ++y)
    for (int x = 0; x < a.cols; ++x) {
      const auto p = a.at<cv::Vec3b>(y, x), q = ref.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c)
        if (std::abs(p[c] - q[c]) > tol) {
          ++n;
          break;
        }
    }
  return static_cast<double>(n) / (a.rows * a.cols);
}

bool same(const cv::Mat& a, const cv::Mat& b) { return a.size() == b.size() && cv::norm(a, b, cv::NORM_INF) == 0; }

}  // namespace

// An occluder on a light crop: 3-60 % of the pixels turn dark (every changed
// pixel is darker than the crop, the darkest at most 110 per channel: shades are
// 15-90 plus a little texture), the input is untouched, and the same seed gives
// the same shape.
TEST(Augment, OccluderIsADarkShapeOfBoundedSize) {
  const cv::Mat crop = uniform_crop(200, 200, 200);
  const cv::Mat before = crop.clone();
  for (uint64_t seed = 0; seed < 40; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::add_occluder(crop, rng);
    ASSERT_EQ(out.size(), crop.size());
    ASSERT_EQ(out.type(), CV_8UC3);
    const double share = changed_share(out, crop);
    EXPECT_GT(share, 0.03) << "seed " << seed;
    EXPECT_LT(share, 0.60) << "seed " << seed;
    double lo = 0;
    cv::minMaxLoc(out.reshape(1), &lo);
    EXPECT_LE(lo, 110) << "seed " << seed;
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x)
        for (int c = 0; c < 3; ++c) ASSERT_LE(out.at<cv::Vec3b>(y, x)[c], 200);
    wm::Rng again(seed);
    EXPECT_TRUE(same(out, wm::add_occluder(crop, again)));
  }
  EXPECT_TRUE(same(crop, before));
}

// A uniform crop is the same wherever the box is cut and however it is scaled
// (the border is mirrored): jitter_box leaves it exactly as it was. A textured
// crop changes, and keeps its size.
TEST(Augment, JitterBoxKeepsUniformCropAndSize) {
  const cv::Mat flat = uniform_crop(90, 120, 150);
  const cv::Mat tex = textured_crop();
  int moved = 0;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    wm::Rng rng(seed);
    EXPECT_TRUE(same(wm::jitter_box(flat, rng), flat)) << "seed " << seed;
    const cv::Mat out = wm::jitter_box(tex, rng);
    ASSERT_EQ(out.size(), tex.size());
    moved += changed_share(out, tex, 3) > 0.2;
  }
  EXPECT_EQ(moved, 30);
}

// The box is grown or shrunk, never kept: a ramp of 4 per pixel cut 10-20 % larger
// shows a wider range of x in the same width, so its step per output pixel is
// scale x wobble = 1.045-1.26 times 4; shrunk 10-20 %, 0.76-0.945 times 4. Rounding
// (integer box, 8-bit values over 12 pixels) blurs that by about 0.03.
TEST(Augment, JitterBoxRescales) {
  cv::Mat ramp(kH, kW, CV_8UC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) ramp.at<cv::Vec3b>(y, x) = cv::Vec3b(20 + 4 * x, 100, 100);
  for (uint64_t seed = 0; seed < 30; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::jitter_box(ramp, rng);
    // Slope in the middle row, away from the mirrored borders.
    const int y = kH / 2, x0 = kW / 2 - 6, x1 = kW / 2 + 6;
    const double slope = (out.at<cv::Vec3b>(y, x1)[0] - out.at<cv::Vec3b>(y, x0)[0]) / double(x1 - x0);
    const double ratio = std::abs(slope) / 4.0;
    EXPECT_TRUE(ratio > 1.015 || ratio < 0.98)
        << "seed " << seed << " slope ratio " << ratio;
  }
}

// A uniform grey 128 crop: contrast does nothing (every pixel is the mean), blur
// does nothing; each channel moves by brightness (+-25) plus its cast (+-8), the
// same for every pixel, and all three by the same brightness.
TEST(Augment, PhotometricOnUniformCropIsBrightnessPlusCast) {
  const cv::Mat crop = uniform_crop(128, 128, 128);
  int brighter = 0, darker = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::photometric(crop, rng);
    double lo[3], hi[3];
    std::vector<cv::Mat> ch;
    cv::split(out, ch);
    for (int c = 0; c < 3; ++c) {
      cv::minMaxLoc(ch[c], &lo[c], &hi[c]);
      EXPECT_LE(hi[c] - lo[c], 1) << "seed " << seed << ": not uniform";
      EXPECT_GE(lo[c], 128 - 33 - 1);
      EXPECT_LE(hi[c], 128 + 33 + 1);
    }
    // Channels differ only by their casts: at most 16 apart.
    EXPECT_LE(std::max({hi[0], hi[1], hi[2]}) - std::min({lo[0], lo[1], lo[2]}), 17);
    const double mean = (lo[0] + lo[1] + lo[2]) / 3;
    brighter += mean > 140;
    darker += mean < 116;
  }
  EXPECT_GT(brighter, 5);
  EXPECT_GT(darker, 5);
}

// A blob spill on a dark crop: 2-20 % of the pixels get brighter (area 4-12 % plus
// a soft edge), none darker, and their centre lies in the lower part of the crop
// (centres are drawn at 70-95 % of the height).
TEST(Augment, BlobSpillIsABrightBlobAtTheLowerEdge) {
  const cv::Mat crop = uniform_crop(50, 60, 50);
  for (uint64_t seed = 0; seed < 40; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::add_blob_spill(crop, rng);
    const double share = changed_share(out, crop, 20);
    EXPECT_GT(share, 0.02) << "seed " << seed;
    EXPECT_LT(share, 0.20) << "seed " << seed;
    double ysum = 0, n = 0;
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        const auto p = out.at<cv::Vec3b>(y, x);
        const int sum = p[0] + p[1] + p[2];
        EXPECT_GE(sum, 160 - 3 * 3) << "darker pixel at " << x << "," << y;
        if (sum > 160 + 60) ysum += y, n += 1;
      }
    ASSERT_GT(n, 0);
    EXPECT_GT(ysum / n, 0.6 * kH) << "seed " << seed;
  }
}

// A blend of a white texture into a black crop: the mask covers 8-30 % before a
// light blur, opacity 0.5-1, so 5-50 % of the pixels change, the brightest is at
// least half white, and every changed pixel is grey (the texture's colour).
TEST(Augment, BlendSpillCoversAPartWithTheTexture) {
  const cv::Mat crop = uniform_crop(0, 0, 0);
  const cv::Mat white = cv::Mat(20, 30, CV_8UC3, cv::Scalar(255, 255, 255));
  for (uint64_t seed = 0; seed < 40; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::add_blend_spill(crop, white, rng);
    const double share = changed_share(out, crop, 8);
    EXPECT_GT(share, 0.05) << "seed " << seed;
    EXPECT_LT(share, 0.50) << "seed " << seed;
    double hi = 0;
    cv::minMaxLoc(out.reshape(1), nullptr, &hi);
    EXPECT_GE(hi, 120) << "seed " << seed;
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        const auto p = out.at<cv::Vec3b>(y, x);
        ASSERT_LE(std::abs(p[0] - p[1]) + std::abs(p[1] - p[2]), 2);
      }
  }
  // Without a texture a saturated random colour field is blended: still a partial change.
  wm::Rng rng(1);
  const double share = changed_share(wm::add_blend_spill(crop, cv::Mat(), rng), crop, 8);
  EXPECT_GT(share, 0.05);
  EXPECT_LT(share, 0.50);
}

// A smooth spill on a crop of vertical stripes (0 and 200 in turn, 2 px wide): the
// stripes blur away (neighbouring columns above the spill end up within 60 of each
// other, from 200 apart), the colour moves towards a bluish grey (blue above red),
// and a bright spill appears only in the lower part, covering 1-12 % of the crop
// (2-6 % drawn, plus its soft edge).
// Bright: a channel over 190. The blurred stripes average 100 and the grey they
// are pulled to is at most 210, so the background stays under 175; the spill's
// colours have a channel of at least 215 at opacity 0.85-1.
TEST(Augment, SmoothSpillIsABluishBlurredWellWithASpillAtTheBottom) {
  cv::Mat stripes(kH, kW, CV_8UC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) stripes.at<cv::Vec3b>(y, x) = (x / 2) % 2 ? cv::Vec3b(200, 200, 200) : cv::Vec3b(0, 0, 0);
  for (uint64_t seed = 0; seed < 40; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::add_smooth_spill(stripes, rng);
    ASSERT_EQ(out.size(), stripes.size());
    int bright = 0;
    double blue = 0, red = 0;
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        const auto p = out.at<cv::Vec3b>(y, x);
        if (std::max({p[0], p[1], p[2]}) > 190) {
          ++bright;
          EXPECT_GE(y, kH * 6 / 10) << "seed " << seed << ": bright pixel high in the crop at y=" << y;
        }
        if (y < kH / 2) {
          blue += p[0], red += p[2];
          if (x + 1 < kW) {
            const auto q = out.at<cv::Vec3b>(y, x + 1);
            EXPECT_LE(std::abs(p[1] - q[1]), 60) << "seed " << seed << ": stripes not smoothed";
          }
        }
      }
    EXPECT_GT(blue, red) << "seed " << seed;
    const double share = static_cast<double>(bright) / (kW * kH);
    EXPECT_GT(share, 0.01) << "seed " << seed;
    EXPECT_LT(share, 0.12) << "seed " << seed;
  }
}

// The way through a video: another box size (each side 80-120 %), a gain of
// at most 4 % and JPEG; a uniform crop stays nearly uniform and keeps its level
// within the gain, a textured one keeps its picture (it is no spill).
TEST(Augment, VideoLikeResamplesWithinItsBoundsAndKeepsThePicture) {
  int other_size = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat u = wm::video_like(uniform_crop(100, 150, 200), rng);
    ASSERT_EQ(u.type(), CV_8UC3);
    EXPECT_GE(u.cols, static_cast<int>(kW * 0.8) - 1);
    EXPECT_LE(u.cols, static_cast<int>(kW * 1.2) + 1);
    EXPECT_GE(u.rows, static_cast<int>(kH * 0.8) - 1);
    EXPECT_LE(u.rows, static_cast<int>(kH * 1.2) + 1);
    other_size += u.size() != cv::Size(kW, kH);
    const cv::Scalar m = cv::mean(u);
    EXPECT_NEAR(m[0], 100, 100 * 0.04 + 3) << "seed " << seed;
    EXPECT_NEAR(m[2], 200, 200 * 0.04 + 3) << "seed " << seed;

    wm::Rng r2(seed);
    const cv::Mat t = textured_crop();
    cv::Mat back;
    cv::resize(wm::video_like(t, r2), back, t.size(), 0, 0, cv::INTER_LINEAR);
    EXPECT_LT(cv::norm(back, t, cv::NORM_L1) / t.total() / 3, 16.0) << "seed " << seed;
  }
  EXPECT_GT(other_size, 30) << "the box changes size nearly every time";
  wm::Rng a(7), b(7);
  EXPECT_TRUE(same(wm::video_like(textured_crop(), a), wm::video_like(textured_crop(), b)));
}

TEST(Augment, BadInputThrows) {
  wm::Rng rng(1);
  const cv::Mat grey(kH, kW, CV_8UC1, cv::Scalar(0));
  EXPECT_THROW(wm::add_occluder(cv::Mat(), rng), std::invalid_argument);
  EXPECT_THROW(wm::jitter_box(grey, rng), std::invalid_argument);
  EXPECT_THROW(wm::photometric(grey, rng), std::invalid_argument);
  EXPECT_THROW(wm::add_blob_spill(grey, rng), std::invalid_argument);
  EXPECT_THROW(wm::add_blend_spill(cv::Mat(), cv::Mat(), rng), std::invalid_argument);
  EXPECT_THROW(wm::add_smooth_spill(grey, rng), std::invalid_argument);
}

// With every kind allowed, the restricted random_shift draws exactly what the
// unrestricted one draws (the trainer's default runs reproduce older models).
// Without occluders, a light uniform crop never gets a dark shape (box changes
// and photometric changes keep it uniform); with none allowed it is unchanged.
TEST(Augment, RandomShiftRespectsAllowedKinds) {
  const cv::Mat tex = textured_crop();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    wm::Rng a(seed), b(seed);
    EXPECT_TRUE(same(wm::random_shift(tex, a), wm::random_shift(tex, b, wm::ShiftSet{}))) << "seed " << seed;
  }
  const cv::Mat flat = uniform_crop(200, 200, 200);
  const wm::ShiftSet no_occluder = wm::parse_shift_set("box,photometric");
  int dark_with_occluders = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    wm::Rng rng(seed);
    const cv::Mat out = wm::random_shift(flat, rng, no_occluder);
    double lo, hi;
    cv::minMaxLoc(out.reshape(1), &lo, &hi);
    EXPECT_LE(hi - lo, 18) << "seed " << seed << ": a shape appeared without occluders";
    wm::Rng again(seed);
    cv::minMaxLoc(wm::random_shift(flat, again).reshape(1), &lo, &hi);
    dark_with_occluders += hi - lo > 60;
  }
  EXPECT_GT(dark_with_occluders, 10);  // the check above would notice an occluder
  wm::Rng rng(3);
  EXPECT_TRUE(same(wm::random_shift(tex, rng, wm::parse_shift_set("none")), tex));
  // Only occluders: every draw has one.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    wm::Rng r(seed);
    EXPECT_GT(changed_share(wm::random_shift(flat, r, wm::parse_shift_set("occluder")), flat), 0.03);
  }
}

TEST(Augment, KindLists) {
  const auto all = wm::parse_shift_set("occluder, box,photometric");
  EXPECT_TRUE(all.all());
  EXPECT_EQ(wm::to_string(all), "occluder,box,photometric");
  const auto two = wm::parse_shift_set("photometric,box");
  EXPECT_FALSE(two.occluder);
  EXPECT_EQ(wm::to_string(two), "box,photometric");
  EXPECT_TRUE(wm::parse_shift_set("none").none());
  EXPECT_EQ(wm::to_string(wm::parse_shift_set("none")), "none");
  EXPECT_THROW(wm::parse_shift_set("occluder,glare"), std::invalid_argument);
  EXPECT_THROW(wm::parse_shift_set(""), std::invalid_argument);
  EXPECT_EQ(wm::parse_spill_kinds("blob"), std::vector<wm::SpillKind>{wm::SpillKind::Blob});
  EXPECT_EQ(wm::parse_spill_kinds("blend,blob,blend"),
            (std::vector<wm::SpillKind>{wm::SpillKind::Blend, wm::SpillKind::Blob}));
  EXPECT_EQ(wm::parse_spill_kinds("smooth,blob"), (std::vector<wm::SpillKind>{wm::SpillKind::Smooth, wm::SpillKind::Blob}));
  EXPECT_EQ(wm::to_string(wm::SpillKind::Smooth), "smooth");
  EXPECT_THROW(wm::parse_spill_kinds("streak"), std::invalid_argument);
  EXPECT_THROW(wm::parse_spill_kinds(" , "), std::invalid_argument);
}

// A real H.264 round trip: each crop comes back at its box's size, as itself
// (not another well's crop), its colour kept and fine texture softened.
TEST(Augment, CodecRoundTripReturnsEachCropThroughH264) {
  wm::CodecScene scene;
  scene.background = cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 100, 110));
  scene.boxes = {{16, 16, 48, 32}, {96, 16, 40, 30}, {176, 96, 56, 36}, {32, 160, 48, 28}};
  scene.min_hold = 2;
  scene.max_hold = 4;
  std::vector<cv::Mat> crops;
  std::vector<cv::Scalar> colours;
  for (int i = 0; i < 12; ++i) {
    colours.emplace_back(20 + 18 * i, 230 - 15 * i, 60 + 10 * (i % 5));
    crops.emplace_back(30 + i, 50 - i, CV_8UC3, colours.back());
  }
  // One crop is a fine checkerboard: the codec must soften it.
  cv::Mat checker(32, 48, CV_8UC3);
  for (int y = 0; y < checker.rows; ++y)
    for (int x = 0; x < checker.cols; ++x) checker.at<cv::Vec3b>(y, x) = ((x + y) % 2) ? cv::Vec3b(230, 230, 230) : cv::Vec3b(20, 20, 20);
  crops.push_back(checker);
  wm::Rng rng(7);
  const auto scratch = (std::filesystem::temp_directory_path() / ("wm-codec-test-" + std::to_string(::getpid()))).string();
  std::vector<cv::Mat> out;
  try {
    out = wm::codec_round_trip(crops, scene, rng, scratch);
  } catch (const std::runtime_error& e) {
    FAIL() << "no H.264 round trip on this machine: " << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(scratch + ".mp4")) << "the scratch video is removed";
  ASSERT_EQ(out.size(), crops.size());
  std::set<std::pair<int, int>> box_sizes;
  for (const auto& b : scene.boxes) box_sizes.insert({b.width, b.height});
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_FALSE(out[i].empty());
    EXPECT_EQ(out[i].type(), CV_8UC3);
    EXPECT_TRUE(box_sizes.count({out[i].cols, out[i].rows})) << "crop " << i << " comes back at a box's size";
  }
  for (size_t i = 0; i < colours.size(); ++i) {
    // Its inner part (away from the box edge) keeps the crop's colour.
    const cv::Rect inner(4, 4, out[i].cols - 8, out[i].rows - 8);
    const cv::Scalar m = cv::mean(out[i](inner));
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(m[ch], colours[i][ch], 12.0) << "crop " << i << " channel " << ch;
  }
  // The checkerboard keeps its mean, and comes back changed: the codec is lossy.
  cv::Mat grey;
  cv::cvtColor(out.back(), grey, cv::COLOR_BGR2GRAY);
  EXPECT_NEAR(cv::mean(grey)[0], 125.0, 20.0);
  cv::Mat resized;
  cv::resize(checker, resized, out.back().size(), 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::norm(out.back(), resized, cv::NORM_INF), 0.0);

  // Runs of showings with the gain redrawn: still one crop per input, as itself.
  wm::CodecScene runs = scene;
  runs.min_run = 2;
  runs.max_run = 3;
  runs.gain_jitter = 0.03;
  wm::Rng rng3(9);
  const auto out_runs = wm::codec_round_trip(crops, runs, rng3, scratch);
  ASSERT_EQ(out_runs.size(), crops.size());
  for (size_t i = 0; i < colours.size(); ++i) {
    const cv::Rect inner(4, 4, out_runs[i].cols - 8, out_runs[i].rows - 8);
    const cv::Scalar m = cv::mean(out_runs[i](inner));
    for (int ch = 0; ch < 3; ++ch)
      EXPECT_NEAR(m[ch], colours[i][ch], 12.0 + 0.03 * colours[i][ch]) << "crop " << i << " channel " << ch;
  }
  runs.max_run = 0;
  EXPECT_THROW(wm::codec_round_trip(crops, runs, rng3, scratch), std::invalid_argument);

  // Grey in, grey out.
  wm::Rng rng2(8);
  const auto grey_out = wm::codec_round_trip({cv::Mat(30, 40, CV_8UC1, cv::Scalar(140))}, scene, rng2, scratch);
  ASSERT_EQ(grey_out.size(), 1u);
  EXPECT_EQ(grey_out[0].type(), CV_8UC1);
  EXPECT_NEAR(cv::mean(grey_out[0])[0], 140.0, 8.0);

  // A bad scene is refused before anything is written.
  wm::CodecScene bad = scene;
  bad.boxes.push_back({300, 220, 48, 32});  // beyond the frame
  EXPECT_THROW(wm::codec_round_trip(crops, bad, rng, scratch), std::invalid_argument);
  bad = scene;
  bad.boxes.clear();
  EXPECT_THROW(wm::codec_round_trip(crops, bad, rng, scratch), std::invalid_argument);
  EXPECT_TRUE(wm::codec_round_trip({}, scene, rng, scratch).empty());
}

// Worked by hand: a BT.601 encode read as BT.709 keeps grey, keeps Y'CbCr (the
// numbers the stream carries) and moves colours the known way; the two
// directions undo each other.
TEST(Augment, MisreadColourMatrixIsTheOtherMatrixOnTheSameNumbers) {
  const cv::Mat grey(4, 4, CV_8UC3, cv::Scalar(90, 90, 90));
  EXPECT_EQ(cv::norm(wm::misread_colour_matrix(grey, true), grey, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(wm::misread_colour_matrix(grey, false), grey, cv::NORM_INF), 0.0);

  // Pure red (R 200): BT.601 gives Y = 59.8, Cr = (200 - 59.8) / 1.402 = 100;
  // read as BT.709: R = Y + 1.5748 Cr = 217.3, B = Y + 1.8556 Cb = 59.8 - 1.8556 * 33.7 = -2.7 -> 0,
  // G = (Y - 0.2126 R - 0.0722 B) / 0.7152 = 16.5 (with B unclipped).
  const cv::Mat red(2, 2, CV_8UC3, cv::Scalar(0, 0, 200));
  const cv::Vec3b r = wm::misread_colour_matrix(red, true).at<cv::Vec3b>(0, 0);
  const double y = 0.299 * 200, cb = -y / 1.772, cr = (200 - y) / 1.402;
  const double R = y + 1.5748 * cr, B = y + 1.8556 * cb, G = (y - 0.2126 * R - 0.0722 * B) / 0.7152;
  EXPECT_NEAR(r[2], R, 0.6);
  EXPECT_NEAR(r[1], G, 0.6);
  EXPECT_EQ(r[0], 0);  // saturated
  EXPECT_GT(r[2], 200) << "BT.601 red read as BT.709 comes out redder";

  cv::Mat mid(8, 8, CV_8UC3);
  cv::randu(mid, cv::Scalar(60, 60, 60), cv::Scalar(190, 190, 190));
  const cv::Mat there = wm::misread_colour_matrix(mid, true);
  EXPECT_GT(cv::norm(there, mid, cv::NORM_INF), 2.0);
  EXPECT_LE(cv::norm(wm::misread_colour_matrix(there, false), mid, cv::NORM_INF), 2.0);

  const cv::Mat g1(3, 3, CV_8UC1, cv::Scalar(77));
  EXPECT_EQ(cv::norm(wm::misread_colour_matrix(g1, true), g1, cv::NORM_INF), 0.0);
  EXPECT_THROW(wm::misread_colour_matrix(cv::Mat(2, 2, CV_32FC3), true), std::invalid_argument);
}
