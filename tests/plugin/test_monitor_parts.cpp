// wellmonitor's parts behind its glue, without a pipeline: the frame schedule
// (frame-schedule.h), the properties (monitor-properties.h) and the core
// (monitor-core.h) driven frame by frame with a host that records what it
// posts, on a tiny model made here whose threshold lies between the score of a
// flat grey well and that of a noisy one.

#include "frame-schedule.h"
#include "monitor-core.h"
#include "monitor-properties.h"

#include "support/tiny_model.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace wm = wellmonitor;

namespace {

constexpr int kWidth = 160;  // the stream, and the layout's reference
constexpr int kHeight = 96;
constexpr int kPatch = 32;
constexpr GstClockTime kMs = GST_MSECOND;
constexpr GstClockTime kFrame = 40 * kMs;
const cv::Rect kBoxes[2] = {{8, 40, kPatch, kPatch}, {104, 40, kPatch, kPatch}};

struct Shared {
  fs::path dir;
  std::string model, layout;
  cv::Mat normal, spill;  // 32x32 BGR patches that score under and over the threshold
};
Shared* g = nullptr;

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    g = new Shared();
    std::string tmpl = (fs::temp_directory_path() / "wellmonitor-parts-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    g->dir = tmpl;
    // no plugin is needed: a private registry that scans nothing
    g_setenv("GST_REGISTRY", (g->dir / "registry.bin").c_str(), TRUE);
    g_setenv("GST_PLUGIN_SYSTEM_PATH", (g->dir / "none").c_str(), TRUE);
    g_setenv("GST_PLUGIN_PATH", (g->dir / "none").c_str(), TRUE);
    gst_init(nullptr, nullptr);

    const wellmonitor_test::TinyModel tiny = wellmonitor_test::make_tiny_model((g->dir / "tiny.wmm").string(), kPatch);
    ASSERT_GT(tiny.spill_score, 1.05 * tiny.normal_score) << "test patches too alike for this seed";
    g->model = tiny.path;
    g->normal = tiny.normal;
    g->spill = tiny.spill;

    g->layout = (g->dir / "two.wells").string();
    std::ofstream(g->layout) << "reference 160 96\nwell a 8 40 32 32\nwell b 104 40 32 32\n";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g->dir, ec);
    delete g;
    g = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new Environment);

// What the core posted, in order.
struct Report {
  GstMessageType type;
  GQuark domain;
  gint code;
  std::string text, debug;
};

class RecordingHost : public wm::MonitorHost {
 public:
  ~RecordingHost() override { clear(); }
  void post(GstStructure* s) override { posted.push_back(s); }
  void report(GstMessageType type, GQuark domain, gint code, const std::string& text,
              const std::string& debug) override {
    reports.push_back({type, domain, code, text, debug});
  }
  void revert(wm::ReloadKind, const std::string&, const std::string&) override { ++reverts; }
  void push_event(GstEvent* event) override {
    const GstStructure* s = gst_event_get_structure(event);
    events.push_back(s ? gst_structure_get_name(s) : GST_EVENT_TYPE_NAME(event));
    gst_event_unref(event);
  }

  // The names of the structures posted since the last call, "name:well" for alarms and clears.
  std::vector<std::string> take_names() {
    std::vector<std::string> out;
    for (GstStructure* s : posted) {
      std::string n = gst_structure_get_name(s);
      if (const char* w = gst_structure_get_string(s, "well")) n += std::string(":") + w;
      out.push_back(n);
    }
    clear();
    return out;
  }
  void clear() {
    for (GstStructure* s : posted) gst_structure_free(s);
    posted.clear();
  }

  std::vector<GstStructure*> posted;
  std::vector<Report> reports;
  std::vector<std::string> events;  // pushed downstream
  int reverts = 0;
};

