// gst-launch-1.0 pipelines run as users run them: each in a process of its
// own, started with a clean environment (only the variables given, nothing of
// the bench's), measured from outside: wall time, CPU time, peak RSS and
// minor page faults from wait4's rusage, and what the elements log into a
// GST_DEBUG_FILE (the element's per-frame LOG line, its EOS summary, the
// sinks' clock jitter).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace bench {

// One gst-launch-1.0 process: its arguments (the pipeline) and environment.
struct LaunchSpec {
  std::vector<std::string> args;  // after "gst-launch-1.0"
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::string log_path;           // its GST_DEBUG_FILE ("" when it logs nothing)
  std::string stdout_path;        // where its stdout goes ("": nowhere); with -m, its bus messages
  double interrupt_after_s = 0;   // > 0: SIGINT this long after the start (with -e: EOS, a clean end)
};

// One wellmonitor element's frames, as it logged them.
struct ElementLog {
  std::vector<double> at_s;       // when each analysed frame was done (seconds since the process's gst_init)
  std::vector<double> frame_ms;   // crops + scores of each analysed frame
  long frames_in = -1, analysed = -1, skipped = -1, late = -1;  // its EOS summary (-1: none logged)
  int threads = -1;               // LibTorch intra-op threads it reported
};

struct LaunchResult {
  pid_t pid = 0;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  double wall_s = 0, cpu_s = 0;  // wall time from start to exit; user + system CPU time
  long max_rss_kib = 0;          // peak resident set (VmHWM, polled while it runs)
  long minflt = 0;               // minor page faults of the whole run
  long minflt_at_warmup = -1;    // when the warm-up frames had been logged (-1: never)
  std::string stderr_text;
  std::map<std::string, ElementLog> elements;             // by element name (wellmonitor0, ...)
  std::map<std::string, std::vector<double>> jitter_ms;   // by sink name: clock time at the sink - due time
  std::map<std::string, long> qos_messages;               // by element: QoS messages it posted (frames it dropped)
};

// Starts every spec at once (at most a few: cameras side by side), waits for
// all, and returns their results in order. While they run, each child's
// minor page faults are read from /proc when its log first holds
// `warmup_frames` analysed frames.
std::vector<LaunchResult> run_launches(const std::string& gst_launch, const std::vector<LaunchSpec>& specs,
                                       size_t warmup_frames, double timeout_s);

// Parses a GST_DEBUG_FILE written with wellmonitor:6 (and basesink:5 for jitter).
void parse_log(const std::string& text, LaunchResult& r);
// Counts the QoS messages in gst-launch-1.0 -m's output, by element.
void parse_messages(const std::string& text, LaunchResult& r);

// Nearest-rank percentile (0-100) of `values` (copied and sorted); NaN when empty.
double percentile(std::vector<double> values, double p);

}  // namespace bench
