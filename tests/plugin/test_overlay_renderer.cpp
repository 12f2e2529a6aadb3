// welloverlay's renderer on its own (plugin/welloverlay/renderer.h), on
// frames in memory: the colours per format, alpha blending, boxes, the alarm
// banner, and the text sprites kept from frame to frame.
#include "renderer.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace wm = wellmonitor;

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;

// A black frame of `format` in memory, mapped for writing.
class Frame {
 public:
  explicit Frame(GstVideoFormat format) {
    gst_video_info_set_format(&info_, format, kWidth, kHeight);
    buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info_), nullptr);
    GstMapInfo m;
    gst_buffer_map(buffer_, &m, GST_MAP_WRITE);
    memset(m.data, 0, m.size);
    gst_buffer_unmap(buffer_, &m);
    EXPECT_TRUE(gst_video_frame_map(&frame_, &info_, buffer_, GST_MAP_READWRITE));
  }
  ~Frame() {
    gst_video_frame_unmap(&frame_);
    gst_buffer_unref(buffer_);
  }
  GstVideoFrame* frame() { return &frame_; }
  const GstVideoInfo* info() const { return &info_; }
  // The bytes of plane `plane` at (x, y) of that plane.
  std::array<int, 4> at(int plane, int x, int y) const {
    const guint8* p = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame_, plane)) +
                      y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame_, plane) +
                      x * GST_VIDEO_FRAME_COMP_PSTRIDE(&frame_, plane);
    const int n = GST_VIDEO_FRAME_COMP_PSTRIDE(&frame_, plane);
    std::array<int, 4> out{-1, -1, -1, -1};
    for (int i = 0; i < n && i < 4; ++i) out[i] = p[i];
    return out;
  }

 private:
  GstVideoInfo info_;
  GstBuffer* buffer_ = nullptr;
  GstVideoFrame frame_;
};

wm::WellResult well(int index, int x, int y, bool anomaly, bool alarm) {
  wm::WellResult w;
  w.index = index;
  w.id = "w" + std::to_string(index);
  w.named = true;
  w.x = x;
  w.y = y;
  w.width = 40;
  w.height = 40;
  w.score = alarm ? 0.9 : 0.01;
  w.threshold = 0.1;
  w.anomaly = anomaly;
  w.alarm = alarm;
  return w;
}

class OverlayRenderer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

}  // namespace

TEST_F(OverlayRenderer, ColoursAreThePixelValuesOfTheFormat) {
  GstVideoInfo info;
  double out[4];
  const int red[3] = {255, 0, 0};
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGBA, 8, 8);
  wm::overlay_rgb_to_components(&info, red, out);
  EXPECT_EQ(out[0], 255);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 255);
  // BT.601, limited range: red is Y 81, U 90, V 240
  GstVideoInfo yuv;
  gst_video_info_set_format(&yuv, GST_VIDEO_FORMAT_I420, 8, 8);
  ASSERT_TRUE(gst_video_colorimetry_from_string(&yuv.colorimetry, "bt601"));
  wm::overlay_rgb_to_components(&yuv, red, out);
  EXPECT_EQ(out[0], 81);
  EXPECT_EQ(out[1], 90);
  EXPECT_EQ(out[2], 240);
  // BT.709: the matrix of the stream, not a fixed one
  ASSERT_TRUE(gst_video_colorimetry_from_string(&yuv.colorimetry, "bt709"));
  wm::overlay_rgb_to_components(&yuv, red, out);
  EXPECT_EQ(out[0], 63);
  EXPECT_EQ(out[1], 102);
  EXPECT_EQ(out[2], 240);
}