// A 160x96 BGR frame with the given patch in each well (nullptr: background).
GstBuffer* frame_buffer(const cv::Mat* a, const cv::Mat* b, guint64 index) {
  cv::Mat img(kHeight, kWidth, CV_8UC3, cv::Scalar(40, 50, 60));
  if (a) a->copyTo(img(kBoxes[0]));
  if (b) b->copyTo(img(kBoxes[1]));
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, img.total() * 3, nullptr);
  gst_buffer_fill(buf, 0, img.data, img.total() * 3);  // 160*3 is a multiple of 4: no row padding
  GST_BUFFER_PTS(buf) = index * kFrame;
  GST_BUFFER_DURATION(buf) = kFrame;
  return buf;
}

GstVideoInfo stream_info(int w = kWidth, int h = kHeight) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGR, w, h);
  GST_VIDEO_INFO_FPS_N(&info) = 25;
  GST_VIDEO_INFO_FPS_D(&info) = 1;
  return info;
}

// A started core on the two-well layout, and the stream's segment.
class Core : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_segment_init(&segment_, GST_FORMAT_TIME);
    props_.model = g->model;
    props_.wells = g->layout;
    props_.device = std::string("cpu");
    props_.threads = 1;
    settings_.rule.alarm_frames = 2;
    settings_.rule.clear_frames = 2;
    settings_.rule.clear_ratio = 1.0;  // the tiny model's normal patch scores over half its threshold
  }
  bool start() {
    if (!core_.start(props_)) return false;
    const GstVideoInfo info = stream_info();
    return core_.set_info(&info, false);
  }
  // Pushes one frame; returns the flow.
  GstFlowReturn push(const cv::Mat* a, const cv::Mat* b, guint flags = 0) {
    GstBuffer* buf = frame_buffer(a, b, index_++);
    GST_BUFFER_FLAG_SET(buf, flags);
    GstVideoInfo info = stream_info();
    GstVideoFrame frame;
    // as GstVideoFilter maps it: no extra reference, so the metas can be added
    EXPECT_TRUE(gst_video_frame_map(&frame, &info, buf,
                                    static_cast<GstMapFlags>(GST_MAP_READWRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)));
    const GstFlowReturn r = core_.frame(&frame, settings_, &segment_, true);
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(buf);
    return r;
  }

  RecordingHost host_;
  wm::MonitorCore core_{host_, GST_CAT_DEFAULT, nullptr};
  wm::MonitorProperties props_;
  wm::FrameSettings settings_;
  GstSegment segment_;
  guint64 index_ = 0;
};

const cv::Mat* N() { return &g->normal; }
const cv::Mat* S() { return &g->spill; }

}  // namespace

// ============================================================ frame schedule

TEST(FrameSchedule, AnalysesTheFirstFrameThenEveryNth) {
  wm::FrameSchedule s;
  std::string analysed;
  bool have_scores = false;
  for (int i = 0; i < 7; ++i) {
    const wm::FrameTurn t = s.next(i * kFrame, 3, have_scores, true);
    EXPECT_EQ(t.index, static_cast<guint64>(i));
    analysed += t.analyse ? 'A' : '-';
    have_scores = have_scores || t.analyse;
  }
  EXPECT_EQ(analysed, "A--A--A");
  EXPECT_EQ(s.counters().frames, 7u);
  EXPECT_EQ(s.counters().analysed, 3u);
  EXPECT_EQ(s.counters().skipped, 4u);
  EXPECT_EQ(s.counters().late, 0u);
}

TEST(FrameSchedule, SkipsFramesQosReportsLateUntilOneIsOnTime) {
  wm::FrameSchedule s;
  EXPECT_TRUE(s.next(0, 1, false, true).analyse);
  s.qos(100 * GST_MSECOND, 40 * kMs);  // late up to 140 ms
  EXPECT_EQ(s.earliest(), 140 * kMs);
  for (GstClockTime t : {40 * kMs, 80 * kMs, 120 * kMs, 140 * kMs}) {
    const wm::FrameTurn turn = s.next(t, 1, true, true);
    EXPECT_FALSE(turn.analyse) << t;
    EXPECT_TRUE(turn.late) << t;
  }
  EXPECT_TRUE(s.next(160 * kMs, 1, true, true).analyse);
  EXPECT_FALSE(s.next(10 * kMs, 1, true, false).late) << "qos off: nothing is late";
  EXPECT_TRUE(s.next(10 * kMs, 1, false, true).analyse) << "no scores yet: analysed whatever QoS says";
  const wm::FrameCounters& c = s.counters();
  EXPECT_EQ(c.frames, 8u);
  EXPECT_EQ(c.analysed + c.skipped, c.frames);
  EXPECT_EQ(c.late, 4u);
  s.flush();
  EXPECT_EQ(s.earliest(), GST_CLOCK_TIME_NONE);
  s.qos(-GST_SECOND, 10 * kMs);  // earlier than the start: clamped
  EXPECT_EQ(s.earliest(), 0u);
}

