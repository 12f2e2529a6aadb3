// wellmonitor-run end to end, through the pipeline scripts that exec it, as a
// plant runs it: against a real RTSP server (gst-rtsp-server on loopback) that
// is killed, frozen and restarted; stopped by SIGTERM and SIGINT sent to it and
// to its process group; a second copy for the same camera; and the alarm lines'
// delay on the demo replay, each line stamped when this test reads it and
// compared with the wall-clock time in the event wellpublish wrote for it.

#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/replay_clip.h"
#include "support/rtsp_server.h"
#include "support/script_environment.h"
#include "support/subprocess.h"

#include "exit_status.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::ChildProcess;
using wellmonitor_test::RtspServer;
using wellmonitor_test::TimedLine;
using wellmonitor::run::signal_name;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("runner", g_tmp));

#define SKIP_WITHOUT_RTSP_SERVER()                                                              \
  do {                                                                                          \
    const std::string missing = wellmonitor_test::rtsp_server_missing(g_tmp.string());          \
    if (!missing.empty()) GTEST_SKIP() << missing;                                              \
  } while (0)

// rtsp.sh as an operator runs it on a plant PC without a screen.
bool start_rtsp_sh(ChildProcess& p, const std::string& url, const std::string& camera,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {kSource + "/pipelines/rtsp.sh", "--threads", "1", "--tcp", "--no-display",
                                   "--watchdog", "2", "--camera", camera};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  return p.start("/bin/bash", args);
}

std::string clip(int frames) { return wellmonitor_test::replay_clip(frames, g_tmp); }

// Stops a runner with `sig` and expects the clean exit.
void expect_clean_exit_on(ChildProcess& p, int sig = SIGTERM) {
  ASSERT_TRUE(p.signal(sig));
  const auto code = p.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << "still running\n" << p.describe();
  EXPECT_EQ(*code, 0) << p.describe();
}

// An RTSP server playing the first 130 frames of the replay (the r1w4 spill
// from frame 46, 3.8 s), and a runner on it with `extra` options, once frames
// come in.
struct LiveRun {
  RtspServer server{clip(130), wellmonitor_test::free_loopback_port()};
  ChildProcess runner;
  ::testing::AssertionResult start(const std::string& camera, const std::vector<std::string>& extra = {}) {
    if (!server.start()) return ::testing::AssertionFailure() << "the RTSP server did not start\n" << server.log();
    if (!start_rtsp_sh(runner, server.url(), camera, extra)) return ::testing::AssertionFailure() << "no runner";
    if (!runner.wait_line("receiving frames", 40000, true))
      return ::testing::AssertionFailure() << "no frames\n" << runner.describe();
    return ::testing::AssertionSuccess();
  }
};

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// "2026-12-06T18:43:05.123Z" -> ms since 1970
int64_t iso_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

// The newest recording segment in `dir`, "" when none.
std::string last_segment(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".ts") names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.empty() ? "" : names.back();
}

// A playable segment: decodes to its end, and gst-discoverer-1.0 finds video in
// it. (Not a duration: a stop that comes a frame after a segment began leaves
// a last segment of one key frame, whose duration is 0 and which plays.)
void expect_playable(const std::string& segment, const std::string& context) {
  const auto decode = wellmonitor_test::run_process(
      "/usr/bin/gst-launch-1.0", {"-q", "filesrc", "location=" + segment, "!", "tsdemux", "!", "h264parse", "!",
                                  "avdec_h264", "!", "fakesink", "sync=false"},
      g_tmp.string());
  EXPECT_EQ(decode.exit_code, 0) << context << ": " << segment << "\n" << decode.describe();
  const auto probe = wellmonitor_test::run_process("/usr/bin/gst-discoverer-1.0", {segment}, g_tmp.string());
  EXPECT_EQ(probe.exit_code, 0) << context << probe.describe();
  EXPECT_NE(probe.out.find("video #"), std::string::npos) << context << ": " << segment << "\n" << probe.out;
  std::cout << context << ": last segment " << fs::path(segment).filename().string() << ", "
            << fs::file_size(segment) << " bytes, decodes\n";
}

