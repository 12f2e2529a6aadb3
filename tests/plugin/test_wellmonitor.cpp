// GstHarness tests of the `wellmonitor` element (and one end-to-end pipeline
// with `welloverlay`).
//
// Each test process isolates GStreamer: the plugin path is the build's plugin
// directory, the system plugin path is GStreamer's own (for videoconvert, tee
// and friends), and the registry is a file in a fresh temporary directory.
// The model is a tiny random compact-ae made here with a fixed seed; the
// layout files are written here. Scores are controlled by what is pasted into
// the wells: the model's threshold is set between the score of the "normal"
// patch and the score of the "spill" patch, both computed first with the
// Detector directly.

#include "support/gst_isolated.h"
#include "support/tiny_model.h"
#include "wellmonitor/camera_events.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/model_file.h"

#include <gst/check/gstharness.h>
#include <gst/controller/controller.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor::Detector;

namespace {

constexpr int kWidth = 160;  // stream = layout reference size
constexpr int kHeight = 96;
constexpr int kPatch = 32;
constexpr GstClockTime kFrame = 40 * GST_MSECOND;

struct WellDef {
  const char* id;
  cv::Rect box;
};
const std::vector<WellDef> kWells = {
    {"a", {8, 40, kPatch, kPatch}},
    {"b", {56, 40, kPatch, kPatch}},
    {"c", {104, 40, kPatch, kPatch}},
};

// Everything the tests share, made once per process.
struct Shared {
  fs::path dir;
  std::string model;   // tiny random model, threshold between normal and spill
  std::string layout;  // the three wells above, reference 160x96
  cv::Mat normal, spill, red, blue;  // 32x32 BGR patches
  double normal_score = 0, spill_score = 0, red_score = 0, blue_score = 0;
  double threshold = 0;  // the model file's
  std::string model_b;    // the same network with threshold_b: every patch scores normal
  double threshold_b = 0;
  std::string layout_two;  // wells "a" and "c" only
};
Shared* g = nullptr;

std::string write_file(const std::string& name, const std::string& text) {
  const fs::path p = g->dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string layout_text(const std::vector<WellDef>& wells, int ref_w = kWidth, int ref_h = kHeight) {
  std::string s = "# test layout\nreference " + std::to_string(ref_w) + " " + std::to_string(ref_h) + "\n";
  for (const auto& w : wells)
    s += "well " + std::string(w.id) + " " + std::to_string(w.box.x) + " " + std::to_string(w.box.y) + " " +
         std::to_string(w.box.width) + " " + std::to_string(w.box.height) + "\n";
  return s;
}

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g = new Shared();
    g->dir = wellmonitor_test::init_isolated_gstreamer("element");
    ASSERT_FALSE(g->dir.empty());

    // Patches: a flat grey one and grey noise (support/tiny_model.h), flat red and flat blue.
    const wellmonitor_test::TinyModel tiny = wellmonitor_test::make_tiny_model((g->dir / "tiny.wmm").string(), kPatch);
    g->model = tiny.path;
    g->normal = tiny.normal;
    g->spill = tiny.spill;
    g->normal_score = tiny.normal_score;
    g->spill_score = tiny.spill_score;
    g->red = cv::Mat(kPatch, kPatch, CV_8UC3, cv::Scalar(0, 0, 255));
    g->blue = cv::Mat(kPatch, kPatch, CV_8UC3, cv::Scalar(255, 0, 0));
    const auto s = Detector::open(g->model, "cpu").score({g->red, g->blue});
    g->red_score = s[0];
    g->blue_score = s[1];
    ASSERT_GT(g->spill_score, g->normal_score * 1.05) << "test patches too alike for this seed";
    ASSERT_GT(std::abs(g->red_score - g->blue_score), 1e-6) << "red and blue score alike for this seed";
    g->threshold = tiny.threshold;
    wellmonitor::ModelFile m = tiny.file;

    g->layout = write_file("three.wells", layout_text(kWells));

    g->threshold_b = 2.0 * std::max({g->spill_score, g->red_score, g->blue_score}) + 1.0;
    m.calibration.threshold = g->threshold_b;
    g->model_b = (g->dir / "tiny-b.wmm").string();
    wellmonitor::save_model(m, g->model_b);
    g->layout_two = write_file("two.wells", layout_text({kWells[0], kWells[2]}));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g->dir, ec);
    delete g;
    g = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new GstEnvironment);

// ---------------------------------------------------------------- frames

// A 160x96 BGR scene: dark background, one patch per well (nullptr = background).
cv::Mat scene(const std::vector<const cv::Mat*>& patches, int w = kWidth, int h = kHeight) {
  cv::Mat img(kHeight, kWidth, CV_8UC3, cv::Scalar(40, 50, 60));
  for (size_t i = 0; i < patches.size() && i < kWells.size(); ++i)
    if (patches[i]) patches[i]->copyTo(img(kWells[i].box));
  if (w != kWidth || h != kHeight) cv::resize(img, img, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
  return img;
}

// The stream's video info; `colorimetry` ("bt709", "bt601", "jpeg"...) empty = GStreamer's default.
GstVideoInfo video_info(GstVideoFormat format, int w, int h, const std::string& colorimetry = "") {
  GstVideoInfo info;
  gst_video_info_set_format(&info, format, w, h);
  GST_VIDEO_INFO_FPS_N(&info) = 25;
  GST_VIDEO_INFO_FPS_D(&info) = 1;
  if (!colorimetry.empty()) {
    EXPECT_TRUE(gst_video_colorimetry_from_string(&info.colorimetry, colorimetry.c_str()));
  }
  return info;
}

// The BGR image as a buffer in `format`, converted the way videoconvert does.
GstBuffer* to_buffer(const cv::Mat& bgr, GstVideoFormat format, const std::string& colorimetry = "") {
  GstVideoInfo in = video_info(GST_VIDEO_FORMAT_BGR, bgr.cols, bgr.rows);
  GstVideoInfo out = video_info(format, bgr.cols, bgr.rows, colorimetry);
  GstBuffer* src = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&in), nullptr);
  GstVideoFrame f;
  EXPECT_TRUE(gst_video_frame_map(&f, &in, src, GST_MAP_WRITE));
  for (int y = 0; y < bgr.rows; ++y)
    memcpy(static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0),
           bgr.ptr(y), bgr.cols * 3);
  gst_video_frame_unmap(&f);
  if (format == GST_VIDEO_FORMAT_BGR) return src;

  GstBuffer* dst = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&out), nullptr);
  GstVideoFrame sf, df;
  EXPECT_TRUE(gst_video_frame_map(&sf, &in, src, GST_MAP_READ));
  EXPECT_TRUE(gst_video_frame_map(&df, &out, dst, GST_MAP_WRITE));
  GstVideoConverter* conv = gst_video_converter_new(&in, &out, nullptr);
  gst_video_converter_frame(conv, &sf, &df);
  gst_video_converter_free(conv);
  gst_video_frame_unmap(&sf);
  gst_video_frame_unmap(&df);
  gst_buffer_unref(src);
  return dst;
}

std::string caps_for(GstVideoFormat format, int w = kWidth, int h = kHeight, const std::string& colorimetry = "") {
  GstVideoInfo info = video_info(format, w, h, colorimetry);
  GstCaps* caps = gst_video_info_to_caps(&info);
  gchar* s = gst_caps_to_string(caps);
  std::string out = s;
  g_free(s);
  gst_caps_unref(caps);
  return out;
}

void stamp(GstBuffer* buf, guint64 index, GstClockTime base = 0) {
  GST_BUFFER_PTS(buf) = base + index * kFrame;
  GST_BUFFER_DTS(buf) = base + index * kFrame;
  GST_BUFFER_DURATION(buf) = kFrame;
  GST_BUFFER_OFFSET(buf) = index;
  GST_BUFFER_OFFSET_END(buf) = index + 1;
}

// ---------------------------------------------------------------- metas, messages

struct Roi {
  std::string type;
  int id = -1;
  guint x = 0, y = 0, w = 0, h = 0;
  std::string well;
  double score = -1, threshold = -1;
  gboolean anomaly = FALSE, alarm = FALSE, analysed = FALSE;
};

std::vector<Roi> rois(GstBuffer* buf) {
  std::vector<Roi> out;
  gpointer state = nullptr;
  GstMeta* meta;
  while ((meta = gst_buffer_iterate_meta_filtered(buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto* m = reinterpret_cast<GstVideoRegionOfInterestMeta*>(meta);
    Roi r;
    r.type = g_quark_to_string(m->roi_type);
    r.id = m->id;
    r.x = m->x;
    r.y = m->y;
    r.w = m->w;
    r.h = m->h;
    const GstStructure* s = gst_video_region_of_interest_meta_get_param(m, "wellmonitor");
    EXPECT_NE(s, nullptr) << "ROI meta without a 'wellmonitor' parameter structure";
    if (s) {
      EXPECT_EQ(gst_structure_get_field_type(s, "well"), G_TYPE_STRING);
      EXPECT_EQ(gst_structure_get_field_type(s, "score"), G_TYPE_DOUBLE);
      EXPECT_EQ(gst_structure_get_field_type(s, "threshold"), G_TYPE_DOUBLE);
      EXPECT_EQ(gst_structure_get_field_type(s, "anomaly"), G_TYPE_BOOLEAN);
      EXPECT_EQ(gst_structure_get_field_type(s, "alarm"), G_TYPE_BOOLEAN);
      EXPECT_EQ(gst_structure_get_field_type(s, "analysed"), G_TYPE_BOOLEAN);
      if (const char* id = gst_structure_get_string(s, "well")) r.well = id;
      gst_structure_get_double(s, "score", &r.score);
      gst_structure_get_double(s, "threshold", &r.threshold);
      gst_structure_get_boolean(s, "anomaly", &r.anomaly);
      gst_structure_get_boolean(s, "alarm", &r.alarm);
      gst_structure_get_boolean(s, "analysed", &r.analysed);
    }
    out.push_back(r);
  }
  return out;
}

// Element messages taken off a bus, as owned structure copies.
struct Messages {
  std::vector<GstStructure*> all;
  Messages() = default;
  Messages(const Messages&) = delete;
  Messages& operator=(const Messages&) = delete;
  Messages(Messages&& o) noexcept : all(std::move(o.all)) {}
  ~Messages() {
    for (auto* s : all) gst_structure_free(s);
  }
  std::vector<const GstStructure*> named(const std::string& name) const {
    std::vector<const GstStructure*> out;
    for (auto* s : all)
      if (name == gst_structure_get_name(s)) out.push_back(s);
    return out;
  }
};

Messages pop_element_messages(GstBus* bus) {
  Messages m;
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    if (const GstStructure* s = gst_message_get_structure(msg)) m.all.push_back(gst_structure_copy(s));
    gst_message_unref(msg);
  }
  return m;
}

guint64 u64(const GstStructure* s, const char* field) {
  guint64 v = 0;
  EXPECT_TRUE(gst_structure_get_uint64(s, field, &v)) << field;
  return v;
}

// ---------------------------------------------------------------- the element under test

GstElement* make_monitor() {
  GstElement* e = gst_element_factory_make("wellmonitor", nullptr);
  EXPECT_NE(e, nullptr) << "wellmonitor not found in " WELLMONITOR_PLUGIN_DIR;
  gst_object_ref_sink(e);
  g_object_set(e, "model", g->model.c_str(), "wells", g->layout.c_str(), "device", "cpu", "threads", 1, nullptr);
  // The tiny model's normal patch scores over half its threshold: no
  // hysteresis unless a test asks for it (AlarmInSecondsSmoothingAndClearRatioFollowTheProperties).
  g_object_set(e, "clear-ratio", 1.0, nullptr);
  return e;
}

// A playing wellmonitor in a harness with a bus to read its messages.
class Harnessed {
 public:
  explicit Harnessed(GstElement* e, GstVideoFormat format = GST_VIDEO_FORMAT_BGR) : element_(e), bus_(gst_bus_new()) {
    gst_element_set_bus(element_, bus_);
    h_ = gst_harness_new_with_element(element_, "sink", "src");
    set_caps(caps_for(format));
  }
  ~Harnessed() {
    gst_harness_teardown(h_);
    gst_element_set_bus(element_, nullptr);
    gst_object_unref(element_);
    gst_object_unref(bus_);
  }
  Harnessed(const Harnessed&) = delete;
  Harnessed& operator=(const Harnessed&) = delete;

  void set_caps(const std::string& caps) { gst_harness_set_src_caps_str(h_, caps.c_str()); }
  // Pushes one frame and returns the buffer that came out (caller unrefs).
  GstBuffer* push(GstBuffer* buf) {
    EXPECT_EQ(gst_harness_push(h_, buf), GST_FLOW_OK);
    return gst_harness_pull(h_);
  }
  // Pushes a BGR scene, checks one meta per well (of `wells`), returns them.
  std::vector<Roi> push_scene(const cv::Mat& bgr, guint64 index, size_t wells = kWells.size()) {
    GstBuffer* b = to_buffer(bgr, GST_VIDEO_FORMAT_BGR);
    stamp(b, index);
    GstBuffer* out = push(b);
    auto r = rois(out);
    gst_buffer_unref(out);
    EXPECT_EQ(r.size(), wells);
    return r;
  }
  Messages messages() { return pop_element_messages(bus_); }
  GstHarness* harness() { return h_; }
  GstBus* bus() { return bus_; }
  GstElement* element() { return element_; }

 private:
  GstElement* element_;
  GstBus* bus_;
  GstHarness* h_ = nullptr;
};

const cv::Mat* N() { return &g->normal; }
const cv::Mat* S() { return &g->spill; }

}  // namespace

