// wellpublish's streaming-thread part (plugin/wellpublish/well-events.h)
// without a pipeline: buffers with well metas and camera events in, the
// publisher's messages out. An alarm and its clear are one message each on
// the well's topic with one event id and the clear's reason; a gap in the
// frames neither ends nor repeats an alarm; an end without a frame (stopped,
// camera lost) is a clear without a snapshot, then the camera's message; an
// analysed frame's scores are one droppable message; a meta of no layout's
// well is left out. Every message matches its JSON Schema. A session (start
// to stop, session.h) hands them to the publisher in order, ends what is open
// at its stop, and leaves what it could not deliver to the next one.

#include "session.h"
#include "well-events.h"

#include "support/json_schema.h"
#include "well-meta.h"
#include "wellmonitor/camera_events.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

using json = nlohmann::json;
using wellmonitor::WellResult;
using wellpublish::Message;

namespace {

constexpr int kWidth = 64, kHeight = 48;

WellResult well(int index, const char* id, double score, bool alarm, bool analysed = true) {
  WellResult w;
  w.index = index;
  w.id = id;
  w.named = true;
  w.x = 8 + 20 * index;
  w.y = 10;
  w.width = 12;
  w.height = 10;
  w.score = score;
  w.threshold = 0.5;
  w.anomaly = score > 0.5;
  w.alarm = alarm;
  w.analysed = analysed;
  return w;
}

class WellEvents : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override {
    gst_segment_init(&segment_, GST_FORMAT_TIME);
    s_.topic = "plant/line1";
    s_.qos = 2;
    s_.event.camera = "cam1";
    events_.reset();
  }

  // One BGR frame with `wells` as metas, fed to the part (DISCONT: after a gap).
  std::vector<Message> feed(const std::vector<WellResult>& wells, bool discont = false) {
    std::vector<Message> out;
    with_frame(wells, discont, [&](const GstVideoFrame* f) { out = events_.frame(f, &segment_, s_, wall_us_); });
    return out;
  }

  // Calls `use` with one BGR frame carrying `wells` as metas; the clocks move on.
  void with_frame(const std::vector<WellResult>& wells, bool discont,
                  const std::function<void(const GstVideoFrame*)>& use) {
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGR, kWidth, kHeight);
    GstBuffer* buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
    gst_buffer_memset(buffer, 0, 90, GST_VIDEO_INFO_SIZE(&info));
    GST_BUFFER_PTS(buffer) = pts_;
    pts_ += GST_SECOND / 12;
    if (discont) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    for (const WellResult& w : wells) wellmonitor::well_meta_add(buffer, w);
    GstVideoFrame frame;
    EXPECT_TRUE(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ));
    use(&frame);
    wall_us_ += 83333;
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(buffer);
  }

  // The message's JSON, rendered as the publisher's thread renders it.
  static json rendered(Message m) {
    if (m.prepare) m.prepare(m);
    return json::parse(m.payload);
  }

  wellpublish::WellEvents events_;
  wellpublish::Settings s_;
  GstSegment segment_;
  GstClockTime pts_ = 0;
  gint64 wall_us_ = 1796128988363000;
};

}  // namespace

