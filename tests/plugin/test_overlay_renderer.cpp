// welloverlay's renderer on its own (plugin/welloverlay/renderer.h), on
// frames in memory: the colours per format, alpha blending, boxes, the alarm
// banner, and the text sprites kept from frame to frame; and the view read
// from across a control room, on full-size frames: the banner's letters over
// 6% of the frame's height naming every well in alarm with its time, corner
// marks and enlarged insets as cues besides colour, no scores by default, the
// status line, sizes that follow the frame and the scale.
#include "renderer.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;

// A frame of `format` in memory filled with byte `fill`, mapped for writing.
class Frame {
 public:
  explicit Frame(GstVideoFormat format, int width = kWidth, int height = kHeight, guint8 fill = 0) {
    gst_video_info_set_format(&info_, format, width, height);
    buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info_), nullptr);
    GstMapInfo m;
    gst_buffer_map(buffer_, &m, GST_MAP_WRITE);
    memset(m.data, fill, m.size);
    gst_buffer_unmap(buffer_, &m);
    EXPECT_TRUE(gst_video_frame_map(&frame_, &info_, buffer_, GST_MAP_READWRITE));
  }
  ~Frame() {
    gst_video_frame_unmap(&frame_);
    gst_buffer_unref(buffer_);
  }
  GstVideoFrame* frame() { return &frame_; }
  const GstVideoInfo* info() const { return &info_; }
  int width() const { return GST_VIDEO_INFO_WIDTH(&info_); }
  int height() const { return GST_VIDEO_INFO_HEIGHT(&info_); }
  // A packed 4-byte RGB frame's pixel as R, G, B.
  std::array<int, 3> rgb(int x, int y) const {
    const auto p = at(0, x, y);
    const int r = GST_VIDEO_INFO_COMP_POFFSET(&info_, 0), g = GST_VIDEO_INFO_COMP_POFFSET(&info_, 1),
              b = GST_VIDEO_INFO_COMP_POFFSET(&info_, 2);
    return {p[r], p[g], p[b]};
  }
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

void draw(wm::OverlayRenderer& r, Frame& f, std::vector<wm::WellResult>& wells,
          const wm::OverlayStyle& style = wm::OverlayStyle(), const wm::OverlayStatus& status = wm::OverlayStatus(),
          GstClockTime now = 0) {
  r.draw(f.frame(), wells, style, status, now);
}

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
  draw(r, f, wells, style);
  // BGRx bytes: B, G, R, x
  EXPECT_EQ(f.at(0, 40, 100), (std::array<int, 4>{0, 200, 0, 255})) << "normal: green";
  EXPECT_EQ(f.at(0, 120, 100), (std::array<int, 4>{0, 176, 255, 255})) << "over the threshold: amber";
  EXPECT_EQ(f.at(0, 200, 100), (std::array<int, 4>{0, 0, 255, 255})) << "in alarm: red";
  EXPECT_EQ(f.at(0, 198, 100), (std::array<int, 4>{0, 0, 255, 255})) << "an alarm's box is 3 lines wide, outwards";
  EXPECT_EQ(f.at(0, 38, 100), (std::array<int, 4>{0, 0, 0, 0})) << "a normal box is 1 line wide";
  EXPECT_EQ(f.at(0, 60, 120), (std::array<int, 4>{0, 0, 0, 0})) << "the well itself stays visible";
}