// ====================================================================== registry

TEST(WellMonitorElement, PluginRegistersBothElementsWithDocumentedDefaults) {
  GstPlugin* plugin = gst_registry_find_plugin(gst_registry_get(), "wellmonitor");
  ASSERT_NE(plugin, nullptr);
  EXPECT_NE(std::string(gst_plugin_get_filename(plugin)).find(WELLMONITOR_PLUGIN_DIR), std::string::npos);
  gst_object_unref(plugin);
  for (const char* name : {"wellmonitor", "welloverlay"}) {
    GstElementFactory* f = gst_element_factory_find(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_NE(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_DESCRIPTION), nullptr);
    gst_object_unref(f);
  }
  // One short sentence for gst-inspect (the messages and metas are documented
  // in the element's doc comment); a model, whatever its kind, is "model".
  GstElementFactory* f = gst_element_factory_find("wellmonitor");
  const std::string doc = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_DESCRIPTION);
  gst_object_unref(f);
  EXPECT_LT(doc.size(), 100u) << doc;
  EXPECT_EQ(doc.find('\n'), std::string::npos) << doc;
  EXPECT_EQ(doc.find(". "), std::string::npos) << "one sentence: " << doc;
  EXPECT_NE(doc.find("model"), std::string::npos) << doc;
  {
    GstElement* any = gst_element_factory_make("wellmonitor", nullptr);
    ASSERT_NE(any, nullptr);
    GObjectClass* klass = G_OBJECT_GET_CLASS(any);
    guint n = 0;
    GParamSpec** specs = g_object_class_list_properties(klass, &n);
    EXPECT_EQ(doc.find("autoencoder"), std::string::npos) << doc;
    for (guint i = 0; i < n; ++i)
      EXPECT_EQ(std::string(g_param_spec_get_blurb(specs[i])).find("autoencoder"), std::string::npos)
          << g_param_spec_get_name(specs[i]);
    g_free(specs);
    gst_object_unref(any);
  }

  GstElement* e = gst_element_factory_make("wellmonitor", nullptr);
  gchar *model = nullptr, *wells = nullptr, *device = nullptr, *active = nullptr;
  gdouble threshold = 0;
  guint alarm = 0, clear = 0, interval = 0;
  gboolean post = TRUE;
  g_object_get(e, "model", &model, "wells", &wells, "device", &device, "active-device", &active, "threshold",
               &threshold, "alarm-frames", &alarm, "clear-frames", &clear, "interval", &interval, "post-scores", &post,
               nullptr);
  ASSERT_NE(model, nullptr);
  EXPECT_TRUE(g_str_has_suffix(model, "default.wmm")) << model;
  EXPECT_EQ(wells, nullptr);
  EXPECT_STREQ(device, "auto");
  EXPECT_EQ(active, nullptr);
  EXPECT_EQ(threshold, -1.0);
  EXPECT_EQ(alarm, 0u) << "0: the rule in seconds";
  EXPECT_EQ(clear, 0u);
  gdouble alarm_s = 0, clear_s = 0, smoothing_s = -1, ratio = 0;
  g_object_get(e, "alarm-seconds", &alarm_s, "clear-seconds", &clear_s, "smoothing-seconds", &smoothing_s,
               "clear-ratio", &ratio, nullptr);
  EXPECT_DOUBLE_EQ(alarm_s, 0.75);
  EXPECT_DOUBLE_EQ(clear_s, 2.0);
  EXPECT_DOUBLE_EQ(smoothing_s, 0.0);
  EXPECT_DOUBLE_EQ(ratio, 0.5);
  EXPECT_EQ(interval, 1u);
  EXPECT_FALSE(post);
  g_free(model);
  g_free(wells);
  g_free(device);
  g_free(active);
  gst_object_unref(e);
}

// ====================================================================== caps

TEST(WellMonitorElement, AcceptsTheNineRawFormatsAndRefusesOthers) {
  GstElement* e = make_monitor();
  GstPad* sink = gst_element_get_static_pad(e, "sink");
  for (const char* f : {"BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA", "GRAY8", "I420", "NV12"}) {
    GstCaps* caps = gst_caps_from_string(caps_for(gst_video_format_from_string(f)).c_str());
    EXPECT_TRUE(gst_pad_query_accept_caps(sink, caps)) << f;
    gst_caps_unref(caps);
  }
  for (const char* c : {"video/x-raw,format=YUY2,width=160,height=96,framerate=25/1",
                        "video/x-raw,format=GRAY16_LE,width=160,height=96,framerate=25/1",
                        "video/x-raw,format=RGB16,width=160,height=96,framerate=25/1",
                        "video/x-raw(memory:GLMemory),format=RGBA,width=160,height=96,framerate=25/1",
                        "image/jpeg,width=160,height=96"}) {
    GstCaps* caps = gst_caps_from_string(c);
    EXPECT_FALSE(gst_pad_query_accept_caps(sink, caps)) << c;
    gst_caps_unref(caps);
  }
  gst_object_unref(sink);
  gst_object_unref(e);
}

// ====================================================================== every format

// "FORMAT" or "FORMAT:COLORIMETRY" (1:4:0:0 = full-range BT.601, as from JPEG/MJPEG cameras)
struct FormatCase {
  GstVideoFormat format;
  std::string colorimetry;
  explicit FormatCase(const std::string& p) {
    const auto colon = p.find(':');
    format = gst_video_format_from_string(p.substr(0, colon).c_str());
    if (colon != std::string::npos) colorimetry = p.substr(colon + 1);
  }
};

class WellMonitorFormat : public ::testing::TestWithParam<const char*> {};

// For each input format (and YUV colorimetry): the right crops are scored
// (the scores equal the Detector's on the BGR patches: exactly for packed RGB,
// within 1% for GRAY8, whose conversion rounds, and within 0.01 for I420/NV12,
// whose half-resolution chroma blurs the flat patches' colour edges), one
// meta per well, and the buffer leaves unchanged.
TEST_P(WellMonitorFormat, ScoresEachWellsCropAndPassesTheBufferUntouched) {
  const FormatCase fc(GetParam());
  const GstVideoFormat format = fc.format;
  ASSERT_NE(format, GST_VIDEO_FORMAT_UNKNOWN);
  const bool subsampled = format == GST_VIDEO_FORMAT_I420 || format == GST_VIDEO_FORMAT_NV12;
  const bool exact = format != GST_VIDEO_FORMAT_GRAY8 && !subsampled;
  GstElement* e = make_monitor();
  Harnessed run(e, format);
  run.set_caps(caps_for(format, kWidth, kHeight, fc.colorimetry));

  GstBuffer* in = to_buffer(scene({N(), S(), &g->red}), format, fc.colorimetry);
  stamp(in, 7, 3 * GST_SECOND);
  gsize size = gst_buffer_get_size(in);
  gpointer before = nullptr;
  gst_buffer_extract_dup(in, 0, size, &before, &size);

  GstBuffer* out = run.push(in);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(GST_BUFFER_PTS(out), 3 * GST_SECOND + 7 * kFrame);
  EXPECT_EQ(GST_BUFFER_DTS(out), 3 * GST_SECOND + 7 * kFrame);
  EXPECT_EQ(GST_BUFFER_DURATION(out), kFrame);
  EXPECT_EQ(GST_BUFFER_OFFSET(out), 7u);
  EXPECT_EQ(GST_BUFFER_OFFSET_END(out), 8u);
  ASSERT_EQ(gst_buffer_get_size(out), size);
  EXPECT_EQ(gst_buffer_memcmp(out, 0, before, size), 0) << "pixels changed";
  g_free(before);

  const auto r = rois(out);
  gst_buffer_unref(out);
  ASSERT_EQ(r.size(), 3u);
  const double expected[3] = {g->normal_score, g->spill_score, g->red_score};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(kWells[i].id);
    EXPECT_EQ(r[i].type, "well");
    EXPECT_EQ(r[i].id, static_cast<int>(i));
    EXPECT_EQ(r[i].well, kWells[i].id);
    EXPECT_EQ(r[i].x, static_cast<guint>(kWells[i].box.x));
    EXPECT_EQ(r[i].y, static_cast<guint>(kWells[i].box.y));
    EXPECT_EQ(r[i].w, static_cast<guint>(kPatch));
    EXPECT_EQ(r[i].h, static_cast<guint>(kPatch));
    EXPECT_DOUBLE_EQ(r[i].threshold, g->threshold) << "the model file's threshold is the default";
    EXPECT_TRUE(r[i].analysed);
    EXPECT_FALSE(r[i].alarm) << "one frame is not an alarm (alarm-frames=5)";
    if (exact)
      EXPECT_NEAR(r[i].score, expected[i], 1e-9 * std::max(1.0, expected[i]));
    else if (subsampled)
      EXPECT_NEAR(r[i].score, expected[i], 0.01);
    else
      EXPECT_NEAR(r[i].score, expected[i], 0.01 * expected[i]);
  }
  EXPECT_FALSE(r[0].anomaly);
  EXPECT_TRUE(r[1].anomaly);
  // The red well's score is the red patch's, not the blue one's: channel order is right.
  EXPECT_LT(std::abs(r[2].score - g->red_score), 0.1 * std::abs(g->red_score - g->blue_score));
}

