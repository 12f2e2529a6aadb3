#include "exit_status.h"

#include <string.h>

namespace wellmonitor::run {

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

ExitDecision decide_exit(const RunOutcome& o) {
  ExitDecision d;
  std::string undelivered;
  if (o.undelivered > 0) {
    undelivered = std::to_string(o.undelivered) + " event" + (o.undelivered == 1 ? "" : "s") + " not delivered";
    if (!o.undelivered_to.empty()) undelivered += " to " + o.undelivered_to;
    if (!o.undelivered_where.empty()) undelivered += " (waiting in " + o.undelivered_where + ")";
  }
  switch (o.end) {
    case RunOutcome::End::kForced:
      d.code = 128 + o.signal;
      d.line = "stopped at once by a second " + signal_name(o.signal) + "; the end of the stream was not waited for";
      if (!undelivered.empty()) d.line += "; " + undelivered;
      return d;
    case RunOutcome::End::kError:
      d.code = kExitError;
      d.line = o.error.empty() ? "the pipeline failed" : o.error;
      if (!undelivered.empty()) d.line += "; " + undelivered;
      return d;
    case RunOutcome::End::kUnknown:
      d.code = kExitError;
      d.line = "the pipeline stopped without an error or a stop request";
      if (!undelivered.empty()) d.line += "; " + undelivered;
      return d;
    case RunOutcome::End::kFileEnded:
    case RunOutcome::End::kStopRequested:
      break;
  }
  if (o.undelivered > 0) {
    d.code = kExitUndelivered;
    d.line = undelivered;
    return d;
  }
  if (o.stop_timed_out) {
    d.code = kExitStopTimeout;
    d.line = "the end of the stream did not get through the pipeline in time; stopped without it";
    return d;
  }
  return d;
}

}  // namespace wellmonitor::run
