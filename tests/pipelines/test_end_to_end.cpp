// End-to-end tests of the product with the shipped default model:
//  - the element and `wellmonitor-trainer evaluate` give the same score to
//    the same crop (one preprocessing and scoring path on both sides);
//  - the demo replay of the plant, through a real decode pipeline, raises one
//    alarm for every scripted spill, on the right well, within a few frames,
//    and none anywhere else.
// GStreamer is isolated: the build's plugin directory, GStreamer's own system
// plugins, and a registry in a fresh temporary directory.

#include "../../pipelines/replay/replay_truth.h"
#include "support/evaluate_scores.h"
#include "support/gst_isolated.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kModel = kSource + "/models/default.wmm";
fs::path g_tmp;

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_tmp = wellmonitor_test::init_isolated_gstreamer("e2e");
    ASSERT_FALSE(g_tmp.empty());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g_tmp, ec);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new GstEnvironment);

struct Alarm {
  std::string well;
  uint64_t frame = 0;
};

struct RunResult {
  std::vector<Alarm> alarms, clears;
  std::vector<std::map<std::string, double>> scores;  // per wellmonitor-scores message: well -> score
  std::string error;
};

void collect(GstMessage* msg, RunResult& r) {
  const GstStructure* s = gst_message_get_structure(msg);
  const std::string name = gst_structure_get_name(s);
  if (name == "wellmonitor-alarm" || name == "wellmonitor-clear") {
    Alarm a;
    a.well = gst_structure_get_string(s, "well");
    guint64 frame = 0;
    gst_structure_get_uint64(s, "frame", &frame);
    a.frame = frame;
    (name == "wellmonitor-alarm" ? r.alarms : r.clears).push_back(a);
  } else if (name == "wellmonitor-scores") {
    const GValue* wells = gst_structure_get_value(s, "wells");
    const GValue* values = gst_structure_get_value(s, "scores");
    std::map<std::string, double> m;
    for (guint i = 0; i < gst_value_array_get_size(wells); ++i)
      m[g_value_get_string(gst_value_array_get_value(wells, i))] = g_value_get_double(gst_value_array_get_value(values, i));
    r.scores.push_back(m);
  }
}

// Runs a pipeline to EOS (or error), collecting the element's messages.
// `feed` may push buffers into an appsrc named "src".
RunResult run_pipeline(const std::string& launch, const std::function<void(GstElement*)>& feed = {}) {
  RunResult r;
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &err);
  if (!pipeline || err) {
    r.error = err ? err->message : "cannot build pipeline";
    if (err) g_error_free(err);
    return r;
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) r.error = "state change failed";
  if (feed) {
    GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    feed(src);
    gst_object_unref(src);
  }
  for (bool done = !r.error.empty(); !done;) {
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 300 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (!msg) {
      r.error = "timed out";
      break;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &e, &dbg);
      r.error = std::string(e->message) + " | " + (dbg ? dbg : "");
      g_error_free(e);
      g_free(dbg);
      done = true;
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
      done = true;
    } else {
      collect(msg, r);
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return r;
}

std::string run_command(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *status = pclose(p);
  return out;
}

}  // namespace

// The same crops, scored by `wellmonitor-trainer evaluate` (files decoded
// from disk) and by the element (the crops pasted unscaled into a BGR frame,
// one well per crop), agree within 1e-5 with the shipped default model.
// The replay's ground truth: what write_truth writes read_truth reads back, and
// a damaged file is refused naming its line.
TEST(ReplayTruth, WhatIsWrittenReadsBackAndADamagedLineIsNamed) {
  namespace rp = wellmonitor::replay;
  const fs::path dir = fs::temp_directory_path() / ("wellmonitor-truth-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<rp::TruthSpill> spills = {{"r1w4", 46, 105}, {"r4w11", 382, 429}};
  {
    std::ofstream f(dir / "ok.csv");
    rp::write_truth(f, spills);
  }
  const auto back = rp::read_truth((dir / "ok.csv").string());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].well, "r4w11");
  EXPECT_EQ(back[1].first_frame, 382);
  EXPECT_EQ(back[1].last_frame, 429);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"well,first,last\nr1w4,1,2\n", ":1: expected the header"},
      {"well,first_frame,last_frame\nr1w4,1,2\nr1w5,x,2\n", ":3: expected"},
      {"well,first_frame,last_frame\nr1w4,9,2\n", ":2: expected"},
      {"well,first_frame,last_frame\nr1w4,1,2,3\n", ":2: expected"},
      {"well,first_frame,last_frame\n,1,2\n", ":2: expected"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string path = (dir / ("bad" + std::to_string(i) + ".csv")).string();
    std::ofstream(path) << bad[i].first;
    try {
      rp::read_truth(path);
      ADD_FAILURE() << "accepted: " << bad[i].first;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path + bad[i].second), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(rp::read_truth((dir / "missing.csv").string()), std::runtime_error);
  fs::remove_all(dir);
}