TEST_F(OverlayRenderer, BlendMixesByCoverageAndClipsToTheImage) {
  cv::Mat img(4, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat mask(2, 2, CV_8UC1);
  mask.at<uchar>(0, 0) = 255;
  mask.at<uchar>(0, 1) = 128;
  mask.at<uchar>(1, 0) = 0;
  mask.at<uchar>(1, 1) = 255;
  wm::overlay_blend(img, mask, cv::Point(3, 3), cv::Scalar(200, 100, 50));  // only (3,3) is inside
  EXPECT_EQ(img.at<cv::Vec3b>(3, 3), cv::Vec3b(200, 100, 50)) << "full coverage: the colour";
  EXPECT_EQ(img.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 0, 0));
  img.setTo(cv::Scalar(0, 0, 0));
  wm::overlay_blend(img, mask, cv::Point(0, 0), cv::Scalar(255, 255, 255));
  EXPECT_EQ(img.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(img.at<cv::Vec3b>(0, 1), cv::Vec3b(128, 128, 128)) << "half coverage, rounded";
  EXPECT_EQ(img.at<cv::Vec3b>(1, 0), cv::Vec3b(0, 0, 0)) << "no coverage: untouched";
  EXPECT_EQ(img.at<cv::Vec3b>(3, 3), cv::Vec3b(0, 0, 0)) << "outside the mask";
}

TEST_F(OverlayRenderer, DrawsEachWellsBoxInItsColourOnPackedRgb) {
  Frame f(GST_VIDEO_FORMAT_BGRx);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  EXPECT_EQ(r.planes(), 1u);
  std::vector<wm::WellResult> wells = {well(0, 40, 100, false, false), well(1, 120, 100, true, false),
                                       well(2, 200, 100, true, true)};
  wm::OverlayStyle style;
  style.show_banner = false;
  r.draw(f.frame(), wells, style);
  // BGRx bytes: B, G, R, x
  EXPECT_EQ(f.at(0, 40, 100), (std::array<int, 4>{0, 200, 0, 255})) << "normal: green";
  EXPECT_EQ(f.at(0, 120, 100), (std::array<int, 4>{0, 176, 255, 255})) << "over the threshold: amber";
  EXPECT_EQ(f.at(0, 200, 100), (std::array<int, 4>{0, 0, 255, 255})) << "in alarm: red";
  EXPECT_EQ(f.at(0, 198, 100), (std::array<int, 4>{0, 0, 255, 255})) << "an alarm's box is 3 lines wide, outwards";
  EXPECT_EQ(f.at(0, 38, 100), (std::array<int, 4>{0, 0, 0, 0})) << "a normal box is 1 line wide";
  EXPECT_EQ(f.at(0, 60, 120), (std::array<int, 4>{0, 0, 0, 0})) << "the well itself stays visible";
}

TEST_F(OverlayRenderer, AWellInAlarmIsDrawnOverTheOthers) {
  Frame f(GST_VIDEO_FORMAT_RGB);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  // the same box twice: the one in alarm first in layout order
  std::vector<wm::WellResult> wells = {well(0, 100, 100, true, true), well(1, 100, 100, false, false)};
  wm::OverlayStyle style;
  style.show_banner = style.show_labels = style.show_scores = false;
  r.draw(f.frame(), wells, style);
  EXPECT_EQ(f.at(0, 100, 100), (std::array<int, 4>{255, 0, 0, -1}));
}

TEST_F(OverlayRenderer, TheBannerCoversTheTopWhileAWellIsInAlarm) {
  Frame f(GST_VIDEO_FORMAT_I420);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  EXPECT_EQ(r.planes(), 3u) << "luma and both chroma planes";
  double red[4];
  wm::overlay_rgb_to_components(f.info(), wm::kOverlayRgb[wm::kColourAlarm], red);
  std::vector<wm::WellResult> wells = {well(0, 100, 120, false, false)};
  r.draw(f.frame(), wells, wm::OverlayStyle());
  EXPECT_EQ(f.at(0, 1, 1)[0], 0) << "no alarm, no banner";
  wells = {well(0, 100, 120, true, true)};
  r.draw(f.frame(), wells, wm::OverlayStyle());
  EXPECT_EQ(f.at(0, 1, 1)[0], red[0]);
  EXPECT_EQ(f.at(1, 0, 0)[0], red[1]) << "chroma at half resolution";
  EXPECT_EQ(f.at(2, 0, 0)[0], red[2]);
  EXPECT_EQ(f.at(0, 100, 120)[0], red[0]);
}

TEST_F(OverlayRenderer, TextIsRenderedOnceAndReused) {
  Frame f(GST_VIDEO_FORMAT_BGR);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  std::vector<wm::WellResult> wells = {well(0, 100, 100, false, false), well(1, 200, 100, false, false)};
  r.draw(f.frame(), wells, wm::OverlayStyle());
  const size_t after_first = r.sprites();
  EXPECT_GE(after_first, 3u) << "two ids and a score";
  r.draw(f.frame(), wells, wm::OverlayStyle());
  EXPECT_EQ(r.sprites(), after_first) << "the same texts again: nothing new rendered";
}

TEST_F(OverlayRenderer, RefusesAFormatItCannotDrawOn) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_YUY2, 64, 64);
  wm::OverlayRenderer r;
  EXPECT_FALSE(r.configure(&info));
  EXPECT_EQ(r.planes(), 0u);
}