// A shelved well (out of use) reads as such at a glance: a grey dashed box
// crossed corner to corner, never red, in the banner or inset even when its
// meta still says alarm; the status line counts it.
TEST_F(OverlayRenderer, AShelvedWellIsAGreyDashedCrossedBoxAndNeverAnAlarm) {
  Frame f(GST_VIDEO_FORMAT_BGRx);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  std::vector<wm::WellResult> wells = {well(0, 40, 100, true, true), well(1, 200, 100, false, false)};
  wells[0].shelved = true;
  draw(r, f, wells);
  const std::array<int, 3> grey{150, 150, 150}, green{0, 200, 0}, black{0, 0, 0};
  EXPECT_EQ(f.rgb(40, 100), grey) << "its corner";
  EXPECT_EQ(f.rgb(60, 120), grey) << "the cross through its middle";
  int dashes = 0, gaps = 0;
  for (int x = 40; x < 80; ++x) (f.rgb(x, 100) == grey ? dashes : gaps)++;
  EXPECT_GT(dashes, 8) << "the top edge is dashed";
  EXPECT_GT(gaps, 8) << "the top edge is dashed";
  EXPECT_EQ(f.rgb(200, 100), green) << "the other well as ever";
  int red = 0;
  for (int y = 0; y < f.height(); ++y)
    for (int x = 0; x < f.width(); ++x) red += f.rgb(x, y) == std::array<int, 3>{255, 0, 0};
  EXPECT_EQ(red, 0) << "no alarm colour, no banner, no inset";
  EXPECT_EQ(f.rgb(1, 1), black) << "no banner";
  EXPECT_TRUE(r.alarm_items().empty());
  EXPECT_NE(r.status_text().find("2 wells, 1 shelved"), std::string::npos) << r.status_text();
}

TEST_F(OverlayRenderer, AWellInAlarmIsDrawnOverTheOthers) {
  Frame f(GST_VIDEO_FORMAT_RGB);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  // the same box twice: the one in alarm first in layout order
  std::vector<wm::WellResult> wells = {well(0, 100, 100, true, true), well(1, 100, 100, false, false)};
  wm::OverlayStyle style;
  style.show_banner = style.show_labels = style.show_scores = false;
  draw(r, f, wells, style);
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
  draw(r, f, wells);
  EXPECT_EQ(f.at(0, 1, 1)[0], 0) << "no alarm, no banner";
  wells = {well(0, 100, 120, true, true)};
  draw(r, f, wells);
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
  wm::OverlayStyle style;
  style.show_scores = true;
  draw(r, f, wells, style);
  const size_t after_first = r.sprites();
  EXPECT_GE(after_first, 4u) << "two ids, a score and the status line";
  draw(r, f, wells, style);
  EXPECT_EQ(r.sprites(), after_first) << "the same texts again: nothing new rendered";
}

TEST_F(OverlayRenderer, RefusesAFormatItCannotDrawOn) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_YUY2, 64, 64);
  wm::OverlayRenderer r;
  EXPECT_FALSE(r.configure(&info));
  EXPECT_EQ(r.planes(), 0u);
}

// ------------------------------------------------------------ the control-room view

namespace {

constexpr std::array<int, 3> kGrey{100, 100, 100};
constexpr std::array<int, 3> kBlue{0, 0, 255};
constexpr std::array<int, 3> kRedRgb{255, 0, 0};
constexpr std::array<int, 3> kAmberRgb{255, 176, 0};
constexpr std::array<int, 3> kPanelRgb{40, 40, 40};

// The plant's table at 1920x1200: four rows of eleven 50x29 wells, as in
// pipelines/casting-table.wells.txt.
std::vector<wm::WellResult> plant_wells(double scale = 1.0) {
  std::vector<wm::WellResult> wells;
  const int row_y[4] = {185, 283, 383, 483};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 11; ++c) {
      wm::WellResult w;
      w.index = static_cast<int>(wells.size());
      w.id = "r" + std::to_string(r + 1) + "w" + std::to_string(c + 1);
      w.named = true;
      w.x = static_cast<int>((539 + 78 * c) * scale);
      w.y = static_cast<int>(row_y[r] * scale);
      w.width = static_cast<int>(50 * scale);
      w.height = static_cast<int>(29 * scale);
      w.score = 0.01;
      w.threshold = 0.1;
      wells.push_back(w);
    }
  return wells;
}

wm::WellResult& by_id(std::vector<wm::WellResult>& wells, const std::string& id) {
  return *std::find_if(wells.begin(), wells.end(), [&](const wm::WellResult& w) { return w.id == id; });
}

void set_alarm(std::vector<wm::WellResult>& wells, const std::string& id, bool alarm) {
  wm::WellResult& w = by_id(wells, id);
  w.alarm = w.anomaly = alarm;
  w.score = alarm ? 0.9 : 0.01;
}