TEST(EndToEnd, ElementScoresEqualTheTrainersForTheSameCrops) {
  const std::string images = std::string(WELLMONITOR_TEST_DATA) + "/crops/eval";
  const std::string labels = std::string(WELLMONITOR_TEST_DATA) + "/crops/labels.txt";
  const std::string csv = (g_tmp / "scores.csv").string();
  int status = -1;
  const std::string out = run_command(std::string(WELLMONITOR_TRAINER) + " evaluate --model " + kModel + " --images " +
                                          images + " --labels " + labels + " --scores " + csv + " --threads 1 -q 2>&1",
                                      &status);
  ASSERT_EQ(status, 0) << out;
  std::map<std::string, double> trainer;
  for (const auto& [file, crop] : wellmonitor_test::read_evaluate_scores(csv)) trainer[file] = crop.score;
  ASSERT_GE(trainer.size(), 8u);

  // One frame with every crop at its own box, ids w0, w1, ... in file order.
  constexpr int kW = 640, kH = 360;
  cv::Mat frame(kH, kW, CV_8UC3, cv::Scalar(90, 110, 100));
  std::string layout = "reference " + std::to_string(kW) + " " + std::to_string(kH) + "\n";
  std::map<std::string, std::string> id_to_file;
  int i = 0;
  for (const auto& [file, score] : trainer) {
    cv::Mat crop = cv::imread(images + "/" + file, cv::IMREAD_COLOR);
    ASSERT_FALSE(crop.empty()) << file;
    const cv::Rect box((i % 8) * 76 + 6, (i / 8) * 60 + 6, crop.cols, crop.rows);
    crop.copyTo(frame(box));
    const std::string id = "w" + std::to_string(i);
    layout += "well " + id + " " + std::to_string(box.x) + " " + std::to_string(box.y) + " " +
              std::to_string(box.width) + " " + std::to_string(box.height) + "\n";
    id_to_file[id] = file;
    ++i;
  }
  const std::string layout_path = (g_tmp / "eval.wells.txt").string();
  std::ofstream(layout_path) << layout;

  const std::string launch = "appsrc name=src format=time caps=video/x-raw,format=BGR,width=" + std::to_string(kW) +
                             ",height=" + std::to_string(kH) + ",framerate=25/1 ! wellmonitor model=\"" + kModel +
                             "\" wells=\"" + layout_path + "\" device=cpu threads=1 post-scores=true ! fakesink sync=false";
  RunResult r = run_pipeline(launch, [&](GstElement* src) {
    const gsize size = frame.total() * frame.elemSize();
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, size, nullptr);
    gst_buffer_fill(buf, 0, frame.data, size);
    GST_BUFFER_PTS(buf) = 0;
    GST_BUFFER_DURATION(buf) = GST_SECOND / 25;
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
    gst_app_src_end_of_stream(GST_APP_SRC(src));
  });
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.scores.size(), 1u);
  ASSERT_EQ(r.scores[0].size(), trainer.size());
  for (const auto& [id, file] : id_to_file) {
    ASSERT_TRUE(r.scores[0].count(id)) << id;
    EXPECT_NEAR(r.scores[0].at(id), trainer.at(file), 1e-5) << file;
  }
}

// The committed demo replay (the real frame, real crops, five real spill
// sequences) through filesrc ! decodebin ! videoconvert ! wellmonitor with the
// shipped default model and layout: one alarm per scripted spill, on its well,
// within 12 frames (1 s at 12 fps) of the spill's first frame; no other alarm.
// alarm-frames=5 is one frame more than the replay holds a normal crop.
TEST(EndToEnd, DemoReplayAlarmsOnEveryScriptedSpillAndNowhereElse) {
  const std::string video = kSource + "/pipelines/demo/replay.mp4";
  const std::string truth_path = kSource + "/pipelines/demo/replay.truth.csv";
  std::vector<wellmonitor::replay::TruthSpill> truth;
  ASSERT_NO_THROW(truth = wellmonitor::replay::read_truth(truth_path));
  ASSERT_GE(truth.size(), 4u);
  const std::string launch = "filesrc location=\"" + video + "\" ! decodebin ! videoconvert ! wellmonitor model=\"" +
                             kModel + "\" wells=\"" + kSource +
                             "/pipelines/casting-table.wells.txt\" device=cpu threads=2 alarm-frames=5 ! fakesink sync=false";
  RunResult r = run_pipeline(launch);
  ASSERT_TRUE(r.error.empty()) << r.error;
  std::vector<bool> caught(truth.size(), false);
  for (const auto& a : r.alarms) {
    bool explained = false;
    const auto frame = static_cast<int64_t>(a.frame);
    for (size_t k = 0; k < truth.size(); ++k) {
      if (a.well == truth[k].well && frame >= truth[k].first_frame && frame <= truth[k].last_frame) {
        EXPECT_FALSE(caught[k]) << "second alarm for the spill at " << a.well << " (frame " << a.frame << ")";
        EXPECT_LE(frame, truth[k].first_frame + 12) << "late alarm at " << a.well;
        caught[k] = true;
        explained = true;
      }
    }
    EXPECT_TRUE(explained) << "false alarm at " << a.well << " frame " << a.frame;
  }
  for (size_t k = 0; k < truth.size(); ++k)
    EXPECT_TRUE(caught[k]) << "missed the spill at " << truth[k].well << " frames " << truth[k].first_frame << "-"
                           << truth[k].last_frame;
}
