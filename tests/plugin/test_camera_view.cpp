// Whether the camera still shows the table (plugin/wellmonitor/camera-view.h),
// on the committed frame of the real table (960x600) with the plant's layout:
// a covered, fogged, dark or defocused camera measures far below the reference
// frame in contrast or sharpness and is reported obscured after the set time;
// the same table recompressed, dimmer, or with spilling wells is not; and the
// decision over time neither reports a short dip nor flaps at the limit.

#include "camera-view.h"

#include "wellmonitor/layout.h"

#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

const std::string kFrame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/casting-table-960x600.jpg";
const std::string kLayout = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";

struct Table {
  cv::Mat frame;  // BGR, 960x600
  std::vector<cv::Rect> wells;
  cv::Rect area;
  wm::ViewMeasure reference;
};

const Table& table() {
  static const Table t = [] {
    Table x;
    x.frame = cv::imread(kFrame, cv::IMREAD_COLOR);
    x.wells = wm::load_layout(kLayout).scaled(x.frame.cols, x.frame.rows);
    x.area = wm::wells_area(x.wells, x.frame.size());
    cv::Mat grey;
    cv::cvtColor(x.frame, grey, cv::COLOR_BGR2GRAY);
    x.reference = wm::measure_view(grey, x.area);
    return x;
  }();
  return t;
}

cv::Mat noisy(cv::Mat img, double sigma, int seed) {
  cv::Mat noise(img.size(), CV_16SC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
  cv::Mat out;
  img.convertTo(out, CV_16SC3);
  out += noise;
  out.convertTo(out, CV_8UC3);
  return out;
}

// The measure of `img` against the reference's, as fractions.
struct Ratio {
  double contrast, sharpness;
};
Ratio ratio(const std::string& name, const cv::Mat& img) {
  const wm::ViewMeasure m = wm::measure_view(img, table().area);
  const Ratio r{m.contrast / table().reference.contrast, m.sharpness / table().reference.sharpness};
  std::printf("%-14s contrast %6.2f (%.3f of the reference), sharpness %8.1f (%.3f)\n", name.c_str(), m.contrast,
              r.contrast, m.sharpness, r.sharpness);
  return r;
}

bool below(const Ratio& r, const wm::ObscuredSettings& s = {}) {
  return r.contrast < s.contrast || r.sharpness < s.sharpness;
}

}  // namespace

TEST(CameraView, TheReferenceHasContrastAndSharpnessOverTheWells) {
  ASSERT_FALSE(table().frame.empty()) << kFrame;
  ASSERT_EQ(table().wells.size(), 42u);
  EXPECT_GT(table().reference.contrast, 10.0);
  EXPECT_GT(table().reference.sharpness, 10.0);
  EXPECT_LT(table().area.width, table().frame.cols);
}

TEST(CameraView, ACoveredFoggedDarkOrDefocusedCameraMeasuresFarBelowTheReference) {
  const cv::Mat& f = table().frame;
  const cv::Mat covered = noisy(cv::Mat(f.size(), CV_8UC3, cv::Scalar(35, 35, 35)), 2.0, 1);
  cv::Mat fog;
  cv::addWeighted(f, 0.2, cv::Mat(f.size(), CV_8UC3, cv::Scalar(210, 210, 210)), 0.8, 0, fog);
  cv::GaussianBlur(fog, fog, cv::Size(), 3.0);
  fog = noisy(fog, 1.5, 2);
  cv::Mat dark;
  f.convertTo(dark, -1, 0.12);
  dark = noisy(dark, 1.5, 3);
  cv::Mat defocused;
  cv::GaussianBlur(f, defocused, cv::Size(), 6.0);

  for (const auto& [name, img] : std::vector<std::pair<std::string, cv::Mat>>{
           {"covered", covered}, {"fogged", fog}, {"dark", dark}, {"defocused", defocused}}) {
    const Ratio r = ratio(name, img);
    EXPECT_TRUE(below(r)) << name << ": contrast " << r.contrast << ", sharpness " << r.sharpness;
  }
  EXPECT_LT(ratio("covered", covered).contrast, 0.1);
}

TEST(CameraView, TheSameTableRecompressedDimmerOrSpillingIsNotObscured) {
  const cv::Mat& f = table().frame;
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", f, jpeg, {cv::IMWRITE_JPEG_QUALITY, 25});
  const cv::Mat recompressed = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  cv::Mat dimmer;
  f.convertTo(dimmer, -1, 0.6);
  cv::Mat spilling = f.clone();
  for (size_t i = 0; i < table().wells.size(); i += 5) {
    const cv::Rect& b = table().wells[i];
    cv::ellipse(spilling, (b.tl() + b.br()) / 2, b.size() / 2, 0, 0, 360, cv::Scalar(120, 220, 255), cv::FILLED);
  }
  cv::Mat soft;  // a slightly soft, noisy stream
  cv::GaussianBlur(f, soft, cv::Size(), 0.8);
  soft = noisy(soft, 3.0, 4);

  for (const auto& [name, img] : std::vector<std::pair<std::string, cv::Mat>>{
           {"reference", f}, {"recompressed", recompressed}, {"dimmer", dimmer}, {"spilling", spilling}, {"soft", soft}}) {
    const Ratio r = ratio(name, img);
    EXPECT_FALSE(below(r)) << name << ": contrast " << r.contrast << ", sharpness " << r.sharpness;
  }
}

