#include "runner.h"

#include "camera_id.h"
#include "event_lines.h"
#include "exit_status.h"
#include "recording.h"
#include "restream.h"
#include "service.h"
#include "source_bin.h"
#include "stop_sequence.h"
#include "supervisor.h"
#include "truth_check.h"

#include <glib-unix.h>
#include <gst/base/gstbasesink.h>
#include <gst/gst.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace wellmonitor::run {

namespace {

constexpr guint kTickMs = 100;
// How long the pipeline may take to reach NULL at the end (wellpublish waits up
// to its drain-timeout for the broker) before the process gives up on it.
constexpr double kFinalStopBoundS = 30;
// How long the end waits for torn-down sources to finish stopping.
constexpr gint64 kTeardownWaitUs = 3 * G_USEC_PER_SEC;

double now_s() { return static_cast<double>(g_get_monotonic_time()) / 1e6; }

bool have_element(const char* name) {
  GstElementFactory* f = gst_element_factory_find(name);
  if (!f) return false;
  gst_object_unref(f);
  return true;
}

// Settings of sinks, also of those that autovideosink and splitmuxsink make
// while the pipeline starts: in a live pipeline no sink waits for a first frame
// (async=false); the recording's file is written as the muxer hands it data
// (unbuffered), so a crash loses little more than the frames of the GOP that
// splitmuxsink collects before it muxes.
struct SinkSettings {
  bool live = false;
};

void set_up_sink(GstElement* e, GstBin* parent, const SinkSettings& s) {
  if (!GST_IS_BASE_SINK(e)) return;
  if (s.live) g_object_set(e, "async", FALSE, nullptr);
  GstElementFactory* f = gst_element_get_factory(e);
  if (parent && g_str_equal(GST_OBJECT_NAME(parent), kRecorderName) && f &&
      g_str_equal(GST_OBJECT_NAME(f), "filesink"))
    gst_util_set_object_arg(G_OBJECT(e), "buffer-mode", "unbuffered");
}

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
};

// ------------------------------------------------------------------- events in

struct EventTask {
  GstPad* pad;
  GstEvent* event;
};

void send_event_task(gpointer task_ptr, gpointer /*pool_data*/) {
  auto* task = static_cast<EventTask*>(task_ptr);
  gst_pad_send_event(task->pad, task->event);
  gst_object_unref(task->pad);
  delete task;
}

void Runner::send_into(GstPad* pad, GstEvent* event) {
  if (!pad) {
    gst_event_unref(event);
    return;
  }
  g_thread_pool_push(events_pool_, new EventTask{GST_PAD(gst_object_ref(pad)), event}, nullptr);
}

void Runner::send_camera_event(const char* name, const char* reason) {
  GstStructure* s = gst_structure_new_empty(name);
  if (reason) gst_structure_set(s, "reason", G_TYPE_STRING, reason, nullptr);
  // in at the entry: it reaches wellmonitor's sink pad in order with the frames
  send_into(entry_, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s));
}

// ------------------------------------------------------------------- the service

HeartbeatInput Runner::heartbeat_input(double now) const {
  HeartbeatInput in;
  in.now_s = now;
  in.camera = camera_;
  in.live = is_live(o_.mode);
  in.source = supervisor_.state();
  in.reported_lost = supervisor_.reported_lost();
  in.lost_reason = loss_reason_;
  in.down_since_s = supervisor_.down_since();
  // (the same clock as now_s(): g_get_monotonic_time)
  if (const int64_t busy = health_.busy_since_ns.load(); busy > 0) in.busy_since_s = static_cast<double>(busy) / 1e9;
  in.frames_out = health_.frames_out.load();
  in.wells_in_alarm = health_.wells_in_alarm.load();
  in.stopping = stop_.requested() || final_stop_started_;
  return in;
}

// ------------------------------------------------------------------- probes