// ============================================================ properties

TEST(MonitorProperties, DefaultsAreTheDocumentedOnes) {
  const wm::MonitorProperties p;
  EXPECT_FALSE(p.wells.has_value());
  EXPECT_EQ(p.device.value_or(""), "auto");
  EXPECT_DOUBLE_EQ(p.threshold, -1.0);
  EXPECT_DOUBLE_EQ(p.alarm_seconds, 0.75);
  EXPECT_DOUBLE_EQ(p.clear_seconds, 2.0);
  EXPECT_DOUBLE_EQ(p.smoothing_seconds, 0.0);
  EXPECT_DOUBLE_EQ(p.clear_ratio, 0.5);
  EXPECT_EQ(p.alarm_frames, 0u) << "0: the rule in seconds";
  EXPECT_EQ(p.clear_frames, 0u);
  EXPECT_EQ(p.interval, 1u);
  EXPECT_FALSE(p.post_scores);
  EXPECT_EQ(p.threads, 0);
  EXPECT_FALSE(p.reference_frame.has_value());
  EXPECT_DOUBLE_EQ(p.shift_interval, 5.0);
  EXPECT_DOUBLE_EQ(p.shift_tolerance, 4.0);
  EXPECT_DOUBLE_EQ(p.shift_min_confidence, 0.15);
  EXPECT_FALSE(p.follow_shift);
}

TEST(MonitorProperties, SetAndGetGiveBackWhatWasSetNullIncluded) {
  wm::MonitorProperties p;
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_STRING);
  g_value_set_string(&v, "table.wells");
  ASSERT_TRUE(wm::set_monitor_property(p, wm::PROP_WELLS, &v));
  EXPECT_EQ(p.wells.value_or(""), "table.wells");
  g_value_set_string(&v, nullptr);
  ASSERT_TRUE(wm::set_monitor_property(p, wm::PROP_DEVICE, &v));
  EXPECT_FALSE(p.device.has_value());
  GValue out = G_VALUE_INIT;
  g_value_init(&out, G_TYPE_STRING);
  ASSERT_TRUE(wm::get_monitor_property(p, wm::PROP_DEVICE, &out));
  EXPECT_EQ(g_value_get_string(&out), nullptr);
  ASSERT_TRUE(wm::get_monitor_property(p, wm::PROP_WELLS, &out));
  EXPECT_STREQ(g_value_get_string(&out), "table.wells");
  g_value_unset(&out);
  g_value_unset(&v);

  g_value_init(&v, G_TYPE_DOUBLE);
  g_value_set_double(&v, 2.5);
  ASSERT_TRUE(wm::set_monitor_property(p, wm::PROP_SHIFT_INTERVAL, &v));
  g_value_unset(&v);
  g_value_init(&v, G_TYPE_UINT);
  g_value_set_uint(&v, 7);
  ASSERT_TRUE(wm::set_monitor_property(p, wm::PROP_ALARM_FRAMES, &v));
  EXPECT_FALSE(wm::set_monitor_property(p, 999, &v)) << "an unknown id";
  g_value_unset(&v);

  const wm::FrameSettings f = p.frame_settings();
  EXPECT_EQ(f.rule.alarm_frames, 7u);
  EXPECT_EQ(f.shift.interval, 2500 * kMs);
  EXPECT_DOUBLE_EQ(f.threshold, -1.0);
}