TEST_F(WellEvents, AnAlarmAndItsClearAreOneMessageEachWithOneEventId) {
  EXPECT_TRUE(feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.2, false)}).empty());
  std::vector<Message> m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.9, true)});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/events/r1w2");
  EXPECT_EQ(m[0].qos, 2);
  EXPECT_FALSE(m[0].droppable) << "an alarm is never dropped";
  const json alarm = rendered(m[0]);
  EXPECT_EQ(alarm["kind"], "alarm");
  EXPECT_EQ(alarm["camera"], "cam1");
  EXPECT_EQ(alarm["well"], "r1w2");
  EXPECT_EQ(alarm["event_id"], "cam1:r1w2:1796128988446");
  EXPECT_EQ(alarm["seq"], 1);
  EXPECT_EQ(alarm["frame"], 1);
  EXPECT_EQ(alarm["box"], json({{"x", 28}, {"y", 10}, {"width", 12}, {"height", 10}}));
  EXPECT_NEAR(alarm["stream_time"].get<double>(), 1.0 / 12, 1e-9);
  EXPECT_FALSE(alarm.contains("reason"));
  EXPECT_EQ(m[0].time_us, 1796128988446333) << "a sent event says how late it is from this";
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(alarm.dump(), 0.01)), "event.schema.json");
  // the snapshot: the well widened by half its size each side, inside the frame
  const std::string b64 = alarm["snapshot"]["data"];
  gsize n = 0;
  guchar* bytes = g_base64_decode(b64.c_str(), &n);
  const cv::Mat snap = cv::imdecode(std::vector<uchar>(bytes, bytes + n), cv::IMREAD_COLOR);
  g_free(bytes);
  EXPECT_EQ(snap.size(), cv::Size(24, 20));

  EXPECT_TRUE(feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.8, true)}).empty()) << "still the same alarm";
  m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.2, false)});
  ASSERT_EQ(m.size(), 1u);
  const json clear = rendered(m[0]);
  EXPECT_EQ(clear["kind"], "clear");
  EXPECT_EQ(clear["reason"], "normal");
  EXPECT_EQ(clear["event_id"], alarm["event_id"]);
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(clear.dump(), 0.01)), "event.schema.json");
  EXPECT_EQ(clear["seq"], 2);
  EXPECT_EQ(clear["frame"], 3);
  EXPECT_EQ(events_.frames(), 4u);
}

TEST_F(WellEvents, AGapInTheFramesNeitherEndsNorRepeatsAnAlarm) {
  ASSERT_EQ(feed({well(0, "a", 0.9, true)}).size(), 1u);
  EXPECT_TRUE(feed({well(0, "a", 0.9, true)}, true).empty()) << "the same alarm after a DISCONT";
  const std::vector<Message> m = feed({well(0, "a", 0.1, false)});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(rendered(m[0])["reason"], "normal");
}

TEST_F(WellEvents, AStopEndsEachAlarmOnceWithoutASnapshot) {
  feed({well(0, "a", 0.9, true), well(1, "b", 0.1, false), well(2, "c", 0.8, true)});
  const std::vector<Message> m = events_.end_all(wellmonitor::AlarmEnd::kStopped, s_, wall_us_ + 5000000);
  ASSERT_EQ(m.size(), 2u);
  const json a = rendered(m[0]), c = rendered(m[1]);
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/events/a");
  EXPECT_EQ(a["kind"], "clear");
  EXPECT_EQ(a["reason"], "stopped");
  EXPECT_EQ(a["well"], "a");
  EXPECT_EQ(c["well"], "c");
  EXPECT_FALSE(a.contains("snapshot")) << "no frame shows the well";
  EXPECT_EQ(a["box"]["x"], 8) << "the well's last box";
  EXPECT_DOUBLE_EQ(a["score"].get<double>(), 0.9);
  EXPECT_EQ(a["time"], wellpublish::iso8601(wall_us_ + 5000000)) << "when it ended";
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(a.dump(), 0)), "event.schema.json");
  EXPECT_TRUE(events_.end_all(wellmonitor::AlarmEnd::kStopped, s_, wall_us_).empty()) << "one end each";
  EXPECT_TRUE(feed({well(0, "a", 0.1, false), well(1, "b", 0.1, false), well(2, "c", 0.1, false)}).empty())
      << "no second end when the well is seen normal";
}