GstPadProbeReturn Runner::on_source_data(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  auto* probe = static_cast<ProbeData*>(data);
  Runner* self = probe->runner;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    SourceCounters& c = *probe->counters;
    c.frames.fetch_add(1, std::memory_order_relaxed);
    self->health_.frames_in.fetch_add(1, std::memory_order_relaxed);
    self->health_.last_frame_in_ns.store(g_get_monotonic_time() * 1000, std::memory_order_relaxed);
    // A new source's first frame follows a gap: say so, as GStreamer does.
    if (!c.first_buffer_seen.exchange(true) && c.generation > 1) {
      GstBuffer* buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
      GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
      info->data = buf;
    }
    return GST_PAD_PROBE_OK;
  }
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && is_live(self->o_.mode)) {
    // A live stream that ends is a camera lost, never the pipeline's end.
    gst_element_post_message(self->pipeline_,
                             gst_message_new_application(GST_OBJECT(self->pipeline_),
                                                         gst_structure_new("wellmonitor-run-source-eos", "generation",
                                                                           G_TYPE_UINT, probe->counters->generation,
                                                                           nullptr)));
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Runner::on_monitor_out(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer data) {
  auto* self = static_cast<Runner*>(data);
  self->health_.frames_out.fetch_add(1, std::memory_order_relaxed);
  self->health_.last_frame_out_ns.store(g_get_monotonic_time() * 1000, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

gchar* Runner::on_format_location(GstElement* /*splitmux*/, guint /*fragment*/, gpointer data) {
  auto* self = static_cast<Runner*>(data);
  const std::string name = segment_file_name(self->camera_, std::time(nullptr), self->segment_counter_++);
  return g_strdup((std::string(self->o_.record_dir) + "/" + name).c_str());
}

// ------------------------------------------------------------------- building

bool Runner::build(std::string& error) {
  pipeline_ = gst_pipeline_new("wellmonitor");
  const std::string desc = downstream_description(o_, plan_);
  GError* err = nullptr;
  GstParseContext* ctx = gst_parse_context_new();
  // (not ghost_unlinked_pads: it looks into bins, and would take splitmuxsink's muxer's pad)
  downstream_ = gst_parse_bin_from_description_full(desc.c_str(), FALSE, ctx, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  gchar** missing = gst_parse_context_get_missing_elements(ctx);
  gst_parse_context_free(ctx);
  if (!downstream_ || err) {
    if (missing && missing[0]) {
      const std::string e = missing[0];
      const bool ours = e == "wellmonitor" || e == "welloverlay" || e == "wellpublish";
      const char* path = std::getenv("GST_PLUGIN_PATH");
      error = "GStreamer element '" + e + "' not found" +
              (ours ? std::string(" (plugin path: ") + (path ? path : "the installed plugins") +
                          "); build the plugin and pass --build DIR, or install it"
                    : std::string());
    } else {
      error = std::string("cannot build the pipeline: ") + (err ? err->message : "unknown error");
    }
    g_strfreev(missing);
    if (err) g_error_free(err);
    if (downstream_) gst_object_unref(downstream_);
    downstream_ = nullptr;
    return false;
  }
  g_strfreev(missing);
  gst_object_set_name(GST_OBJECT(downstream_), "wm_monitor_bin");
  sink_settings_.live = is_live(o_.mode);
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(downstream_));
  gst_iterator_foreach(
      it,
      [](const GValue* item, gpointer settings) {
        GstElement* e = GST_ELEMENT(g_value_get_object(item));
        GstObject* parent = gst_object_get_parent(GST_OBJECT(e));
        set_up_sink(e, parent ? GST_BIN(parent) : nullptr, *static_cast<SinkSettings*>(settings));
        if (parent) gst_object_unref(parent);
      },
      &sink_settings_);
  gst_iterator_free(it);
  g_signal_connect(downstream_, "deep-element-added",
                   G_CALLBACK(+[](GstBin*, GstBin* parent, GstElement* e, gpointer settings) {
                     set_up_sink(e, parent, *static_cast<SinkSettings*>(settings));
                   }),
                   &sink_settings_);
  if (is_live(o_.mode)) {
    // splitmuxsink still waits for its first fragment before it is PAUSED: as
    // in any live pipeline, a live source's NO_PREROLL lets the pipeline play
    // meanwhile. An idle live appsrc, linked to nothing, is that source for good.
    GstElement* anchor = gst_element_factory_make("appsrc", "wm_live");
    if (!anchor) {
      error = "GStreamer element 'appsrc' not found (apt-get install gstreamer1.0-plugins-base)";
      return false;
    }
    g_object_set(anchor, "is-live", TRUE, nullptr);
    gst_bin_add(GST_BIN(pipeline_), anchor);
  }
  gst_bin_add(GST_BIN(pipeline_), downstream_);
  GstElement* entry = gst_bin_get_by_name(GST_BIN(downstream_), kEntryName);
  GstPad* entry_sink = gst_element_get_static_pad(entry, "sink");
  entry_ = gst_ghost_pad_new("sink", entry_sink);
  gst_object_unref(entry_sink);
  gst_object_unref(entry);
  gst_element_add_pad(downstream_, GST_PAD(gst_object_ref(entry_)));
  if (GstElement* monitor = gst_bin_get_by_name(GST_BIN(downstream_), kMonitorName)) {
    if (GstPad* out = gst_element_get_static_pad(monitor, "src")) {
      gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, on_monitor_out, this, nullptr);
      gst_object_unref(out);
    }
    gst_object_unref(monitor);
  }
  if (!set_up_live_view(error)) return false;
  if (GstElement* recorder = gst_bin_get_by_name(GST_BIN(downstream_), kRecorderName)) {
    g_signal_connect(recorder, "format-location", G_CALLBACK(on_format_location), this);
    gst_object_unref(recorder);
  }
  events_pool_ = g_thread_pool_new(send_event_task, nullptr, 1, TRUE, nullptr);
  return true;
}

// The overlay's status line names the model file; the re-stream serves the
// annotated view (restream.h).
bool Runner::set_up_live_view(std::string& error) {
  GstElement* overlay = gst_bin_get_by_name(GST_BIN(downstream_), kOverlayName);
  GstElement* monitor = gst_bin_get_by_name(GST_BIN(downstream_), kMonitorName);
  if (overlay && monitor && g_object_class_find_property(G_OBJECT_GET_CLASS(overlay), "model-name") &&
      g_object_class_find_property(G_OBJECT_GET_CLASS(monitor), "model")) {
    gchar* model = nullptr;
    g_object_get(monitor, "model", &model, nullptr);
    if (model) {
      gchar* base = g_path_get_basename(model);
      g_object_set(overlay, "model-name", base, nullptr);
      g_free(base);
    }
    g_free(model);
  }
  if (overlay) gst_object_unref(overlay);
  if (monitor) gst_object_unref(monitor);
  if (o_.restream_port < 0) return true;

  GstElement* sink = gst_bin_get_by_name(GST_BIN(downstream_), kRestreamSinkName);
  if (!sink) {
    error = "the pipeline has no re-stream branch";
    return false;
  }
  RestreamSettings settings{o_.restream_address, o_.restream_port, "/" + safe_file_stem(camera_),
                            restream_encoder(error)};
  if (!settings.encoder.empty()) {
    restream_ = std::make_unique<Restream>(sink, settings);
    if (!restream_->start(error)) restream_.reset();
  }
  gst_object_unref(sink);
  if (!restream_) return false;
  std::fprintf(stderr, "%s: live view at %s\n", o_.name.c_str(), restream_->url().c_str());
  return true;
}

void Runner::start_source() {
  std::string error;
  GstElement* bin = make_source_bin(source_description(o_), "wm_source" + std::to_string(generation_ + 1), error);
  if (!bin) {
    fatal(error);
    return;
  }
  ++generation_;
  service_.configure_source(bin);
  counters_ = std::make_shared<SourceCounters>();
  counters_->generation = generation_;
  frames_at_last_tick_ = 0;
  last_source_error_.clear();
  GstPad* out = gst_element_get_static_pad(bin, "src");
  gst_pad_add_probe(
      out, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_source_data,
      new ProbeData{this, counters_}, [](gpointer d) { delete static_cast<ProbeData*>(d); });
  source_ = GST_ELEMENT(gst_object_ref_sink(bin));
  // decodebin holds its bin's state change open (ASYNC) until it exposes a pad:
  // a camera that never sends a frame would take the running pipeline back to
  // PAUSED. The source bin keeps that to itself.
  if (is_live(o_.mode)) g_object_set(source_, "async-handling", TRUE, nullptr);
  gst_bin_add(GST_BIN(pipeline_), source_);
  if (gst_pad_link(out, entry_) != GST_PAD_LINK_OK) {
    gst_object_unref(out);
    fatal("cannot link the source to the monitor");
    return;
  }
  gst_object_unref(out);
  if (!gst_element_sync_state_with_parent(source_)) {
    // Its error message is on the bus already, ahead of this one.
    gst_element_post_message(pipeline_, gst_message_new_application(
                                            GST_OBJECT(pipeline_),
                                            gst_structure_new("wellmonitor-run-source-failed", "generation",
                                                              G_TYPE_UINT, generation_, nullptr)));
  }
}

void stop_source_task(gpointer bin, gpointer runner_teardowns) {
  gst_element_set_state(GST_ELEMENT(bin), GST_STATE_NULL);
  gst_object_unref(bin);
  static_cast<std::atomic<int>*>(runner_teardowns)->fetch_sub(1);
}

void Runner::stop_source() {
  if (!source_) return;
  GstElement* bin = source_;
  source_ = nullptr;
  counters_.reset();
  if (GstPad* out = gst_element_get_static_pad(bin, "src")) {
    gst_pad_unlink(out, entry_);
    gst_object_unref(out);
  }
  gst_element_set_locked_state(bin, TRUE);
  gst_bin_remove(GST_BIN(pipeline_), bin);
  // Stopping a source can take a while (an RTSP teardown to a frozen server):
  // never on the main loop.
  teardowns_.fetch_add(1);
  GError* err = nullptr;
  GThread* t = g_thread_try_new(
      "wm-teardown",
      [](gpointer d) -> gpointer {
        auto* pair = static_cast<std::pair<GstElement*, std::atomic<int>*>*>(d);
        stop_source_task(pair->first, pair->second);
        delete pair;
        return nullptr;
      },
      new std::pair<GstElement*, std::atomic<int>*>(bin, &teardowns_), &err);
  if (t) {
    g_thread_unref(t);
  } else {
    g_clear_error(&err);
    stop_source_task(bin, &teardowns_);
  }
}

// ------------------------------------------------------------------- supervision

std::string Runner::failure_text(LossReason reason, bool before_first_frame) const {
  char buf[96];
  switch (reason) {
    case LossReason::kNoFrames:
      if (before_first_frame)
        std::snprintf(buf, sizeof buf, "no frame within %g s", o_.start_timeout_s);
      else
        std::snprintf(buf, sizeof buf, "no frame for %g s", o_.watchdog_s);
      return buf;
    case LossReason::kError:
      return last_source_error_.empty() ? "the source failed" : last_source_error_;
    case LossReason::kEos:
      return "the stream ended";
  }
  return "?";
}

void Runner::apply(const SupervisorActions& a) {
  if (!a.any()) return;
  const double now = now_s();
  if (a.failure && !a.failed) {
    std::fprintf(stderr, "%s: camera %s: %s; retrying in %g s\n", o_.name.c_str(), camera_.c_str(),
                 failure_text(*a.failure, a.before_first_frame).c_str(), a.retry_in_s ? *a.retry_in_s : 0.0);
  }
  if (a.stop_source) stop_source();
  if (a.report_lost) {
    loss_reason_ = to_string(*a.report_lost);
    health_.camera_losses.fetch_add(1);
    lines_.line(format_camera_lost_line(camera_, to_string(*a.report_lost)));
    send_camera_event("wellmonitor-camera-lost", to_string(*a.report_lost));
  }
  if (a.start_source) start_source();
  if (a.came_up && !a.report_back && is_live(o_.mode))
    std::fprintf(stderr, "%s: camera %s: receiving frames\n", o_.name.c_str(), camera_.c_str());
  if (a.report_back) {
    health_.camera_returns.fetch_add(1);
    lines_.line(format_camera_back_line(camera_, now - supervisor_.down_since()));
    send_camera_event("wellmonitor-camera-back", nullptr);
  }
  if (a.failed) fatal(failure_text(a.failure.value_or(LossReason::kError), a.before_first_frame));
  health_.camera_up.store(supervisor_.state() == SourceState::kUp);
}

// ------------------------------------------------------------------- the bus

gboolean Runner::on_bus(GstBus* /*bus*/, GstMessage* msg, gpointer data) {
  auto* self = static_cast<Runner*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT:
      self->on_element(msg);
      break;
    case GST_MESSAGE_ERROR:
      self->on_error(msg);
      break;
    case GST_MESSAGE_WARNING:
      self->on_warning(msg);
      break;
    case GST_MESSAGE_EOS:
      self->on_eos();
      break;
    case GST_MESSAGE_LATENCY:
      // a source (re)configured its latency: the pipeline's is worked out again
      gst_bin_recalculate_latency(GST_BIN(self->pipeline_));
      break;
    case GST_MESSAGE_CLOCK_LOST:
      // the element that gave the clock went with its source: pick another
      if (!self->final_stop_started_) {
        gst_element_set_state(self->pipeline_, GST_STATE_PAUSED);
        gst_element_set_state(self->pipeline_, GST_STATE_PLAYING);
      }
      break;
    case GST_MESSAGE_APPLICATION: {
      const GstStructure* s = gst_message_get_structure(msg);
      guint generation = 0;
      gst_structure_get_uint(s, "generation", &generation);
      if (generation != self->generation_ || self->stop_.requested() || self->final_stop_started_) break;
      if (gst_structure_has_name(s, "wellmonitor-run-source-eos"))
        self->apply(self->supervisor_.eos(now_s()));
      else if (gst_structure_has_name(s, "wellmonitor-run-source-failed"))
        self->apply(self->supervisor_.error(now_s()));
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

void Runner::on_element(GstMessage* msg) {
  const GstStructure* s = gst_message_get_structure(msg);
  if (!s) return;
  const bool alarm = gst_structure_has_name(s, "wellmonitor-alarm");
  if (alarm || gst_structure_has_name(s, "wellmonitor-clear")) {
    AlarmEvent e;
    e.kind = alarm ? AlarmEvent::Kind::kAlarm : AlarmEvent::Kind::kClear;
    const gchar* well = gst_structure_get_string(s, "well");
    e.well = well ? well : "?";
    guint64 t = GST_CLOCK_TIME_NONE;
    if (!gst_structure_get_uint64(s, "stream-time", &t) || !GST_CLOCK_TIME_IS_VALID(t))
      if (!gst_structure_get_uint64(s, "timestamp", &t)) t = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID(t)) e.stream_time_ns = t;
    guint64 frame = 0;
    gst_structure_get_uint64(s, "frame", &frame);
    e.frame = frame;
    gst_structure_get_double(s, "score", &e.score);
    gst_structure_get_double(s, "threshold", &e.threshold);
    lines_.alarm(e);
    (alarm ? health_.alarms : health_.clears).fetch_add(1);
    if (alarm) {
      char time[32] = "?";
      if (e.stream_time_ns) std::snprintf(time, sizeof time, "%.3fs", static_cast<double>(*e.stream_time_ns) / 1e9);
      alarms_seen_.push_back({e.well, static_cast<int64_t>(e.frame), time});
    }
    return;
  }
  if (gst_structure_has_name(s, "wellmonitor-scores")) {
    service_.on_scores(s);
    return;
  }
  // an operator shelved a well, put it back, acknowledged an alarm, a command was refused, the camera moved: the message's own line
  if (gst_structure_has_name(s, "wellmonitor-shelved") || gst_structure_has_name(s, "wellpublish-operator") ||
      gst_structure_has_name(s, "wellmonitor-camera-moved")) {
    if (const gchar* text = gst_structure_get_string(s, "text")) lines_.line(text);
    return;
  }
  if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
    const gchar* location = gst_structure_get_string(s, "location");
    current_segment_ = location ? location : "";
    prune_recording();
  } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
    prune_recording();
  }
}

void Runner::on_error(GstMessage* msg) {
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  const std::string text = err ? err->message : "unknown error";
  GstObject* src = GST_MESSAGE_SRC(msg);
  const bool from_source = source_ && src && gst_object_has_as_ancestor(src, GST_OBJECT(source_));
  const bool in_pipeline = src && gst_object_has_as_ancestor(src, GST_OBJECT(pipeline_));
  if (from_source && is_live(o_.mode)) {
    last_source_error_ = text;
    if (!stop_.requested() && !final_stop_started_) apply(supervisor_.error(now_s()));
  } else if (in_pipeline || GST_OBJECT(pipeline_) == src) {
    gchar* name = src ? gst_object_get_name(src) : nullptr;
    std::string line = text;
    if (debug && from_source) {
      // the source's detail names the file or the missing plug-in
      std::string d = debug;
      const size_t nl = d.find('\n');
      line += " (" + d.substr(0, nl) + ")";
    } else if (name) {
      line += std::string(" (") + name + ")";
    }
    g_free(name);
    fatal(line);
  }
  // else: an element of a source already torn down
  if (err) g_error_free(err);
  g_free(debug);
}

void Runner::on_warning(GstMessage* msg) {
  GstObject* src = GST_MESSAGE_SRC(msg);
  if (!src || !(gst_object_has_as_ancestor(src, GST_OBJECT(pipeline_)) || src == GST_OBJECT(pipeline_))) return;
  const GstStructure* details = nullptr;
  gst_message_parse_warning_details(msg, &details);
  if (details && gst_structure_has_name(details, "wellpublish-undelivered")) {
    guint64 count = 0;
    guint c32 = 0;
    if (gst_structure_get_uint64(details, "count", &count) || (gst_structure_get_uint(details, "count", &c32) && (count = c32))) {
      undelivered_reported_ += count;
    }
    if (const gchar* spool = gst_structure_get_string(details, "spool")) undelivered_where_ = spool;
  }
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_warning(msg, &err, &debug);
  gchar* name = gst_object_get_name(src);
  std::fprintf(stderr, "%s: warning: %s (%s)\n", o_.name.c_str(), err ? err->message : "?", name ? name : "?");
  g_free(name);
  if (err) g_error_free(err);
  g_free(debug);
}

void Runner::on_eos() {
  if (stop_.waiting_for_eos()) {
    apply_stop(stop_.eos());
    return;
  }
  if (final_stop_started_) return;
  if (!is_live(o_.mode)) {
    outcome_.end = RunOutcome::End::kFileEnded;
    final_stop();
  } else {
    fatal("the pipeline ended although its source is live");
  }
}

// ------------------------------------------------------------------- time

gboolean Runner::on_tick(gpointer data) {
  static_cast<Runner*>(data)->tick();
  return G_SOURCE_CONTINUE;
}

void Runner::tick() {
  const double now = now_s();
  health_.last_tick_ns.store(g_get_monotonic_time() * 1000);
  service_.tick(heartbeat_input(now));
  if (final_stop_started_) {
    if (now > final_stop_deadline_) {
      std::fprintf(stderr, "%s: error: the pipeline did not stop within %g s; exiting without it\n", o_.name.c_str(),
                   kFinalStopBoundS);
      std::fflush(nullptr);
      ::_exit(kExitStopTimeout);
    }
    return;
  }
  if (!stop_.requested()) {
    if (counters_) {
      const uint64_t frames = counters_->frames.load();
      if (frames > frames_at_last_tick_) {
        frames_at_last_tick_ = frames;
        apply(supervisor_.frame(now));
      }
    }
    apply(supervisor_.tick(now));
  }
  apply_stop(stop_.tick(now));
  if (!o_.record_dir.empty() && now >= next_prune_) prune_recording();
}

void Runner::prune_recording() {
  if (o_.record_dir.empty()) return;
  next_prune_ = now_s() + 60;
  std::vector<std::string> errors;
  const RetentionPolicy policy{o_.record_max_bytes, o_.record_max_age_s, o_.record_keep_free_bytes};
  apply_retention(o_.record_dir, camera_, policy, current_segment_, errors);
  for (const auto& e : errors) {
    if (std::find(reported_retention_errors_.begin(), reported_retention_errors_.end(), e) !=
        reported_retention_errors_.end())
      continue;
    reported_retention_errors_.push_back(e);
    std::fprintf(stderr, "%s: warning: %s\n", o_.name.c_str(), e.c_str());
  }
}

// ------------------------------------------------------------------- stopping

void Runner::on_stop_signal(int sig) {
  const StopSequence::Step step = stop_.signal(now_s(), health_.frames_in.load() > 0);
  if (step.abort) {
    outcome_.end = RunOutcome::End::kForced;
    outcome_.signal = sig;
    collect_undelivered();
    const ExitDecision d = decide_exit(outcome_);
    std::fprintf(stderr, "%s: %s\n", o_.name.c_str(), d.line.c_str());
    std::fflush(nullptr);
    ::_exit(d.code);
  }
  if (outcome_.end == RunOutcome::End::kUnknown) {
    outcome_.end = RunOutcome::End::kStopRequested;
    outcome_.signal = sig;
  }
  std::fprintf(stderr, "%s: %s: %s (a second signal stops at once)\n", o_.name.c_str(), signal_name(sig).c_str(),
               step.send_eos ? "ending the stream" : "stopping");
  service_.stopping(signal_name(sig));
  apply_stop(step);
}

void Runner::apply_stop(const StopSequence::Step& step) {
  if (step.timed_out) {
    outcome_.stop_timed_out = true;
    std::fprintf(stderr, "%s: the end of the stream did not get through in %g s; stopping without it\n",
                 o_.name.c_str(), o_.stop_timeout_s);
  }
  if (step.send_eos) {
    stop_source();
    send_into(entry_, gst_event_new_eos());
  }
  if (step.stop_now) final_stop();
}

void Runner::fatal(const std::string& line) {
  if (outcome_.end != RunOutcome::End::kError) {
    outcome_.end = RunOutcome::End::kError;
    outcome_.error = line;
  }
  final_stop();
}

void Runner::final_stop() {
  if (final_stop_started_) return;
  final_stop_started_ = true;
  service_.stopping(outcome_.end == RunOutcome::End::kError       ? "error: " + outcome_.error
                    : outcome_.end == RunOutcome::End::kFileEnded ? std::string("the video has ended")
                                                                  : std::string("the pipeline is stopping"));
  final_stop_deadline_ = now_s() + kFinalStopBoundS;
  stop_source();
  final_stop_thread_ = g_thread_new(
      "wm-stop",
      [](gpointer d) -> gpointer {
        auto* self = static_cast<Runner*>(d);
        gst_element_set_state(self->pipeline_, GST_STATE_NULL);
        g_main_context_invoke(
            nullptr,
            [](gpointer d2) -> gboolean {
              static_cast<Runner*>(d2)->finished_stopping();
              return G_SOURCE_REMOVE;
            },
            self);
        return nullptr;
      },
      this);
}

void Runner::finished_stopping() { g_main_loop_quit(loop_); }

void Runner::collect_undelivered() {
  // wellpublish's own count of what it still holds, read when it has stopped
  // (or now, at a forced stop), and what it said at its stop.
  uint64_t waiting = 0;
  std::string where;
  for (const char* name : {"publish", "events"}) {
    GstElement* e = gst_bin_get_by_name(GST_BIN(downstream_), name);
    if (!e) continue;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), "waiting")) {
      guint64 w = 0;
      g_object_get(e, "waiting", &w, nullptr);
      if (w > 0) {
        waiting += w;
        gchar* address = nullptr;
        g_object_get(e, "address", &address, nullptr);
        if (where.empty() && address) where = without_credentials(address);
        g_free(address);
      }
    }
    // where they wait: the warning can be flushed from the bus with the
    // pipeline (READY -> NULL) before the main loop reads it
    if (undelivered_where_.empty() && g_object_class_find_property(G_OBJECT_GET_CLASS(e), "spooled")) {
      guint64 spooled = 0;
      gchar* spool = nullptr;
      g_object_get(e, "spooled", &spooled, "spool", &spool, nullptr);
      if (spooled > 0 && spool) undelivered_where_ = spool;
      g_free(spool);
    }
    gst_object_unref(e);
  }
  outcome_.undelivered = std::max<uint64_t>(waiting, undelivered_reported_);
  outcome_.undelivered_to = where;
  outcome_.undelivered_where = undelivered_where_;
}