cv::Rect box(const wm::WellResult& w) { return {w.x, w.y, w.width, w.height}; }

// Fills `r` of a packed RGB frame with `rgb`.
void fill(Frame& f, const cv::Rect& r, std::array<int, 3> rgb) {
  GstVideoFrame* vf = f.frame();
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x) {
      guint8* p = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(vf, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(vf, 0) +
                  x * GST_VIDEO_FRAME_COMP_PSTRIDE(vf, 0);
      for (int c = 0; c < 3; ++c) p[GST_VIDEO_FRAME_COMP_POFFSET(vf, c)] = static_cast<guint8>(rgb[c]);
    }
}

// How many pixels of `r` (clipped to the frame) satisfy `pred`.
template <typename Pred>
int count(const Frame& f, cv::Rect r, Pred pred) {
  r &= cv::Rect(0, 0, f.width(), f.height());
  int n = 0;
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x) n += pred(f.rgb(x, y)) ? 1 : 0;
  return n;
}

bool whiteish(const std::array<int, 3>& p) { return p[0] > 230 && p[1] > 230 && p[2] > 230; }

// Rows from the top whose rightmost pixels are the alarm's red: the banner.
int banner_rows(const Frame& f, std::array<int, 3> colour = kRedRgb) {
  int y = 0;
  while (y < f.height() && f.rgb(f.width() - 3, y) == colour) ++y;
  return y;
}

// The height of the text in the banner: from its first row to its last row
// holding a pixel far from the banner's colour.
int banner_text_rows(const Frame& f, int banner, std::array<int, 3> colour = kRedRgb) {
  const auto text = [&](const std::array<int, 3>& p) {
    return std::abs(p[0] - colour[0]) > 100 || std::abs(p[1] - colour[1]) > 100 || std::abs(p[2] - colour[2]) > 100;
  };
  int first = -1, last = -1;
  for (int y = 0; y < banner; ++y)
    if (count(f, cv::Rect(0, y, f.width(), 1), text) > 0) {
      if (first < 0) first = y;
      last = y;
    }
  return first < 0 ? 0 : last - first + 1;
}

GstClockTime seconds(double s) { return static_cast<GstClockTime>(s * GST_SECOND); }

}  // namespace

// The check of what an operator sees across the room: two wells in alarm at
// 1920x1200, 12 s after they began.
TEST_F(OverlayRenderer, TwoWellsInAlarmAreLegibleFromAcrossTheRoom) {
  Frame f(GST_VIDEO_FORMAT_BGRx, 1920, 1200, 100);
  auto wells = plant_wells();
  set_alarm(wells, "r1w4", true);
  set_alarm(wells, "r3w10", true);
  const cv::Rect spill1 = box(by_id(wells, "r1w4")), spill2 = box(by_id(wells, "r3w10"));
  const cv::Rect normal = box(by_id(wells, "r2w2"));
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  wm::OverlayStatus status;
  status.model = "default.wmm";
  draw(r, f, wells, wm::OverlayStyle(), status, seconds(100));  // the alarms begin
  // the next frame, 12.4 s later: the spilling wells' insides are blue
  Frame g(GST_VIDEO_FORMAT_BGRx, 1920, 1200, 100);
  fill(g, spill1, kBlue);
  fill(g, spill2, kBlue);
  wells = plant_wells();
  set_alarm(wells, "r1w4", true);
  set_alarm(wells, "r3w10", true);
  draw(r, g, wells, wm::OverlayStyle(), status, seconds(112.4));

  // the banner names both wells, each with its time in alarm
  EXPECT_EQ(r.alarm_items(), (std::vector<std::string>{"r1w4 12s", "r3w10 12s"}));
  const int banner = banner_rows(g);
  EXPECT_GE(banner, 0.06 * 1200) << "the banner is " << banner << " rows";
  const int text = banner_text_rows(g, banner);
  EXPECT_GE(text, 0.06 * 1200) << "the banner's letters are " << text << " rows tall";
  EXPECT_LT(banner, 185) << "one line: the first row of wells stays visible";

  // a cue of shape: white corner marks below each well in alarm, none at a normal well
  const auto below = [](const cv::Rect& b) { return cv::Rect(b.x - 40, b.y + b.height + 7, b.width + 80, 30); };
  EXPECT_GT(count(g, below(spill1), whiteish), 100);
  EXPECT_GT(count(g, below(spill2), whiteish), 100);
  EXPECT_EQ(count(g, below(normal), whiteish), 0);

  // and the spilling wells enlarged: far more blue than the two wells hold
  const int blue = count(g, cv::Rect(0, 0, 1920, 1200), [](const std::array<int, 3>& p) { return p == kBlue; });
  EXPECT_GT(blue, 2 * 4 * spill1.area()) << "the insets enlarge each well at least twice in each direction";
  const int blue_in_insets = count(g, cv::Rect(0, 600, 1920, 600), [](const std::array<int, 3>& p) { return p == kBlue; });
  EXPECT_GT(blue_in_insets, 2 * 4 * spill1.area()) << "along the bottom, where this table leaves room";

  // no scores by default: nothing below a normal well's box
  EXPECT_EQ(count(g, cv::Rect(normal.x - 10, normal.y + normal.height + 3, normal.width + 20, 25),
                  [](const std::array<int, 3>& p) { return p != kGrey; }),
            0);
  // the status line along the bottom, on its dark panel
  EXPECT_EQ(g.rgb(1917, 1197), kPanelRgb);
  EXPECT_GT(count(g, cv::Rect(0, 1150, 1920, 50), whiteish), 200) << "its text";
}

