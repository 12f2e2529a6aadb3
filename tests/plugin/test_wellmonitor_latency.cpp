// wellmonitor's part in a live pipeline's latency: the LATENCY query a sink
// sends upstream comes back with the element's `latency` added, so that a
// camera's frames the model takes long over are not late at the sink (and
// skipped or dropped by QoS); a pipeline that is not live is left as it is.

#include "support/gst_build_registry.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::string kLayout = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::BuildRegistryEnvironment("latency", g_tmp));

struct Latency {
  bool answered = false, live = false;
  GstClockTime min = 0, max = 0;
};

// The sink's LATENCY query, once the pipeline plays: `live` videotestsrc
// (1920x1200 over 30 ms a frame) ! wellmonitor `props` ! fakesink.
Latency query(bool live, const std::string& props) {
  const std::string desc = std::string("videotestsrc is-live=") + (live ? "true" : "false") +
                           " num-buffers=100 ! video/x-raw,format=BGR,width=480,height=300,framerate=25/1 ! "
                           "wellmonitor name=m wells=\"" + kLayout + "\" " + props + " ! fakesink name=sink";
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  EXPECT_EQ(error, nullptr) << (error ? error->message : "");
  Latency l;
  if (!pipeline) return l;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gst_element_get_state(pipeline, nullptr, nullptr, 30 * GST_SECOND);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  GstQuery* q = gst_query_new_latency();
  l.answered = gst_pad_peer_query(pad, q);
  gboolean is_live = FALSE;
  gst_query_parse_latency(q, &is_live, &l.min, &l.max);
  l.live = is_live;
  gst_query_unref(q);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return l;
}

TEST(WellMonitorLatency, ALiveSourceGetsTheDefault200MillisecondsAddedToWhatUpstreamReports) {
  const Latency without = query(true, "latency=0");
  const Latency with = query(true, "");
  ASSERT_TRUE(without.answered && with.answered);
  EXPECT_TRUE(with.live);
  EXPECT_EQ(with.min, without.min + 200 * GST_MSECOND);
  if (GST_CLOCK_TIME_IS_VALID(without.max)) {
    EXPECT_EQ(with.max, without.max + 200 * GST_MSECOND);
  }
}

TEST(WellMonitorLatency, TheLatencyPropertySetsTheAmountAdded) {
  const Latency without = query(true, "latency=0");
  const Latency with = query(true, "latency=750");
  ASSERT_TRUE(without.answered && with.answered);
  EXPECT_EQ(with.min, without.min + 750 * GST_MSECOND);
}

TEST(WellMonitorLatency, APipelineThatIsNotLiveReportsNoLatencyOfTheElements) {
  const Latency without = query(false, "latency=0");
  const Latency with = query(false, "latency=750");
  ASSERT_TRUE(without.answered && with.answered);
  EXPECT_FALSE(with.live);
  EXPECT_EQ(with.min, without.min);
}

}  // namespace
