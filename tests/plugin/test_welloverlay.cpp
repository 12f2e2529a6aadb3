// GstHarness tests of the `welloverlay` element. The region of interest metas
// are made by hand here, exactly as wellmonitor documents them, which is also
// what proves the overlay needs nothing but the metas.

#include "support/gst_isolated.h"

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 200;
constexpr int kHeight = 120;

fs::path g_dir;

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_dir = wellmonitor_test::init_isolated_gstreamer("overlay");
    ASSERT_FALSE(g_dir.empty());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new GstEnvironment);

struct Well {
  const char* id;
  cv::Rect box;
  bool anomaly;
  bool alarm;
};

// normal, over threshold, in alarm; well below the banner, labels above the boxes
const std::vector<Well> kWells = {
    {"r1w1", {20, 60, 40, 40}, false, false},
    {"r1w2", {80, 60, 40, 40}, true, false},
    {"r1w3", {140, 60, 40, 40}, true, true},
};

void add_well_meta(GstBuffer* buf, const Well& w, int index, const char* type = "well",
                   const char* param = "wellmonitor") {
  GstVideoRegionOfInterestMeta* m =
      gst_buffer_add_video_region_of_interest_meta(buf, type, w.box.x, w.box.y, w.box.width, w.box.height);
  m->id = index;
  gst_video_region_of_interest_meta_add_param(
      m, gst_structure_new(param, "well", G_TYPE_STRING, w.id, "score", G_TYPE_DOUBLE, w.alarm ? 0.25 : 0.0125,
                           "threshold", G_TYPE_DOUBLE, 0.02, "anomaly", G_TYPE_BOOLEAN, w.anomaly, "alarm",
                           G_TYPE_BOOLEAN, w.alarm, "analysed", G_TYPE_BOOLEAN, TRUE, nullptr));
}

std::string caps_for(const char* format) {
  return std::string("video/x-raw,format=") + format + ",width=" + std::to_string(kWidth) +
         ",height=" + std::to_string(kHeight) + ",framerate=25/1";
}

GstBuffer* frame_buffer(const char* format, guint8 fill) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), kWidth, kHeight);
  GstBuffer* b = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_memset(b, 0, fill, GST_VIDEO_INFO_SIZE(&info));
  GST_BUFFER_PTS(b) = 2 * GST_SECOND;
  GST_BUFFER_DURATION(b) = 40 * GST_MSECOND;
  GST_BUFFER_OFFSET(b) = 50;
  return b;
}

// A pixel as (R, G, B, A-or-x): the test reads colours independent of byte order.
struct Pixel {
  int r, g, b, a;
  bool operator==(const Pixel& o) const { return r == o.r && g == o.g && b == o.b && (a < 0 || o.a < 0 || a == o.a); }
};
std::ostream& operator<<(std::ostream& os, const Pixel& p) {
  return os << "(" << p.r << "," << p.g << "," << p.b << "," << p.a << ")";
}

Pixel pixel(GstBuffer* b, const char* format, int x, int y) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), kWidth, kHeight);
  GstVideoFrame f;
  EXPECT_TRUE(gst_video_frame_map(&f, &info, b, GST_MAP_READ));
  const int ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&f, 0);
  const guint8* p =
      static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0) + x * ps;
  const int o0 = GST_VIDEO_FRAME_COMP_POFFSET(&f, 0), o1 = GST_VIDEO_FRAME_COMP_POFFSET(&f, 1),
            o2 = GST_VIDEO_FRAME_COMP_POFFSET(&f, 2);
  // the 4th byte (x or A) is the offset R, G and B leave free
  Pixel out{p[o0], p[o1], p[o2], ps == 4 ? p[6 - o0 - o1 - o2] : -1};
  gst_video_frame_unmap(&f);
  return out;
}

const Pixel kBlack{0, 0, 0, -1};
const Pixel kGreen{0, 200, 0, 255};
const Pixel kAmber{255, 176, 0, 255};
const Pixel kRed{255, 0, 0, 255};