TEST_F(WellEvents, ACameraLostEndsTheAlarmsThenSaysSoAndItsReturnSaysForHowLong) {
  feed({well(0, "a", 0.9, true)});
  std::vector<Message> m = events_.camera("lost", "no-frames", s_, wall_us_);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(rendered(m[0])["reason"], "camera-lost");
  EXPECT_EQ(m[1].topic, "plant/line1/cam1/camera");
  EXPECT_FALSE(m[1].droppable);
  const json lost = rendered(m[1]);
  EXPECT_EQ(lost["kind"], "lost");
  EXPECT_EQ(lost["reason"], "no-frames");
  EXPECT_EQ(lost["camera"], "cam1");
  EXPECT_EQ(lost["seq"], 3);
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(lost.dump(), 0)), "camera.schema.json");
  m = events_.camera("back", "", s_, wall_us_ + 12500000);
  ASSERT_EQ(m.size(), 1u);
  const json back = rendered(m[0]);
  EXPECT_EQ(back["kind"], "back");
  EXPECT_FALSE(back.contains("reason"));
  EXPECT_DOUBLE_EQ(back["down_s"].get<double>(), 12.5);
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(back.dump(), 0)), "camera.schema.json");
  // still spilling when the camera is back: a new alarm, with a new event id
  m = feed({well(0, "a", 0.9, true)});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(rendered(m[0])["kind"], "alarm");
  // obscured ends alarms the same way
  m = events_.camera("obscured", "", s_, wall_us_);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(rendered(m[0])["reason"], "camera-obscured");
  EXPECT_EQ(rendered(m[1])["kind"], "obscured");
  m = events_.camera("unobscured", "", s_, wall_us_ + 3000000);
  ASSERT_EQ(m.size(), 1u);
  const json clear_view = rendered(m[0]);
  EXPECT_EQ(clear_view["kind"], "unobscured");
  EXPECT_DOUBLE_EQ(clear_view["down_s"].get<double>(), 3.0);
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(clear_view.dump(), 0)),
                                          "camera.schema.json");
}

TEST_F(WellEvents, AMovedCameraSaysHowFarAndEndsNoAlarm) {
  feed({well(0, "a", 0.9, true)});
  wellpublish::CameraShift shift;
  shift.dx = 20.04;
  shift.dy = -9.96;
  shift.confidence = 0.6234;
  std::vector<Message> m = events_.camera("moved", "", s_, wall_us_, &shift);
  ASSERT_EQ(m.size(), 1u) << "the alarm goes on: no clear";
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/camera");
  const json moved = rendered(m[0]);
  EXPECT_EQ(moved["kind"], "moved");
  EXPECT_DOUBLE_EQ(moved["dx"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(moved["dy"].get<double>(), -10.0);
  EXPECT_DOUBLE_EQ(moved["confidence"].get<double>(), 0.623);
  EXPECT_EQ(moved["followed"], false);
  EXPECT_FALSE(moved.contains("down_s"));
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(moved.dump(), 0)), "camera.schema.json");
}

TEST_F(WellEvents, AnAnalysedFrameGivesOneDroppableScoresMessage) {
  s_.publish_scores = true;
  std::vector<Message> m = feed({well(0, "a", 0.25, false), well(1, "b", 0.75, false)});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/scores");
  EXPECT_TRUE(m[0].droppable);
  const json j = rendered(m[0]);
  EXPECT_EQ(j["kind"], "scores");
  EXPECT_EQ(j["scores"], json({{"a", 0.25}, {"b", 0.75}}));
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(j.dump(), 0)), "scores.schema.json");
  // values carried over from the last analysed frame are not published again
  EXPECT_TRUE(feed({well(0, "a", 0.25, false, false), well(1, "b", 0.75, false, false)}).empty());
}

TEST_F(WellEvents, WellsOfNoLayoutAreLeftOutAndEveryBufferIsCounted) {
  std::vector<Message> m = feed({well(-1, "stray", 0.9, true), well(2, "r1w3", 0.9, true)});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/events/r1w3");
  EXPECT_EQ(rendered(m[0])["well"], "r1w3");
  EXPECT_TRUE(feed({}).empty());
  EXPECT_EQ(events_.frames(), 2u);
}

// ----------------------------------------------- state, stats, pictures, commands