INSTANTIATE_TEST_SUITE_P(AllFormats, WellMonitorFormat,
                         ::testing::Values("BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA", "GRAY8", "I420", "NV12",
                                           "I420:bt709", "NV12:bt709", "I420:1:4:0:0", "NV12:bt2020"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == ':') c = '_';
                           return name;
                         });

// ====================================================================== messages

TEST(WellMonitorElement, AlarmAndClearMessagesCarryEveryDocumentedField) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 2u, "clear-frames", 1u, nullptr);
  Harnessed run(e);
  // A segment that makes timestamp, running time and stream time all differ.
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  seg.start = 1 * GST_SECOND;
  seg.base = 5 * GST_SECOND;
  seg.time = 100 * GST_SECOND;
  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_segment(&seg)));

  const std::vector<std::vector<const cv::Mat*>> frames = {{N(), S(), N()}, {N(), S(), N()}, {N(), N(), N()}};
  for (size_t i = 0; i < frames.size(); ++i) {
    GstBuffer* b = to_buffer(scene(frames[i]), GST_VIDEO_FORMAT_BGR);
    stamp(b, i, 1 * GST_SECOND);
    gst_buffer_unref(run.push(b));
  }
  Messages m = run.messages();
  ASSERT_EQ(m.named("wellmonitor-alarm").size(), 1u);
  ASSERT_EQ(m.named("wellmonitor-clear").size(), 1u);
  EXPECT_TRUE(m.named("wellmonitor-scores").empty()) << "post-scores is off by default";

  struct Expect {
    const char* name;
    guint64 frame;
    double score;
  };
  for (const Expect& x : {Expect{"wellmonitor-alarm", 1, g->spill_score}, Expect{"wellmonitor-clear", 2, g->normal_score}}) {
    SCOPED_TRACE(x.name);
    const GstStructure* s = m.named(x.name)[0];
    const std::map<std::string, GType> types = {
        {"well", G_TYPE_STRING}, {"score", G_TYPE_DOUBLE}, {"threshold", G_TYPE_DOUBLE},
        {"timestamp", G_TYPE_UINT64}, {"stream-time", G_TYPE_UINT64}, {"running-time", G_TYPE_UINT64},
        {"frame", G_TYPE_UINT64}, {"x", G_TYPE_INT}, {"y", G_TYPE_INT}, {"width", G_TYPE_INT}, {"height", G_TYPE_INT}};
    for (const auto& [field, type] : types) EXPECT_EQ(gst_structure_get_field_type(s, field.c_str()), type) << field;
    EXPECT_STREQ(gst_structure_get_string(s, "well"), "b");
    double score = 0, threshold = 0;
    gst_structure_get_double(s, "score", &score);
    gst_structure_get_double(s, "threshold", &threshold);
    EXPECT_NEAR(score, x.score, 1e-9);
    EXPECT_DOUBLE_EQ(threshold, g->threshold);
    const GstClockTime pts = 1 * GST_SECOND + x.frame * kFrame;
    EXPECT_EQ(u64(s, "timestamp"), pts);
    EXPECT_EQ(u64(s, "running-time"), pts - 1 * GST_SECOND + 5 * GST_SECOND);
    EXPECT_EQ(u64(s, "stream-time"), pts - 1 * GST_SECOND + 100 * GST_SECOND);
    EXPECT_EQ(u64(s, "frame"), x.frame);
    int bx = -1, by = -1, bw = -1, bh = -1;
    gst_structure_get_int(s, "x", &bx);
    gst_structure_get_int(s, "y", &by);
    gst_structure_get_int(s, "width", &bw);
    gst_structure_get_int(s, "height", &bh);
    EXPECT_EQ(cv::Rect(bx, by, bw, bh), kWells[1].box);
  }
}

TEST(WellMonitorElement, ScoresMessageListsEveryWellInLayoutOrderPerAnalysedFrame) {
  GstElement* e = make_monitor();
  g_object_set(e, "post-scores", TRUE, nullptr);
  Harnessed run(e);
  std::vector<std::vector<Roi>> metas;
  metas.push_back(run.push_scene(scene({S(), N(), &g->red}), 0));
  metas.push_back(run.push_scene(scene({N(), S(), N()}), 1));
  Messages m = run.messages();
  const auto scores = m.named("wellmonitor-scores");
  ASSERT_EQ(scores.size(), 2u);
  for (size_t f = 0; f < 2; ++f) {
    const GstStructure* s = scores[f];
    EXPECT_EQ(u64(s, "frame"), f);
    EXPECT_EQ(u64(s, "timestamp"), f * kFrame);
    EXPECT_EQ(u64(s, "running-time"), f * kFrame);
    EXPECT_EQ(u64(s, "stream-time"), f * kFrame);
    double threshold = 0;
    EXPECT_TRUE(gst_structure_get_double(s, "threshold", &threshold));
    EXPECT_DOUBLE_EQ(threshold, g->threshold);
    const GValue* wells = gst_structure_get_value(s, "wells");
    const GValue* values = gst_structure_get_value(s, "scores");
    ASSERT_TRUE(wells && GST_VALUE_HOLDS_ARRAY(wells));
    ASSERT_TRUE(values && GST_VALUE_HOLDS_ARRAY(values));
    ASSERT_EQ(gst_value_array_get_size(wells), 3u);
    ASSERT_EQ(gst_value_array_get_size(values), 3u);
    for (guint i = 0; i < 3; ++i) {
      const GValue* w = gst_value_array_get_value(wells, i);
      const GValue* v = gst_value_array_get_value(values, i);
      ASSERT_TRUE(G_VALUE_HOLDS_STRING(w));
      ASSERT_TRUE(G_VALUE_HOLDS_DOUBLE(v));
      EXPECT_STREQ(g_value_get_string(w), kWells[i].id);
      EXPECT_DOUBLE_EQ(g_value_get_double(v), metas[f][i].score);
    }
  }
  EXPECT_NEAR(metas[0][0].score, g->spill_score, 1e-9);
  EXPECT_NEAR(metas[0][2].score, g->red_score, 1e-9);
  EXPECT_NEAR(metas[1][1].score, g->spill_score, 1e-9);
}

// ====================================================================== threshold

TEST(WellMonitorElement, ThresholdChangedWhilePlayingTakesEffectOnTheNextFrame) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, "clear-frames", 1u, nullptr);
  Harnessed run(e);
  ASSERT_EQ(GST_STATE(e), GST_STATE_PLAYING);
  const cv::Mat frame = scene({N(), N(), N()});

  auto r = run.push_scene(frame, 0);
  for (const Roi& x : r) EXPECT_FALSE(x.anomaly);
  EXPECT_TRUE(run.messages().named("wellmonitor-alarm").empty());

  const double low = 0.5 * g->normal_score;  // every well is over this
  g_object_set(e, "threshold", low, nullptr);
  r = run.push_scene(frame, 1);
  for (const Roi& x : r) {
    EXPECT_TRUE(x.anomaly) << x.well;
    EXPECT_TRUE(x.alarm) << x.well;
    EXPECT_DOUBLE_EQ(x.threshold, low);
  }
  Messages m = run.messages();
  const auto alarms = m.named("wellmonitor-alarm");
  ASSERT_EQ(alarms.size(), 3u) << "one alarm per well, none lost when they start together";
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_STREQ(gst_structure_get_string(alarms[i], "well"), kWells[i].id);
    double t = 0;
    gst_structure_get_double(alarms[i], "threshold", &t);
    EXPECT_DOUBLE_EQ(t, low);
    EXPECT_EQ(u64(alarms[i], "frame"), 1u);
  }

  g_object_set(e, "threshold", -1.0, nullptr);  // back to the model's
  r = run.push_scene(frame, 2);
  for (const Roi& x : r) {
    EXPECT_FALSE(x.anomaly);
    EXPECT_DOUBLE_EQ(x.threshold, g->threshold);
  }
  EXPECT_EQ(run.messages().named("wellmonitor-clear").size(), 3u);
}

// ====================================================================== debounce

TEST(WellMonitorElement, DebounceGivesOneAlarmPerSpillAndOneClear) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 3u, "clear-frames", 2u, nullptr);
  Harnessed run(e);
  // Well a and b scripted, c always normal. S = spill patch, N = normal.
  const char* a = "NSSSSNSNNSSNNN";
  const char* b = "NSSSNNNNNNNNNN";
  // expected debounced alarm state after each frame
  const char* alarm_a = "00011111000000";
  const char* alarm_b = "00011000000000";
  const size_t n = strlen(a);
  std::vector<std::pair<std::string, guint64>> events;
  for (size_t f = 0; f < n; ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    const auto r = run.push_scene(scene({a[f] == 'S' ? S() : N(), b[f] == 'S' ? S() : N(), N()}), f);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].anomaly, a[f] == 'S');
    EXPECT_EQ(r[1].anomaly, b[f] == 'S');
    EXPECT_FALSE(r[2].anomaly);
    EXPECT_EQ(r[0].alarm, alarm_a[f] == '1');
    EXPECT_EQ(r[1].alarm, alarm_b[f] == '1');
    EXPECT_FALSE(r[2].alarm);
    Messages m = run.messages();
    for (const GstStructure* s : m.all)
      events.emplace_back(std::string(gst_structure_get_name(s)) + ":" + gst_structure_get_string(s, "well"),
                          u64(s, "frame"));
  }
  const std::vector<std::pair<std::string, guint64>> expected = {
      {"wellmonitor-alarm:a", 3}, {"wellmonitor-alarm:b", 3},  // both on the same frame
      {"wellmonitor-clear:b", 5},                              // 2 normal frames: 4, 5
      {"wellmonitor-clear:a", 8},  // frame 6 (spill) restarts the count: 7, 8
  };                               // frames 9-10: two spill frames < alarm-frames, no alarm
  EXPECT_EQ(events, expected);
}