// ------------------------------------------------------------------- run

int Runner::finish() {
  collect_undelivered();
  const ExitDecision d = decide_exit(outcome_);
  const std::string& name = o_.name;
  if (d.code != kExitOk)
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), d.line.c_str());
  else if (!d.line.empty())
    std::fprintf(stderr, "%s: %s\n", name.c_str(), d.line.c_str());
  const std::string counts = std::to_string(lines_.alarms()) + " alarm" + (lines_.alarms() == 1 ? "" : "s");
  if (d.code == kExitOk && !o_.output.empty()) {
    std::fprintf(stderr, "%s: wrote %s and %s (%s)\n", name.c_str(), o_.output.c_str(), o_.log.c_str(), counts.c_str());
  } else {
    std::string frames;
    if (is_live(o_.mode))
      frames = "; " + std::to_string(health_.frames_in.load()) + " frames from the camera, " +
               std::to_string(health_.frames_out.load()) + " through the monitor";
    std::fprintf(stderr, "%s: %s, %" PRIu64 " clear%s%s\n", name.c_str(), counts.c_str(), lines_.clears(),
                 lines_.clears() == 1 ? "" : "s", frames.c_str());
  }
  if (lines_.log_failures() > 0)
    std::fprintf(stderr, "%s: warning: %" PRIu64 " lines could not be written to %s\n", name.c_str(),
                 lines_.log_failures(), o_.log.c_str());
  if (d.code == kExitOk && !o_.truth.empty()) {
    if (::access(o_.truth.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "%s: no ground truth at %s; skipping the comparison\n", name.c_str(), o_.truth.c_str());
    } else {
      try {
        const std::string text = check_against_truth(o_.truth, alarms_seen_, o_.slack).text();
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
        if (!o_.summary.empty()) std::ofstream(o_.summary) << text;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
        return kExitUsage;
      }
    }
  }
  return d.code;
}