// The messages of one topic's last level ("state", "operator", ...), in order.
static std::vector<Message> on(const std::vector<Message>& m, const std::string& kind) {
  std::vector<Message> out;
  for (const Message& x : m)
    if (x.topic.find("/cam1/" + kind) != std::string::npos) out.push_back(x);
  return out;
}

TEST_F(WellEvents, EveryWellsStateIsRetainedOnceThenAtEachChangeWithAPictureOfTheAlarm) {
  s_.publish_state = true;
  std::vector<Message> m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.2, false)});
  ASSERT_EQ(m.size(), 2u) << "each well's state, once";
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/state/r1w1");
  EXPECT_TRUE(m[0].retain);
  const json first = rendered(m[0]);
  EXPECT_EQ(first["state"], "normal");
  EXPECT_TRUE(first["since"].is_null());
  wellmonitor_test::expect_matches_schema(first, "state.schema.json");
  EXPECT_TRUE(feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.2, false)}).empty()) << "no change, no message";

  m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.9, true)});
  ASSERT_EQ(m.size(), 3u) << "the event, the picture, the state";
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/events/r1w2");
  const json alarm = rendered(m[0]);
  // the picture: a binary JPEG, retained, the well marked on a larger view
  EXPECT_EQ(m[1].topic, "plant/line1/cam1/snapshot/r1w2");
  EXPECT_TRUE(m[1].retain);
  EXPECT_EQ(m[1].time_us, 0) << "binary: never stamped with a delay";
  Message pic = m[1];
  pic.prepare(pic);
  const std::vector<uchar> bytes(pic.payload.begin(), pic.payload.end());
  const cv::Mat img = cv::imdecode(bytes, cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty()) << "a JPEG that decodes";
  EXPECT_EQ(img.cols, 640);
  EXPECT_EQ(img.rows, 360) << "the 64x48 frame's 16:9 view, scaled";
  // the well (x 28..40, y 10..20 of the 64x36 view, times 10) is boxed in red
  const cv::Vec3b edge = img.at<cv::Vec3b>(150, 281);
  EXPECT_GT(edge[2], 150);
  EXPECT_LT(edge[1], 100);
  const json state = rendered(m[2]);
  EXPECT_EQ(m[2].topic, "plant/line1/cam1/state/r1w2");
  EXPECT_TRUE(m[2].retain);
  EXPECT_FALSE(m[2].droppable) << "an alarm's state is never dropped";
  EXPECT_EQ(state["state"], "alarm");
  EXPECT_EQ(state["event_id"], alarm["event_id"]);
  EXPECT_EQ(state["acknowledged"], false);
  wellmonitor_test::expect_matches_schema(state, "state.schema.json");

  m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.1, false)});
  ASSERT_EQ(m.size(), 2u) << "the clear and the state";
  const json normal = rendered(m[1]);
  EXPECT_EQ(normal["state"], "normal");
  EXPECT_EQ(normal["last_event_id"], alarm["event_id"]);
  EXPECT_EQ(normal["last_reason"], "normal");
  wellmonitor_test::expect_matches_schema(normal, "state.schema.json");
}