// The rule in seconds through the element: the buffers' timestamps, not the
// frame count, decide (the same 0.2 s is 5 frames at 25/s and 3 at 12.5/s);
// smoothing-seconds averages a lone spill frame away; clear-ratio keeps the
// alarm while the score stays over its level. One well scripted, one run each.
TEST(WellMonitorElement, AlarmInSecondsSmoothingAndClearRatioFollowTheProperties) {
  // well a's script, S spill, N normal; frame f stamped at f x `frame` ns.
  auto run_script = [](const char* script, GstClockTime frame, const char* props_name, double alarm_s, double clear_s,
                       double smoothing_s, double ratio) {
    SCOPED_TRACE(props_name);
    GstElement* e = make_monitor();
    g_object_set(e, "alarm-seconds", alarm_s, "clear-seconds", clear_s, "smoothing-seconds", smoothing_s,
                 "clear-ratio", ratio, nullptr);
    Harnessed run(e);
    std::string changes;
    for (size_t f = 0; script[f]; ++f) {
      GstBuffer* b = to_buffer(scene({script[f] == 'S' ? S() : N(), N(), N()}), GST_VIDEO_FORMAT_BGR);
      GST_BUFFER_PTS(b) = f * frame;
      GST_BUFFER_DURATION(b) = frame;
      gst_buffer_unref(run.push(b));
      const Messages m = run.messages();
      for (const GstStructure* s : m.all) {
        const std::string name = gst_structure_get_name(s);
        if (name == "wellmonitor-alarm" || name == "wellmonitor-clear")
          changes += (name == "wellmonitor-alarm" ? "+" : "-") + std::to_string(u64(s, "frame")) + " ";
      }
    }
    return changes;
  };
  const GstClockTime k25 = 40 * GST_MSECOND, k12 = 80 * GST_MSECOND;
  // 0.2 s over, 0.12 s under: at 25/s frames 0-4 over and 6-8 under; at 12.5/s 0-2 and 6-7 (0.16 s)
  EXPECT_EQ(run_script("SSSSSSNNNNN", k25, "25/s", 0.2, 0.12, 0.0, 1.0), "+4 -8 ");
  EXPECT_EQ(run_script("SSSSSSNNNNN", k12, "12.5/s", 0.2, 0.12, 0.0, 1.0), "+2 -7 ");
  // one spill frame among normal ones: alarmed at once without smoothing, never with 0.4 s of it
  EXPECT_EQ(run_script("NNNNNSNNNNN", k25, "no smoothing", 0.0, 0.04, 0.0, 1.0), "+5 -6 ");
  EXPECT_EQ(run_script("NNNNNSNNNNN", k25, "smoothing", 0.0, 0.04, 0.4, 1.0), "");
  // the normal patch scores over a clear level of a tenth of its score: the alarm holds
  const double ratio = 0.1 * g->normal_score / g->threshold;
  EXPECT_EQ(run_script("SSNNNNNNNN", k25, "clear-ratio", 0.0, 0.04, 0.0, ratio), "+0 ");
}

// A model whose scores are not numbers (its weights are finite, but BatchNorm
// variances below zero make every score NaN) must not give a blind monitor that
// looks alive: every well is an anomaly, and one warning says why.
TEST(WellMonitorElement, NonFiniteScoresAreAnomaliesWithOneWarning) {
  torch::manual_seed(3);
  wellmonitor::ModelFile m;
  m.arch = "compact-ae";
  m.arch_params = {{"base", 4}, {"latent", 8}};
  m.calibration.threshold = g->threshold;
  m.calibration.method = "test";
  m.build_network();
  {
    torch::NoGradGuard ng;
    for (auto& b : m.network->named_buffers(true))
      if (b.key().find("running_var") != std::string::npos) b.value().fill_(-1.0);
  }
  const std::string path = (g->dir / "nan-scores.wmm").string();
  wellmonitor::save_model(m, path);
  ASSERT_TRUE(std::isnan(Detector::open(path, "cpu").score({g->normal})[0])) << "the model should score NaN";

  GstElement* e = make_monitor();
  g_object_set(e, "model", path.c_str(), "alarm-frames", 1u, nullptr);
  Harnessed run(e);
  for (guint64 f = 0; f < 3; ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    const auto r = run.push_scene(scene({N(), N(), N()}), f);
    ASSERT_EQ(r.size(), 3u);
    for (const auto& w : r) {
      EXPECT_TRUE(std::isnan(w.score)) << w.well;
      EXPECT_TRUE(w.anomaly) << w.well;
      EXPECT_TRUE(w.alarm) << w.well;
    }
  }
  // Every message in turn (a filtered pop would drop the others).
  int warnings = 0, alarms = 0;
  while (GstMessage* msg = gst_bus_pop(run.bus())) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
      alarms += gst_message_has_name(msg, "wellmonitor-alarm") ? 1 : 0;
      gst_message_unref(msg);
      continue;
    }
    if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_WARNING) {
      gst_message_unref(msg);
      continue;
    }
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_warning(msg, &err, &debug);
    EXPECT_NE(std::string(err->message).find("not a number"), std::string::npos) << err->message;
    EXPECT_NE(std::string(err->message).find("treated as anomalous"), std::string::npos) << err->message;
    ++warnings;
    g_error_free(err);
    g_free(debug);
    gst_message_unref(msg);
  }
  EXPECT_EQ(warnings, 1) << "one warning per start, not one per frame";
  EXPECT_EQ(alarms, 3) << "each well's alarm once, on frame 0";
}

// Warnings on a bus, their texts.
std::vector<std::string> pop_warnings(GstBus* bus) {
  std::vector<std::string> out;
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
    GError* err = nullptr;
    gst_message_parse_warning(msg, &err, nullptr);
    out.push_back(err->message);
    g_error_free(err);
    gst_message_unref(msg);
  }
  return out;
}

// Waits (up to 20 s) for a warning from the element and returns its text.
std::string wait_for_warning(GstBus* bus) {
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GST_MESSAGE_WARNING);
  if (!msg) return "";
  GError* err = nullptr;
  gst_message_parse_warning(msg, &err, nullptr);
  std::string text = err->message;
  g_error_free(err);
  gst_message_unref(msg);
  return text;
}

std::string string_property(GstElement* e, const char* name) {
  gchar* v = nullptr;
  g_object_get(e, name, &v, nullptr);
  std::string out = v ? v : "";
  g_free(v);
  return out;
}

// Pushes spill scenes (a spill in every well) until `done` holds for the
// metas that come out, at most 2000 frames 10 ms apart (the new file loads
// in the background); every frame must come out with a meta per well of the
// layout in use, old or new. Returns how many frames it took, or -1.
int push_until(Harnessed& run, guint64& frame, const std::function<bool(const std::vector<Roi>&)>& done,
               const std::function<void(const std::vector<Roi>&)>& before = nullptr) {
  for (int i = 0; i < 2000; ++i) {
    GstBuffer* b = to_buffer(scene({S(), S(), S()}), GST_VIDEO_FORMAT_BGR);
    stamp(b, frame++);
    GstBuffer* out = run.push(b);
    if (!out) return -1;
    const auto r = rois(out);
    gst_buffer_unref(out);
    if (done(r)) return i;
    if (before) before(r);
    g_usleep(10000);
  }
  return -1;
}

// Set while PLAYING, a new model and a new layout are loaded in the
// background and swapped in between two frames: the frames before the swap
// are scored by the old ones, every frame is scored, and from a later frame on
// the new threshold and the new wells are in force, announced by
// wellmonitor-reconfigured. device and threads still wait for a restart.
TEST(WellMonitorElement, ModelAndLayoutSetWhilePlayingTakeEffectOnALaterFrame) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, nullptr);
  Harnessed run(e);
  guint64 f = 0;
  ASSERT_EQ(run.push_scene(scene({S(), S(), S()}), f++)[0].threshold, g->threshold);
  pop_warnings(run.bus());
  run.messages();

  g_object_set(e, "model", g->model_b.c_str(), nullptr);
  EXPECT_EQ(string_property(e, "model"), g->model_b);
  const int took = push_until(
      run, f, [](const std::vector<Roi>& r) { return r.size() == 3 && r[0].threshold == g->threshold_b; },
      [](const std::vector<Roi>& r) {
        ASSERT_EQ(r.size(), 3u);
        EXPECT_EQ(r[0].threshold, g->threshold) << "a frame scored by neither model";
        EXPECT_TRUE(r[0].analysed);
      });
  ASSERT_GE(took, 0) << "the new model never took effect";
  Messages posted = run.messages();
  auto reconf = posted.named("wellmonitor-reconfigured");
  ASSERT_EQ(reconf.size(), 1u);
  ASSERT_NE(gst_structure_get_string(reconf[0], "model"), nullptr);
  EXPECT_EQ(std::string(gst_structure_get_string(reconf[0], "model")), g->model_b);
  EXPECT_EQ(u64(reconf[0], "frame"), f - 1) << "announced on the first frame it scored";
  // the new threshold is over every patch's score: the spill frames are normal now
  auto r = run.push_scene(scene({S(), S(), S()}), f++);
  EXPECT_FALSE(r[0].anomaly);

  g_object_set(e, "wells", g->layout_two.c_str(), nullptr);
  ASSERT_GE(push_until(run, f, [](const std::vector<Roi>& r) { return r.size() == 2; },
                       [](const std::vector<Roi>& r) { EXPECT_EQ(r.size(), 3u); }),
            0)
      << "the new layout never took effect";
  r = run.push_scene(scene({S(), S(), S()}), f++, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].well, "a");
  EXPECT_EQ(r[1].well, "c");
  EXPECT_EQ(r[1].x, 104u);
  Messages posted_later = run.messages();
  reconf = posted_later.named("wellmonitor-reconfigured");
  ASSERT_EQ(reconf.size(), 1u);
  ASSERT_NE(gst_structure_get_string(reconf[0], "wells"), nullptr);
  EXPECT_EQ(std::string(gst_structure_get_string(reconf[0], "wells")), g->layout_two);
  // downstream (wellpublish ends its alarms with reason reconfigured on it):
  // one event for the new layout, none for the new model
  std::vector<std::string> layout_events;
  while (GstEvent* ev = gst_harness_try_pull_event(run.harness())) {
    const GstStructure* s = gst_event_get_structure(ev);
    if (s && gst_structure_has_name(s, wellmonitor::kLayoutChangedEvent))
      layout_events.push_back(gst_structure_get_string(s, "wells"));
    gst_event_unref(ev);
  }
  EXPECT_EQ(layout_events, std::vector<std::string>{g->layout_two});
  EXPECT_TRUE(pop_warnings(run.bus()).empty());

  g_object_set(e, "threads", 2, nullptr);  // read at start: said so
  const auto warned = pop_warnings(run.bus());
  ASSERT_EQ(warned.size(), 1u);
  EXPECT_NE(warned[0].find("'threads' was changed while the monitor runs"), std::string::npos) << warned[0];
}

