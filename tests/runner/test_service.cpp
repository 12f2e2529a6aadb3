// wellmonitor-run as a systemd service and a Prometheus target, run as the
// service runs it: its sd_notify messages read from a stand-in notification
// socket (NOTIFY_SOCKET, WATCHDOG_USEC as systemd sets them) while a real RTSP
// camera is away, analysed, frozen and while a streaming thread hangs; the unit
// template checked by systemd-analyze verify; and a real Prometheus on loopback
// that scrapes the metrics endpoint and answers a query on them.

#include "support/child_process.h"
#include "support/http_get.h"
#include "support/mqtt_broker.h"  // free_loopback_port
#include "support/notify_socket.h"
#include "support/replay_clip.h"
#include "support/rtsp_server.h"
#include "support/script_environment.h"
#include "support/subprocess.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::ChildProcess;
using wellmonitor_test::NotifySocket;
using wellmonitor_test::wall_ms_now;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kRunner = wellmonitor_test::runner_path();
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("service", g_tmp));

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A live test picture in the layout's aspect ratio, as a camera sends it.
const char* const kTestCamera = "videotestsrc is-live=true ! video/x-raw,width=960,height=600,framerate=6/1";

// systemd's environment for a Type=notify service with WatchdogSec=1s.
std::vector<std::string> service_env(const NotifySocket& socket) {
  return {socket.env(), "WATCHDOG_USEC=1000000"};
}

std::string statuses(const NotifySocket& socket) {
  std::string s;
  for (const auto& t : socket.statuses()) s += "  STATUS=" + t + "\n";
  return s;
}

}  // namespace

TEST(Service, ReadyAtOnceAndAHeartbeatWhileTheCameraIsAwayAnalysedOrFrozen) {
  const std::string missing = wellmonitor_test::rtsp_server_missing(g_tmp.string());
  if (!missing.empty()) GTEST_SKIP() << missing;
  NotifySocket notify(g_tmp / "notify-camera.sock");
  ASSERT_TRUE(notify.bound());
  wellmonitor_test::RtspServer server(wellmonitor_test::replay_clip(130, g_tmp), wellmonitor_test::free_loopback_port());
  ChildProcess runner;
  const int64_t started = wall_ms_now();
  // the camera is not up yet
  ASSERT_TRUE(runner.start(kRunner,
                           {"rtsp", "--threads", "1", "--interval", "4", "--tcp", "--no-display", "--watchdog", "2",
                            "--camera", "svc", server.url()},
                           service_env(notify)));
  const auto ready = notify.wait_for("READY=1", 60000);
  ASSERT_TRUE(ready) << runner.describe();
  const auto lost_at_start = runner.wait_line("^CAMERA LOST camera=svc reason=error$", 30000);
  ASSERT_TRUE(lost_at_start) << runner.describe();
  EXPECT_TRUE(notify.wait_for_status("camera svc lost (error); reconnecting", 5000)) << statuses(notify);
  sleep_ms(3000);
  // a beat every half second while the camera is away: an outage is not a reason to restart
  const size_t beats_away = notify.count("WATCHDOG=1", lost_at_start->wall_ms, lost_at_start->wall_ms + 3000);
  EXPECT_GE(beats_away, 4u) << statuses(notify);

  ASSERT_TRUE(server.start()) << server.log();
  ASSERT_TRUE(runner.wait_line("^CAMERA BACK camera=svc ", 45000)) << runner.describe();
  const auto monitoring = notify.wait_for_status("monitoring camera svc; ", 10000);
  ASSERT_TRUE(monitoring) << statuses(notify);
  sleep_ms(2000);
  EXPECT_GE(notify.count("WATCHDOG=1", monitoring->wall_ms, monitoring->wall_ms + 2000), 3u);

  server.freeze();
  const auto lost = runner.wait_line("^CAMERA LOST camera=svc reason=no-frames$", 20000);
  ASSERT_TRUE(lost) << runner.describe();
  sleep_ms(3000);
  const size_t beats_frozen = notify.count("WATCHDOG=1", lost->wall_ms, lost->wall_ms + 3000);
  EXPECT_GE(beats_frozen, 4u) << statuses(notify);
  EXPECT_TRUE(notify.wait_for_status("camera svc lost (no-frames); reconnecting", 2000)) << statuses(notify);
  server.thaw();

  ASSERT_TRUE(runner.signal(SIGTERM));
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 10000)) << statuses(notify);
  const auto code = runner.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  EXPECT_EQ(*code, 0) << runner.describe();
  std::cout << "READY=1 " << ready->wall_ms - started << " ms after the start, camera down; beats: " << beats_away << " in 3 s with the camera away, " << beats_frozen << " in 3 s frozen\n"
            << statuses(notify);
}