TEST_F(OverlayRenderer, ScoresAreWrittenOnlyWhenAskedFor) {
  Frame f(GST_VIDEO_FORMAT_RGBx, 1920, 1200, 100);
  auto wells = plant_wells();
  const cv::Rect b = box(by_id(wells, "r2w2"));
  const cv::Rect under(b.x - 10, b.y + b.height + 3, b.width + 20, 25);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  wm::OverlayStyle style;
  style.show_scores = true;
  draw(r, f, wells, style);
  EXPECT_GT(count(f, under, [](const std::array<int, 3>& p) { return p != kGrey; }), 20) << "the score's text";
}

TEST_F(OverlayRenderer, SizesFollowTheFrameAndTheScale) {
  for (const auto& [width, height] : {std::pair<int, int>{1280, 720}, {960, 600}}) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
    Frame f(GST_VIDEO_FORMAT_BGRx, width, height, 100);
    auto wells = plant_wells(height / 1200.0);
    set_alarm(wells, "r2w6", true);
    wm::OverlayRenderer r;
    ASSERT_TRUE(r.configure(f.info()));
    draw(r, f, wells);
    const int banner = banner_rows(f);
    EXPECT_GE(banner_text_rows(f, banner), 0.06 * height);

    Frame big(GST_VIDEO_FORMAT_BGRx, width, height, 100);
    wm::OverlayStyle style;
    style.scale = 2.0;
    draw(r, big, wells, style);
    const double ratio = static_cast<double>(banner_rows(big)) / banner;
    EXPECT_NEAR(ratio, 2.0, 0.15) << "scale 2: a banner twice as tall";
  }
}

TEST_F(OverlayRenderer, TheTimeInAlarmCountsFromTheAlarmsStartAndStartsAgainAfterAClear) {
  Frame f(GST_VIDEO_FORMAT_BGRx, 640, 400, 0);
  auto wells = plant_wells(1.0 / 3);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  set_alarm(wells, "r1w1", true);
  draw(r, f, wells, wm::OverlayStyle(), wm::OverlayStatus(), seconds(10));
  set_alarm(wells, "r4w11", true);
  draw(r, f, wells, wm::OverlayStyle(), wm::OverlayStatus(), seconds(75));
  EXPECT_EQ(r.alarm_items(), (std::vector<std::string>{"r1w1 1m05s", "r4w11 0s"})) << "layout order";
  set_alarm(wells, "r1w1", false);
  draw(r, f, wells, wm::OverlayStyle(), wm::OverlayStatus(), seconds(80));
  set_alarm(wells, "r1w1", true);
  draw(r, f, wells, wm::OverlayStyle(), wm::OverlayStatus(), seconds(83));
  EXPECT_EQ(r.alarm_items(), (std::vector<std::string>{"r1w1 0s", "r4w11 8s"}));
}

