// The pipeline scripts themselves, run as a user runs them, with no display
// (DISPLAY and WAYLAND_DISPLAY unset), on clips of the committed demo replay.
// Each script execs wellmonitor-run (test_runner.cpp tests what the runner adds:
// reconnection, signals, the lock, the lines' delay):
//  - file.sh falls back to no window, says so, and prints the spill's alarm
//    and clear; with --mqtt it publishes them to a real broker;
//  - headless.sh writes the annotated MP4 and the alarm log;
//  - rtsp.sh against a real RTSP server (gst-rtsp-server through Python, on
//    loopback) raises the alarm, and stops cleanly on SIGTERM;
//  - every script takes --mqtt URL --camera ID (checked with --dry-run).

#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/replay_clip.h"
#include "support/rtsp_server.h"
#include "support/script_environment.h"
#include "support/subprocess.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::ProcessResult;
using wellmonitor_test::run_process;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kBuild = WELLMONITOR_BINARY_DIR;
const std::string kPipelines = kSource + "/pipelines";
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("pipelines", g_tmp));

// The scripts are the same files under both build systems: the runs that take
// seconds happen once per test command, in ctest.
#define SKIP_IN_THE_OTHER_SUITE()                                                                 \
  do {                                                                                            \
    if (const char* once = std::getenv("WELLMONITOR_LONG_CHECKS_ELSEWHERE"))                      \
      GTEST_SKIP() << "the scripts' runs happen in the other test suite of this build (" << once << ")"; \
  } while (0)

ProcessResult bash(const std::string& script, std::vector<std::string> args) {
  args.insert(args.begin(), kPipelines + "/" + script);
  return run_process("/bin/bash", args, g_tmp.string());
}

std::string clip(int frames) { return wellmonitor_test::replay_clip(frames, g_tmp); }

struct Line {
  std::string kind, well;
  int frame = -1;
};

std::vector<Line> alarm_lines(const std::string& out) {
  std::vector<Line> v;
  const std::regex re(R"(^(ALARM|CLEAR) well=(\S+) time=\S+ frame=(\d+) )");
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_search(l, m, re)) v.push_back({m[1], m[2], std::stoi(m[3])});
  }
  return v;
}

// The clip's one scripted spill: r1w4 from frame 46, alarmed within 12 frames.
void expect_the_r1w4_spill(const std::vector<Line>& lines, bool with_clear, const std::string& context) {
  ASSERT_GE(lines.size(), 1u) << context;
  EXPECT_EQ(lines[0].kind, "ALARM") << context;
  EXPECT_EQ(lines[0].well, "r1w4") << context;
  EXPECT_GE(lines[0].frame, 46) << context;
  EXPECT_LE(lines[0].frame, 46 + 12) << context;
  if (with_clear) {
    ASSERT_EQ(lines.size(), 2u) << context;
    EXPECT_EQ(lines[1].kind, "CLEAR") << context;
    EXPECT_EQ(lines[1].well, "r1w4") << context;
  } else {
    EXPECT_EQ(lines.size(), 1u) << context;
  }
}

}  // namespace

TEST(Pipelines, FileShWithNoDisplayRunsWithoutAWindowAndPublishesToMqtt) {
  SKIP_IN_THE_OTHER_SUITE();
  const std::string video = clip(130);
  ASSERT_FALSE(video.empty());
  const bool broker_here = wellmonitor_test::mosquitto_binary() != nullptr;
  const int port = wellmonitor_test::free_loopback_port();
  std::unique_ptr<wellmonitor_test::Broker> broker;
  std::unique_ptr<wellmonitor_test::Subscriber> sub;
  std::vector<std::string> args = {"--fast", "--build", kBuild, "--threads", "1", video};
  if (broker_here) {
    broker = std::make_unique<wellmonitor_test::Broker>(g_tmp / "broker", port);
    ASSERT_TRUE(broker->start()) << broker->log();
    sub = std::make_unique<wellmonitor_test::Subscriber>(port, "wellmonitor/#", "test-file-sh");
    ASSERT_TRUE(sub->wait_subscribed(5000));
    args.insert(args.begin(), {"--mqtt", "mqtt://127.0.0.1:" + std::to_string(port), "--camera", "line2"});
  } else {
    std::cout << "mosquitto is not installed: file.sh runs without --mqtt\n";
  }
  const ProcessResult r = bash("file.sh", args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("no display"), std::string::npos) << r.err;
  expect_the_r1w4_spill(alarm_lines(r.out), true, r.describe());
  if (broker_here) {
    // the element waited for its queue at the stop: both events are there
    std::vector<nlohmann::json> events;
    for (const auto& g : sub->received())
      if (g.topic == "wellmonitor/line2/events/r1w4") events.push_back(nlohmann::json::parse(g.payload));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0]["kind"], "alarm");
    EXPECT_EQ(events[1]["kind"], "clear");
    EXPECT_EQ(events[0]["camera"], "line2");
  }
}