TEST_F(WellEvents, AnAcknowledgementIsPublishedAndKeptInTheStateButNotForTheNextAlarm) {
  s_.publish_state = true;
  feed({well(0, "r1w1", 0.9, true)});
  const std::string id = "cam1:r1w1:1796128988363";
  wellpublish::Command ack;
  ack.verb = wellpublish::Command::Verb::kAck;
  ack.well = "r1w1";
  ack.event_id = id;
  ack.by = "anna";
  ack.note = "crew on the way";
  std::vector<Message> m = events_.command(ack, false, s_, wall_us_);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].topic, "plant/line1/cam1/operator");
  EXPECT_FALSE(m[0].retain);
  const json done = rendered(m[0]);
  EXPECT_EQ(done["kind"], "acknowledged");
  EXPECT_EQ(done["event_id"], id);
  EXPECT_EQ(done["by"], "anna");
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(done.dump(), 0)), "operator.schema.json");
  const json state = rendered(m[1]);
  EXPECT_EQ(state["state"], "alarm") << "acknowledged, still in alarm";
  EXPECT_EQ(state["acknowledged"], true);
  EXPECT_EQ(state["acknowledged_by"], "anna");
  EXPECT_EQ(state["acknowledged_note"], "crew on the way");
  wellmonitor_test::expect_matches_schema(state, "state.schema.json");

  ack.event_id = "cam1:r1w1:1";
  m = events_.command(ack, false, s_, wall_us_);
  ASSERT_EQ(m.size(), 1u);
  const json refused = rendered(m[0]);
  EXPECT_EQ(refused["kind"], "refused");
  EXPECT_EQ(refused["command"], "ack");
  EXPECT_EQ(refused["error"], "well r1w1's alarm is " + id + ", not cam1:r1w1:1");
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(refused.dump(), 0)), "operator.schema.json");

  feed({well(0, "r1w1", 0.1, false)});
  m = feed({well(0, "r1w1", 0.9, true)});
  const json next = rendered(on(m, "state").at(0));
  EXPECT_EQ(next["state"], "alarm");
  EXPECT_EQ(next["acknowledged"], false) << "an acknowledgement does not silence a new alarm";
  ack.event_id.clear();
  feed({well(0, "r1w1", 0.1, false)});
  m = events_.command(ack, false, s_, wall_us_);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(rendered(m[0])["error"], "well r1w1 is not in alarm (normal)");
}

TEST_F(WellEvents, AShelvingWellmonitorAppliedEndsTheAlarmWithReasonShelvedAndSaysWho) {
  s_.publish_state = true;
  feed({well(0, "r1w1", 0.9, true), well(1, "r1w2", 0.1, false)});
  wellpublish::Command c;
  c.verb = wellpublish::Command::Verb::kShelve;
  c.well = "r1w1";
  c.by = "anna";
  c.note = "cylinder out of use";
  EXPECT_TRUE(events_.command(c, true, s_, wall_us_).empty()) << "published once wellmonitor applied it";
  WellResult shelved = well(0, "r1w1", 0.9, false);
  shelved.shelved = true;
  std::vector<Message> m = feed({shelved, well(1, "r1w2", 0.1, false)});
  ASSERT_EQ(m.size(), 3u) << "the clear, the action, the state";
  const json clear = rendered(m[0]);
  EXPECT_EQ(clear["kind"], "clear");
  EXPECT_EQ(clear["reason"], "shelved");
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(clear.dump(), 0)), "event.schema.json");
  const json action = rendered(m[1]);
  EXPECT_EQ(action["kind"], "shelved");
  EXPECT_EQ(action["by"], "anna");
  EXPECT_EQ(action["note"], "cylinder out of use");
  const json state = rendered(m[2]);
  EXPECT_EQ(state["state"], "shelved");
  EXPECT_EQ(state["by"], "anna");
  wellmonitor_test::expect_matches_schema(state, "state.schema.json");
  EXPECT_TRUE(feed({shelved, well(1, "r1w2", 0.1, false)}).empty());
  // put back through the property: said so, by "property"
  m = feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.1, false)});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(rendered(m[0])["kind"], "unshelved");
  EXPECT_EQ(rendered(m[0])["by"], "property");
  EXPECT_EQ(rendered(m[1])["state"], "normal");
  // refused: no wellmonitor took it, or no such well; the refusal says who sent it
  m = events_.command(c, false, s_, wall_us_);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(rendered(m[0])["error"], "no wellmonitor upstream took the command");
  EXPECT_EQ(rendered(m[0])["by"], "anna");
  wellmonitor_test::expect_matches_schema(json::parse(wellpublish::with_delay(rendered(m[0]).dump(), 0)),
                                          "operator.schema.json");
  c.well = "r9w9";
  m = events_.command(c, true, s_, wall_us_);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(rendered(m[0])["error"], "no well r9w9 in the layout");
}