// Stops a runner that monitors a live camera with `sig`, sent to it or to its
// process group: it must end the stream, exit 0, leave a playable last segment
// and no process behind.
void expect_clean_stop(int sig, bool to_group) {
  const std::string context = signal_name(sig) + (to_group ? " to the group" : " to the process");
  const fs::path rec = g_tmp / ("rec-" + std::to_string(sig) + (to_group ? "-group" : "-process"));
  LiveRun live;
  ASSERT_TRUE(live.start("stop" + std::to_string(sig) + (to_group ? "g" : "p"),
                         {"--record", rec.string(), "--record-segment", "2"}));
  sleep_ms(3000);  // a segment or two of recording
  ASSERT_TRUE(to_group ? live.runner.signal_group(sig) : live.runner.signal(sig)) << context;
  const auto code = live.runner.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << context << ": still running\n" << live.runner.describe();
  EXPECT_EQ(*code, 0) << context << live.runner.describe();
  EXPECT_NE(live.runner.err().find(signal_name(sig) + ": ending the stream"), std::string::npos)
      << context << live.runner.describe();
  EXPECT_FALSE(live.runner.group_alive()) << context << ": a process of its group is left";
  const std::string segment = last_segment(rec);
  ASSERT_FALSE(segment.empty()) << context << ": no segment in " << rec;
  expect_playable(segment, context);
}

}  // namespace

TEST(Runner, AKilledCameraIsReportedLostAndMonitoringResumesWhenItComesBack) {
  SKIP_WITHOUT_RTSP_SERVER();
  LiveRun live;
  ASSERT_TRUE(live.start("killed"));
  ChildProcess& runner = live.runner;
  ASSERT_TRUE(runner.wait_line("^ALARM well=r1w4 ", 60000)) << runner.describe();

  live.server.kill();
  const int64_t killed = wellmonitor_test::wall_ms_now();
  // (on a machine slower than the stream the runner first works through what it
  // had received: that lag adds to the watchdog)
  const auto lost = runner.wait_line("^CAMERA LOST camera=killed reason=(eos|error|no-frames)$", 45000);
  ASSERT_TRUE(lost) << runner.describe();
  sleep_ms(1000);
  ASSERT_TRUE(live.server.start()) << live.server.log();
  const int64_t restarted = wellmonitor_test::wall_ms_now();
  const auto back = runner.wait_line("^CAMERA BACK camera=killed after=[0-9.]+s$", 45000);
  ASSERT_TRUE(back) << runner.describe();
  // the spill of the stream played again is analysed and alarms again
  const auto again = runner.wait_line("^ALARM well=r1w4 ", 45000, false, 1);
  EXPECT_TRUE(again) << runner.describe();
  std::cout << "camera lost reported " << lost->wall_ms - killed << " ms after the kill (" << lost->text
            << "); back " << back->wall_ms - restarted << " ms after the restart\n";
  expect_clean_exit_on(runner);
}

TEST(Runner, AFrozenCameraIsReportedLostWithinTheWatchdogAndBackWhenItResumes) {
  SKIP_WITHOUT_RTSP_SERVER();
  LiveRun live;
  // --watchdog 2; every 4th frame analysed, so that a loaded machine keeps up
  // with the stream (frames it is behind on keep coming after the freeze)
  ASSERT_TRUE(live.start("frozen", {"--interval", "4"}));
  sleep_ms(1000);
  live.server.freeze();
  const int64_t frozen = wellmonitor_test::wall_ms_now();
  const auto lost = live.runner.wait_line("^CAMERA LOST camera=frozen reason=no-frames$", 15000);
  ASSERT_TRUE(lost) << live.runner.describe();
  const int64_t delay = lost->wall_ms - frozen;
  // the watchdog (2 s), the frames already on their way (200 ms jitter buffer) and
  // the runner's 0.1 s tick; a loaded machine gets 3 s more
  EXPECT_LE(delay, 2000 + 200 + 100 + 3000) << live.runner.describe();
  live.server.thaw();
  const int64_t thawed = wellmonitor_test::wall_ms_now();
  const auto back = live.runner.wait_line("^CAMERA BACK camera=frozen ", 45000);
  EXPECT_TRUE(back) << live.runner.describe();
  std::cout << "frozen camera reported lost after " << delay << " ms (watchdog 2 s); back "
            << (back ? back->wall_ms - thawed : -1) << " ms after it resumed\n";
  expect_clean_exit_on(live.runner);
}