TEST(Pipelines, HeadlessShWritesTheAnnotatedVideoAndTheAlarmLog) {
  SKIP_IN_THE_OTHER_SUITE();
  const std::string video = clip(130);
  ASSERT_FALSE(video.empty());
  const fs::path out = g_tmp / "headless" / "out.mp4";
  const ProcessResult r = bash("headless.sh", {"--build", kBuild, "--threads", "1", video, out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_TRUE(fs::exists(out));
  EXPECT_GT(fs::file_size(out), 10000u);
  const std::string log = wellmonitor_test::read_all((g_tmp / "headless" / "out.alarms.log").string());
  expect_the_r1w4_spill(alarm_lines(log), true, log + r.describe());
}

// The README's demo as a user without a display runs it (tools/demo.sh execs
// demo.sh): the whole replay into the annotated video, checked against its
// ground truth. Without a window it runs as fast as it can; a sink waiting for
// each frame's time beside the annotated video's encoder once hung it.
TEST(Pipelines, DemoShWithoutADisplayWritesTheAnnotatedVideoAndCatchesEverySpill) {
  SKIP_IN_THE_OTHER_SUITE();
  const fs::path out = g_tmp / "demo-run";
  wellmonitor_test::ChildProcess p;
  ASSERT_TRUE(p.start("/bin/bash", {kPipelines + "/demo.sh", "--build", kBuild, "--no-display", "--out-dir",
                                    out.string()}));
  const auto code = p.wait_exit(240000);  // about 20 s here; a hang ends the test, not the suite
  ASSERT_TRUE(code.has_value()) << "demo.sh hangs\n" << p.describe();
  ASSERT_EQ(*code, 0) << p.describe();
  EXPECT_NE(p.out().find("detected 5 of 5 spills; 0 false alarm(s)"), std::string::npos) << p.describe();
  ASSERT_TRUE(fs::exists(out / "demo-annotated.mp4"));
  EXPECT_GT(fs::file_size(out / "demo-annotated.mp4"), 100000u);
}

TEST(Pipelines, RtspShRaisesTheAlarmFromARealRtspServerAndStopsCleanlyOnSigterm) {
  SKIP_IN_THE_OTHER_SUITE();
  const std::string video = clip(72);  // 6 s live: the alarm at r1w4
  ASSERT_FALSE(video.empty());
  const std::string missing = wellmonitor_test::rtsp_server_missing(g_tmp.string());
  if (!missing.empty()) GTEST_SKIP() << missing;
  wellmonitor_test::RtspServer server(video, wellmonitor_test::free_loopback_port());
  ASSERT_TRUE(server.start()) << server.log();
  // A live stream never ends the run (its end is a camera lost, reconnected):
  // the operator stops it, here once the alarm is out.
  wellmonitor_test::ChildProcess p;
  ASSERT_TRUE(p.start("/bin/bash", {kPipelines + "/rtsp.sh", "--build", kBuild, "--threads", "1", "--tcp",
                                    server.url()}));
  ASSERT_TRUE(p.wait_line("^ALARM well=r1w4 ", 90000)) << p.describe();
  ASSERT_TRUE(p.signal(SIGTERM));
  const auto code = p.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << p.describe();
  EXPECT_EQ(*code, 0) << p.describe();
  EXPECT_NE(p.err().find("no display"), std::string::npos) << p.err();
  const std::vector<Line> lines = alarm_lines(p.out());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].kind, "ALARM");
  EXPECT_EQ(lines[0].well, "r1w4");
  EXPECT_GE(lines[0].frame, 46);
  EXPECT_LE(lines[0].frame, 46 + 12);
}

TEST(Pipelines, EveryScriptTakesMqttAndCamera) {
  const std::string video = kSource + "/pipelines/demo/replay.mp4";
  const std::vector<std::pair<std::string, std::vector<std::string>>> scripts = {
      {"file.sh", {video}},
      {"headless.sh", {video, (g_tmp / "x.mp4").string()}},
      {"rtsp.sh", {"rtsp://127.0.0.1:8554/cam"}},
      {"camera.sh", {}},
      {"demo.sh", {"--out-dir", (g_tmp / "demo").string()}},
  };
  for (const auto& [script, rest] : scripts) {
    std::vector<std::string> args = {"--dry-run", "--mqtt", "mqtt://broker:1883", "--camera", "cam 7"};
    args.insert(args.end(), rest.begin(), rest.end());
    const ProcessResult r = bash(script, args);
    ASSERT_EQ(r.exit_code, 0) << script << "\n" << r.describe();
    EXPECT_NE(r.out.find("wellpublish name=publish method=mqtt address=\"mqtt://broker:1883\" camera=\"cam 7\""),
              std::string::npos)
        << script << "\n" << r.out;
    // the publisher reads the frame before the overlay draws on it
    EXPECT_LT(r.out.find("wellpublish"), r.out.find("welloverlay")) << script;
  }
  const ProcessResult bad = bash("file.sh", {"--dry-run", "--mqtt", "tcp://broker", video});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("mqtt://"), std::string::npos) << bad.err;
}
