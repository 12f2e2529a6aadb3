// wellpublish's glue parts without a pipeline: its properties (their
// defaults are the publishing parts' defaults; method file turns the retained
// kinds off; an unset spool is the camera's default, "" none), finding the
// wellmonitor upstream through queues, tees and bins (for the model in the
// stats), and the line of an operator's action for the log and the bus.

#include "publish-properties.h"
#include "upstream.h"
#include "well-state.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using wellpublish::PublishProperties;

class PublishPropertiesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

  template <typename Set>
  void set(guint id, GType type, Set&& fill) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, type);
    fill(&v);
    ASSERT_TRUE(props_.set(id, &v));
    g_value_unset(&v);
  }

  PublishProperties props_;
};

TEST_F(PublishPropertiesTest, DefaultsAreThePublishingPartsDefaults) {
  const wellpublish::Settings s = props_.settings();
  const wellpublish::Settings d;
  EXPECT_FALSE(s.file);
  EXPECT_TRUE(s.publish_state);  // method mqtt: state, stats, snapshots, commands
  EXPECT_EQ(s.topic, "wellmonitor");
  EXPECT_EQ(s.event.camera, "camera");
  EXPECT_EQ(s.address, "");
  EXPECT_EQ(s.qos, d.qos);
  EXPECT_EQ(s.queue_size, d.queue_size);
  EXPECT_EQ(s.keepalive, d.keepalive);
  EXPECT_EQ(s.drain_ms, d.drain_ms);
  EXPECT_EQ(s.stats_interval_s, d.stats_interval_s);
  EXPECT_EQ(s.snapshot_width, d.snapshot_width);
  EXPECT_EQ(s.commands, d.commands);
  EXPECT_EQ(s.publish_scores, d.publish_scores);
  EXPECT_EQ(s.event.snapshot, wellpublish::EventSettings().snapshot);
  EXPECT_DOUBLE_EQ(s.event.margin, wellpublish::EventSettings().margin);
  EXPECT_EQ(s.event.quality, wellpublish::EventSettings().quality);
  EXPECT_FALSE(s.spool.has_value());  // unset: the camera's default folder
  EXPECT_EQ(s.spool_limits.max_bytes, 64u << 20);
  EXPECT_EQ(s.spool_limits.max_messages, 10000u);
}

TEST_F(PublishPropertiesTest, MethodFileWritesEventsOnlyAndAnEmptySpoolIsNone) {
  set(wellpublish::PROP_METHOD, wellpublish::publish_method_get_type(),
      [](GValue* v) { g_value_set_enum(v, wellpublish::PUBLISH_METHOD_FILE); });
  set(wellpublish::PROP_ADDRESS, G_TYPE_STRING, [](GValue* v) { g_value_set_string(v, "/tmp/events.jsonl"); });
  set(wellpublish::PROP_SPOOL, G_TYPE_STRING, [](GValue* v) { g_value_set_string(v, ""); });
  set(wellpublish::PROP_STATS_INTERVAL, G_TYPE_UINT, [](GValue* v) { g_value_set_uint(v, 3); });
  const wellpublish::Settings s = props_.settings();
  EXPECT_TRUE(s.file);
  EXPECT_FALSE(s.publish_state);
  EXPECT_EQ(s.address, "/tmp/events.jsonl");
  ASSERT_TRUE(s.spool.has_value());
  EXPECT_EQ(*s.spool, "");
  EXPECT_EQ(s.stats_interval_s, 3u);
}

TEST_F(PublishPropertiesTest, ReadOnlyPropertiesComeFromThePublishersCounters) {
  wellpublish::PublisherStats stats;
  stats.connected = true;
  stats.delivered = 7;
  stats.spooled = 2;
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_UINT64);
  ASSERT_TRUE(props_.get(wellpublish::PROP_DELIVERED, stats, &v));
  EXPECT_EQ(g_value_get_uint64(&v), 7u);
  ASSERT_TRUE(props_.get(wellpublish::PROP_SPOOLED, stats, &v));
  EXPECT_EQ(g_value_get_uint64(&v), 2u);
  g_value_unset(&v);
  g_value_init(&v, G_TYPE_BOOLEAN);
  ASSERT_TRUE(props_.get(wellpublish::PROP_CONNECTED, stats, &v));
  EXPECT_TRUE(g_value_get_boolean(&v));
  EXPECT_FALSE(props_.set(wellpublish::PROP_CONNECTED, &v));  // read-only
  EXPECT_FALSE(props_.get(wellpublish::N_PROPS, stats, &v));  // no such property
  g_value_unset(&v);
}

// ---- the wellmonitor upstream ----