int Runner::run() {
  std::string error;
  if (!lines_.open(!is_live(o_.mode), error)) {
    std::fprintf(stderr, "%s: error: %s\n", o_.name.c_str(), error.c_str());
    return kExitUsage;
  }
  if (!build(error)) {
    std::fprintf(stderr, "%s: error: %s\n", o_.name.c_str(), error.c_str());
    return kExitUsage;
  }
  if (!service_.attach(downstream_, entry_, error)) {
    std::fprintf(stderr, "%s: error: %s\n", o_.name.c_str(), error.c_str());
    return kExitError;
  }
  loop_ = g_main_loop_new(nullptr, FALSE);
  bus_watch_ = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
  gst_bus_add_watch(bus_watch_, on_bus, this);
  for (SignalData& s : signal_data_) {
    s.self = this;
    signal_ids_.push_back(g_unix_signal_add(
        s.sig,
        [](gpointer d) -> gboolean {
          auto* sd = static_cast<SignalData*>(d);
          sd->self->on_stop_signal(sd->sig);
          return G_SOURCE_CONTINUE;
        },
        &s));
  }
  tick_id_ = g_timeout_add(kTickMs, on_tick, this);

  if (is_live(o_.mode)) {
    // The rest of the pipeline runs whether or not the camera is up: the
    // source joins it when it can.
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    apply(supervisor_.start(now_s()));
  } else {
    apply(supervisor_.start(now_s()));
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  // built, whether or not the camera is up yet
  service_.ready(heartbeat_input(now_s()));
  g_main_loop_run(loop_);

  if (final_stop_thread_) g_thread_join(final_stop_thread_);
  final_stop_thread_ = nullptr;
  restream_.reset();  // the pipeline has stopped: the viewers are told
  g_thread_pool_free(events_pool_, TRUE, TRUE);
  events_pool_ = nullptr;
  const gint64 until = g_get_monotonic_time() + kTeardownWaitUs;
  while (teardowns_.load() > 0 && g_get_monotonic_time() < until) g_usleep(20000);
  const int code = finish();
  if (teardowns_.load() > 0) {
    // a source still stopping (a frozen server): nothing of ours waits on it
    std::fflush(nullptr);
    ::_exit(code);
  }
  return code;
}

}  // namespace

