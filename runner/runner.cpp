#include "runner.h"

#include "runner_internal.h"

#include "camera_id.h"
#include "recording.h"

#include <gst/base/gstbasesink.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace wellmonitor::run {

namespace detail {

// Settings of sinks, also of those that autovideosink and splitmuxsink make
// while the pipeline starts: in a live pipeline no sink waits for a first frame
// (async=false); the recording's file is written as the muxer hands it data
// (unbuffered), so a crash loses little more than the frames of the GOP that
// splitmuxsink collects before it muxes.
void set_up_sink(GstElement* e, GstBin* parent, const SinkSettings& s) {
  if (!GST_IS_BASE_SINK(e)) return;
  if (s.live) g_object_set(e, "async", FALSE, nullptr);
  GstElementFactory* f = gst_element_get_factory(e);
  if (parent && g_str_equal(GST_OBJECT_NAME(parent), kRecorderName) && f &&
      g_str_equal(GST_OBJECT_NAME(f), "filesink"))
    gst_util_set_object_arg(G_OBJECT(e), "buffer-mode", "unbuffered");
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
  in.shadow = !o_.shadow_dir.empty();
  return in;
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
    if (!o_.shadow_dir.empty()) {
      shadow_ = std::make_unique<ShadowCapture>(o_, camera_);
      lines_.set_alarm_prefix("SHADOW ");
      if (!shadow_->attach(monitor, error)) {
        gst_object_unref(monitor);
        return false;
      }
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
      // the status line on every screen says that nothing is sent
      const std::string shown = std::string(base) + (o_.shadow_dir.empty() ? "" : " - SHADOW MODE, NO ALARM SENT");
      g_object_set(overlay, "model-name", shown.c_str(), nullptr);
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

// ------------------------------------------------------------------- run

int Runner::finish() {
  collect_undelivered();
  const ExitDecision d = decide_exit(outcome_);
  const std::string& name = o_.name;
  if (d.code != kExitOk)
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), d.line.c_str());
  else if (!d.line.empty())
    std::fprintf(stderr, "%s: %s\n", name.c_str(), d.line.c_str());
  const std::string counts = std::to_string(lines_.alarms()) + (shadow_ ? " shadow alarm" : " alarm") +
                             (lines_.alarms() == 1 ? "" : "s") + (shadow_ ? " (none sent)" : "");
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
    restore_shelved();
    apply(supervisor_.start(now_s()));
  } else {
    apply(supervisor_.start(now_s()));
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    restore_shelved();
  }
  // built, whether or not the camera is up yet
  service_.ready(heartbeat_input(now_s()));
  g_main_loop_run(loop_);

  if (final_stop_thread_) g_thread_join(final_stop_thread_);
  final_stop_thread_ = nullptr;
  restream_.reset();  // the pipeline has stopped: the viewers are told
  if (shadow_) shadow_->finish();  // every segment is closed: the last clips
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

}  // namespace detail

namespace {

bool have_element(const char* name) {
  GstElementFactory* f = gst_element_factory_find(name);
  if (!f) return false;
  gst_object_unref(f);
  return true;
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
  detail::Runner runner(options, plan, health);
  return runner.run();
}

}  // namespace wellmonitor::run
