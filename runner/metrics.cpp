#include "metrics.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <functional>

namespace wellmonitor::run {

void ScoringHistogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
}

ScoringHistogram::Snapshot ScoringHistogram::snapshot() const {
  Snapshot s;
  for (size_t i = 0; i < counts_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string number(uint64_t v) { return std::to_string(v); }

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string label_text(const Labels& labels) {
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ",";
    s += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
  }
  return s + "}";
}

class Page {
 public:
  explicit Page(const std::vector<CameraMetrics>& cameras) : cameras_(cameras) {}

  // One metric: its HELP and TYPE once, then one sample per camera (`sample`
  // adds them through the `add` it is given).
  void metric(const std::string& name, const char* type, const char* help,
              const std::function<void(const CameraMetrics&, const std::function<void(const std::string&, Labels, const std::string&)>&)>& sample) {
    std::string body;
    const auto add = [&](const std::string& suffix, Labels labels, const std::string& value) {
      body += name + suffix + label_text(labels) + " " + value + "\n";
    };
    for (const auto& c : cameras_) sample(c, add);
    if (body.empty()) return;
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + body;
  }

  // The simplest case: one value per camera.
  void simple(const std::string& name, const char* type, const char* help,
              const std::function<std::optional<std::string>(const CameraMetrics&)>& value) {
    metric(name, type, help, [&](const CameraMetrics& c, const auto& add) {
      if (const auto v = value(c)) add("", {{"camera", c.camera}}, *v);
    });
  }

  const std::string& text() const { return text_; }

 private:
  const std::vector<CameraMetrics>& cameras_;
  std::string text_;
};

}  // namespace

std::string format_metrics(const std::vector<CameraMetrics>& cameras) {
  Page p(cameras);
  using V = std::optional<std::string>;
  p.simple("wellmonitor_frames_in_total", "counter", "Frames out of the camera's source (decoded), before the monitor.",
           [](const CameraMetrics& c) -> V { return number(c.frames_in); });
  p.simple("wellmonitor_frames_analysed_total", "counter", "Frames scored by the model.",
           [](const CameraMetrics& c) -> V {
             return c.counters_from_monitor ? V(number(c.frames_analysed)) : std::nullopt;
           });
  p.simple("wellmonitor_frames_late_total", "counter",
           "Frames passed on without scoring because they came late (the model slower than the camera).",
           [](const CameraMetrics& c) -> V { return c.counters_from_monitor ? V(number(c.frames_late)) : std::nullopt; });
  p.simple("wellmonitor_camera_up", "gauge", "1 while the camera delivers frames, 0 while it is lost or not up yet.",
           [](const CameraMetrics& c) -> V { return number(uint64_t{c.camera_up}); });
  p.simple("wellmonitor_last_frame_age_seconds", "gauge",
           "Seconds since the camera's last frame (since the start when there was none).",
           [](const CameraMetrics& c) -> V { return number(c.last_frame_age_s); });
  p.simple("wellmonitor_wells_in_alarm", "gauge", "Wells in alarm on the last frame.",
           [](const CameraMetrics& c) -> V { return number(c.wells_in_alarm); });
  p.simple("wellmonitor_alarms_total", "counter", "Alarms raised since the start.",
           [](const CameraMetrics& c) -> V { return number(c.alarms); });
  p.simple("wellmonitor_clears_total", "counter", "Alarms ended since the start (any reason).",
           [](const CameraMetrics& c) -> V { return number(c.clears); });
  p.simple("wellmonitor_camera_losses_total", "counter", "Times the camera was lost (each outage once).",
           [](const CameraMetrics& c) -> V { return number(c.camera_losses); });
  p.simple("wellmonitor_pipeline_sound", "gauge",
           "1 while frames get through the pipeline or the camera is being reconnected; 0 when a streaming thread "
           "hangs (the service heartbeat stops).",
           [](const CameraMetrics& c) -> V { return number(uint64_t{c.sound}); });

  const auto per_publisher = [&](const std::string& name, const char* type, const char* help,
                                 const std::function<V(const PublisherMetrics&)>& value) {
    p.metric(name, type, help, [&](const CameraMetrics& c, const auto& add) {
      for (const auto& pub : c.publishers)
        if (const auto v = value(pub)) add("", {{"camera", c.camera}, {"publisher", pub.method}}, *v);
    });
  };
  per_publisher("wellmonitor_events_queued", "gauge",
                "Events in the publisher's queue, not yet acknowledged by the broker (or written).",
                [](const PublisherMetrics& m) -> V { return number(m.queued); });
  per_publisher("wellmonitor_events_spooled", "gauge", "Alarm and clear events waiting in the spool on disk.",
                [](const PublisherMetrics& m) -> V { return m.spooled ? V(number(*m.spooled)) : std::nullopt; });
  per_publisher("wellmonitor_events_delivered_total", "counter",
                "Messages acknowledged by the broker (or written) since the start.",
                [](const PublisherMetrics& m) -> V { return number(m.delivered); });
  per_publisher("wellmonitor_events_dropped_total", "counter", "Scores messages dropped from a full queue.",
                [](const PublisherMetrics& m) -> V { return number(m.dropped); });
  per_publisher("wellmonitor_publisher_connected", "gauge", "1 while the broker (or file) accepts messages.",
                [](const PublisherMetrics& m) -> V { return number(uint64_t{m.connected}); });

  p.metric("wellmonitor_model_info", "gauge", "The model file in use and the threshold in force (labels); always 1.",
           [](const CameraMetrics& c, const auto& add) {
             if (c.model.empty()) return;
             add("", {{"camera", c.camera}, {"model", c.model}, {"threshold", c.threshold ? number(*c.threshold) : ""}},
                 "1");
           });

  p.metric("wellmonitor_scoring_seconds", "histogram",
           "Seconds an analysed frame spent in wellmonitor (crops, the batched forward pass, the debounce).",
           [](const CameraMetrics& c, const auto& add) {
             uint64_t cumulative = 0;
             for (size_t i = 0; i < ScoringHistogram::kBounds.size(); ++i) {
               cumulative += c.scoring.counts[i];
               add("_bucket", {{"camera", c.camera}, {"le", number(ScoringHistogram::kBounds[i])}}, number(cumulative));
             }
             cumulative += c.scoring.counts.back();
             add("_bucket", {{"camera", c.camera}, {"le", "+Inf"}}, number(cumulative));
             add("_sum", {{"camera", c.camera}}, number(c.scoring.sum_s));
             add("_count", {{"camera", c.camera}}, number(cumulative));
           });
  return p.text();
}

}  // namespace wellmonitor::run