// A model or layout set while PLAYING that cannot be used is refused with a
// warning that names the file; the old one keeps scoring every frame and the
// property goes back to it.
TEST(WellMonitorElement, BadModelOrLayoutSetWhilePlayingIsRefusedAndTheOldKept) {
  GstElement* e = make_monitor();
  Harnessed run(e);
  guint64 f = 0;
  run.push_scene(scene({N(), N(), N()}), f++);
  pop_warnings(run.bus());
  const std::string corrupt = write_file("corrupt.wmm", "WELLMON\0 not a model");
  const std::string bad_layout = write_file("bad.wells", "reference 160 96\nwell a 0 0 10\n");

  struct Case {
    const char* property;
    std::string path;
    std::string keeps;
  };
  for (const Case& c : {Case{"model", corrupt, g->model}, Case{"model", "/nonexistent/other.wmm", g->model},
                        Case{"wells", bad_layout, g->layout}, Case{"wells", "/nonexistent/x.wells", g->layout}}) {
    SCOPED_TRACE(c.path);
    g_object_set(e, c.property, c.path.c_str(), nullptr);
    const std::string warning = wait_for_warning(run.bus());
    ASSERT_FALSE(warning.empty()) << "no warning for a bad " << c.property;
    EXPECT_NE(warning.find(c.path), std::string::npos) << warning;
    EXPECT_NE(warning.find("keeps '" + c.keeps + "'"), std::string::npos) << warning;
    for (int i = 0; i < 100 && string_property(e, c.property) != c.keeps; ++i) g_usleep(10000);
    EXPECT_EQ(string_property(e, c.property), c.keeps);
    const auto r = run.push_scene(scene({N(), N(), N()}), f++);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].threshold, g->threshold);
    EXPECT_TRUE(r[0].analysed);
  }
  EXPECT_TRUE(run.messages().named("wellmonitor-reconfigured").empty());
}

// Swaps of model and layout in quick succession, frames pushed all the while:
// every frame comes out with the metas of one layout or the other, nothing
// crashes, and the last request is the one in force at the end.
TEST(WellMonitorElement, RepeatedSwapsWhilePlayingLoseNoFrame) {
  GstElement* e = make_monitor();
  Harnessed run(e);
  guint64 f = 0;
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 0) g_object_set(e, "model", (i % 2 ? g->model_b : g->model).c_str(), nullptr);
    if (i % 4 == 1) g_object_set(e, "wells", (i % 8 == 1 ? g->layout_two : g->layout).c_str(), nullptr);
    GstBuffer* b = to_buffer(scene({S(), N(), S()}), GST_VIDEO_FORMAT_BGR);
    stamp(b, f++);
    GstBuffer* out = run.push(b);
    ASSERT_NE(out, nullptr) << "frame " << i << " lost";
    const auto r = rois(out);
    gst_buffer_unref(out);
    EXPECT_TRUE(r.size() == 2 || r.size() == 3) << r.size();
    if (i % 5 == 0) g_usleep(5000);
  }
  // the last requests: model_b (i = 39), three wells (i = 37); once in force they stay
  const auto last = [](const std::vector<Roi>& r) { return r.size() == 3 && r[0].threshold == g->threshold_b; };
  ASSERT_GE(push_until(run, f, last), 0);
  for (int i = 0; i < 30; ++i) {
    g_usleep(10000);
    ASSERT_TRUE(last(run.push_scene(scene({S(), N(), S()}), f++))) << "frame " << i;
  }
  EXPECT_EQ(string_property(e, "model"), g->model_b);
  EXPECT_EQ(string_property(e, "wells"), g->layout);
  EXPECT_TRUE(pop_warnings(run.bus()).empty());
}

void count_handoff(GstElement*, GstBuffer*, GstPad*, gpointer data) { ++*static_cast<int*>(data); }

guint64 field_u64(const GstStructure* s, const char* name) {
  guint64 v = G_MAXUINT64;
  EXPECT_TRUE(gst_structure_get_uint64(s, name, &v)) << name << " missing from " << gst_structure_get_name(s);
  return v;
}

// Downstream's QoS says the frames up to a running time are late: they pass
// on unanalysed (with the last scores in their metas, every frame kept), the
// first frame on time again is analysed, and the counters in the scores
// message and the EOS summary add up: analysed + skipped = frames in.
TEST(WellMonitorElement, LateFramesUnderQosPassUnanalysedAndTheNewestIsAnalysed) {
  GstElement* e = make_monitor();
  g_object_set(e, "post-scores", TRUE, nullptr);
  Harnessed run(e);
  guint64 f = 0;
  EXPECT_TRUE(run.push_scene(scene({N(), N(), N()}), f++)[0].analysed);
  // frame 0 (at 0 ms) was shown 100 ms late, reported at 40 ms: late up to 140 ms
  ASSERT_TRUE(gst_harness_push_upstream_event(
      run.harness(), gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, 100 * GST_MSECOND, 40 * GST_MSECOND)));
  for (int i = 0; i < 3; ++i) {  // 40, 80, 120 ms
    const auto r = run.push_scene(scene({S(), S(), S()}), f++);
    EXPECT_FALSE(r[0].analysed) << "frame " << f - 1;
    EXPECT_NEAR(r[0].score, g->normal_score, 1e-6) << "the last analysed scores";
  }
  const auto r = run.push_scene(scene({S(), S(), S()}), f++);  // 160 ms: on time
  EXPECT_TRUE(r[0].analysed);
  EXPECT_NEAR(r[0].score, g->spill_score, 1e-6);
  const Messages posted = run.messages();
  const auto scores = posted.named("wellmonitor-scores");
  ASSERT_EQ(scores.size(), 2u) << "one per analysed frame";
  EXPECT_EQ(field_u64(scores[1], "frame"), 4u);
  EXPECT_EQ(field_u64(scores[1], "frames-analysed"), 2u);
  EXPECT_EQ(field_u64(scores[1], "frames-skipped"), 3u);
  EXPECT_EQ(field_u64(scores[1], "frames-late"), 3u);

  // with qos off the element analyses every frame whatever downstream says
  g_object_set(e, "qos", FALSE, nullptr);
  ASSERT_TRUE(gst_harness_push_upstream_event(
      run.harness(), gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, GST_SECOND, 160 * GST_MSECOND)));
  EXPECT_TRUE(run.push_scene(scene({N(), N(), N()}), f++)[0].analysed);

  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_eos()));
  const Messages at_eos = run.messages();
  const auto summary = at_eos.named("wellmonitor-summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(field_u64(summary[0], "frames"), 6u);
  EXPECT_EQ(field_u64(summary[0], "frames-analysed"), 3u);
  EXPECT_EQ(field_u64(summary[0], "frames-skipped"), 3u);
  EXPECT_EQ(field_u64(summary[0], "frames-late"), 3u);
}

// A live camera at 100 frames/s into a deliberately slowed scorer (30 ms a
// pass) and a synchronised sink: the element falls behind, skips the late
// frames and analyses the newest; every frame reaches the sink, and at EOS
// analysed + skipped = the frames in, with some of them skipped as late.
TEST(WellMonitorPipeline, SlowScorerUnderLiveQosSkipsLateFramesAndCountsThem) {
  const int kFrames = 50;
  const std::string launch =
      "videotestsrc is-live=true num-buffers=" + std::to_string(kFrames) +
      " pattern=black ! video/x-raw,format=BGR,width=160,height=96,framerate=100/1 ! wellmonitor name=m model=\"" +
      g->model + "\" wells=\"" + g->layout + "\" device=cpu threads=1 post-scores=true ! "
      "fakesink name=out sync=true qos=true signal-handoffs=true";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &err);
  ASSERT_NE(pipeline, nullptr) << (err ? err->message : "");
  int seen = 0;
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_signal_connect(out, "handoff", G_CALLBACK(count_handoff), &seen);
  gst_object_unref(out);

  g_setenv("WELLMONITOR_SCORE_DELAY_US", "30000", TRUE);  // read when the model is opened
  GstBus* bus = gst_element_get_bus(pipeline);
  const bool started = gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND);
  g_unsetenv("WELLMONITOR_SCORE_DELAY_US");
  ASSERT_TRUE(started);
  guint64 analysed = 0, skipped = 0, late = 0, frames = 0, scores = 0;
  for (bool done = false; !done;) {
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    ASSERT_NE(msg, nullptr) << "pipeline timed out";
    if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT) {
      EXPECT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS) << "error";
      done = true;
    } else if (gst_message_has_name(msg, "wellmonitor-scores")) {
      const GstStructure* st = gst_message_get_structure(msg);
      ++scores;
      EXPECT_EQ(field_u64(st, "frames-analysed") + field_u64(st, "frames-skipped"), field_u64(st, "frame") + 1);
      EXPECT_EQ(field_u64(st, "frames-analysed"), scores);
    } else if (gst_message_has_name(msg, "wellmonitor-summary")) {
      const GstStructure* st = gst_message_get_structure(msg);
      frames = field_u64(st, "frames");
      analysed = field_u64(st, "frames-analysed");
      skipped = field_u64(st, "frames-skipped");
      late = field_u64(st, "frames-late");
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  EXPECT_EQ(frames, static_cast<guint64>(kFrames));
  EXPECT_EQ(analysed + skipped, frames);
  EXPECT_EQ(analysed, scores);
  EXPECT_GT(late, 0u) << "a 30 ms scorer kept up with 100 frames/s";
  EXPECT_EQ(late, skipped) << "interval 1: every skipped frame was late";
  EXPECT_GT(analysed, 1u);
  EXPECT_EQ(seen, kFrames) << "every frame reaches the sink";
}

// A flushing seek (FLUSH_START, FLUSH_STOP) forgets every well's debounce:
// frames over the threshold before it do not count towards an alarm after
// it, a well in alarm ends (reason stopped: playback jumped), and is
// reported again.
TEST(WellMonitorElement, FlushStopResetsTheDebounce) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 3u, "clear-frames", 1u, nullptr);
  Harnessed run(e);
  auto flush = [&] {
    ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_flush_start()));
    ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_flush_stop(TRUE)));
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_segment(&segment)));
  };
  guint64 f = 0;
  run.push_scene(scene({S(), N(), N()}), f++);
  run.push_scene(scene({S(), N(), N()}), f++);
  flush();
  // two spill frames before the flush and two after: not three in a row
  EXPECT_FALSE(run.push_scene(scene({S(), N(), N()}), f++)[0].alarm);
  EXPECT_FALSE(run.push_scene(scene({S(), N(), N()}), f++)[0].alarm);
  EXPECT_TRUE(run.messages().named("wellmonitor-alarm").empty());
  EXPECT_TRUE(run.push_scene(scene({S(), N(), N()}), f++)[0].alarm);
  ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);

  flush();
  const auto r = run.push_scene(scene({N(), N(), N()}), f++);
  EXPECT_FALSE(r[0].alarm);
  EXPECT_TRUE(r[0].analysed);
  Messages ended = run.messages();
  ASSERT_EQ(ended.named("wellmonitor-clear").size(), 1u) << "the flush ends the alarm, once";
  EXPECT_STREQ(gst_structure_get_string(ended.named("wellmonitor-clear")[0], "reason"), "stopped");
  for (int i = 0; i < 3; ++i) run.push_scene(scene({S(), N(), N()}), f++);
  EXPECT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u) << "the well is reported again";
}