class Overlay {
 public:
  explicit Overlay(const char* format, const char* props = "") {
    const std::string launch = std::string("welloverlay ") + props;
    h_ = gst_harness_new_parse(launch.c_str());
    gst_harness_set_src_caps_str(h_, caps_for(format).c_str());
  }
  ~Overlay() { gst_harness_teardown(h_); }
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;
  GstBuffer* push(GstBuffer* b) {
    EXPECT_EQ(gst_harness_push(h_, b), GST_FLOW_OK);
    return gst_harness_pull(h_);
  }
  // A custom downstream event as wellmonitor forwards it; whatever buffer it
  // made the overlay push (nullptr when none).
  GstBuffer* event(GstStructure* s) {
    EXPECT_TRUE(gst_harness_push_event(h_, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s)));
    return gst_harness_try_pull(h_);
  }

 private:
  GstHarness* h_;
};

int count_metas(GstBuffer* b) {
  int n = 0;
  gpointer state = nullptr;
  while (gst_buffer_iterate_meta_filtered(b, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) ++n;
  return n;
}

}  // namespace

TEST(WellOverlayElement, AcceptsTheFormatsWellmonitorAccepts) {
  GstElement* e = gst_element_factory_make("welloverlay", nullptr);
  ASSERT_NE(e, nullptr) << "welloverlay not found in " WELLMONITOR_PLUGIN_DIR;
  GstPad* sink = gst_element_get_static_pad(e, "sink");
  for (const char* f : {"BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA", "I420", "NV12", "GRAY8"}) {
    GstCaps* caps = gst_caps_from_string(caps_for(f).c_str());
    EXPECT_TRUE(gst_pad_query_accept_caps(sink, caps)) << f;
    gst_caps_unref(caps);
  }
  for (const char* f : {"YUY2", "GRAY16_LE", "ARGB64", "v210"}) {
    GstCaps* caps = gst_caps_from_string(caps_for(f).c_str());
    EXPECT_FALSE(gst_pad_query_accept_caps(sink, caps)) << f;
    gst_caps_unref(caps);
  }
  gst_object_unref(sink);
  gst_object_unref(e);
}

class WellOverlayFormat : public ::testing::TestWithParam<const char*> {};

// Box edges take the colour of the well's state, in the frame's byte order;
// alarm boxes are thicker; a red banner spans the top while a well is in alarm.
TEST_P(WellOverlayFormat, DrawsNormalAmberAndAlarmColoursAndTheBanner) {
  const char* format = GetParam();
  Overlay overlay(format);
  GstBuffer* in = frame_buffer(format, 0);
  for (size_t i = 0; i < kWells.size(); ++i) add_well_meta(in, kWells[i], static_cast<int>(i));
  GstBuffer* out = overlay.push(in);
  ASSERT_NE(out, nullptr);

  const Pixel expected[3] = {kGreen, kAmber, kRed};
  for (size_t i = 0; i < kWells.size(); ++i) {
    SCOPED_TRACE(kWells[i].id);
    const cv::Rect& b = kWells[i].box;
    const int mid_y = b.y + b.height / 2, mid_x = b.x + b.width / 2;
    EXPECT_EQ(pixel(out, format, b.x, mid_y), expected[i]) << "left edge";
    EXPECT_EQ(pixel(out, format, b.x + b.width - 1, mid_y), expected[i]) << "right edge";
    EXPECT_EQ(pixel(out, format, mid_x, b.y + b.height - 1), expected[i]) << "bottom edge";
    EXPECT_EQ(pixel(out, format, mid_x, mid_y), kBlack) << "inside stays untouched";
    // line-width 1 for normal and amber, 3 for alarm, growing outwards
    EXPECT_EQ(pixel(out, format, b.x + 1, mid_y), kBlack) << "the well itself stays visible";
    EXPECT_EQ(pixel(out, format, b.x - 1, mid_y), kWells[i].alarm ? kRed : kBlack) << "thickness";
    EXPECT_EQ(pixel(out, format, b.x - 2, mid_y), kWells[i].alarm ? kRed : kBlack) << "thickness";
    EXPECT_EQ(pixel(out, format, b.x - 3, mid_y), kBlack) << "outside";
  }
  EXPECT_EQ(pixel(out, format, kWidth - 2, 2), kRed) << "banner across the top";
  EXPECT_EQ(count_metas(out), 3) << "metas stay on the buffer";
  EXPECT_EQ(GST_BUFFER_PTS(out), 2 * GST_SECOND);
  gst_buffer_unref(out);
}