TEST(MonitorProperties, ARefusedFileIsRevertedOnlyWhileThePropertyStillNamesIt) {
  wm::MonitorProperties p;
  p.wells = std::string("new.wells");
  EXPECT_FALSE(p.revert(wm::PROP_WELLS, "other.wells", "old.wells"));
  EXPECT_EQ(p.wells.value_or(""), "new.wells");
  EXPECT_TRUE(p.revert(wm::PROP_WELLS, "new.wells", "old.wells"));
  EXPECT_EQ(p.wells.value_or(""), "old.wells");
  p.model = std::string("bad.wmm");
  EXPECT_TRUE(p.revert(wm::PROP_MODEL, "bad.wmm", "good.wmm"));
  EXPECT_EQ(p.model.value_or(""), "good.wmm");
}

// ============================================================ the core

TEST_F(Core, AMissingLayoutFailsTheStartWithOneErrorNamingIt) {
  props_.wells = (g->dir / "missing.wells").string();
  EXPECT_FALSE(core_.start(props_));
  ASSERT_EQ(host_.reports.size(), 1u);
  const Report& r = host_.reports[0];
  EXPECT_EQ(r.type, GST_MESSAGE_ERROR);
  EXPECT_EQ(r.domain, GST_RESOURCE_ERROR);
  EXPECT_EQ(r.code, GST_RESOURCE_ERROR_NOT_FOUND);
  EXPECT_NE(r.text.find("missing.wells"), std::string::npos) << r.text;
  EXPECT_FALSE(core_.started());
}

TEST_F(Core, CapsBeforeTheStartAreRefusedWithOneError) {
  const GstVideoInfo info = stream_info();
  EXPECT_FALSE(core_.set_info(&info, false));
  ASSERT_EQ(host_.reports.size(), 1u);
  EXPECT_EQ(host_.reports[0].type, GST_MESSAGE_ERROR);
  EXPECT_EQ(host_.reports[0].domain, GST_CORE_ERROR);
  EXPECT_EQ(host_.reports[0].code, GST_CORE_ERROR_NEGOTIATION);
  EXPECT_NE(host_.reports[0].debug.find("before the element was started"), std::string::npos);
}

TEST_F(Core, OneSpillGivesOneAlarmAndOneClearWithTheWellsBox) {
  ASSERT_TRUE(start());
  const char* a = "NSSSNNN";  // alarm on frame 2, clear on frame 5 (2 frames each)
  std::vector<std::string> seen;
  for (const char* c = a; *c; ++c) {
    ASSERT_EQ(push(*c == 'S' ? S() : N(), N()), GST_FLOW_OK);
    for (const auto& n : host_.take_names()) seen.push_back(n + "@" + std::to_string(index_ - 1));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"wellmonitor-alarm:a@2", "wellmonitor-clear:a@5"}));
  EXPECT_TRUE(host_.reports.empty());
  EXPECT_EQ(core_.schedule().counters().analysed, 7u);
}

TEST_F(Core, ACameraLostEndsTheOpenAlarmAndNoFrameIsAnalysedUntilItIsBack) {
  ASSERT_TRUE(start());
  push(S(), N());
  push(S(), N());
  ASSERT_EQ(host_.take_names(), std::vector<std::string>{"wellmonitor-alarm:a"});
  core_.camera_lost("no-frames");
  ASSERT_EQ(host_.posted.size(), 2u);
  EXPECT_STREQ(gst_structure_get_string(host_.posted[0], "reason"), "camera-lost");
  EXPECT_STREQ(gst_structure_get_name(host_.posted[1]), "wellmonitor-camera-lost");
  EXPECT_STREQ(gst_structure_get_string(host_.posted[1], "reason"), "no-frames");
  guint64 frame = 99;
  gst_structure_get_uint64(host_.posted[1], "frame", &frame);
  EXPECT_EQ(frame, 1u) << "the last frame received";
  host_.clear();
  const guint64 analysed = core_.schedule().counters().analysed;
  for (int i = 0; i < 5; ++i) push(S(), S());
  EXPECT_TRUE(host_.take_names().empty()) << "no alarm from frames during a loss";
  EXPECT_EQ(core_.schedule().counters().analysed, analysed);
  core_.camera_back();
  EXPECT_EQ(host_.take_names(), std::vector<std::string>{"wellmonitor-camera-back"});
  push(S(), N());
  push(S(), N());
  EXPECT_EQ(host_.take_names(), std::vector<std::string>{"wellmonitor-alarm:a"}) << "counted afresh after the return";
}

