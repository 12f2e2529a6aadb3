// The Runner of wellmonitor-run (runner.h), shared by the files that make it up:
//   runner.cpp         building the pipeline, running it, the end and its exit status
//   runner_source.cpp  the source bin and its supervision: reconnection, events sent in
//   runner_bus.cpp     the bus: alarm lines, errors, warnings, end of stream
//   runner_stop.cpp    signals, the main loop's tick, stopping, recording retention
// Not a public header: only these files include it.
#pragma once

#include "colour_matrix.h"
#include "event_lines.h"
#include "exit_status.h"
#include "health.h"
#include "options.h"
#include "pipeline_description.h"
#include "restream.h"
#include "service.h"
#include "shadow_capture.h"
#include "shelved_wells.h"
#include "stop_sequence.h"
#include "supervisor.h"
#include "truth_check.h"

#include <glib-unix.h>
#include <gst/gst.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wellmonitor::run::detail {

constexpr guint kTickMs = 100;
// How long the pipeline may take to reach NULL at the end (wellpublish waits up
// to its drain-timeout for the broker) before the process gives up on it.
constexpr double kFinalStopBoundS = 30;
// How long the end waits for torn-down sources to finish stopping.
constexpr gint64 kTeardownWaitUs = 3 * G_USEC_PER_SEC;

inline double now_s() { return static_cast<double>(g_get_monotonic_time()) / 1e6; }

// Settings of sinks, also of those that autovideosink and splitmuxsink make
// while the pipeline starts: in a live pipeline no sink waits for a first frame
// (async=false); the recording's file is written as the muxer hands it data
// (unbuffered), so a crash loses little more than the frames of the GOP that
// splitmuxsink collects before it muxes.
struct SinkSettings {
  bool live = false;
};
void set_up_sink(GstElement* e, GstBin* parent, const SinkSettings& s);

// Per source: its frames, counted on its output pad by the streaming thread.
struct SourceCounters {
  unsigned generation = 0;
  std::atomic<uint64_t> frames{0};
  std::atomic<bool> first_buffer_seen{false};
};

struct ProbeData {
  class Runner* runner;
  std::shared_ptr<SourceCounters> counters;
};

class Runner {
 public:
  Runner(const RunOptions& o, const PipelinePlan& plan, Health& health)
      : o_(o),
        plan_(plan),
        health_(health),
        lines_(stdout, o.log),
        supervisor_(SupervisorSettings{is_live(o.mode), o.watchdog_s, o.start_timeout_s, 1.0, 30.0}),
        stop_(o.stop_timeout_s),
        camera_(o.camera_name()),
        service_(o, health, camera_) {}

  ~Runner() {
    if (tick_id_) g_source_remove(tick_id_);
    for (guint id : signal_ids_) g_source_remove(id);
    if (bus_watch_) {
      gst_bus_remove_watch(bus_watch_);
      gst_object_unref(bus_watch_);
    }
    if (events_pool_) g_thread_pool_free(events_pool_, FALSE, TRUE);
    if (entry_) gst_object_unref(entry_);
    if (source_) gst_object_unref(source_);
    if (pipeline_) gst_object_unref(pipeline_);
    if (loop_) g_main_loop_unref(loop_);
  }

  int run();

  // streaming threads
  static GstPadProbeReturn on_source_data(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_monitor_out(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static gchar* on_format_location(GstElement* splitmux, guint fragment, gpointer data);

 private:
  bool build(std::string& error);
  void start_source();
  void stop_source();
  void apply(const SupervisorActions& a);
  std::string failure_text(LossReason reason, bool before_first_frame) const;
  void send_into(GstPad* pad, GstEvent* event);
  void send_camera_event(const char* name, const char* reason);
  HeartbeatInput heartbeat_input(double now) const;

  static gboolean on_bus(GstBus* bus, GstMessage* msg, gpointer data);
  void on_error(GstMessage* msg);
  void on_warning(GstMessage* msg);
  void on_element(GstMessage* msg);
  void on_colour_matrix(const GstStructure* s);
  void on_eos();
  static gboolean on_tick(gpointer data);
  void tick();
  void on_stop_signal(int sig);
  void apply_stop(const StopSequence::Step& step);
  void fatal(const std::string& line);
  void final_stop();
  void finished_stopping();
  void prune_recording();
  bool set_up_live_view(std::string& error);
  void collect_undelivered();
  int finish();
  // runner_shelved.cpp: the wells shelved before a restart shelved again; each
  // shelve and put-back kept for the next start
  void restore_shelved();
  void keep_shelved(const GstStructure* s);

  const RunOptions& o_;
  const PipelinePlan& plan_;
  Health& health_;
  EventLines lines_;
  SourceSupervisor supervisor_;
  StopSequence stop_;
  RunOutcome outcome_;
  std::string camera_;
  Service service_;
  std::string loss_reason_;  // the last loss's reason ("no-frames", ...)

  GMainLoop* loop_ = nullptr;
  GstElement* pipeline_ = nullptr;
  GstElement* downstream_ = nullptr;  // owned by the pipeline
  GstPad* entry_ = nullptr;           // the downstream part's sink pad
  GstElement* source_ = nullptr;      // the current source bin (our ref)
  std::shared_ptr<SourceCounters> counters_;
  SinkSettings sink_settings_;
  unsigned generation_ = 0;
  uint64_t frames_at_last_tick_ = 0;
  std::string last_source_error_;
  std::string colour_matrix_line_;  // the last one said (each source's decoder posts its own)

  GstBus* bus_watch_ = nullptr;
  guint tick_id_ = 0;
  std::vector<guint> signal_ids_;
  struct SignalData {
    Runner* self;
    int sig;
  };
  SignalData signal_data_[2] = {{nullptr, SIGTERM}, {nullptr, SIGINT}};
  // Events sent into the pipeline, one at a time in order, off the main loop.
  GThreadPool* events_pool_ = nullptr;
  std::atomic<int> teardowns_{0};
  bool final_stop_started_ = false;
  double final_stop_deadline_ = 0;
  GThread* final_stop_thread_ = nullptr;

  std::vector<AlarmSeen> alarms_seen_;
  std::string current_segment_;
  double next_prune_ = 0;
  std::atomic<unsigned> segment_counter_{0};
  std::vector<std::string> reported_retention_errors_;
  uint64_t undelivered_reported_ = 0;
  std::string undelivered_where_;
  std::unique_ptr<Restream> restream_;  // --restream-port
  std::unique_ptr<ShadowCapture> shadow_;  // --shadow
  std::unique_ptr<ShelvedWells> shelved_;  // a camera's: kept in the state directory
};

// The events pool's task: one event sent into a pad (off the main loop).
struct EventTask {
  GstPad* pad;
  GstEvent* event;
};
void send_event_task(gpointer task_ptr, gpointer pool_data);

}  // namespace wellmonitor::run::detail
