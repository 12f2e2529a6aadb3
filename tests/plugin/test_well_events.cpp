// wellpublish's streaming-thread part (plugin/wellpublish/well-events.h)
// without a pipeline: buffers with well metas and camera events in, the
// publisher's messages out. An alarm and its clear are one message each on
// the well's topic with one event id and the clear's reason; a gap in the
// frames neither ends nor repeats an alarm; an end without a frame (stopped,
// camera lost) is a clear without a snapshot, then the camera's message; an
// analysed frame's scores are one droppable message; a meta of no layout's
// well is left out. Every message matches its JSON Schema.

#include "well-events.h"

#include "support/json_schema.h"
#include "well-meta.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>
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
    std::vector<Message> out = events_.frame(&frame, &segment_, s_, wall_us_);
    wall_us_ += 83333;
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(buffer);
    return out;
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
  m = events_.camera("obscured", "dark", s_, wall_us_);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(rendered(m[0])["reason"], "camera-obscured");
  EXPECT_EQ(rendered(m[1])["kind"], "obscured");
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

TEST(WellEventsDelay, ASentMessageSaysHowLateItIs) {
  EXPECT_EQ(json::parse(wellpublish::with_delay(R"({"kind":"alarm"})", 2.34567)),
            json({{"kind", "alarm"}, {"delay_s", 2.346}}));
  EXPECT_EQ(json::parse(wellpublish::with_delay(R"({"kind":"clear"})", -0.5))["delay_s"], 0.0)
      << "a clock set back makes no negative delay";
  EXPECT_EQ(wellpublish::with_delay("online", 3.0), "online") << "not JSON: unchanged";
}