// A shelve of a shelved well or an unshelve of a watched one changes nothing:
// the operator is told why rather than left without an answer; while another
// shelving of the well is on its way, or before its state is known, it goes up.
TEST_F(WellEvents, AShelvingThatWouldChangeNothingIsSaidSo) {
  s_.publish_state = true;
  wellpublish::Command put_back;
  put_back.verb = wellpublish::Command::Verb::kUnshelve;
  put_back.well = "r1w1";
  put_back.by = "ben";
  EXPECT_EQ(events_.pointless(put_back), "") << "no state known yet";
  feed({well(0, "r1w1", 0.1, false), well(1, "r1w2", 0.1, false)});
  EXPECT_EQ(events_.pointless(put_back), "well r1w1 is not shelved");
  wellpublish::Command shelve = put_back;
  shelve.verb = wellpublish::Command::Verb::kShelve;
  shelve.by = "anna";
  EXPECT_EQ(events_.pointless(shelve), "");
  events_.command(shelve, true, s_, wall_us_);
  EXPECT_EQ(events_.pointless(put_back), "") << "a shelving on its way: the put-back follows it up";
  WellResult shelved = well(0, "r1w1", 0.1, false);
  shelved.shelved = true;
  feed({shelved, well(1, "r1w2", 0.1, false)});
  EXPECT_EQ(events_.pointless(shelve), "well r1w1 is shelved already (by anna): put it back first to shelve it anew");
  EXPECT_EQ(events_.pointless(put_back), "");
  wellpublish::Command ack = put_back;
  ack.verb = wellpublish::Command::Verb::kAck;
  EXPECT_EQ(events_.pointless(ack), "") << "acknowledgements are judged on their own";
}

TEST_F(WellEvents, TheStatsCountTheFramesAndListTheWellsInAlarmAndShelved) {
  s_.publish_state = true;
  wellpublish::StatsData d;
  d.now_us = wall_us_;
  d.started_us = wall_us_ - 5000000;
  d.model = "models/default.wmm";
  const json waiting = rendered(events_.stats(d, s_));
  EXPECT_EQ(waiting["camera_state"], "waiting");
  EXPECT_TRUE(waiting["last_frame_time"].is_null());
  wellmonitor_test::expect_matches_schema(waiting, "stats.schema.json");
  WellResult shelved = well(1, "r1w2", 0.1, false);
  shelved.shelved = true;
  WellResult late = well(0, "r1w1", 0.9, true, false);
  late.late = true;
  feed({well(0, "r1w1", 0.9, true), shelved});
  feed({late, shelved});
  feed({well(0, "r1w1", 0.9, true, false), shelved});
  d.now_us = wall_us_;
  Message m = events_.stats(d, s_);
  EXPECT_EQ(m.topic, "plant/line1/cam1/stats");
  EXPECT_TRUE(m.retain);
  const json st = rendered(m);
  EXPECT_EQ(st["camera_state"], "up");
  EXPECT_EQ(st["frames_in"], 3);
  EXPECT_EQ(st["frames_analysed"], 1);
  EXPECT_EQ(st["frames_late"], 1);
  EXPECT_NEAR(st["fps_in"].get<double>(), 3 / 0.25, 0.1) << "3 frames in the quarter second since the last stats";
  EXPECT_EQ(st["wells"], 2);
  EXPECT_EQ(st["wells_in_alarm"], json::array({"r1w1"}));
  EXPECT_EQ(st["wells_shelved"], json::array({"r1w2"}));
  EXPECT_EQ(st["alarms"], 1);
  EXPECT_EQ(st["model"], "models/default.wmm");
  EXPECT_DOUBLE_EQ(st["threshold"].get<double>(), 0.5);
  wellmonitor_test::expect_matches_schema(st, "stats.schema.json");
  events_.camera("lost", "no-frames", s_, wall_us_);
  EXPECT_EQ(rendered(events_.stats(d, s_))["camera_state"], "lost");
}

