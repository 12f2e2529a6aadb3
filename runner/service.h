// wellmonitor-run as a service: what the runner adds to a pipeline when
// systemd (or Prometheus) watches it.
//
// * The systemd notifications (sd_notify, libsystemd): READY=1 once the pipeline
//   is built, a WATCHDOG=1 heartbeat while the process is sound, STATUS= lines,
//   STOPPING=1 (heartbeat.h decides). The push of every frame into the pipeline
//   is timed (the entry pad's chain function), so a streaming thread that does
//   not come back stops the heartbeat.
// * The metrics endpoint (--metrics-port): the Health counters, the wells' metas
//   and the time each analysed frame spent in wellmonitor (probes around it),
//   wellmonitor's own analysed/late counters (its "wellmonitor-scores"
//   messages, turned on for this), and each wellpublish's read-only properties.
// * The secrets: the MQTT password set on wellpublish and the camera's on
//   rtspsrc from their files, in the process, never on a command line.
#pragma once

#include "health.h"
#include "heartbeat.h"
#include "metrics.h"
#include "metrics_server.h"
#include "options.h"

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wellmonitor::run {

class Service {
 public:
  Service(const RunOptions& o, Health& health, std::string camera);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The pipeline is built (`downstream`: everything after the source, `entry`
  // its sink pad): times the pushes, watches the monitor, sets the MQTT
  // password, starts the metrics endpoint. False with `error` set when a
  // password cannot be read or the endpoint cannot listen.
  bool attach(GstElement* downstream, GstPad* entry, std::string& error);
  // A new source bin: the camera's password on its rtspsrc.
  void configure_source(GstElement* source_bin);

  void ready(const HeartbeatInput& in);
  void tick(const HeartbeatInput& in);
  void stopping(const std::string& why);
  // A "wellmonitor-scores" message: the monitor's counters.
  void on_scores(const GstStructure* s);

 private:
  static GstFlowReturn chain(GstPad* pad, GstObject* parent, GstBuffer* buffer);
  static GstFlowReturn chain_list(GstPad* pad, GstObject* parent, GstBufferList* list);
  static GstPadProbeReturn on_monitor_in(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_monitor_out(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  void notify(const std::string& lines);
  std::string render_metrics();

  const RunOptions& o_;
  Health& health_;
  std::string camera_;
  bool notify_ = false;  // NOTIFY_SOCKET is set
  Heartbeat heartbeat_;
  ScoringHistogram scoring_;
  std::atomic<int64_t> monitor_in_ns_{0};
  std::string rtsp_password_;

  std::mutex elements_mutex_;
  GstElement* monitor_ = nullptr;                                 // our ref
  std::vector<std::pair<GstElement*, std::string>> publishers_;  // our refs, with their method
  std::unique_ptr<MetricsServer> server_;
};

}  // namespace wellmonitor::run
