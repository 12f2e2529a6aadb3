// Shadow mode end to end, as a commissioning engineer runs it (docs/commissioning.md):
// file.sh --shadow DIR on the demo replay (its first 110 frames and its first
// scripted spill, to stay within seconds) with the plant's --mqtt still in its
// options and a real Mosquitto listening, then the review page on the crops, the
// labels a person gives by the replay's ground truth, and wellmonitor-run
// shadow-report. One run of the pipeline serves every assertion.

#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/replay_clip.h"
#include "support/script_environment.h"
#include "support/subprocess.h"

#include "../../pipelines/replay/replay_truth.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::ChildProcess;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kRunner = wellmonitor_test::runner_path();
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("shadow", g_tmp));

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

}  // namespace

TEST(ShadowMode, OnTheDemoReplayNothingIsSentAndTheReportCountsMatchItsGroundTruth) {
  const char* mosquitto = wellmonitor_test::mosquitto_binary();
  if (!mosquitto) GTEST_SKIP() << "no mosquitto (tools/setup-deps.sh installs it)";
  const int port = wellmonitor_test::free_loopback_port();
  wellmonitor_test::Broker broker(g_tmp / "broker", port);
  ASSERT_TRUE(broker.start()) << broker.log();
  // the plant's systems, listening to everything
  wellmonitor_test::Subscriber scada(port, "#", "scada");
  ASSERT_TRUE(scada.wait_subscribed(10000));

  const fs::path dir = g_tmp / "commissioning";
  fs::create_directories(dir);
  constexpr int kFrames = 110;  // r1w4 spills in frames 46-105
  const std::string replay = wellmonitor_test::replay_clip(kFrames, g_tmp);
  ASSERT_FALSE(replay.empty());
  ChildProcess runner;
  ASSERT_TRUE(runner.start("/bin/bash", {kSource + "/pipelines/file.sh", "--fast", "--no-display", "--threads", "1",
                                         "--camera", "table1", "--mqtt", "mqtt://127.0.0.1:" + std::to_string(port),
                                         "--shadow", dir.string(), replay}));
  const auto code = runner.wait_exit(180000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  ASSERT_EQ(*code, 0) << runner.describe();

  // it said so at the start, and nothing left for the broker
  EXPECT_NE(runner.err().find("file.sh: SHADOW MODE: no alarm is sent (--mqtt mqtt://127.0.0.1:" +
                              std::to_string(port) + " not used)"),
            std::string::npos)
      << runner.describe();
  EXPECT_TRUE(scada.received().empty()) << scada.received().front().topic;
  EXPECT_EQ(runner.out().find("ALARM"), runner.out().find("SHADOW ALARM") + 7) << runner.out();
  EXPECT_EQ(runner.out().find("\nALARM"), std::string::npos) << runner.out();

  // one record per alarm, each with its crop (the well's box), snapshot and clip
  // the spills the clip shows whole (r1w4)
  auto truth = wellmonitor::replay::read_truth(kSource + "/pipelines/demo/replay.truth.csv");
  truth.erase(std::remove_if(truth.begin(), truth.end(), [&](const auto& s) { return s.last_frame >= kFrames; }),
              truth.end());
  ASSERT_EQ(truth.size(), 1u);
  const auto alarms = read_jsonl(dir / "alarms.jsonl");
  ASSERT_EQ(alarms.size(), truth.size()) << runner.describe();
  std::vector<std::string> lines;
  for (const auto& l : runner.out_lines())
    if (l.text.rfind("SHADOW ALARM ", 0) == 0) lines.push_back(l.text);
  ASSERT_EQ(lines.size(), alarms.size()) << runner.out();
  std::ofstream labels(dir / "labels.txt");
  labels << "# labels from wellmonitor review: <file> <0|1>, 1 = spill\n";
  for (size_t i = 0; i < alarms.size(); ++i) {
    const auto& a = alarms[i];
    const std::string well = a["well"];
    const int64_t frame = a["frame"];
    // the same alarm as the line the runner printed
    EXPECT_EQ(lines[i].rfind("SHADOW ALARM well=" + well + " ", 0), 0u) << lines[i];
    EXPECT_NE(lines[i].find(" frame=" + std::to_string(frame) + " "), std::string::npos) << lines[i];
    const cv::Mat crop = cv::imread((dir / a["crop"].get<std::string>()).string());
    ASSERT_FALSE(crop.empty()) << a.dump();
    EXPECT_EQ(crop.cols, a["box"]["width"].get<int>());
    EXPECT_EQ(crop.rows, a["box"]["height"].get<int>());
    EXPECT_FALSE(cv::imread((dir / a["snapshot"].get<std::string>()).string()).empty()) << a.dump();
    EXPECT_GT(fs::file_size(dir / a["clip"].get<std::string>()), 10000u) << a.dump();
    // a person who watched the clip: a real spill when the replay shows one there
    const bool real = std::any_of(truth.begin(), truth.end(), [&](const auto& s) {
      return s.well == well && frame >= s.first_frame && frame <= s.last_frame + 12;
    });
    labels << fs::path(a["crop"].get<std::string>()).filename().string() << " " << (real ? 1 : 0) << "\n";
  }
  labels.close();

  // each alarm's held level, from the element's own scores: over the threshold, at most its peak
  const auto held = read_jsonl(dir / "levels.jsonl");
  ASSERT_EQ(held.size(), alarms.size()) << runner.describe();
  for (size_t i = 0; i < held.size(); ++i) {
    EXPECT_EQ(held[i]["id"], alarms[i]["id"]);
    EXPECT_GT(held[i]["held"].get<double>(), alarms[i]["threshold"].get<double>()) << held[i].dump();
    EXPECT_LE(held[i]["held"].get<double>(), held[i]["peak"].get<double>()) << held[i].dump();
  }

  // the crops feed the review page
  const auto review = wellmonitor_test::run_process(
      WELLMONITOR_TRAINER, {"review", "--images", (dir / "crops").string(), "--scores",
                            (dir / "crops" / "scores.csv").string(), "--out", (dir / "review.html").string()},
      g_tmp.string());
  EXPECT_EQ(review.exit_code, 0) << review.describe();
  EXPECT_NE(review.out.find("review: " + std::to_string(alarms.size()) + " crops in "), std::string::npos)
      << review.describe();

  const auto report =
      wellmonitor_test::run_process(kRunner, {"shadow-report", dir.string(), "--min-hours", "0"}, g_tmp.string());
  ASSERT_EQ(report.exit_code, 0) << report.describe();
  const auto j = nlohmann::json::parse(std::ifstream(dir / "acceptance-report.json"));
  EXPECT_EQ(j["alarms"], truth.size());
  EXPECT_EQ(j["marked_true"], truth.size());
  EXPECT_EQ(j["marked_false"], 0);
  EXPECT_EQ(j["unlabelled"], 0);
  EXPECT_EQ(j["missed"], 0);
  EXPECT_EQ(j["accepted"], true) << j.dump(2);
  // the clip's frames at 12 fps, less one frame's time (the remuxed clip may end a frame short)
  int64_t frames = 0;
  for (const auto& e : fs::directory_iterator(dir / "runs"))
    frames += nlohmann::json::parse(std::ifstream(e.path()))["frames"].get<int64_t>();
  EXPECT_GE(frames, kFrames - 1);
  EXPECT_LE(frames, kFrames);
  EXPECT_NEAR(j["watched_hours"].get<double>() * 3600, (frames - 1) / 12.0, 0.01);
  ASSERT_EQ(j["settings"].size(), 1u);
  EXPECT_NE(j["settings"][0]["model"].get<std::string>().find("default.wmm"), std::string::npos);
  EXPECT_NE(j["settings"][0]["decision_rule"].get<std::string>().find("alarm-frames="), std::string::npos);
  // the demo replay says its matrix: the report records how it was read
  EXPECT_EQ(j["settings"][0]["colour_matrix"], "the stream says its colour matrix: BT.709");
  EXPECT_NE(report.out.find("**ACCEPTED**"), std::string::npos) << report.out;
  // what a higher threshold would have kept: the real spill's level, no false alarm to weigh it against
  EXPECT_EQ(j["lowest_real_level"], held[0]["held"]);
  EXPECT_EQ(j["threshold_options"].size(), 4u) << j.dump(2);
  EXPECT_NE(report.out.find("## What a higher threshold would have kept"), std::string::npos) << report.out;
  std::cout << report.out;
}

TEST(ShadowMode, AMissingOrUnwritableFolderIsOneErrorLine) {
  const std::string replay = kSource + "/pipelines/demo/replay.mp4";
  const fs::path missing = g_tmp / "no-such-folder";
  const auto r = wellmonitor_test::run_process(
      "/bin/bash", {kSource + "/pipelines/file.sh", "--no-display", "--shadow", missing.string(), replay},
      g_tmp.string());
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_EQ(r.err_lines(), std::vector<std::string>{"file.sh: error: the shadow folder '" + missing.string() +
                                                    "' does not exist (create it first)"})
      << r.describe();
  EXPECT_FALSE(fs::exists(missing));
  // a folder nobody can write into (root neither)
  const auto f = wellmonitor_test::run_process(
      "/bin/bash", {kSource + "/pipelines/file.sh", "--no-display", "--shadow", "/proc", replay}, g_tmp.string());
  EXPECT_EQ(f.exit_code, 2) << f.describe();
  ASSERT_EQ(f.err_lines().size(), 1u) << f.describe();
  EXPECT_EQ(f.err_lines()[0].rfind("file.sh: error: cannot write into ", 0), 0u) << f.describe();
}