TEST(Service, AStreamingThreadThatHangsStopsTheHeartbeat) {
  NotifySocket notify(g_tmp / "notify-hang.sock");
  ASSERT_TRUE(notify.bound());
  ChildProcess runner;
  // every scoring pass of the model sleeps 10 minutes: the first frame hangs
  // the streaming thread inside wellmonitor
  std::vector<std::string> env = service_env(notify);
  env.push_back("WELLMONITOR_SCORE_DELAY_US=600000000");
  ASSERT_TRUE(runner.start(kRunner,
                           {"live", "--threads", "1", "--no-display", "--hang-timeout", "2", "--camera", "hang",
                            "--source-pipeline", kTestCamera},
                           env));
  const auto ready = notify.wait_for("READY=1", 60000);
  ASSERT_TRUE(ready) << runner.describe();
  const auto stuck = notify.wait_for_status("stuck: a frame of camera hang has not come through the pipeline in 2 s",
                                            20000);
  ASSERT_TRUE(stuck) << statuses(notify) << runner.describe();
  sleep_ms(3500);
  // nothing after the verdict: systemd's watchdog (WatchdogSec=1s here) would abort and restart it
  EXPECT_EQ(notify.count("WATCHDOG=1", stuck->wall_ms + 1, wall_ms_now()), 0u) << statuses(notify);
  EXPECT_GE(notify.count("WATCHDOG=1", 0, stuck->wall_ms + 1), 1u);
  EXPECT_TRUE(runner.wait_line("wellmonitor-run: error: stuck: a frame of camera hang has not come through the "
                               "pipeline in 2 s \\(a streaming thread hangs\\); no more service heartbeats",
                               1000, true))
      << runner.describe();
  std::cout << "stuck said " << stuck->wall_ms - ready->wall_ms << " ms after READY=1 (hang timeout 2 s)\n";
}

TEST(Service, TheUnitTemplatePassesSystemdAnalyzeVerify) {
  const char* analyze = "/usr/bin/systemd-analyze";
  if (::access(analyze, X_OK) != 0) GTEST_SKIP() << "no systemd-analyze (apt-get install systemd)";
  const fs::path built = fs::path(WELLMONITOR_BINARY_DIR) / "deploy" / "wellmonitor@.service";
  std::ifstream in(built);
  ASSERT_TRUE(in) << built;
  std::string unit((std::istreambuf_iterator<char>(in)), {});
  for (const char* line : {"\nType=notify\n", "\nWatchdogSec=30s\n", "\nRestart=on-failure\n",
                           "\nStateDirectory=wellmonitor/%i\n", "\nLoadCredential=mqtt-password:",
                           "\nRestartPreventExitStatus=2 4\n"})
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  const std::regex exec(R"(\nExecStart=(\S+)/wellmonitor-run --config (\S+)/%i\.conf\n)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(unit, m, exec)) << unit;
  // verify wants the program installed where ExecStart says: this build's until then
  if (::access((m[1].str() + "/wellmonitor-run").c_str(), X_OK) != 0)
    unit.replace(static_cast<size_t>(m.position(1)), m[1].length(), fs::path(kRunner).parent_path().string());
  const fs::path dir = g_tmp / "units";
  fs::create_directories(dir);
  std::ofstream(dir / "wellmonitor@.service") << unit;
  const auto r = wellmonitor_test::run_process(
      analyze, {"verify", "--man=no", (dir / "wellmonitor@table1.service").string()}, g_tmp.string());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.err.find("wellmonitor@"), std::string::npos) << r.describe();
  // and the check bites: a misspelt setting fails it
  std::string bad = unit;
  bad.replace(bad.find("WatchdogSec=30s"), 15, "WatchdogSec=soon");
  std::ofstream(dir / "wellmonitor@.service") << bad;
  const auto r2 = wellmonitor_test::run_process(
      analyze, {"verify", "--man=no", (dir / "wellmonitor@table1.service").string()}, g_tmp.string());
  EXPECT_NE(r2.err.find("Failed to parse sec value, ignoring: soon"), std::string::npos)
      << r2.describe();
}

