// wellmonitor's camera-shift watchdog on the demo replay moved in the picture
// (videobox: 20 px to the right and 10 px up), with the replay's own first
// frame, unmoved, as the reference frame:
//  - "wellmonitor-camera-moved" is posted with the right shift;
//  - with follow-shift the boxes move with the table, and the scripted spills
//    of the clip are alarmed on their wells, in time, with no false alarm;
//  - without it the boxes stay where the layout puts them;
//  - an unreadable reference frame fails the start, naming the file.

#include "../../pipelines/replay/replay_truth.h"
#include "support/gst_build_registry.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kReplay = kSource + "/pipelines/demo/replay.mp4";
const std::string kModel = kSource + "/models/default.wmm";
const std::string kLayout = kSource + "/pipelines/casting-table.wells.txt";
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::BuildRegistryEnvironment("watchdog", g_tmp));

struct Outcome {
  struct Alarm {
    std::string well;
    uint64_t frame;
  };
  std::vector<Alarm> alarms;
  std::vector<const GstStructure*> moves;  // copies, freed by the destructor
  int first_box_x = -1;                    // r1w1's box in the last buffer's meta
  std::string error;
  ~Outcome() {
    for (auto* s : moves) gst_structure_free(const_cast<GstStructure*>(s));
  }
};

GstPadProbeReturn remember_box(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* o = static_cast<Outcome*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (roi->id == 0) o->first_box_x = (int)roi->x;
  }
  return GST_PAD_PROBE_OK;
}

void run(const std::string& launch, Outcome& o) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(launch.c_str(), &err);
  if (!p || err) {
    o.error = err ? err->message : "cannot build";
    if (err) g_error_free(err);
    return;
  }
  if (GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink")) {
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, remember_box, &o, nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
  }
  GstBus* bus = gst_element_get_bus(p);
  gst_element_set_state(p, GST_STATE_PLAYING);
  for (bool done = false; !done;) {
    GstMessage* m = gst_bus_timed_pop_filtered(
        bus, 120 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (!m) {
      o.error = "timed out";
      break;
    }
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(m, &e, nullptr);
      o.error = e->message;
      g_error_free(e);
      done = true;
    } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
      done = true;
    } else {
      const GstStructure* s = gst_message_get_structure(m);
      if (gst_structure_has_name(s, "wellmonitor-camera-moved")) o.moves.push_back(gst_structure_copy(s));
      if (gst_structure_has_name(s, "wellmonitor-alarm")) {
        guint64 f = 0;
        gst_structure_get_uint64(s, "frame", &f);
        o.alarms.push_back({gst_structure_get_string(s, "well"), f});
      }
    }
    gst_message_unref(m);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(p);
}

// The replay's first frame, as the picture the layout was drawn on.
std::string reference_frame() {
  const fs::path out = g_tmp / "reference.png";
  if (!fs::exists(out)) {
    Outcome o;
    run("filesrc location=\"" + kReplay + "\" ! decodebin ! videoconvert ! pngenc snapshot=true ! filesink location=\"" +
            out.string() + "\"",
        o);
  }
  return out.string();
}

std::string moved_replay(int frames, const std::string& monitor_options) {
  return "filesrc location=\"" + kReplay + "\" ! decodebin ! identity eos-after=" + std::to_string(frames) +
         " ! videobox left=-20 right=20 top=10 bottom=-10 ! wellmonitor model=\"" + kModel + "\" wells=\"" + kLayout +
         "\" device=cpu threads=1 reference-frame=\"" + reference_frame() + "\" " + monitor_options +
         " ! fakesink name=sink sync=false";
}

std::vector<wellmonitor::replay::TruthSpill> truth() {
  return wellmonitor::replay::read_truth(kSource + "/pipelines/demo/replay.truth.csv");
}


// The runs of the replay happen once per test command, in ctest: the Meson
// suite builds the same sources.
#define SKIP_IN_THE_OTHER_SUITE()                                                                 \
  do {                                                                                            \
    if (const char* once = std::getenv("WELLMONITOR_LONG_CHECKS_ELSEWHERE"))                      \
      GTEST_SKIP() << "this run of the replay happens in the other test suite of this build (" << once << ")"; \
  } while (0)

}  // namespace