TEST_F(Core, AGapDuringASpillNeitherEndsTheAlarmNorRaisesItAgain) {
  ASSERT_TRUE(start());
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) push(S(), N());
  push(S(), N(), GST_BUFFER_FLAG_DISCONT);
  push(S(), N());
  push(S(), N(), GST_BUFFER_FLAG_DISCONT);
  for (int i = 0; i < 3; ++i) push(N(), N());
  core_.eos();
  for (const auto& n : host_.take_names()) seen.push_back(n);
  EXPECT_EQ(seen, (std::vector<std::string>{"wellmonitor-alarm:a", "wellmonitor-clear:a", "wellmonitor-summary"}));
}

TEST_F(Core, AlarmsOpenAtEosEndWithReasonStoppedBeforeTheSummary) {
  ASSERT_TRUE(start());
  push(S(), S());
  push(S(), S());
  host_.clear();
  core_.eos();
  ASSERT_EQ(host_.posted.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_STREQ(gst_structure_get_name(host_.posted[i]), "wellmonitor-clear");
    EXPECT_STREQ(gst_structure_get_string(host_.posted[i], "reason"), "stopped");
  }
  EXPECT_STREQ(gst_structure_get_name(host_.posted[2]), "wellmonitor-summary");
  host_.clear();
  core_.stop();
  EXPECT_TRUE(host_.posted.empty()) << "nothing left to end at the stop";
}

TEST(StreamShape, OnlyAStreamOfTheLayoutsAspectRatioWithinOnePercentFits) {
  wm::WellLayout plant;
  plant.origin = "casting-table.wells.txt";
  plant.ref_width = 1920;
  plant.ref_height = 1200;
  EXPECT_EQ(wm::aspect_mismatch(plant, 960, 600), "");
  EXPECT_EQ(wm::aspect_mismatch(plant, 1920, 1200), "");
  EXPECT_EQ(wm::aspect_mismatch(plant, 1918, 1200), "") << "0.1%";
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{1920, 1080}, {1280, 720}, {720, 1280}, {1920, 1170}}) {
    const std::string why = wm::aspect_mismatch(plant, w, h);
    EXPECT_NE(why.find(std::to_string(w) + "x" + std::to_string(h)), std::string::npos) << why;
    EXPECT_NE(why.find("1920x1200"), std::string::npos) << why;
    EXPECT_NE(why.find("casting-table.wells.txt"), std::string::npos) << why;
  }
}

TEST_F(Core, AStreamOfAnotherShapeIsRefusedWithOneErrorHoweverOftenItIsOffered) {
  ASSERT_TRUE(core_.start(props_));
  const GstVideoInfo wide = stream_info(160, 90);  // 16:9 against 160x96 (5:3)
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(core_.set_info(&wide, false));
  ASSERT_EQ(host_.reports.size(), 1u);
  EXPECT_EQ(host_.reports[0].domain, GST_CORE_ERROR);
  EXPECT_EQ(host_.reports[0].code, GST_CORE_ERROR_NEGOTIATION);
  EXPECT_EQ(host_.reports[0].text.find('\n'), std::string::npos);
  EXPECT_NE(host_.reports[0].text.find("stretch=true"), std::string::npos) << host_.reports[0].text;
  EXPECT_TRUE(core_.set_info(&wide, true)) << "stretch=true accepts it";
  const GstVideoInfo twice = stream_info(320, 192);
  EXPECT_TRUE(core_.set_info(&twice, false)) << "the same shape at another size";
  EXPECT_EQ(host_.reports.size(), 1u);
}