TEST(Service, PrometheusScrapesTheMetricsAndAnswersAQueryOnThem) {
  const char* prometheus = "/usr/bin/prometheus";
  if (::access(prometheus, X_OK) != 0) GTEST_SKIP() << "no Prometheus (apt-get install prometheus)";
  ChildProcess runner;
  ASSERT_TRUE(runner.start(kRunner, {"live", "--threads", "1", "--interval", "2", "--no-display", "--metrics-port",
                                     "0", "--camera", "prom", "--source-pipeline", kTestCamera}));
  const auto said = runner.wait_line("metrics at http://127\\.0\\.0\\.1:[0-9]+/metrics$", 60000, true);
  ASSERT_TRUE(said) << runner.describe();
  const int metrics_port = std::stoi(said->text.substr(said->text.rfind(':') + 1));
  ASSERT_TRUE(runner.wait_line("receiving frames", 30000, true)) << runner.describe();
  // the endpoint itself
  const auto page = wellmonitor_test::http_get(metrics_port, "/metrics");
  ASSERT_EQ(page.status, 200) << page.head;
  EXPECT_NE(page.body.find("wellmonitor_camera_up{camera=\"prom\"} 1\n"), std::string::npos) << page.body;

  // Prometheus, scraping every second, with the shipped alert rules
  const int port = wellmonitor_test::free_loopback_port();
  const fs::path dir = g_tmp / "prometheus";
  fs::create_directories(dir);
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                        << "rule_files:\n  - " << kSource << "/deploy/prometheus/wellmonitor-alerts.yml\n"
                                        << "scrape_configs:\n  - job_name: wellmonitor\n    static_configs:\n"
                                        << "      - targets: ['127.0.0.1:" << metrics_port << "']\n";
  ChildProcess prom;
  ASSERT_TRUE(prom.start(prometheus, {"--config.file=" + (dir / "prometheus.yml").string(),
                                      "--storage.tsdb.path=" + (dir / "data").string(),
                                      "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"}));
  const std::string query = "/api/v1/query?query=" +
                            wellmonitor_test::url_encode("wellmonitor_frames_analysed_total{camera=\"prom\"}");
  double analysed = 0;
  nlohmann::json answer;
  for (int i = 0; i < 60 && analysed <= 0; ++i) {
    sleep_ms(500);
    const auto r = wellmonitor_test::http_get(port, query);
    if (r.status != 200) continue;
    answer = nlohmann::json::parse(r.body, nullptr, false);
    if (answer.is_discarded() || answer["data"]["result"].empty()) continue;
    analysed = std::stod(answer["data"]["result"][0]["value"][1].get<std::string>());
  }
  ASSERT_GT(analysed, 0) << answer.dump() << "\n" << prom.describe();
  EXPECT_EQ(answer["data"]["result"][0]["metric"]["job"], "wellmonitor");

  // the shipped rules loaded and evaluated without error
  const auto rules = wellmonitor_test::http_get(port, "/api/v1/rules");
  ASSERT_EQ(rules.status, 200);
  const auto groups = nlohmann::json::parse(rules.body)["data"]["groups"];
  ASSERT_EQ(groups.size(), 1u) << rules.body;
  std::vector<std::string> names;
  for (const auto& rule : groups[0]["rules"]) {
    names.push_back(rule["name"]);
    EXPECT_NE(rule["health"], "err") << rule.dump();
  }
  for (const char* alert : {"WellmonitorCameraDown", "WellmonitorNoFrames", "WellmonitorSpoolGrowing"})
    EXPECT_NE(std::find(names.begin(), names.end(), alert), names.end()) << alert;
  std::cout << "Prometheus read wellmonitor_frames_analysed_total{camera=\"prom\"} = " << analysed << "\n";

  ASSERT_TRUE(prom.signal(SIGTERM));
  prom.wait_exit(20000);
  ASSERT_TRUE(runner.signal(SIGTERM));
  const auto code = runner.wait_exit(30000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  EXPECT_EQ(*code, 0) << runner.describe();
}