TEST(Runner, ACameraNotUpAtStartIsWaitedForAndThenMonitored) {
  SKIP_WITHOUT_RTSP_SERVER();
  RtspServer server(clip(130), wellmonitor_test::free_loopback_port());
  ChildProcess runner;
  ASSERT_TRUE(start_rtsp_sh(runner, server.url(), "late"));
  const auto lost = runner.wait_line("^CAMERA LOST camera=late reason=error$", 30000);
  ASSERT_TRUE(lost) << runner.describe();
  EXPECT_TRUE(runner.wait_line("retrying in", 1000, true)) << runner.describe();
  ASSERT_TRUE(server.start()) << server.log();
  EXPECT_TRUE(runner.wait_line("^CAMERA BACK camera=late ", 45000)) << runner.describe();
  EXPECT_TRUE(runner.wait_line("^ALARM well=r1w4 ", 30000)) << runner.describe();
  expect_clean_exit_on(runner, SIGINT);
}

TEST(Runner, SigtermToTheRunnerOrToItsGroupEndsCleanlyWithAPlayableRecording) {
  SKIP_WITHOUT_RTSP_SERVER();
  expect_clean_stop(SIGTERM, false);
  expect_clean_stop(SIGTERM, true);
}

TEST(Runner, SigintToTheRunnerOrToItsGroupEndsCleanlyWithAPlayableRecording) {
  SKIP_WITHOUT_RTSP_SERVER();
  expect_clean_stop(SIGINT, false);
  expect_clean_stop(SIGINT, true);
}

TEST(Runner, AfterSigkillTheLastSegmentStillPlaysAndTheCameraIsFreeForTheNextRunner) {
  SKIP_WITHOUT_RTSP_SERVER();
  const fs::path rec = g_tmp / "rec-killed";
  LiveRun live;
  ASSERT_TRUE(live.start("sigkill", {"--record", rec.string()}));
  sleep_ms(4000);
  ASSERT_TRUE(live.runner.signal(SIGKILL));
  const auto code = live.runner.wait_exit(10000);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, -SIGKILL);
  const std::string segment = last_segment(rec);
  ASSERT_FALSE(segment.empty()) << "no segment in " << rec;
  // a transport stream needs nothing written at its end: it decodes to its last frame
  expect_playable(segment, "SIGKILL");
  // the lock went with the killed process
  ChildProcess next;
  ASSERT_TRUE(start_rtsp_sh(next, live.server.url(), "sigkill"));
  EXPECT_TRUE(next.wait_line("receiving frames", 40000, true)) << next.describe();
  expect_clean_exit_on(next);
}

TEST(Runner, ASecondSignalStopsAtOnce) {
  SKIP_WITHOUT_RTSP_SERVER();
  LiveRun live;
  ASSERT_TRUE(live.start("twice"));
  // two different signals (two of the same kind may arrive as one)
  ASSERT_TRUE(live.runner.signal(SIGTERM));
  ASSERT_TRUE(live.runner.signal(SIGINT));
  const auto code = live.runner.wait_exit(20000);
  ASSERT_TRUE(code.has_value()) << live.runner.describe();
  EXPECT_TRUE(*code == 128 + SIGINT || *code == 128 + SIGTERM) << live.runner.describe();
  EXPECT_NE(live.runner.err().find("stopped at once by a second SIG"), std::string::npos) << live.runner.describe();
  EXPECT_FALSE(live.runner.group_alive());
}

TEST(Runner, ASecondCopyForTheSameCameraIsRefusedNamingThePidOfTheFirst) {
  // no server: the first copy waits for its camera, holding the lock
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(wellmonitor_test::free_loopback_port()) + "/x";
  ChildProcess first;
  ASSERT_TRUE(start_rtsp_sh(first, url, "table1"));
  ASSERT_TRUE(first.wait_line("^CAMERA LOST camera=table1 ", 30000)) << first.describe();
  ChildProcess second;
  ASSERT_TRUE(start_rtsp_sh(second, url, "table1"));
  const auto code = second.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << second.describe();
  EXPECT_EQ(*code, 4) << second.describe();
  EXPECT_NE(second.err().find("rtsp.sh: error: camera 'table1' is already monitored by process " +
                              std::to_string(first.pid()) + " (lock "),
            std::string::npos)
      << second.describe();
  EXPECT_TRUE(second.out().empty()) << second.describe();
  // another camera is not held up
  ChildProcess other;
  ASSERT_TRUE(start_rtsp_sh(other, url, "table2"));
  EXPECT_TRUE(other.wait_line("^CAMERA LOST camera=table2 ", 30000)) << other.describe();
  expect_clean_exit_on(first);
  expect_clean_exit_on(other);
}