// A buffer flagged DISCONT (frames lost before it) restarts every well's
// count of consecutive frames (an alarm in progress stays open: see
// DroppedFramesADiscontinuityAndALateFrameDuringAnAlarmGiveOneAlarmAndOneEnd).
TEST(WellMonitorElement, DiscontinuityResetsTheDebounce) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 3u, nullptr);
  Harnessed run(e);
  run.push_scene(scene({S(), S(), N()}), 0);
  run.push_scene(scene({S(), S(), N()}), 1);
  GstBuffer* b = to_buffer(scene({S(), S(), N()}), GST_VIDEO_FORMAT_BGR);
  stamp(b, 5);
  GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
  GstBuffer* out = run.push(b);
  const auto r = rois(out);
  gst_buffer_unref(out);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].anomaly);
  EXPECT_FALSE(r[0].alarm) << "the third spill frame follows a gap: the count starts again";
  EXPECT_FALSE(r[1].alarm);
  EXPECT_TRUE(run.messages().named("wellmonitor-alarm").empty());
  run.push_scene(scene({S(), S(), N()}), 6);
  EXPECT_TRUE(run.push_scene(scene({S(), S(), N()}), 7)[0].alarm);
  EXPECT_EQ(run.messages().named("wellmonitor-alarm").size(), 2u);
}

// ====================================================================== controlled threshold

// A control binding on `threshold` takes effect: before each buffer the
// element brings it to the buffer's stream time.
TEST(WellMonitorElement, ControlledThresholdFollowsItsControlSourceByStreamTime) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, "clear-frames", 1u, nullptr);
  GstControlSource* cs = gst_interpolation_control_source_new();
  g_object_set(cs, "mode", GST_INTERPOLATION_MODE_NONE, nullptr);  // steps
  const double low = 0.5 * g->normal_score;                         // every well is over this
  auto* tv = GST_TIMED_VALUE_CONTROL_SOURCE(cs);
  gst_timed_value_control_source_set(tv, 0, g->threshold);
  gst_timed_value_control_source_set(tv, 2 * kFrame, low);
  gst_timed_value_control_source_set(tv, 4 * kFrame, g->threshold);
  ASSERT_TRUE(gst_object_add_control_binding(GST_OBJECT(e),
                                             gst_direct_control_binding_new_absolute(GST_OBJECT(e), "threshold", cs)));
  gst_object_unref(cs);
  Harnessed run(e);
  const cv::Mat frame = scene({N(), N(), N()});
  const bool over[6] = {false, false, true, true, false, false};
  for (guint64 f = 0; f < 6; ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    const auto r = run.push_scene(frame, f);
    ASSERT_EQ(r.size(), 3u);
    for (const Roi& x : r) {
      EXPECT_EQ(static_cast<bool>(x.anomaly), over[f]);
      EXPECT_DOUBLE_EQ(x.threshold, over[f] ? low : g->threshold);
    }
  }
  Messages m = run.messages();
  EXPECT_EQ(m.named("wellmonitor-alarm").size(), 3u);
  EXPECT_EQ(m.named("wellmonitor-clear").size(), 3u);
  gdouble now = 0;
  g_object_get(e, "threshold", &now, nullptr);
  EXPECT_DOUBLE_EQ(now, g->threshold) << "the property holds the controlled value";
}

TEST(WellMonitorElement, IntervalAnalysesEveryNthFrameAndCarriesScoresBetween) {
  GstElement* e = make_monitor();
  g_object_set(e, "interval", 3u, "post-scores", TRUE, "alarm-frames", 1u, nullptr);
  Harnessed run(e);
  std::vector<std::vector<Roi>> r;
  // The spill appears on frame 1, is first seen on frame 3 (analysed).
  for (guint64 f = 0; f < 7; ++f) r.push_back(run.push_scene(scene({N(), f >= 1 ? S() : N(), N()}), f));
  Messages m = run.messages();
  const auto scores = m.named("wellmonitor-scores");
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_EQ(u64(scores[0], "frame"), 0u);
  EXPECT_EQ(u64(scores[1], "frame"), 3u);
  EXPECT_EQ(u64(scores[2], "frame"), 6u);
  const auto alarms = m.named("wellmonitor-alarm");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(u64(alarms[0], "frame"), 3u);
  for (guint64 f = 0; f < 7; ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    ASSERT_EQ(r[f].size(), 3u) << "metas on every frame, analysed or not";
    EXPECT_EQ(static_cast<bool>(r[f][1].analysed), f % 3 == 0);
    EXPECT_EQ(static_cast<bool>(r[f][1].anomaly), f >= 3);
    EXPECT_NEAR(r[f][1].score, f >= 3 ? g->spill_score : g->normal_score, 1e-9);
  }
}

// ====================================================================== always on

namespace {

// Sends a serialised custom event downstream into the element, as the runner does.
void send_camera_event(Harnessed& run, const char* name, const char* reason = nullptr) {
  GstStructure* s = gst_structure_new_empty(name);
  if (reason) gst_structure_set(s, "reason", G_TYPE_STRING, reason, nullptr);
  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s)));
}

// The names of the events that came out of the element since the last call.
std::vector<std::string> pulled_events(Harnessed& run) {
  std::vector<std::string> names;
  while (GstEvent* ev = gst_harness_try_pull_event(run.harness())) {
    if (const GstStructure* s = gst_event_get_structure(ev)) names.push_back(gst_structure_get_name(s));
    else names.push_back(GST_EVENT_TYPE_NAME(ev));
    gst_event_unref(ev);
  }
  return names;
}

std::string reason_of(const GstStructure* s) {
  const char* r = gst_structure_get_string(s, "reason");
  return r ? r : "(none)";
}

}  // namespace

// The runner's camera-lost event: the alarm in progress ends with reason
// camera-lost, the loss is posted with its reason and the time fields, the
// event goes on downstream, and no frame raises an alarm until camera-back.
TEST(WellMonitorElement, ALostCameraEndsTheOpenAlarmAndNoAlarmIsRaisedUntilItIsBack) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 2u, "clear-frames", 2u, nullptr);
  Harnessed run(e);
  guint64 f = 0;
  run.push_scene(scene({S(), N(), N()}), f++);
  run.push_scene(scene({S(), N(), N()}), f++);
  ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);
  pulled_events(run);

  send_camera_event(run, "wellmonitor-camera-lost", "no-frames");
  Messages lost = run.messages();
  const auto clears = lost.named("wellmonitor-clear");
  ASSERT_EQ(clears.size(), 1u);
  EXPECT_STREQ(gst_structure_get_string(clears[0], "well"), "a");
  EXPECT_EQ(reason_of(clears[0]), "camera-lost");
  const auto posted = lost.named("wellmonitor-camera-lost");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(reason_of(posted[0]), "no-frames");
  EXPECT_EQ(u64(posted[0], "frame"), 1u) << "the last frame seen before the loss";
  EXPECT_EQ(u64(posted[0], "timestamp"), kFrame);
  for (const char* field : {"stream-time", "running-time"}) EXPECT_EQ(u64(posted[0], field), kFrame) << field;
  EXPECT_EQ(pulled_events(run), std::vector<std::string>{"wellmonitor-camera-lost"}) << "forwarded downstream";

  // frames during the loss (a frozen camera's last picture): passed on, never alarmed
  for (int i = 0; i < 4; ++i) {
    const auto r = run.push_scene(scene({S(), S(), N()}), f++);
    EXPECT_FALSE(r[0].alarm);
    EXPECT_FALSE(r[0].analysed);
  }
  EXPECT_TRUE(run.messages().named("wellmonitor-alarm").empty());

  send_camera_event(run, "wellmonitor-camera-back");
  Messages back = run.messages();
  ASSERT_EQ(back.named("wellmonitor-camera-back").size(), 1u);
  EXPECT_EQ(pulled_events(run), std::vector<std::string>{"wellmonitor-camera-back"});
  run.push_scene(scene({S(), N(), N()}), f++);
  EXPECT_TRUE(run.push_scene(scene({S(), N(), N()}), f++)[0].alarm) << "a spill after the return alarms";
  EXPECT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);
}

// At EOS every alarm still open ends with reason stopped, posted before the
// EOS goes on; at a stop without EOS the same.
TEST(WellMonitorElement, AlarmsOpenAtEosOrAtAStopEndWithReasonStopped) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, "clear-frames", 1u, nullptr);
  {
    Harnessed run(e);
    run.push_scene(scene({S(), N(), S()}), 0);
    ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 2u);
    pulled_events(run);
    ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_eos()));
    Messages m = run.messages();
    const auto clears = m.named("wellmonitor-clear");
    ASSERT_EQ(clears.size(), 2u);
    for (const GstStructure* s : clears) EXPECT_EQ(reason_of(s), "stopped");
    EXPECT_STREQ(gst_structure_get_string(clears[0], "well"), "a");
    EXPECT_STREQ(gst_structure_get_string(clears[1], "well"), "c");
    ASSERT_EQ(m.all.size(), 3u);
    EXPECT_STREQ(gst_structure_get_name(m.all[2]), "wellmonitor-summary") << "the ends come first";
    EXPECT_EQ(pulled_events(run), std::vector<std::string>{"eos"});
  }
  GstElement* e2 = make_monitor();
  g_object_set(e2, "alarm-frames", 1u, nullptr);
  Harnessed run(e2);
  run.push_scene(scene({N(), S(), N()}), 0);
  ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);
  ASSERT_EQ(gst_element_set_state(e2, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  Messages m = run.messages();
  const auto clears = m.named("wellmonitor-clear");
  ASSERT_EQ(clears.size(), 1u);
  EXPECT_EQ(reason_of(clears[0]), "stopped");
  EXPECT_STREQ(gst_structure_get_string(clears[0], "well"), "b");
  EXPECT_EQ(u64(clears[0], "frame"), 0u);
}

// The seen bug, through the element: during one spill, frames dropped upstream,
// a buffer flagged DISCONT and a frame downstream reports late give exactly one
// alarm and one end, and `frame` counts the buffers the element received.
TEST(WellMonitorElement, DroppedFramesADiscontinuityAndALateFrameDuringAnAlarmGiveOneAlarmAndOneEnd) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 3u, "clear-frames", 3u, nullptr);
  Harnessed run(e);
  std::vector<std::pair<std::string, guint64>> seen;
  auto push = [&](const cv::Mat* a, guint64 pts_index, bool discont) {
    GstBuffer* b = to_buffer(scene({a, N(), N()}), GST_VIDEO_FORMAT_BGR);
    stamp(b, pts_index);
    if (discont) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
    GstBuffer* out = run.push(b);
    const auto r = rois(out);
    gst_buffer_unref(out);
    Messages m = run.messages();
    for (const GstStructure* s : m.all)
      if (gst_structure_has_name(s, "wellmonitor-alarm") || gst_structure_has_name(s, "wellmonitor-clear"))
        seen.emplace_back(std::string(gst_structure_get_name(s)) + ":" + reason_of(s), u64(s, "frame"));
    return r;
  };
  for (guint64 i = 0; i < 4; ++i) push(S(), i, false);  // alarm on the 3rd: frame 2
  push(S(), 7, true);                                    // frames 4-6 lost upstream: DISCONT
  push(S(), 8, false);
  // downstream: everything up to frame 9's time is late
  ASSERT_TRUE(gst_harness_push_upstream_event(
      run.harness(), gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, kFrame, 8 * kFrame)));
  EXPECT_FALSE(push(S(), 9, false)[0].analysed) << "late: not analysed";
  push(S(), 10, false);
  push(S(), 12, false);  // one more frame dropped, no flag
  for (guint64 i = 13; i < 17; ++i) push(N(), i, false);  // seen normal: clear on the 3rd
  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_eos()));
  Messages at_eos = run.messages();
  EXPECT_TRUE(at_eos.named("wellmonitor-clear").empty()) << "nothing left open at EOS";
  // buffers in: 0-3 (4), 7, 8, 9, 10, 12 (5), 13-15 (3): the clear is the 12th buffer
  const std::vector<std::pair<std::string, guint64>> expected = {{"wellmonitor-alarm:(none)", 2},
                                                                {"wellmonitor-clear:normal", 11}};
  EXPECT_EQ(seen, expected);
}

