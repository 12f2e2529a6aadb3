// The runner's metrics in Prometheus' text format (version 0.0.4), one block
// per metric with its HELP and TYPE, a `camera` label on every series, all
// names prefixed `wellmonitor_`. The endpoint (metrics_server.h) serves what
// format_metrics() writes; docs/service.md lists the metrics and the alerts
// built on them. No GStreamer here: the runner fills CameraMetrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wellmonitor::run {

// Seconds an analysed frame spent in wellmonitor, in Prometheus' cumulative
// buckets: observed lock-free by a streaming thread, read by the endpoint.
class ScoringHistogram {
 public:
  // Upper bounds in seconds (a last +Inf bucket follows).
  static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.02, 0.04, 0.08, 0.15,
                                                     0.25,  0.5,  1.0,  2.5,  5.0,  10.0};

  struct Snapshot {
    std::array<uint64_t, kBounds.size() + 1> counts{};  // per bucket, not cumulative; last: over the last bound
    double sum_s = 0;
    uint64_t count = 0;
  };

  void observe(double seconds);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

// One wellpublish element of the camera's pipeline.
struct PublisherMetrics {
  std::string method;              // "mqtt" or "file": the `publisher` label
  bool connected = false;
  uint64_t queued = 0;             // in the queue now, not yet acknowledged (its `waiting`)
  uint64_t delivered = 0;          // acknowledged by the broker, or written
  uint64_t dropped = 0;            // scores messages dropped from a full queue
  std::optional<uint64_t> spooled; // in the spool on disk now (when the element has a spool)
};

// One camera's pipeline.
struct CameraMetrics {
  std::string camera;
  uint64_t frames_in = 0;          // out of the source (decoded), before the monitor
  uint64_t frames_analysed = 0;    // scored by the model
  uint64_t frames_late = 0;        // passed on without scoring because they came late
  bool counters_from_monitor = false;  // the three above: analysed/late are known
  bool camera_up = false;
  double last_frame_age_s = 0;     // since the last frame, or since the start without one
  uint64_t wells_in_alarm = 0;
  uint64_t alarms = 0;             // alarms raised since the start
  uint64_t clears = 0;
  uint64_t camera_losses = 0;
  bool sound = true;               // the service heartbeat's verdict
  std::string model;               // the model file in use
  std::optional<double> threshold; // the threshold in force
  std::vector<PublisherMetrics> publishers;
  ScoringHistogram::Snapshot scoring;
};

// The whole page for every camera of the process.
std::string format_metrics(const std::vector<CameraMetrics>& cameras);

// A label value as Prometheus reads it: \, " and newline escaped.
std::string escape_label_value(const std::string& value);

}  // namespace wellmonitor::run
