// Signals, the main loop's tick and stopping: SIGTERM/SIGINT through the stop
// sequence (stop_sequence.h), the final stop off the main loop, what the
// publishers still hold, and the recording's retention (recording.h).
#include "runner_internal.h"

#include "camera_id.h"
#include "recording.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace wellmonitor::run::detail {

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
  if (shadow_) shadow_->tick(now);
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

}  // namespace wellmonitor::run::detail