INSTANTIATE_TEST_SUITE_P(PackedFormats, WellOverlayFormat,
                         ::testing::Values("BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(WellOverlayElement, NoBannerWithoutAnAlarm) {
  Overlay overlay("BGRx");
  GstBuffer* in = frame_buffer("BGRx", 0);
  add_well_meta(in, kWells[0], 0);
  add_well_meta(in, kWells[1], 1);
  GstBuffer* out = overlay.push(in);
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(out, &map, GST_MAP_READ));
  // nothing drawn in the top 30 rows: no banner, and labels sit just above the boxes (y >= 45)
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < kWidth * 4; ++x) ASSERT_EQ(map.data[y * kWidth * 4 + x], 0) << "row " << y;
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
}

TEST(WellOverlayElement, WithoutLabelsOnlyTheBoxOutlinesChange) {
  Overlay overlay("BGR", "show-labels=false show-scores=false show-status=false");
  GstBuffer* in = frame_buffer("BGR", 0);
  add_well_meta(in, kWells[0], 0);
  add_well_meta(in, kWells[1], 1);
  GstBuffer* out = overlay.push(in);
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(out, &map, GST_MAP_READ));
  const int stride = GST_ROUND_UP_4(kWidth * 3);
  int changed = 0, outside_outline = 0;
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const guint8* p = map.data + y * stride + x * 3;
      if (p[0] || p[1] || p[2]) {
        ++changed;
        bool on = false;
        for (int i = 0; i < 2; ++i) {
          const cv::Rect& b = kWells[i].box;
          const bool inside = b.contains(cv::Point(x, y));
          const bool border = x == b.x || y == b.y || x == b.x + b.width - 1 || y == b.y + b.height - 1;
          on |= inside && border;
        }
        if (!on) ++outside_outline;
      }
    }
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  EXPECT_EQ(outside_outline, 0);
  EXPECT_EQ(changed, 2 * (2 * 40 + 2 * 40 - 4)) << "exactly the two outlines";
}

TEST(WellOverlayElement, BuffersWithoutWellMetasPassUntouched) {
  Overlay overlay("RGBA");
  GstBuffer* in = frame_buffer("RGBA", 0);
  // random content
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(in, &map, GST_MAP_WRITE));
  cv::RNG rng(7);
  for (gsize i = 0; i < map.size; ++i) map.data[i] = static_cast<guint8>(rng.uniform(0, 256));
  gst_buffer_unmap(in, &map);
  // metas that are not wellmonitor's: another ROI type, and a well without its parameters
  add_well_meta(in, kWells[2], 0, "face");
  add_well_meta(in, kWells[2], 1, "well", "something-else");
  gsize size = gst_buffer_get_size(in);
  gpointer before = nullptr;
  gst_buffer_extract_dup(in, 0, size, &before, &size);

  GstBuffer* out = overlay.push(in);
  ASSERT_EQ(gst_buffer_get_size(out), size);
  EXPECT_EQ(gst_buffer_memcmp(out, 0, before, size), 0);
  EXPECT_EQ(GST_BUFFER_PTS(out), 2 * GST_SECOND);
  EXPECT_EQ(GST_BUFFER_DURATION(out), 40 * GST_MSECOND);
  EXPECT_EQ(GST_BUFFER_OFFSET(out), 50u);
  EXPECT_EQ(count_metas(out), 2);
  g_free(before);
  gst_buffer_unref(out);

  // and a buffer with no metas at all
  GstBuffer* plain = frame_buffer("RGBA", 77);
  out = overlay.push(plain);
  ASSERT_TRUE(gst_buffer_map(out, &map, GST_MAP_READ));
  for (gsize i = 0; i < map.size; ++i) ASSERT_EQ(map.data[i], 77) << i;
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
}

