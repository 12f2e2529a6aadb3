// The runner's exit status, decided in one place from how the run ended.
//
//   0  a recorded file played to its end, or a stop was requested (SIGTERM,
//      SIGINT) and everything was finished and delivered
//   1  an error ended the run (one line says which); also a pipeline that
//      stopped without anyone asking (a live stream never ends a run by itself)
//   2  bad command line or input (the scripts' status for it)
//   3  alarm or clear events were left undelivered at the stop
//   4  another process monitors this camera (the lock)
//   5  the end-of-stream did not get through the pipeline in time at a stop
//   128+N  a second signal N stopped the run at once
#pragma once

#include <cstdint>
#include <string>

namespace wellmonitor::run {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitUndelivered = 3,
  kExitLocked = 4,
  kExitStopTimeout = 5,
};

struct RunOutcome {
  enum class End {
    kUnknown,        // the loop ended without a reason: never a success
    kFileEnded,      // a recorded file reached its end
    kStopRequested,  // a signal asked for the stop
    kError,          // an error ended it
    kForced,         // a second signal: stopped at once
  };
  End end = End::kUnknown;
  std::string error;         // kError: what went wrong, one line
  int signal = 0;            // the signal of kStopRequested / kForced
  bool stop_timed_out = false;
  uint64_t undelivered = 0;       // events left undelivered
  std::string undelivered_to;     // where they were going (a broker)
  std::string undelivered_where;  // where they wait (a spool directory)
};

struct ExitDecision {
  int code = kExitOk;
  std::string line;  // what to say last (empty: nothing)
};

ExitDecision decide_exit(const RunOutcome& outcome);

// "SIGTERM", "SIGINT", ...
std::string signal_name(int sig);

}  // namespace wellmonitor::run