TEST_F(Core, TheSummaryAtEosCountsTheFramesIn) {
  ASSERT_TRUE(start());
  settings_.interval = 2;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(push(N(), N()), GST_FLOW_OK);
  host_.clear();
  core_.eos();
  ASSERT_EQ(host_.posted.size(), 1u);
  const GstStructure* s = host_.posted[0];
  EXPECT_STREQ(gst_structure_get_name(s), "wellmonitor-summary");
  guint64 frames = 0, analysed = 0, skipped = 0;
  gst_structure_get_uint64(s, "frames", &frames);
  gst_structure_get_uint64(s, "frames-analysed", &analysed);
  gst_structure_get_uint64(s, "frames-skipped", &skipped);
  EXPECT_EQ(frames, 5u);
  EXPECT_EQ(analysed, 3u);
  EXPECT_EQ(skipped, 2u);
}

// ----------------------------------------------------------------- shelving

TEST(Shelving, ReadsAListOfWellsSeparatedByCommasOrSpacesWithoutRepeats) {
  EXPECT_EQ(wm::parse_well_list(" r1w4, r2w9 r1w4,,"), (std::vector<std::string>{"r1w4", "r2w9"}));
  EXPECT_TRUE(wm::parse_well_list("").empty());
  wm::Shelving s;
  s.set_list("r1w4 r2w9");
  s.request({"r3w1", true, "anna", "cracked"});
  s.request({"r1w4", false, "anna", ""});
  EXPECT_EQ(s.list(), "r2w9,r3w1") << "the property reads what is shelved now";
}

TEST(Shelving, AppliesEachChangeOnceWithWhoAskedAndReportsAnUnknownWellOnce) {
  wm::AlarmLifecycle alarms;
  alarms.set_wells({"a", "b"});
  wm::Shelving s;
  s.request({"b", true, "anna", "out of use"});
  s.request({"zz", true, "anna", ""});
  wm::ShelveOutcome o = s.apply(alarms);
  ASSERT_EQ(o.changes.size(), 1u);
  EXPECT_EQ(o.changes[0].well, "b");
  EXPECT_TRUE(o.changes[0].shelved);
  EXPECT_EQ(o.changes[0].by, "anna");
  EXPECT_EQ(o.changes[0].note, "out of use");
  EXPECT_EQ(o.unknown, std::vector<std::string>{"zz"});
  o = s.apply(alarms);
  EXPECT_TRUE(o.changes.empty() && o.unknown.empty()) << "nothing new: nothing to say";
  s.set_list("");
  o = s.apply(alarms);
  ASSERT_EQ(o.changes.size(), 1u);
  EXPECT_FALSE(o.changes[0].shelved);
  EXPECT_EQ(o.changes[0].by, "property");
}

TEST(Shelving, TheShelveEventCarriesWhoWhyAndSinceWhenWhenGiven) {
  GstEvent* ev = wm::shelve_event_new({"r2w9", true, "anna", "cylinder removed", 1796623200LL * 1000000});
  wm::ShelveRequest r;
  ASSERT_TRUE(wm::shelve_event_parse(ev, r));
  gst_event_unref(ev);
  EXPECT_EQ(r.well, "r2w9");
  EXPECT_TRUE(r.shelved);
  EXPECT_EQ(r.by, "anna");
  EXPECT_EQ(r.note, "cylinder removed");
  EXPECT_EQ(r.since_us, 1796623200LL * 1000000);
  ev = wm::shelve_event_new({"r2w9", false, "ben", ""});
  ASSERT_TRUE(wm::shelve_event_parse(ev, r));
  gst_event_unref(ev);
  EXPECT_FALSE(r.shelved);
  EXPECT_EQ(r.since_us, 0) << "a command's: now";
}