// A flushing seek ends the alarms in progress, each with reason stopped (the
// event contract's "playback jumped").
TEST(WellMonitorElement, AFlushEndsTheAlarmInProgressWithReasonStopped) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, nullptr);
  Harnessed run(e);
  run.push_scene(scene({S(), N(), N()}), 0);
  ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);
  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_flush_start()));
  ASSERT_TRUE(gst_harness_push_event(run.harness(), gst_event_new_flush_stop(TRUE)));
  Messages m = run.messages();
  const auto clears = m.named("wellmonitor-clear");
  ASSERT_EQ(clears.size(), 1u);
  EXPECT_EQ(reason_of(clears[0]), "stopped");
}

// ====================================================================== stream shape

namespace {

const std::string kPlantLayout = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";

// Errors posted by the element while one black frame of w x h is pushed; the flow.
struct ShapeOutcome {
  GstFlowReturn flow = GST_FLOW_OK;
  std::vector<std::string> errors;
  size_t metas = 0;
};
ShapeOutcome push_shape(int w, int h, bool stretch) {
  GstElement* e = make_monitor();
  g_object_set(e, "wells", kPlantLayout.c_str(), "stretch", stretch, nullptr);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  GstHarness* h_ = gst_harness_new_with_element(e, "sink", "src");
  gst_harness_set_src_caps_str(h_, caps_for(GST_VIDEO_FORMAT_BGR, w, h).c_str());
  GstBuffer* b = to_buffer(cv::Mat(h, w, CV_8UC3, cv::Scalar(30, 30, 30)), GST_VIDEO_FORMAT_BGR);
  stamp(b, 0);
  ShapeOutcome o;
  o.flow = gst_harness_push(h_, b);
  if (o.flow == GST_FLOW_OK) {
    GstBuffer* out = gst_harness_pull(h_);
    o.metas = rois(out).size();
    gst_buffer_unref(out);
  }
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    o.errors.push_back(err->message);
    g_error_free(err);
    gst_message_unref(msg);
  }
  gst_harness_teardown(h_);
  gst_element_set_bus(e, nullptr);
  gst_object_unref(bus);
  gst_object_unref(e);
  return o;
}

}  // namespace

// The plant's layout is drawn on 1920x1200 (16:10): a 16:9 stream would put
// every box beside its well, so it is refused with one line that says what to
// do; a smaller stream of the same shape is scaled; stretch=true accepts it.
TEST(WellMonitorElement, AStreamOfAnotherShapeThanTheLayoutIsRefusedWithOneLine) {
  const ShapeOutcome wide = push_shape(1920, 1080, false);
  EXPECT_EQ(wide.flow, GST_FLOW_NOT_NEGOTIATED);
  ASSERT_EQ(wide.errors.size(), 1u);
  const std::string& line = wide.errors[0];
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  for (const char* part : {"1920x1080", "1920x1200", "casting-table.wells.txt", "stretch=true"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " not in: " << line;

  const ShapeOutcome small = push_shape(960, 600, false);
  EXPECT_EQ(small.flow, GST_FLOW_OK);
  EXPECT_TRUE(small.errors.empty()) << small.errors[0];
  EXPECT_EQ(small.metas, 42u);

  const ShapeOutcome stretched = push_shape(1920, 1080, true);
  EXPECT_EQ(stretched.flow, GST_FLOW_OK);
  EXPECT_TRUE(stretched.errors.empty()) << stretched.errors[0];
  EXPECT_EQ(stretched.metas, 42u);
}

// ====================================================================== obscured camera

// With a reference frame: a camera that shows nothing (covered: a flat dark
// picture) for obscured-time seconds is reported obscured with its measures,
// the alarm in progress ends with reason camera-obscured, no alarm is raised
// while it lasts, and once the view is back it is reported and alarms resume.
TEST(WellMonitorElement, AnObscuredCameraEndsTheOpenAlarmAndSuppressesAlarmsUntilItClears) {
  const std::string reference = (g->dir / "reference.png").string();
  ASSERT_TRUE(cv::imwrite(reference, scene({N(), N(), N()})));
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, "clear-frames", 5u, "reference-frame", reference.c_str(), "obscured-time", 1.0,
               nullptr);
  Harnessed run(e);
  const cv::Mat covered(kHeight, kWidth, CV_8UC3, cv::Scalar(20, 20, 20));
  const cv::Mat spilling = scene({S(), N(), N()});
  guint64 f = 0;
  run.push_scene(spilling, f++);
  ASSERT_EQ(run.messages().named("wellmonitor-alarm").size(), 1u);
  pulled_events(run);
  // covered: frames every 0.2 s (stamp() is 40 ms a frame: skip indices). Until
  // it is reported the model scores the flat wells, and may alarm on them.
  std::vector<guint64> obscured_at;
  std::set<std::string> open = {"a"};
  for (int i = 0; i < 12; ++i, f += 5) {
    run.push_scene(covered, f);
    Messages m = run.messages();
    for (const GstStructure* s : m.named("wellmonitor-alarm")) {
      EXPECT_TRUE(obscured_at.empty()) << "an alarm while obscured";
      open.insert(gst_structure_get_string(s, "well"));
    }
    for (const GstStructure* s : m.named("wellmonitor-camera-obscured")) {
      obscured_at.push_back(f);
      double contrast = -1, ref_contrast = -1, sharpness = -1, ref_sharpness = -1;
      gst_structure_get_double(s, "contrast", &contrast);
      gst_structure_get_double(s, "reference-contrast", &ref_contrast);
      gst_structure_get_double(s, "sharpness", &sharpness);
      gst_structure_get_double(s, "reference-sharpness", &ref_sharpness);
      EXPECT_DOUBLE_EQ(contrast, 0.0);
      EXPECT_DOUBLE_EQ(sharpness, 0.0);
      EXPECT_GT(ref_contrast, 10.0);
      EXPECT_GT(ref_sharpness, 1.0);
      EXPECT_EQ(reason_of(s), "contrast 0.00 and sharpness 0.00 of the reference frame's");
      // every alarm open then ends, with its reason
      std::set<std::string> ended;
      for (const GstStructure* c : m.named("wellmonitor-clear")) {
        EXPECT_EQ(reason_of(c), "camera-obscured");
        ended.insert(gst_structure_get_string(c, "well"));
      }
      EXPECT_EQ(ended, open);
    }
  }
  ASSERT_EQ(obscured_at.size(), 1u) << "once";
  EXPECT_EQ(pulled_events(run), std::vector<std::string>{"wellmonitor-camera-obscured"}) << "told downstream too";
  // while obscured a spill raises nothing
  run.push_scene(spilling, f);
  f += 5;
  EXPECT_TRUE(run.messages().named("wellmonitor-alarm").empty());
  // the view is back: unobscured after a second, then the spill alarms
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i, f += 5) {
    run.push_scene(spilling, f);
    Messages m = run.messages();
    for (const GstStructure* s : m.all) names.push_back(gst_structure_get_name(s));
  }
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(names[0], "wellmonitor-camera-unobscured");
  EXPECT_EQ(names[1], "wellmonitor-alarm");
  EXPECT_EQ(pulled_events(run), std::vector<std::string>{"wellmonitor-camera-unobscured"}) << "told downstream too";
}

// ====================================================================== resolution change

TEST(WellMonitorElement, ResolutionChangeMidStreamRescalesTheBoxes) {
  GstElement* e = make_monitor();
  g_object_set(e, "alarm-frames", 1u, nullptr);
  Harnessed run(e);
  auto r = run.push_scene(scene({N(), S(), N()}), 0);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].x, 56u);
  EXPECT_EQ(r[1].w, 32u);

  run.set_caps(caps_for(GST_VIDEO_FORMAT_BGR, 2 * kWidth, 2 * kHeight));
  run.messages();
  // The same scene at twice the size: wells a and c normal, b still the spill.
  r = run.push_scene(scene({S(), N(), N()}, 2 * kWidth, 2 * kHeight), 1);
  ASSERT_EQ(r.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(kWells[i].id);
    EXPECT_EQ(r[i].x, 2u * kWells[i].box.x);
    EXPECT_EQ(r[i].y, 2u * kWells[i].box.y);
    EXPECT_EQ(r[i].w, 2u * kPatch);
    EXPECT_EQ(r[i].h, 2u * kPatch);
  }
  // The crops followed the boxes: the spill pasted into well a is seen in a.
  EXPECT_TRUE(r[0].anomaly);
  EXPECT_FALSE(r[1].anomaly);
  EXPECT_FALSE(r[2].anomaly);
  EXPECT_NEAR(r[1].score, g->normal_score, 1e-9) << "a flat crop scores the same at any size";
  Messages m = run.messages();
  const auto alarms = m.named("wellmonitor-alarm");
  ASSERT_EQ(alarms.size(), 1u);
  int x = 0, w = 0;
  gst_structure_get_int(alarms[0], "x", &x);
  gst_structure_get_int(alarms[0], "width", &w);
  EXPECT_EQ(x, 2 * kWells[0].box.x);
  EXPECT_EQ(w, 2 * kPatch);
}

// ====================================================================== bad inputs

