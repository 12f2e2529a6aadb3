// The source bin and its supervision: built, linked, counted, torn down off the
// main loop and built again as the supervisor (supervisor.h) decides; the camera
// lost/back events sent in at the entry.
#include "runner_internal.h"

#include "source_bin.h"

#include <cstdio>
#include <utility>

namespace wellmonitor::run::detail {

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

void Runner::start_source() {
  std::string error;
  GstElement* bin =
      make_source_bin(source_description(o_), "wm_source" + std::to_string(generation_ + 1),
                      parse_assumed_matrix(o_.colour_matrix).value_or(AssumedMatrix::kAuto), error);
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

}  // namespace wellmonitor::run::detail