bool make_plan(const RunOptions& o, PipelinePlan& plan, std::string& error) {
  plan.stub_elements = std::getenv("WELLMONITOR_STUB_ELEMENTS") && std::string(std::getenv("WELLMONITOR_STUB_ELEMENTS")) == "1";
  const bool encodes = !o.output.empty() || !o.record_dir.empty();
  if (!encodes) return true;
  const char* forced = std::getenv("WELLMONITOR_ENCODER");
  if (forced && *forced) {
    plan.encoder = plan.record_encoder = forced;
    return true;
  }
  if (have_element("x264enc")) {
    // PipelinePlan's own: x264enc
  } else if (have_element("openh264enc")) {
    plan.encoder = plan.record_encoder = "openh264enc bitrate=4000000 complexity=medium ! h264parse";
  } else if (have_element("avenc_mpeg4")) {
    plan.encoder = plan.record_encoder = "avenc_mpeg4 bitrate=4000000 ! mpeg4videoparse";
  } else {
    error = "no video encoder: apt-get install gstreamer1.0-plugins-bad (openh264enc) or gstreamer1.0-plugins-ugly (x264enc)";
    return false;
  }
  return true;
}

int run_pipeline(const RunOptions& options, const PipelinePlan& plan, Health& health) {
  Runner runner(options, plan, health);
  return runner.run();
}

}  // namespace wellmonitor::run
