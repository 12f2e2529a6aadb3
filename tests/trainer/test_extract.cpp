// `wellmonitor-trainer extract` writes the crops the element scores.
//
// The first seconds of the demo replay go through `decodebin ! videoconvert !
// wellmonitor post-scores=true` with the shipped model; the same seconds go
// through `extract --model`. Every crop extract writes, read back from its PNG
// file and scored again, and every score in its scores.csv, must be the
// element's score of that well in that frame (within 1e-5). Also: a seek with
// --from lands on the element's frames, unchanged wells are skipped unless
// --all, and bad input gives one line naming the file.

#include "support/gst_isolated.h"
#include "support/subprocess.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/layout.h"

#include <gst/gst.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::run_process;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kVideo = kSource + "/pipelines/demo/replay.mp4";
const std::string kLayout = kSource + "/pipelines/casting-table.wells.txt";
const std::string kModel = kSource + "/models/default.wmm";
const std::string kTrainer = WELLMONITOR_TRAINER;
constexpr double kTolerance = 1e-5;
constexpr double kSeconds = 2.0;  // of the replay compared

fs::path g_tmp;
// stream time in ms -> well -> the element's score
std::map<int64_t, std::map<std::string, double>> g_element;

int64_t ms_of(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000.0)); }

using ElementScores = std::map<int64_t, std::map<std::string, double>>;

// The element's scores of the replay's first `seconds` with `model`.
std::string run_element(const std::string& model, double seconds, ElementScores& scores_out) {
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(
      ("filesrc location=" + kVideo + " ! decodebin ! videoconvert ! wellmonitor post-scores=true threads=1 wells=" +
       kLayout + " model=" + model + " ! fakesink sync=false")
          .c_str(),
      &err);
  if (!pipe || err) return err ? err->message : "cannot build the pipeline";
  GstBus* bus = gst_element_get_bus(pipe);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  std::string error;
  for (bool done = false; !done;) {
    GstMessage* m = gst_bus_timed_pop_filtered(
        bus, 120 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (!m) {
      error = "timed out";
      break;
    }
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(m, &e, nullptr);
      error = e->message;
      g_error_free(e);
      done = true;
    } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
      done = true;
    } else {
      const GstStructure* s = gst_message_get_structure(m);
      if (gst_structure_has_name(s, "wellmonitor-scores")) {
        guint64 t = 0;
        gst_structure_get_uint64(s, "stream-time", &t);
        if (static_cast<double>(t) > seconds * GST_SECOND) {
          done = true;
        } else {
          const GValue* wells = gst_structure_get_value(s, "wells");
          const GValue* scores = gst_structure_get_value(s, "scores");
          auto& row = scores_out[static_cast<int64_t>((t + GST_MSECOND / 2) / GST_MSECOND)];
          for (guint i = 0; i < gst_value_array_get_size(wells); ++i)
            row[g_value_get_string(gst_value_array_get_value(wells, i))] =
                g_value_get_double(gst_value_array_get_value(scores, i));
        }
      }
    }
    gst_message_unref(m);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  return error;
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_tmp = wellmonitor_test::init_isolated_gstreamer("extract");
    ASSERT_FALSE(g_tmp.empty());
    const std::string error = run_element(kModel, kSeconds, g_element);
    ASSERT_EQ(error, "");
    ASSERT_GE(g_element.size(), 20u);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g_tmp, ec);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new Environment);

struct Row {
  std::string file, well;
  double time = 0;
  double score = 0;
};

std::vector<Row> read_scores(const fs::path& csv) {
  std::ifstream in(csv);
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "file,well,stream_time,frame,score");
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    Row r;
    std::string t, frame, score;
    std::getline(ss, r.file, ',');
    std::getline(ss, r.well, ',');
    std::getline(ss, t, ',');
    std::getline(ss, frame, ',');
    std::getline(ss, score, ',');
    r.time = std::stod(t);
    r.score = std::stod(score);
    rows.push_back(r);
  }
  return rows;
}

std::vector<std::string> extract(const std::vector<std::string>& extra, const fs::path& out,
                                 wellmonitor_test::ProcessResult* result = nullptr) {
  std::vector<std::string> args = {"extract", "--video", kVideo, "--wells", kLayout, "--out", out.string(), "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_process(kTrainer, args, g_tmp.string());
  if (result) *result = r;
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".png") files.push_back(e.path().filename().string());
  return files;
}