TEST(Commands, AreReadOrRefusedWithOneLineSayingWhy) {
  const wellpublish::Command c =
      wellpublish::parse_command(R"({"command":"ack","well":"r1w4","event_id":"t:r1w4:1","by":"anna","note":"x"})");
  EXPECT_EQ(c.verb, wellpublish::Command::Verb::kAck);
  EXPECT_EQ(c.well, "r1w4");
  EXPECT_EQ(c.event_id, "t:r1w4:1");
  EXPECT_EQ(c.by, "anna");
  wellmonitor_test::expect_matches_schema(json::parse(R"({"command":"ack","well":"r1w4","event_id":"t:r1w4:1","by":"anna","note":"x"})"),
                                          "command.schema.json");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"shelve r1w4", "a command is a JSON object such as {\"command\": \"shelve\", \"well\": \"r1w4\", \"by\": \"NAME\"}"},
      {R"({"command":"mute","well":"r1w4"})", "unknown command 'mute' (shelve, unshelve or ack)"},
      {R"({"command":"shelve"})", "the command has no \"well\""},
      {R"({"command":"shelve","well":7})", "\"well\" must be a string"},
      {R"({"command":"shelve","well":"r1w4","wells":["r1w5"]})", "unknown field \"wells\" in the command"},
  };
  for (const auto& [payload, why] : bad) {
    try {
      wellpublish::parse_command(payload);
      ADD_FAILURE() << payload << " was taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), why);
    }
  }
}

TEST(WellEventsDelay, ASentMessageSaysHowLateItIs) {
  EXPECT_EQ(json::parse(wellpublish::with_delay(R"({"kind":"alarm"})", 2.34567)),
            json({{"kind", "alarm"}, {"delay_s", 2.346}}));
  EXPECT_EQ(json::parse(wellpublish::with_delay(R"({"kind":"clear"})", -0.5))["delay_s"], 0.0)
      << "a clock set back makes no negative delay";
  EXPECT_EQ(wellpublish::with_delay("online", 3.0), "online") << "not JSON: unchanged";
}

// ---- a session: start, frames and events, stop ----

namespace {

namespace fs = std::filesystem;

class PublishSession : public WellEvents {
 protected:
  void SetUp() override {
    WellEvents::SetUp();
    wall_us_ = g_get_real_time() - 10 * G_USEC_PER_SEC;  // the frames came 10 s ago
    dir_ = fs::temp_directory_path() / ("wellpublish-session-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<json> lines_of(const fs::path& file) {
    std::vector<json> out;
    std::ifstream f(file);
    for (std::string line; std::getline(f, line);) out.push_back(json::parse(line));
    return out;
  }
  static GstEvent* camera_event(const char* name, const char* reason) {
    GstStructure* st = gst_structure_new_empty(name);
    if (reason) gst_structure_set(st, "reason", G_TYPE_STRING, reason, nullptr);
    return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, st);
  }
  void frame(wellpublish::Session& session, bool alarm) {
    with_frame({well(0, "r1w4", alarm ? 0.9 : 0.1, alarm)}, false,
               [&](const GstVideoFrame* f) { session.frame(f, &segment_, s_, wall_us_); });
  }
  void event(wellpublish::Session& session, GstEvent* e) {
    session.event(e, s_, wall_us_);
    gst_event_unref(e);
  }

  fs::path dir_;
  std::vector<std::string> infos_;
};

const wellpublish::Getenv kNoEnv = [](const char*) -> const char* { return nullptr; };

}  // namespace