namespace {

struct BadInput {
  const char* name;
  // sets the bad property on an otherwise good element
  std::function<void(GstElement*)> configure;
  std::vector<std::string> expected;  // substrings of the error message + debug
  std::string must_name;              // a file the error message itself names
  std::vector<std::string> unexpected = {};  // substrings that must not appear
};

void expect_start_fails(const BadInput& bad) {
  SCOPED_TRACE(bad.name);
  GstElement* e = make_monitor();
  bad.configure(e);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_NE(msg, nullptr) << "a failed start must say why on the bus";
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  EXPECT_EQ(err->domain, GST_RESOURCE_ERROR);
  EXPECT_EQ(GST_MESSAGE_SRC(msg), GST_OBJECT(e));
  const std::string text = std::string(err->message) + "\n" + (debug ? debug : "");
  if (!bad.must_name.empty()) {
    EXPECT_NE(std::string(err->message).find(bad.must_name), std::string::npos) << text;
  }
  for (const auto& s : bad.expected) EXPECT_NE(text.find(s), std::string::npos) << "'" << s << "' not in: " << text;
  for (const auto& s : bad.unexpected) EXPECT_EQ(text.find(s), std::string::npos) << "'" << s << "' in: " << text;
  g_error_free(err);
  g_free(debug);
  gst_message_unref(msg);
  gst_element_set_state(e, GST_STATE_NULL);
  gst_element_set_bus(e, nullptr);
  gst_object_unref(bus);
  gst_object_unref(e);
}

void set_str(GstElement* e, const char* prop, const std::string& v) { g_object_set(e, prop, v.c_str(), nullptr); }

}  // namespace

TEST(WellMonitorElement, MissingModelFailsTheStartNamingTheFile) {
  const std::string path = (g->dir / "no-such-model.wmm").string();
  expect_start_fails({"missing model", [&](GstElement* e) { set_str(e, "model", path); }, {"does not exist"}, path});
}

TEST(WellMonitorElement, CorruptModelFailsTheStartNamingTheFileAndReason) {
  const std::string garbage = write_file("garbage.wmm", "this is not a model file, just text\n");
  expect_start_fails({"garbage model", [&](GstElement* e) { set_str(e, "model", garbage); }, {"bad magic"}, garbage});
  // a real model cut in half
  std::ifstream in(g->model, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = write_file("truncated.wmm", bytes.substr(0, bytes.size() / 2));
  expect_start_fails({"truncated model", [&](GstElement* e) { set_str(e, "model", truncated); }, {"truncated"}, truncated});
}

TEST(WellMonitorElement, MissingLayoutFailsTheStartNamingTheFile) {
  const std::string path = (g->dir / "no-such.wells").string();
  expect_start_fails({"missing layout", [&](GstElement* e) { set_str(e, "wells", path); }, {"does not exist"}, path});
  expect_start_fails({"no layout", [&](GstElement* e) { g_object_set(e, "wells", nullptr, nullptr); }, {"'wells'"}, ""});
}

TEST(WellMonitorElement, MalformedLayoutFailsTheStartNamingFileLineAndWell) {
  const std::string p = write_file("malformed.wells", "reference 160 96\nwell a 8 40 32 32\nwell b 56 40 32\n");
  expect_start_fails({"malformed", [&](GstElement* e) { set_str(e, "wells", p); }, {p + ":3", "well 'b'"}, p});
  const std::string syntax = write_file("syntax.wells", "reference 160 96\nwel a 8 40 32 32\n");
  expect_start_fails({"syntax", [&](GstElement* e) { set_str(e, "wells", syntax); }, {syntax + ":2", "unknown statement"}, syntax});
  const std::string empty = write_file("empty.wells", "# nothing\n");
  expect_start_fails({"empty", [&](GstElement* e) { set_str(e, "wells", empty); }, {"empty"}, empty});
}

TEST(WellMonitorElement, OutOfFrameBoxFailsTheStartNamingFileLineAndWell) {
  const std::string p = write_file("outside.wells", "reference 160 96\nwell a 8 40 32 32\nwell edge 140 40 32 32\n");
  expect_start_fails({"outside", [&](GstElement* e) { set_str(e, "wells", p); }, {p + ":3", "well 'edge'", "outside"}, p});
}

TEST(WellMonitorElement, DuplicateWellIdsFailTheStartNamingFileLineAndWell) {
  const std::string p =
      write_file("dup.wells", "reference 160 96\nwell a 8 40 32 32\nwell b 56 40 32 32\nwell a 104 40 32 32\n");
  expect_start_fails({"duplicate", [&](GstElement* e) { set_str(e, "wells", p); }, {p + ":4", "well 'a'", "duplicate"}, p});
}

TEST(WellMonitorElement, UnknownOrMissingDeviceFailsTheStartSayingWhy) {
  expect_start_fails({"unknown device", [&](GstElement* e) { set_str(e, "device", "tpu"); }, {"unknown device 'tpu'"}, g->model});
  if (!torch::cuda::is_available())
    expect_start_fails({"no cuda", [&](GstElement* e) { set_str(e, "device", "cuda"); }, {"CUDA is not available"}, g->model});
}

// The element's own hint, not the trainer's --device option.
TEST(WellMonitorElement, NoCudaErrorHintsAtTheDeviceProperty) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is available here: device=cuda starts";
  expect_start_fails({"no cuda hint", [&](GstElement* e) { set_str(e, "device", "cuda"); },
                      {"CUDA is not available", "set the element's device property to cpu or auto"}, g->model,
                      {"--device"}});
}

TEST(WellMonitorElement, ReportsTheActiveDeviceOnceStarted) {
  GstElement* e = make_monitor();
  Harnessed run(e);
  gchar* active = nullptr;
  g_object_get(e, "active-device", &active, nullptr);
  EXPECT_STREQ(active, "cpu");
  g_free(active);
}

// ====================================================================== end to end

// wellmonitor and welloverlay in one harness: the overlay draws what the
// monitor found, amber on the first spill frame and red once in alarm.
TEST(WellMonitorPipeline, OverlayDrawsTheMonitorsVerdicts) {
  const std::string launch = "wellmonitor model=\"" + g->model + "\" wells=\"" + g->layout +
                             "\" device=cpu alarm-frames=2 ! welloverlay show-labels=false show-scores=false";
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  ASSERT_NE(h, nullptr);
  gst_harness_set_src_caps_str(h, caps_for(GST_VIDEO_FORMAT_BGRx).c_str());
  auto pixel = [](GstBuffer* b, int x, int y) {
    GstMapInfo map;
    EXPECT_TRUE(gst_buffer_map(b, &map, GST_MAP_READ));
    const guint8* p = map.data + y * kWidth * 4 + x * 4;
    cv::Vec3b v(p[0], p[1], p[2]);
    gst_buffer_unmap(b, &map);
    return v;
  };
  const cv::Vec3b green(0, 200, 0), amber(0, 176, 255), red(0, 0, 255);  // BGR
  for (int f = 0; f < 2; ++f) {
    GstBuffer* b = to_buffer(scene({N(), S(), N()}), GST_VIDEO_FORMAT_BGRx);
    stamp(b, f);
    ASSERT_EQ(gst_harness_push(h, b), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    const cv::Rect a = kWells[0].box, bb = kWells[1].box;
    EXPECT_EQ(pixel(out, a.x, a.y + a.height / 2), green) << "frame " << f;
    EXPECT_EQ(pixel(out, bb.x, bb.y + bb.height / 2), f == 0 ? amber : red) << "frame " << f;
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}

namespace {

struct Seen {
  int buffers = 0;
  cv::Vec4b edge;  // left edge of well a (BGRx at twice the layout size), last frame
};

void on_handoff(GstElement*, GstBuffer* b, GstPad* pad, gpointer data) {
  auto* s = static_cast<Seen*>(data);
  GstVideoInfo info;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  gst_video_info_from_caps(&info, caps);
  gst_caps_unref(caps);
  GstVideoFrame f;
  if (gst_video_frame_map(&f, &info, b, GST_MAP_READ)) {
    const int x = 2 * kWells[0].box.x, y = 2 * (kWells[0].box.y + kPatch / 2);
    const guint8* p = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) +
                      y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0) + 4 * x;
    s->edge = cv::Vec4b(p[0], p[1], p[2], p[3]);
    gst_video_frame_unmap(&f);
  }
  s->buffers++;
}

}  // namespace

// A real pipeline with system elements: videotestsrc, videoconvert (I420 in),
// a tee with the overlay (drawing on I420) on one branch; every frame is
// scored, every well alarms once (threshold 0), the overlay sees the metas
// after the tee and queue, and nothing fails.
TEST(WellMonitorPipeline, RunsInARealPipelineWithTeeAndOverlay) {
  const std::string launch =
      "videotestsrc num-buffers=12 pattern=ball ! video/x-raw,width=320,height=192,framerate=25/1 ! videoconvert ! "
      "video/x-raw,format=I420 ! wellmonitor name=m model=\"" + g->model + "\" wells=\"" + g->layout +
      "\" device=cpu post-scores=true threshold=0 alarm-frames=2 ! tee name=t "
      "t. ! queue ! welloverlay ! videoconvert ! video/x-raw,format=BGRx ! fakesink name=out signal-handoffs=true "
      "t. ! queue ! fakesink";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &err);
  ASSERT_NE(pipeline, nullptr) << (err ? err->message : "");
  ASSERT_EQ(err, nullptr) << err->message;

  Seen seen;
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_signal_connect(out, "handoff", G_CALLBACK(on_handoff), &seen);
  gst_object_unref(out);

  GstBus* bus = gst_element_get_bus(pipeline);
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  int scores = 0, alarms = 0;
  bool done = false;
  while (!done) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
                                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
                                                                             GST_MESSAGE_ELEMENT));
    ASSERT_NE(msg, nullptr) << "pipeline timed out";
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ERROR: {
        GError* e = nullptr;
        gchar* dbg = nullptr;
        gst_message_parse_error(msg, &e, &dbg);
        ADD_FAILURE() << e->message << "\n" << (dbg ? dbg : "");
        g_error_free(e);
        g_free(dbg);
        done = true;
        break;
      }
      case GST_MESSAGE_EOS:
        done = true;
        break;
      default:
        if (gst_message_has_name(msg, "wellmonitor-scores")) {
          const GValue* v = gst_structure_get_value(gst_message_get_structure(msg), "scores");
          EXPECT_EQ(gst_value_array_get_size(v), 3u);
          ++scores;
        }
        if (gst_message_has_name(msg, "wellmonitor-alarm")) ++alarms;
        break;
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  EXPECT_EQ(scores, 12);
  EXPECT_EQ(alarms, 3);
  EXPECT_EQ(seen.buffers, 12);
  // well a drawn red (in alarm) on I420 after the tee, then converted to BGRx
  EXPECT_LT(seen.edge[0], 40) << seen.edge;
  EXPECT_LT(seen.edge[1], 40) << seen.edge;
  EXPECT_GT(seen.edge[2], 215) << seen.edge;
}