class Upstream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override { pipeline_ = gst_pipeline_new("p"); }
  void TearDown() override { gst_object_unref(pipeline_); }

  GstElement* add(GstElement* bin, const char* factory, const char* name) {
    GstElement* e = gst_element_factory_make(factory, name);
    EXPECT_NE(e, nullptr) << factory;
    gst_bin_add(GST_BIN(bin), e);
    return e;
  }
  // Gives `bin` a ghost pad named `pad` for that pad of `inner`.
  static void ghost(GstElement* bin, GstElement* inner, const char* pad) {
    GstPad* target = gst_element_get_static_pad(inner, pad);
    gst_element_add_pad(bin, gst_ghost_pad_new(pad, target));
    gst_object_unref(target);
  }
  // The name of what find_upstream finds from `e`'s sink pad ("" none).
  static std::string found_from(GstElement* e, const char* factory) {
    GstPad* pad = gst_element_get_static_pad(e, "sink");
    GstElement* found = wellpublish::find_upstream(pad, factory);
    gst_object_unref(pad);
    if (!found) return "";
    std::string name = GST_OBJECT_NAME(found);
    gst_object_unref(found);
    return name;
  }

  GstElement* pipeline_ = nullptr;
};

// fakesrc stands for wellmonitor: the same walk, another factory name.
TEST_F(Upstream, FindsTheElementThroughQueuesAndATee) {
  GstElement* src = add(pipeline_, "fakesrc", "monitor");
  GstElement* q1 = add(pipeline_, "queue", "q1");
  GstElement* tee = add(pipeline_, "tee", "t");
  GstElement* q2 = add(pipeline_, "queue", "q2");
  GstElement* me = add(pipeline_, "identity", "publish");
  ASSERT_TRUE(gst_element_link_many(src, q1, tee, q2, me, nullptr));
  EXPECT_EQ(found_from(me, "fakesrc"), "monitor");
  EXPECT_EQ(found_from(me, "videotestsrc-none"), "");  // none of that factory upstream
}

TEST_F(Upstream, FindsTheElementInsideABinUpstreamAndFromInsideABin) {
  // [bin: fakesrc ! queue] ! [bin: queue ! identity]
  GstElement* up = gst_bin_new("up");
  gst_bin_add(GST_BIN(pipeline_), up);
  GstElement* src = add(up, "fakesrc", "monitor");
  GstElement* q1 = add(up, "queue", "q1");
  ASSERT_TRUE(gst_element_link(src, q1));
  ghost(up, q1, "src");

  GstElement* down = gst_bin_new("down");
  gst_bin_add(GST_BIN(pipeline_), down);
  GstElement* q2 = add(down, "queue", "q2");
  GstElement* me = add(down, "identity", "publish");
  ASSERT_TRUE(gst_element_link(q2, me));
  ghost(down, q2, "sink");
  ASSERT_TRUE(gst_element_link(up, down));

  EXPECT_EQ(found_from(me, "fakesrc"), "monitor");
}

TEST_F(Upstream, AnUnlinkedPadFindsNothingAndAPropertyIsReadAsAString) {
  GstElement* me = add(pipeline_, "identity", "publish");
  EXPECT_EQ(found_from(me, "fakesrc"), "");
  GstElement* src = add(pipeline_, "fakesrc", "monitor");
  ASSERT_TRUE(gst_element_link(src, me));
  GstPad* pad = gst_element_get_static_pad(me, "sink");
  EXPECT_EQ(wellpublish::upstream_string(pad, "fakesrc", "name"), "monitor");
  EXPECT_EQ(wellpublish::upstream_string(pad, "fakesrc", "num-buffers"), "");  // not a string
  EXPECT_EQ(wellpublish::upstream_string(pad, "fakesrc", "no-such-property"), "");
  gst_object_unref(pad);
}

// ---- the operator's action as a line ----

TEST(OperatorActionText, AcknowledgementAndRefusalAreOneLineEachShelvingIsNone) {
  wellpublish::OperatorAction ack;
  ack.kind = "acknowledged";
  ack.well = "r1w4";
  ack.event_id = "table1:r1w4:1";
  ack.by = "anna";
  EXPECT_EQ(wellpublish::operator_action_text(ack), "ACKNOWLEDGED well=r1w4 event=table1:r1w4:1 by=anna");
  ack.by.clear();
  ack.note = "seen";
  EXPECT_EQ(wellpublish::operator_action_text(ack), "ACKNOWLEDGED well=r1w4 event=table1:r1w4:1 by=? note=\"seen\"");

  wellpublish::OperatorAction refused;
  refused.kind = "refused";
  refused.error = "not JSON";
  EXPECT_EQ(wellpublish::operator_action_text(refused), "COMMAND REFUSED ? well=?: not JSON");
  refused.command = "ack";
  refused.well = "r9w9";
  EXPECT_EQ(wellpublish::operator_action_text(refused), "COMMAND REFUSED ack well=r9w9: not JSON");

  wellpublish::OperatorAction shelved;
  shelved.kind = "shelved";
  shelved.well = "r2w9";
  EXPECT_EQ(wellpublish::operator_action_text(shelved), "");
}

}  // namespace