TEST_F(PublishSession, FramesAndEventsReachThePublisherInOrderAndEachAlarmEndsOnce) {
  s_.file = true;
  s_.address = (dir_ / "events.jsonl").string();
  wellpublish::Session session(s_, 7, kNoEnv, {});
  frame(session, true);
  event(session, camera_event("wellmonitor-camera-lost", "error"));
  event(session, camera_event("wellmonitor-camera-back", nullptr));
  frame(session, true);
  event(session, camera_event("wellmonitor-camera-obscured", nullptr));
  event(session, camera_event("wellmonitor-camera-unobscured", nullptr));
  event(session, gst_event_new_tag(gst_tag_list_new_empty()));  // not ours: nothing
  const wellpublish::StopReport r = session.stop(s_);
  EXPECT_EQ(r.left, 0u);
  EXPECT_TRUE(r.text.empty());
  std::vector<std::string> got;
  for (const json& e : lines_of(s_.address))
    got.push_back(e["kind"].get<std::string>() + (e.contains("reason") ? " " + e["reason"].get<std::string>() : ""));
  EXPECT_EQ(got, (std::vector<std::string>{"alarm", "clear camera-lost", "lost error", "back", "alarm",
                                           "clear camera-obscured", "obscured", "unobscured"}));
}

// wellmonitor's new layout ends the alarms with reason reconfigured (its
// event comes before the first frame with the new wells, whose metas say
// only "not in alarm"); a well that spills on under the new layout is a new
// alarm.
TEST_F(PublishSession, ANewLayoutEndsTheAlarmsWithReasonReconfigured) {
  s_.file = true;
  s_.address = (dir_ / "events.jsonl").string();
  wellpublish::Session session(s_, 7, kNoEnv, {});
  frame(session, true);
  GstEvent* layout = gst_event_new_custom(
      GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new(wellmonitor::kLayoutChangedEvent, "wells", G_TYPE_STRING, "new.wells.txt", nullptr));
  event(session, layout);
  frame(session, false);  // the new layout's well, not (yet) in alarm
  frame(session, true);
  session.stop(s_);
  std::vector<std::string> got, ids;
  for (const json& e : lines_of(s_.address)) {
    got.push_back(e["kind"].get<std::string>() + (e.contains("reason") ? " " + e["reason"].get<std::string>() : ""));
    ids.push_back(e["event_id"]);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"alarm", "clear reconfigured", "alarm", "clear stopped"}));
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]) << "a new alarm under the new layout";
}

TEST_F(PublishSession, WhatTheBrokerDidNotTakeWaitsInTheSpoolAndTheNextSessionSendsItFirst) {
  s_.address = "mqtt://127.0.0.1:1";  // nobody there
  s_.spool = (dir_ / "spool").string();
  s_.drain_ms = 0;
  {
    std::vector<std::string> warnings;
    wellpublish::SessionReports reports;
    reports.warning = [&](const std::string& w) { warnings.push_back(w); };
    wellpublish::Session session(s_, 7, kNoEnv, reports);
    frame(session, true);
    const wellpublish::StopReport r = session.stop(s_);
    EXPECT_EQ(r.left, 2u) << "the alarm, and its clear at the stop";
    EXPECT_EQ(r.spooled, 2u);
    EXPECT_EQ(r.spool_dir, s_.spool.value());
    EXPECT_EQ(r.text, "2 messages not delivered to the MQTT broker at mqtt://127.0.0.1:1: they wait in the spool " +
                          s_.spool.value() + " and the next start for this camera sends them first");
  }
  // the next run for the camera (here writing to a file) sends them first, late
  s_.file = true;
  s_.address = (dir_ / "events.jsonl").string();
  s_.drain_ms = 5000;
  wellpublish::SessionReports reports;
  reports.info = [&](const std::string& i) { infos_.push_back(i); };
  wellpublish::Session next(s_, 7, kNoEnv, reports);
  ASSERT_EQ(infos_.size(), 1u);
  EXPECT_EQ(infos_[0], "2 messages an earlier run did not deliver wait in " + s_.spool.value() + ": sent first.");
  frame(next, false);
  EXPECT_EQ(next.stop(s_).left, 0u);
  const std::vector<json> got = lines_of(s_.address);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["kind"], "alarm");
  EXPECT_EQ(got[1]["reason"], "stopped");
  EXPECT_GE(got[0]["delay_s"].get<double>(), 9.0) << "the alarm's frame came 10 s ago";
  EXPECT_GE(got[1]["delay_s"].get<double>(), 0.0) << "the clear happened at the first run's stop";
}