TEST(Watchdog, AMovedCameraIsReportedAndFollowedAndTheSpillsStillAlarm) {
  SKIP_IN_THE_OTHER_SUITE();
  constexpr int kFrames = 230;  // the spills at r1w4 (frames 46-105) and r2w9 (164-217)
  Outcome o;
  run(moved_replay(kFrames, "follow-shift=true"), o);
  ASSERT_TRUE(o.error.empty()) << o.error;
  ASSERT_EQ(o.moves.size(), 1u) << "one move, reported once";
  double dx = 0, dy = 0, conf = 0;
  gboolean followed = FALSE;
  guint64 frame = 99;
  gst_structure_get_double(o.moves[0], "dx", &dx);
  gst_structure_get_double(o.moves[0], "dy", &dy);
  gst_structure_get_double(o.moves[0], "confidence", &conf);
  gst_structure_get_boolean(o.moves[0], "followed", &followed);
  gst_structure_get_uint64(o.moves[0], "frame", &frame);
  EXPECT_NEAR(dx, 20.0, 1.0);
  EXPECT_NEAR(dy, -10.0, 1.0);
  EXPECT_GT(conf, 0.3);
  EXPECT_TRUE(followed);
  EXPECT_EQ(frame, 0u) << "the first frame is checked";

  const auto spills = truth();
  std::vector<bool> caught(spills.size(), false);
  for (const auto& a : o.alarms) {
    bool explained = false;
    for (size_t k = 0; k < spills.size(); ++k)
      if (a.well == spills[k].well && static_cast<int64_t>(a.frame) >= spills[k].first_frame && static_cast<int64_t>(a.frame) <= spills[k].first_frame + 12) {
        explained = true;
        caught[k] = true;
      }
    EXPECT_TRUE(explained) << "false alarm at " << a.well << " frame " << a.frame;
  }
  for (size_t k = 0; k < spills.size(); ++k)
    if (spills[k].first_frame + 12 < static_cast<int64_t>(kFrames)) {
      EXPECT_TRUE(caught[k]) << "missed the spill at " << spills[k].well;
    }
}

TEST(Watchdog, WithoutFollowShiftTheMoveIsReportedAndTheBoxesStay) {
  Outcome moved, plain;
  run(moved_replay(12, ""), moved);
  ASSERT_TRUE(moved.error.empty()) << moved.error;
  ASSERT_EQ(moved.moves.size(), 1u);
  gboolean followed = TRUE;
  gst_structure_get_boolean(moved.moves[0], "followed", &followed);
  EXPECT_FALSE(followed);
  // the boxes where the layout puts them: as in an unwatched run
  run("filesrc location=\"" + kReplay + "\" ! decodebin ! identity eos-after=2 ! wellmonitor model=\"" + kModel +
          "\" wells=\"" + kLayout + "\" device=cpu threads=1 ! fakesink name=sink sync=false",
      plain);
  ASSERT_TRUE(plain.error.empty()) << plain.error;
  EXPECT_EQ(moved.first_box_x, plain.first_box_x);
  EXPECT_GE(plain.first_box_x, 0);
}

TEST(Watchdog, AnUnmovedCameraIsNotReported) {
  Outcome o;
  run("filesrc location=\"" + kReplay + "\" ! decodebin ! identity eos-after=12 ! wellmonitor model=\"" + kModel +
          "\" wells=\"" + kLayout + "\" device=cpu threads=1 reference-frame=\"" + reference_frame() +
          "\" follow-shift=true shift-interval=0 ! fakesink name=sink sync=false",
      o);
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(o.moves.empty());
}

TEST(Watchdog, AnUnreadableReferenceFrameFailsTheStartNamingIt) {
  const fs::path bad = g_tmp / "not-an-image.png";
  std::ofstream(bad) << "hello";
  Outcome o;
  run("videotestsrc num-buffers=1 ! video/x-raw,format=BGR,width=1920,height=1200 ! wellmonitor model=\"" + kModel +
          "\" wells=\"" + kLayout + "\" reference-frame=\"" + bad.string() + "\" ! fakesink",
      o);
  ASSERT_FALSE(o.error.empty());
  EXPECT_NE(o.error.find(bad.string()), std::string::npos) << o.error;
}