TEST(Runner, ARunWhoseEventsCouldNotBeDeliveredFails) {
  // a broker that is never there: the alarm and the clear wait in wellpublish's queue
  const std::string broker = "mqtt://127.0.0.1:" + std::to_string(wellmonitor_test::free_loopback_port());
  ChildProcess runner;
  ASSERT_TRUE(runner.start("/bin/bash", {kSource + "/pipelines/file.sh", "--fast", "--no-display", "--threads", "1",
                                         "--mqtt", broker, "--camera", "nobroker", clip(130)}));
  const auto code = runner.wait_exit(120000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  EXPECT_EQ(*code, 3) << runner.describe();
  EXPECT_NE(runner.err().find("file.sh: error: 2 events not delivered to " + broker), std::string::npos)
      << runner.describe();
  EXPECT_EQ(runner.out().find("ALARM well=r1w4 "), 0u) << runner.describe();
}

TEST(Runner, AlarmLinesArriveWithinASecondOfTheBusMessageOnTheDemoReplay) {
  const fs::path events = g_tmp / "delay-events.jsonl";
  ChildProcess runner;
  ASSERT_TRUE(runner.start("/bin/bash", {kSource + "/pipelines/file.sh", "--fast", "--no-display", "--threads", "1",
                                         "--events", events.string(), kSource + "/pipelines/demo/replay.mp4"}));
  const auto code = runner.wait_exit(180000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  ASSERT_EQ(*code, 0) << runner.describe();

  std::vector<nlohmann::json> published;
  std::ifstream in(events);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) published.push_back(nlohmann::json::parse(l));
  std::vector<TimedLine> lines;
  for (const auto& l : runner.out_lines())
    if (l.text.rfind("ALARM ", 0) == 0 || l.text.rfind("CLEAR ", 0) == 0) lines.push_back(l);
  ASSERT_EQ(lines.size(), 10u) << runner.describe();
  ASSERT_EQ(published.size(), lines.size()) << runner.describe();
  std::vector<int64_t> delays;
  for (size_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json& e = published[i];
    const std::string kind = e["kind"] == "alarm" ? "ALARM" : "CLEAR";
    EXPECT_EQ(lines[i].text.rfind(kind + " well=" + e["well"].get<std::string>() + " ", 0), 0u)
        << lines[i].text << " vs " << e.dump().substr(0, 200);
    const int64_t at = iso_ms(e["time"].get<std::string>());
    ASSERT_GT(at, 0) << e["time"];
    delays.push_back(lines[i].wall_ms - at);
  }
  for (size_t i = 0; i < delays.size(); ++i) EXPECT_LE(delays[i], 1000) << lines[i].text;
  EXPECT_NE(runner.err().find("file.sh: 5 alarms, 5 clears"), std::string::npos) << runner.err();
  std::vector<int64_t> sorted = delays;
  std::sort(sorted.begin(), sorted.end());
  std::cout << "alarm line delays (ms, line read by the test - event's wall-clock time):";
  for (const int64_t d : delays) std::cout << " " << d;
  std::cout << "; median " << sorted[sorted.size() / 2] << ", max " << sorted.back() << "\n";
}

// A well an operator shelved stays shelved when the monitor restarts (a crash,
// the watchdog, a reboot), with who and why on the journal and on the state
// the plant's dashboards read, until it is put back; a damaged record of it
// watches every well and says so. The replay's r1w4 spills from frame 46.
TEST(Runner, AWellShelvedByCommandStaysShelvedAcrossARestartUntilPutBack) {
  if (!wellmonitor_test::mosquitto_binary()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto)";
  const int port = wellmonitor_test::free_loopback_port();
  wellmonitor_test::Broker broker(g_tmp / "broker-shelve", port);
  ASSERT_TRUE(broker.start()) << broker.log();
  const fs::path state = g_tmp / "shelve-state";
  const std::string mqtt = "mqtt://127.0.0.1:" + std::to_string(port);
  const std::string base = "wellmonitor/shelvetable";
  const auto start = [&](ChildProcess& p, bool fast) {
    std::vector<std::string> args = {"file",   "--no-display", "--threads",   "1",           "--mqtt",
                                     mqtt,     "--camera",     "shelvetable", "--state-dir", state.string()};
    if (fast) args.push_back("--fast");
    args.push_back(clip(130));
    return p.start(wellmonitor_test::runner_path(), args);
  };
  // an operator's command, sent again each second until the monitor says it was done
  const auto command_until = [&](ChildProcess& p, const std::string& json, const std::string& line) {
    for (int i = 0; i < 20; ++i) {
      const auto sent = wellmonitor_test::run_process(
          "/usr/bin/mosquitto_pub", {"-h", "127.0.0.1", "-p", std::to_string(port), "-q", "1", "-t", base + "/command",
                                     "-m", json},
          g_tmp.string());
      EXPECT_EQ(sent.exit_code, 0) << sent.describe();
      if (p.wait_line(line, 1000)) return true;
    }
    return false;
  };
  const auto retained_state = [&](const std::string& well) {
    const auto r = wellmonitor_test::run_process(
        "/usr/bin/mosquitto_sub",
        {"-h", "127.0.0.1", "-p", std::to_string(port), "-t", base + "/state/" + well, "-C", "1", "-W", "5"},
        g_tmp.string());
    return r.exit_code == 0 ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
  };

  {  // shelved by command, then stopped as a service manager stops it
    ChildProcess p;
    ASSERT_TRUE(start(p, false));
    ASSERT_TRUE(command_until(p, R"({"command": "shelve", "well": "r1w4", "by": "Anna", "note": "cylinder removed"})",
                              "^SHELVED well=r1w4 by=Anna note=\"cylinder removed\"$"))
        << p.describe();
    expect_clean_exit_on(p);
  }
  {  // restarted: still shelved, before its spill, by whom and why
    ChildProcess p;
    ASSERT_TRUE(start(p, true));
    const auto code = p.wait_exit(120000);
    ASSERT_TRUE(code.has_value()) << p.describe();
    EXPECT_EQ(*code, 0) << p.describe();
    EXPECT_TRUE(std::regex_search(p.err(), std::regex("still shelved from before the restart: r1w4 \\(by Anna since "
                                                      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ: \"cylinder removed\"\\)")))
        << p.describe();
    EXPECT_NE(p.out().find("SHELVED well=r1w4 by=Anna note=\"cylinder removed\""), std::string::npos) << p.describe();
    EXPECT_EQ(p.out().find("ALARM well=r1w4"), std::string::npos) << "a shelved well alarmed\n" << p.describe();
    const nlohmann::json s = retained_state("r1w4");
    EXPECT_EQ(s.value("state", ""), "shelved") << s.dump();
    EXPECT_EQ(s.value("by", ""), "Anna") << s.dump();
    EXPECT_EQ(s.value("note", ""), "cylinder removed") << s.dump();
    // since when: the first shelving's time, as the file keeps it, not the restart's
    const auto file = nlohmann::json::parse(std::ifstream(state / "shelvetable.shelved.json"));
    std::string since = file["shelved"][0]["since"];
    ASSERT_EQ(since.size(), 20u) << file.dump();
    EXPECT_EQ(s.value("since", ""), since.substr(0, 19) + ".000Z") << s.dump();
  }
  {  // put back, stopped
    ChildProcess p;
    ASSERT_TRUE(start(p, false));
    ASSERT_TRUE(p.wait_line("^SHELVED well=r1w4 by=Anna", 30000)) << "not shelved again\n" << p.describe();
    ASSERT_TRUE(command_until(p, R"({"command": "unshelve", "well": "r1w4", "by": "Ben", "note": "new cylinder"})",
                              "^UNSHELVED well=r1w4 by=Ben"))
        << p.describe();
    expect_clean_exit_on(p);
  }
  {  // restarted: watched again
    ChildProcess p;
    ASSERT_TRUE(start(p, true));
    ASSERT_TRUE(p.wait_exit(120000).has_value()) << p.describe();
    EXPECT_EQ(p.err().find("still shelved"), std::string::npos) << p.describe();
    EXPECT_NE(p.out().find("ALARM well=r1w4"), std::string::npos) << p.describe();
  }
  {  // a damaged record: every well watched, said in one line, the file kept aside
    const fs::path file = state / "shelvetable.shelved.json";
    ASSERT_TRUE(fs::exists(file));
    std::ofstream(file, std::ios::trunc) << "{\"shelved\": [{\"well\": \"r1w4\"";
    ChildProcess p;
    ASSERT_TRUE(start(p, true));
    ASSERT_TRUE(p.wait_exit(120000).has_value()) << p.describe();
    EXPECT_NE(p.err().find("wellmonitor-run: warning: " + file.string() +
                           " is damaged (parse error"),
              std::string::npos)
        << p.describe();
    EXPECT_NE(p.err().find(": no well is shelved; shelve again those that should be (the file is kept as " +
                           file.string() + ".damaged)\n"),
              std::string::npos)
        << p.describe();
    EXPECT_NE(p.out().find("ALARM well=r1w4"), std::string::npos) << p.describe();
    EXPECT_TRUE(fs::exists(file.string() + ".damaged"));
  }
}