namespace {

// BT.601 limited range, as videotestsrc/videoconvert use for SD YUV.
cv::Vec3i yuv601(int r, int g, int b) {
  const double y = 0.299 * r / 255 + 0.587 * g / 255 + 0.114 * b / 255;
  return {static_cast<int>(std::lround(16 + 219 * y)),
          static_cast<int>(std::lround(128 + 224 * (b / 255.0 - y) / 1.772)),
          static_cast<int>(std::lround(128 + 224 * (r / 255.0 - y) / 1.402))};
}

// Y, U, V of the frame at luma position (x, y).
cv::Vec3i yuv_at(GstBuffer* b, const char* format, int x, int y) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), kWidth, kHeight);
  GstVideoFrame f;
  EXPECT_TRUE(gst_video_frame_map(&f, &info, b, GST_MAP_READ));
  auto at = [&](int plane, int px, int py) {
    return static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, plane))[py * GST_VIDEO_FRAME_PLANE_STRIDE(&f, plane) + px];
  };
  cv::Vec3i v(at(0, x, y), 0, 0);
  if (GST_VIDEO_FRAME_FORMAT(&f) == GST_VIDEO_FORMAT_I420) {
    v[1] = at(1, x / 2, y / 2);
    v[2] = at(2, x / 2, y / 2);
  } else {
    v[1] = at(1, x / 2 * 2, y / 2);
    v[2] = at(1, x / 2 * 2 + 1, y / 2);
  }
  gst_video_frame_unmap(&f);
  return v;
}

void expect_near(const cv::Vec3i& got, const cv::Vec3i& want, const std::string& what) {
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], 1) << what << " component " << i << ": " << got << " vs " << want;
}

}  // namespace

class WellOverlayYuv : public ::testing::TestWithParam<const char*> {};

// On I420 and NV12 the boxes are drawn in luma and in the subsampled chroma,
// with BT.601 limited-range values of the same three colours.
TEST_P(WellOverlayYuv, DrawsTheThreeColoursInLumaAndChroma) {
  const char* format = GetParam();
  Overlay overlay(format);
  GstBuffer* in = frame_buffer(format, 0);
  for (size_t i = 0; i < kWells.size(); ++i) add_well_meta(in, kWells[i], static_cast<int>(i));
  GstBuffer* out = overlay.push(in);
  ASSERT_NE(out, nullptr);
  const cv::Vec3i expected[3] = {yuv601(0, 200, 0), yuv601(255, 176, 0), yuv601(255, 0, 0)};
  for (size_t i = 0; i < kWells.size(); ++i) {
    SCOPED_TRACE(kWells[i].id);
    const cv::Rect& b = kWells[i].box;
    const int mid_y = b.y + b.height / 2;
    expect_near(yuv_at(out, format, b.x, mid_y), expected[i], "left edge");
    expect_near(yuv_at(out, format, b.x + b.width - 1, mid_y), expected[i], "right edge");
    EXPECT_EQ(yuv_at(out, format, b.x + 2, mid_y)[0], 0) << "inside stays untouched";
    EXPECT_EQ(yuv_at(out, format, b.x - 2, mid_y)[0], kWells[i].alarm ? expected[i][0] : 0) << "thickness";
    EXPECT_EQ(yuv_at(out, format, b.x - 4, mid_y)[0], 0) << "outside";
  }
  expect_near(yuv_at(out, format, kWidth - 2, 2), expected[2], "banner");
  gst_buffer_unref(out);
}

