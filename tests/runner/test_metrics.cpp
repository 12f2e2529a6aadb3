// The metrics page (runner/metrics.h) in Prometheus' text format, and the
// endpoint (runner/metrics_server.h) answering it over HTTP on loopback.

#include "support/http_get.h"

#include "metrics.h"
#include "metrics_server.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

using namespace wellmonitor::run;

namespace {

CameraMetrics table1() {
  CameraMetrics m;
  m.camera = "table1";
  m.frames_in = 1200;
  m.frames_analysed = 300;
  m.frames_late = 7;
  m.counters_from_monitor = true;
  m.camera_up = true;
  m.last_frame_age_s = 0.25;
  m.wells_in_alarm = 1;
  m.alarms = 3;
  m.clears = 2;
  m.camera_losses = 1;
  m.model = "/usr/share/wellmonitor/default.wmm";
  m.threshold = 0.052;
  PublisherMetrics mqtt;
  mqtt.method = "mqtt";
  mqtt.connected = true;
  mqtt.queued = 4;
  mqtt.delivered = 11;
  mqtt.spooled = 2;
  m.publishers.push_back(mqtt);
  return m;
}

// The value of the one sample `series` (name with labels, as written).
std::string sample(const std::string& page, const std::string& series) {
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return "<none>";
}

}  // namespace

TEST(Metrics, EverySeriesCarriesTheCameraAndTheWellmonitorPrefixWithItsHelpAndType) {
  const std::string page = format_metrics({table1()});
  EXPECT_EQ(sample(page, "wellmonitor_frames_in_total{camera=\"table1\"}"), "1200");
  EXPECT_EQ(sample(page, "wellmonitor_frames_analysed_total{camera=\"table1\"}"), "300");
  EXPECT_EQ(sample(page, "wellmonitor_frames_late_total{camera=\"table1\"}"), "7");
  EXPECT_EQ(sample(page, "wellmonitor_camera_up{camera=\"table1\"}"), "1");
  EXPECT_EQ(sample(page, "wellmonitor_last_frame_age_seconds{camera=\"table1\"}"), "0.25");
  EXPECT_EQ(sample(page, "wellmonitor_wells_in_alarm{camera=\"table1\"}"), "1");
  EXPECT_EQ(sample(page, "wellmonitor_alarms_total{camera=\"table1\"}"), "3");
  EXPECT_EQ(sample(page, "wellmonitor_events_queued{camera=\"table1\",publisher=\"mqtt\"}"), "4");
  EXPECT_EQ(sample(page, "wellmonitor_events_spooled{camera=\"table1\",publisher=\"mqtt\"}"), "2");
  EXPECT_EQ(sample(page, "wellmonitor_events_delivered_total{camera=\"table1\",publisher=\"mqtt\"}"), "11");
  EXPECT_EQ(sample(page,
                   "wellmonitor_model_info{camera=\"table1\",model=\"/usr/share/wellmonitor/default.wmm\","
                   "threshold=\"0.052\"}"),
            "1");
  EXPECT_NE(page.find("# HELP wellmonitor_frames_in_total "), std::string::npos);
  EXPECT_NE(page.find("# TYPE wellmonitor_frames_in_total counter\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE wellmonitor_camera_up gauge\n"), std::string::npos);
  // every sample line: a wellmonitor_ name, a camera label first, a number
  const std::regex line_re(R"(^wellmonitor_[a-z_]+\{camera="table1"(,[a-z]+="[^"]*")*\} [-+0-9.eInfa]+$)");
  std::istringstream in(page);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 20);
}

TEST(Metrics, ScoringTimeIsACumulativeHistogramWithSumAndCount) {
  ScoringHistogram h;
  for (const double s : {0.003, 0.03, 0.035, 0.07, 0.3, 12.0}) h.observe(s);
  CameraMetrics m = table1();
  m.scoring = h.snapshot();
  const std::string page = format_metrics({m});
  EXPECT_NE(page.find("# TYPE wellmonitor_scoring_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"0.005\"}"), "1");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"0.04\"}"), "3");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"0.08\"}"), "4");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"0.5\"}"), "5");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"10\"}"), "5");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_bucket{camera=\"table1\",le=\"+Inf\"}"), "6");
  EXPECT_EQ(sample(page, "wellmonitor_scoring_seconds_count{camera=\"table1\"}"), "6");
  EXPECT_NEAR(std::stod(sample(page, "wellmonitor_scoring_seconds_sum{camera=\"table1\"}")), 12.438, 1e-6);
}

TEST(Metrics, CountersNotKnownAreLeftOutRatherThanReportedAsZero) {
  CameraMetrics m = table1();
  m.counters_from_monitor = false;
  m.publishers[0].spooled.reset();
  m.model.clear();
  const std::string page = format_metrics({m});
  EXPECT_EQ(page.find("wellmonitor_frames_analysed_total"), std::string::npos);
  EXPECT_EQ(page.find("wellmonitor_frames_late_total"), std::string::npos);
  EXPECT_EQ(page.find("wellmonitor_events_spooled"), std::string::npos);
  EXPECT_EQ(page.find("wellmonitor_model_info"), std::string::npos);
  EXPECT_EQ(sample(page, "wellmonitor_frames_in_total{camera=\"table1\"}"), "1200");
}

TEST(Metrics, SeveralCamerasShareOneHelpAndTypePerMetricAndLabelValuesAreEscaped) {
  CameraMetrics a = table1();
  CameraMetrics b = table1();
  b.camera = "hall \"2\"\\east";
  b.frames_in = 5;
  const std::string page = format_metrics({a, b});
  size_t helps = 0;
  for (size_t at = page.find("# HELP wellmonitor_frames_in_total "); at != std::string::npos;
       at = page.find("# HELP wellmonitor_frames_in_total ", at + 1))
    ++helps;
  EXPECT_EQ(helps, 1u);
  EXPECT_EQ(sample(page, "wellmonitor_frames_in_total{camera=\"hall \\\"2\\\"\\\\east\"}"), "5");
  EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
}

TEST(MetricsServer, ServesThePageAtSlashMetricsOnLoopbackAndNothingElse) {
  std::string error;
  int renders = 0;
  auto server = MetricsServer::start("127.0.0.1", 0, [&] {
    ++renders;
    return format_metrics({table1()});
  }, error);
  ASSERT_TRUE(server) << error;
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()) + "/metrics");
  const auto answer = wellmonitor_test::http_get(server->port(), "/metrics");
  EXPECT_EQ(answer.status, 200) << answer.head;
  EXPECT_NE(answer.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << answer.head;
  EXPECT_NE(answer.body.find("wellmonitor_frames_in_total{camera=\"table1\"} 1200\n"), std::string::npos)
      << answer.body;
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(wellmonitor_test::http_get(server->port(), "/").status, 404);
  EXPECT_EQ(renders, 1);
}

TEST(MetricsServer, APortInUseIsOneLineNamingTheAddress) {
  std::string error;
  auto first = MetricsServer::start("127.0.0.1", 0, [] { return std::string(); }, error);
  ASSERT_TRUE(first) << error;
  auto second = MetricsServer::start("127.0.0.1", first->port(), [] { return std::string(); }, error);
  EXPECT_FALSE(second);
  EXPECT_EQ(error, "cannot listen on 127.0.0.1:" + std::to_string(first->port()) +
                       " for the metrics: Address already in use");
  EXPECT_FALSE(MetricsServer::start("localhost", 0, [] { return std::string(); }, error));
  EXPECT_EQ(error, "--metrics-address must be an IPv4 or IPv6 address, got 'localhost'");
}