// A shelve and a put-back of one well between two frames (two operators, or a
// monitor starting: the wells shelved before its restart and a command at that
// moment) are two changes, each said with who asked, not none; two shelves of
// one well are one change, said with the last one's words (as wellpublish
// publishes them).
TEST(Shelving, AShelveAndAPutBackBetweenTwoFramesAreBothApplied) {
  wm::AlarmLifecycle alarms;
  alarms.set_wells({"a", "b"});
  wm::Shelving s;
  s.request({"b", true, "anna", "out of use"});
  s.request({"b", false, "ben", "new cylinder"});
  wm::ShelveOutcome o = s.apply(alarms);
  ASSERT_EQ(o.changes.size(), 2u);
  EXPECT_TRUE(o.changes[0].shelved);
  EXPECT_EQ(o.changes[0].by, "anna");
  EXPECT_FALSE(o.changes[1].shelved);
  EXPECT_EQ(o.changes[1].by, "ben");
  EXPECT_EQ(o.changes[1].note, "new cylinder");
  EXPECT_FALSE(alarms.well(1).shelved);
  EXPECT_TRUE(s.apply(alarms).changes.empty());
  s.request({"b", true, "anna", "during alarm"});
  s.request({"b", true, "carl", "again"});
  o = s.apply(alarms);
  ASSERT_EQ(o.changes.size(), 1u);
  EXPECT_EQ(o.changes[0].by, "carl");
  EXPECT_EQ(o.changes[0].note, "again");

  // before the layout's wells are known, the requests wait for them
  wm::AlarmLifecycle later;
  wm::Shelving t;
  t.request({"a", true, "anna", ""});
  EXPECT_TRUE(t.apply(later).changes.empty());
  later.set_wells({"a"});
  o = t.apply(later);
  ASSERT_EQ(o.changes.size(), 1u);
  EXPECT_EQ(o.changes[0].by, "anna");
  EXPECT_TRUE(later.well(0).shelved);
}

TEST_F(Core, AShelvedWellEndsItsAlarmWithReasonShelvedAndRaisesNoneUntilPutBack) {
  ASSERT_TRUE(start());
  push(S(), N());
  push(S(), N());
  ASSERT_EQ(host_.take_names(), std::vector<std::string>{"wellmonitor-alarm:a"});
  // as wellpublish sends it up from an operator's command
  GstEvent* ev = wm::shelve_event_new({"a", true, "anna", "cracked cylinder"});
  wm::ShelveRequest r;
  ASSERT_TRUE(wm::shelve_event_parse(ev, r));
  gst_event_unref(ev);
  core_.shelving().request(r);
  push(S(), N());
  ASSERT_EQ(host_.posted.size(), 2u);
  EXPECT_STREQ(gst_structure_get_name(host_.posted[0]), "wellmonitor-clear");
  EXPECT_STREQ(gst_structure_get_string(host_.posted[0], "reason"), "shelved");
  EXPECT_STREQ(gst_structure_get_name(host_.posted[1]), "wellmonitor-shelved");
  EXPECT_STREQ(gst_structure_get_string(host_.posted[1], "by"), "anna");
  EXPECT_STREQ(gst_structure_get_string(host_.posted[1], "text"), "SHELVED well=a by=anna note=\"cracked cylinder\"");
  host_.clear();
  for (int i = 0; i < 4; ++i) push(S(), N());
  EXPECT_TRUE(host_.take_names().empty()) << "a shelved well raises no alarm";
  core_.shelving().set_list("");
  push(S(), N());
  push(S(), N());
  EXPECT_EQ(host_.take_names(), (std::vector<std::string>{"wellmonitor-shelved:a", "wellmonitor-alarm:a"}))
      << "put back while spilling: alarmed again";
}

TEST_F(Core, ShelvingAWellTheLayoutLacksIsOneWarningNamingIt) {
  ASSERT_TRUE(start());
  core_.shelving().set_list("a, nope");
  push(N(), N());
  push(N(), N());
  ASSERT_EQ(host_.reports.size(), 1u);
  EXPECT_EQ(host_.reports[0].type, GST_MESSAGE_WARNING);
  EXPECT_NE(host_.reports[0].text.find("No well 'nope'"), std::string::npos) << host_.reports[0].text;
}