TEST(ObscuredWatch, ReportsAViewBelowTheReferenceOnlyAfterTheSetSecondsAndOnce) {
  wm::ObscuredWatch w({40.0, 100.0});
  wm::ObscuredSettings s;  // 0.35, 0.1, 5 s
  const wm::ViewMeasure fine{38.0, 90.0}, dark{5.0, 2.0}, blurred{30.0, 5.0};
  EXPECT_EQ(w.update(0.0, fine, s), wm::ViewChange::kNone);
  // a dip of 4 s is no obscured camera
  for (double t = 0.5; t <= 4.5; t += 0.5) EXPECT_EQ(w.update(t, dark, s), wm::ViewChange::kNone) << t;
  EXPECT_EQ(w.update(5.0, fine, s), wm::ViewChange::kNone);
  // 5 s below, in contrast or in sharpness alone
  std::vector<double> reported;
  for (double t = 5.5; t <= 12.0; t += 0.5)
    if (w.update(t, t < 8 ? dark : blurred, s) == wm::ViewChange::kObscured) reported.push_back(t);
  EXPECT_EQ(reported, std::vector<double>{10.5});
  EXPECT_TRUE(w.obscured());
}

TEST(ObscuredWatch, ClearsOnceBothMeasuresAreBackForASecondWithoutFlappingAtTheLimit) {
  wm::ObscuredWatch w({40.0, 100.0});
  wm::ObscuredSettings s;
  s.seconds = 1.0;
  const wm::ViewMeasure dark{5.0, 2.0}, at_limit{40.0 * 0.36, 100.0 * 0.11}, back{35.0, 80.0};
  w.update(0.0, dark, s);
  ASSERT_EQ(w.update(1.0, dark, s), wm::ViewChange::kObscured);
  // just over the limits: not back (the margin), however long
  for (double t = 1.5; t <= 6.0; t += 0.5) EXPECT_EQ(w.update(t, at_limit, s), wm::ViewChange::kNone) << t;
  EXPECT_EQ(w.update(6.5, back, s), wm::ViewChange::kNone);
  EXPECT_EQ(w.update(7.0, back, s), wm::ViewChange::kNone);
  EXPECT_EQ(w.update(7.5, back, s), wm::ViewChange::kClear);
  EXPECT_FALSE(w.obscured());
  // off: an obscured view is cleared, none is reported
  ASSERT_EQ((w.update(8.0, dark, s), w.update(9.0, dark, s)), wm::ViewChange::kObscured);
  s.seconds = 0.0;
  EXPECT_EQ(w.update(9.5, dark, s), wm::ViewChange::kClear);
  EXPECT_EQ(w.update(20.0, dark, s), wm::ViewChange::kNone);
}

TEST(ViewWatchdog, MeasuresAMappedFrameTwiceASecondAndReportsACoveredCamera) {
  gst_init(nullptr, nullptr);
  const cv::Mat& f = table().frame;
  cv::Mat grey;
  cv::cvtColor(f, grey, cv::COLOR_BGR2GRAY);
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_GRAY8, f.cols, f.rows);
  wm::ViewWatchdog dog;
  ASSERT_TRUE(dog.configure(grey, &info, table().wells));
  ASSERT_TRUE(dog.armed());
  wm::ViewWatchdog blind;
  EXPECT_FALSE(blind.configure(cv::Mat(grey.size(), CV_8UC1, cv::Scalar(90)), &info, table().wells))
      << "a flat reference cannot tell an obscured camera";
  EXPECT_FALSE(blind.armed());

  auto push = [&](const cv::Mat& g, double t) {
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
    GstVideoFrame frame;
    EXPECT_TRUE(gst_video_frame_map(&frame, &info, buf, GST_MAP_READWRITE));
    for (int y = 0; y < g.rows; ++y)
      memcpy(static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
             g.ptr(y), g.cols);
    const wm::ViewChange c = dog.update(&frame, t, wm::ObscuredSettings());
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(buf);
    return c;
  };
  const cv::Mat covered(grey.size(), CV_8UC1, cv::Scalar(30));
  std::vector<double> obscured_at;
  for (int i = 0; i < 25 * 8; ++i) {  // 25 frames/s, covered from 1 s on
    const double t = i / 25.0;
    if (push(t < 1.0 ? grey : covered, t) == wm::ViewChange::kObscured) obscured_at.push_back(t);
    if (i == 10) {
      EXPECT_NEAR(dog.last().contrast, table().reference.contrast, 1e-6 * table().reference.contrast);
    }
  }
  ASSERT_EQ(obscured_at.size(), 1u);
  EXPECT_NEAR(obscured_at[0], 6.0, 0.5 + 1e-9) << "measured every 0.5 s, 5 s after the cover";
  EXPECT_TRUE(dog.obscured());
  EXPECT_DOUBLE_EQ(dog.last().contrast, 0.0);
}
