// The pipeline's bus, on the main loop: the alarm lines the moment the
// messages arrive, the recording's segments, errors, warnings and the end of stream.
#include "runner_internal.h"

#include <cstdio>

namespace wellmonitor::run::detail {

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
      if (gst_structure_has_name(s, kColourMatrixMessage)) {
        self->on_colour_matrix(s);
        break;
      }
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

// How the stream's colour matrix is read (colour_matrix.h): said once, and again
// only when a new source reads it otherwise.
void Runner::on_colour_matrix(const GstStructure* s) {
  const gchar* line = gst_structure_get_string(s, "line");
  if (!line || colour_matrix_line_ == line) return;
  colour_matrix_line_ = line;
  if (is_live(o_.mode))
    std::fprintf(stderr, "%s: camera %s: %s\n", o_.name.c_str(), camera_.c_str(), line);
  else
    std::fprintf(stderr, "%s: %s\n", o_.name.c_str(), line);
  if (shadow_) shadow_->set_colour_matrix(line);
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
    if (!alarm)
      if (const gchar* reason = gst_structure_get_string(s, "reason")) e.reason = reason;
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
    if (gst_structure_has_name(s, "wellmonitor-shelved")) keep_shelved(s);
    return;
  }
  if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
    const gchar* location = gst_structure_get_string(s, "location");
    current_segment_ = location ? location : "";
    guint64 running = GST_CLOCK_TIME_NONE;
    if (shadow_ && location && gst_structure_get_uint64(s, "running-time", &running) && GST_CLOCK_TIME_IS_VALID(running))
      shadow_->segment_opened(location, static_cast<int64_t>(running));
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

}  // namespace wellmonitor::run::detail