TEST_F(OverlayRenderer, DurationsReadAsSecondsMinutesAndHours) {
  EXPECT_EQ(wm::overlay_duration_text(0), "0s");
  EXPECT_EQ(wm::overlay_duration_text(seconds(12.9)), "12s");
  EXPECT_EQ(wm::overlay_duration_text(seconds(125)), "2m05s");
  EXPECT_EQ(wm::overlay_duration_text(seconds(3720)), "1h02m");
}

TEST_F(OverlayRenderer, BannerLinesWrapAndCountTheWellsThatDoNotFit) {
  const std::vector<std::string> items = {"r1w4 12s", "r2w9 3s", "r3w2 1s"};
  const auto ten_per_char = [](const std::string& text, const void*) { return static_cast<int>(text.size()) * 10; };
  EXPECT_EQ(wm::overlay_banner_lines(items, 1000, 2, ten_per_char, nullptr),
            (std::vector<std::string>{"SPILL r1w4 12s, r2w9 3s, r3w2 1s"}));
  EXPECT_EQ(wm::overlay_banner_lines(items, 240, 2, ten_per_char, nullptr),
            (std::vector<std::string>{"SPILL r1w4 12s, r2w9 3s,", "r3w2 1s"}));
  EXPECT_EQ(wm::overlay_banner_lines(items, 240, 1, ten_per_char, nullptr),
            (std::vector<std::string>{"SPILL r1w4 12s +2 more"}));
  EXPECT_TRUE(wm::overlay_banner_lines({}, 240, 2, ten_per_char, nullptr).empty());
}

TEST_F(OverlayRenderer, ALostCameraGetsAnAmberBannerAndStatusOnTheDarkenedLastFrame) {
  Frame f(GST_VIDEO_FORMAT_RGBA, 1280, 720, 200);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  r.dim(f.frame(), 0.4);
  EXPECT_EQ(f.at(0, 640, 360), (std::array<int, 4>{80, 80, 80, 200})) << "darker; alpha untouched";
  wm::OverlayStatus lost;
  lost.camera = wm::CameraState::kLost;
  lost.reason = "no-frames";
  lost.since = "21:43:05";
  std::vector<wm::WellResult> none;
  draw(r, f, none, wm::OverlayStyle(), lost, GST_CLOCK_TIME_NONE);
  EXPECT_GE(banner_text_rows(f, banner_rows(f, kAmberRgb), kAmberRgb), 0.06 * 720) << "CAMERA LOST in large letters";
  EXPECT_EQ(f.rgb(1277, 717), kAmberRgb) << "the status line turns amber";
}

TEST_F(OverlayRenderer, AnObscuredCameraShowsInTheStatusLineBesideASpill) {
  Frame f(GST_VIDEO_FORMAT_BGRx, 1920, 1200, 100);
  auto wells = plant_wells();
  set_alarm(wells, "r4w1", true);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  wm::OverlayStatus obscured;
  obscured.camera = wm::CameraState::kObscured;
  draw(r, f, wells, wm::OverlayStyle(), obscured, seconds(1));
  EXPECT_GE(banner_rows(f), 0.06 * 1200) << "the spill keeps its red banner";
  EXPECT_EQ(f.rgb(1917, 1197), kAmberRgb) << "the status line says the camera is obscured";
}

TEST_F(OverlayRenderer, DimmingKeepsYuvBlackAtItsLevel) {
  Frame f(GST_VIDEO_FORMAT_I420, 64, 64, 200);
  wm::OverlayRenderer r;
  ASSERT_TRUE(r.configure(f.info()));
  r.dim(f.frame(), 0.5);
  EXPECT_EQ(f.at(0, 10, 10)[0], 108) << "Y: 16 + (200 - 16) / 2";
  EXPECT_EQ(f.at(1, 5, 5)[0], 164) << "U: 128 + (200 - 128) / 2";
}