TEST(Extract, EveryCropWrittenScoresAsTheElementScoresItInThatFrame) {
  const fs::path out = g_tmp / "all";
  const auto files = extract({"--to", "2", "--all", "--model", kModel, "--threads", "1"}, out);
  const auto layout = wellmonitor::load_layout(kLayout);
  ASSERT_EQ(files.size(), g_element.size() * layout.wells.size());
  const auto rows = read_scores(out / "scores.csv");
  ASSERT_EQ(rows.size(), files.size());

  auto det = wellmonitor::Detector::open(kModel, "cpu");
  std::vector<cv::Mat> crops;
  double worst_csv = 0, worst_png = 0;
  for (const Row& r : rows) {
    const auto frame = g_element.find(ms_of(r.time));
    ASSERT_NE(frame, g_element.end()) << r.file << ": no element frame at " << r.time;
    ASSERT_EQ(frame->second.count(r.well), 1u) << r.file;
    const double element = frame->second.at(r.well);
    worst_csv = std::max(worst_csv, std::abs(r.score - element));
    const cv::Mat crop = cv::imread((out / r.file).string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(crop.empty()) << r.file;
    crops.push_back(crop);
  }
  const auto scores = wellmonitor::score_all(det, crops);
  for (size_t i = 0; i < rows.size(); ++i)
    worst_png = std::max(worst_png, std::abs(scores[i] - g_element.at(ms_of(rows[i].time)).at(rows[i].well)));
  EXPECT_LE(worst_csv, kTolerance);
  EXPECT_LE(worst_png, kTolerance);
  // Names: <well>_<HH-MM-SS-mmm>.png by stream time.
  EXPECT_EQ(std::count(files.begin(), files.end(), "r1w1_00-00-01-000.png"), 1);
}

TEST(Extract, FromSeeksToTheElementsFramesAndEveryNthFrameIsAnalysed) {
  const fs::path out = g_tmp / "from";
  const auto files = extract({"--from", "1", "--to", "1.75", "--every", "3", "--all", "--model", kModel}, out);
  const auto rows = read_scores(out / "scores.csv");
  ASSERT_FALSE(rows.empty());
  std::set<int64_t> times;
  for (const Row& r : rows) {
    times.insert(ms_of(r.time));
    ASSERT_EQ(g_element.count(ms_of(r.time)), 1u) << r.file;
    EXPECT_NEAR(r.score, g_element.at(ms_of(r.time)).at(r.well), kTolerance) << r.file;
  }
  // The element's frames from 1 s to 1.75 s, every third one.
  std::vector<int64_t> expected;
  int n = 0;
  for (const auto& [t, _] : g_element)
    if (t >= 1000 && t <= 1750 && n++ % 3 == 0) expected.push_back(t);
  EXPECT_EQ(std::vector<int64_t>(times.begin(), times.end()), expected);
}

TEST(Extract, WellsThatDidNotChangeAreSkippedUnlessAll) {
  const fs::path out = g_tmp / "changed";
  wellmonitor_test::ProcessResult r;
  const auto files = extract({"--to", "2"}, out, &r);
  const auto layout = wellmonitor::load_layout(kLayout);
  const size_t all = g_element.size() * layout.wells.size();
  EXPECT_LT(files.size(), all);
  EXPECT_GT(files.size(), layout.wells.size());
  // Every well's first frame is written.
  for (const auto& w : layout.wells)
    EXPECT_TRUE(fs::exists(out / (w.id + "_00-00-00-000.png"))) << w.id;
  EXPECT_NE(r.out.find(std::to_string(all - files.size()) + " unchanged crops skipped"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out / "scores.csv"));
}

// The element and extract load a network exported from Python as TorchScript
// (tests/support/export_torchscript.py, as test_torchscript.cpp) and score with it
// as with the model file it came from.
TEST(Extract, TheElementAndExtractScoreWithATorchScriptExportAsWithItsModelFile) {
  const std::string python = "/usr/bin/python3";
  if (run_process(python, {"-c", "import torch, numpy, PIL"}, g_tmp.string()).exit_code != 0)
    GTEST_SKIP() << python << " has no torch, numpy or PIL (Debian: python3-torch)";
  const std::string scripted = (g_tmp / "default.pt").string();
  const auto r = run_process(python, {kSource + "/tests/support/export_torchscript.py", kModel, scripted}, g_tmp.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();

  ElementScores element;
  ASSERT_EQ(run_element(scripted, 1.0, element), "");
  ASSERT_GE(element.size(), 10u);
  double worst = 0;
  for (const auto& [t, wells] : element)
    for (const auto& [well, score] : wells) worst = std::max(worst, std::abs(score - g_element.at(t).at(well)));
  EXPECT_LE(worst, kTolerance);

  const fs::path out = g_tmp / "scripted";
  extract({"--to", "1", "--all", "--model", scripted}, out);
  for (const Row& row : read_scores(out / "scores.csv"))
    EXPECT_NEAR(row.score, g_element.at(ms_of(row.time)).at(row.well), kTolerance) << row.file;
}

TEST(Extract, BadInputGivesOneLineNamingTheFile) {
  auto r = run_process(kTrainer, {"extract", "--video", "/nonexistent.mp4", "--wells", kLayout, "--out",
                                  (g_tmp / "bad").string()},
                       g_tmp.string());
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent.mp4"), std::string::npos);

  const fs::path not_video = g_tmp / "not-a-video.mp4";
  std::ofstream(not_video) << "hello";
  r = run_process(kTrainer, {"extract", "--video", not_video.string(), "--wells", kLayout, "--out",
                             (g_tmp / "bad").string(), "-q"},
                  g_tmp.string());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find(not_video.string()), std::string::npos) << r.err;

  r = run_process(kTrainer, {"extract", "--video", kVideo, "--wells", kVideo, "--out", (g_tmp / "bad").string()},
                  g_tmp.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(kVideo), std::string::npos) << r.err;
}

}  // namespace