INSTANTIATE_TEST_SUITE_P(PlanarFormats, WellOverlayYuv, ::testing::Values("I420", "NV12"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(WellOverlayElement, GreyFramesShowTheStatesAsDistinctLevels) {
  Overlay overlay("GRAY8");
  GstBuffer* in = frame_buffer("GRAY8", 0);
  for (size_t i = 0; i < kWells.size(); ++i) add_well_meta(in, kWells[i], static_cast<int>(i));
  GstBuffer* out = overlay.push(in);
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(out, &map, GST_MAP_READ));
  const int stride = GST_ROUND_UP_4(kWidth);
  int level[3];
  for (size_t i = 0; i < 3; ++i) {
    const cv::Rect& b = kWells[i].box;
    level[i] = map.data[(b.y + b.height / 2) * stride + b.x];
    EXPECT_GT(level[i], 0) << kWells[i].id;
    EXPECT_EQ(map.data[(b.y + b.height / 2) * stride + b.x - 2], kWells[i].alarm ? level[i] : 0) << kWells[i].id;
  }
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  EXPECT_NE(level[0], level[1]);
  EXPECT_NE(level[1], level[2]);
  EXPECT_NE(level[0], level[2]);
}

// line-width=0 (the default) scales the boxes with the video: 1 pixel per 600 lines.
TEST(WellOverlayElement, AutomaticLineWidthFollowsTheFrameHeight) {
  GstHarness* h = gst_harness_new_parse("welloverlay");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=GRAY8,width=200,height=1200,framerate=25/1");
  const int stride = 200;
  GstBuffer* in = gst_buffer_new_allocate(nullptr, stride * 1200, nullptr);
  gst_buffer_memset(in, 0, 0, stride * 1200);
  add_well_meta(in, kWells[0], 0);  // normal: 2 pixels wide at 1200 lines
  ASSERT_EQ(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(out, &map, GST_MAP_READ));
  const cv::Rect& b = kWells[0].box;
  const int y = b.y + b.height / 2;
  EXPECT_GT(map.data[y * stride + b.x], 0);
  EXPECT_GT(map.data[y * stride + b.x - 1], 0);
  EXPECT_EQ(map.data[y * stride + b.x - 2], 0);
  EXPECT_EQ(map.data[y * stride + b.x + 1], 0);
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

namespace {

const Pixel kAmberBanner{255, 176, 0, 255};
const Pixel kPanel{40, 40, 40, 255};

// A BGRx frame of grey 200 with the three wells on it. (The status line is
// read at its left end, before its lamp: its text runs across the whole of
// so small a frame.)
GstBuffer* grey_frame_with_wells() {
  GstBuffer* in = frame_buffer("BGRx", 200);
  for (size_t i = 0; i < kWells.size(); ++i) add_well_meta(in, kWells[i], static_cast<int>(i));
  return in;
}

}  // namespace

// No frames come while the camera is lost: the overlay pushes one, the last
// frame darkened under an amber banner, so that a window or a re-stream says so.
TEST(WellOverlayElement, ALostCameraGetsOneMoreFrameTheLastDarkenedUnderAnAmberBanner) {
  Overlay overlay("BGRx");
  GstBuffer* out = overlay.push(grey_frame_with_wells());
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(pixel(out, "BGRx", 100, 105), (Pixel{200, 200, 200, -1})) << "a live frame: undimmed";
  EXPECT_EQ(pixel(out, "BGRx", 1, kHeight - 2), kPanel) << "status line: healthy";
  gst_buffer_unref(out);

  GstBuffer* lost = overlay.event(gst_structure_new("wellmonitor-camera-lost", "reason", G_TYPE_STRING, "no-frames", nullptr));
  ASSERT_NE(lost, nullptr) << "a frame for the viewers";
  EXPECT_EQ(GST_BUFFER_PTS(lost), 2 * GST_SECOND + 40 * GST_MSECOND) << "one frame after the last";
  EXPECT_EQ(pixel(lost, "BGRx", 100, 105), (Pixel{80, 80, 80, -1})) << "darkened";
  EXPECT_EQ(pixel(lost, "BGRx", kWidth - 2, 2), kAmberBanner) << "the CAMERA LOST banner";
  EXPECT_EQ(pixel(lost, "BGRx", 1, kHeight - 2), kAmberBanner) << "the status line";
  gst_buffer_unref(lost);

  EXPECT_EQ(overlay.event(gst_structure_new_empty("wellmonitor-camera-back")), nullptr) << "frames come again";
  out = overlay.push(grey_frame_with_wells());
  EXPECT_EQ(pixel(out, "BGRx", 1, kHeight - 2), kPanel) << "healthy again";
  gst_buffer_unref(out);
}

TEST(WellOverlayElement, AnObscuredCameraTurnsTheStatusLineAmberUntilItIsBack) {
  Overlay overlay("BGRx");
  EXPECT_EQ(overlay.event(gst_structure_new_empty("wellmonitor-camera-obscured")), nullptr);
  GstBuffer* out = overlay.push(grey_frame_with_wells());
  EXPECT_EQ(pixel(out, "BGRx", 1, kHeight - 2), kAmberBanner);
  gst_buffer_unref(out);
  overlay.event(gst_structure_new_empty("wellmonitor-camera-back"));
  out = overlay.push(grey_frame_with_wells());
  EXPECT_EQ(pixel(out, "BGRx", 1, kHeight - 2), kPanel);
  gst_buffer_unref(out);
}
