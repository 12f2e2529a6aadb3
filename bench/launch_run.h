// gst-launch-1.0 pipelines run as users run them: each in a process of its
// own, started with a clean environment (only the variables given, nothing of
// the bench's), measured from outside: wall time, CPU time, peak RSS and
// minor page faults from wait4's rusage, CPU time sampled from /proc while it
// runs, what the elements log into a GST_DEBUG_FILE (the element's per-frame
// LOG line, its EOS summary, the pipeline's base time) and, with -m, the bus
// messages gst-launch-1.0 prints (the element's wellmonitor-scores, QoS).
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
  // A live pipeline that never ends (a camera): > 0 stops it this long after
  // its running time began (the pipeline's base time, from its log: needs
  // GST_DEBUG pipeline:5) with SIGINT, then SIGKILL after `grace_s`; without a
  // base time by `start_timeout_s` after the start, the same.
  double stop_after_running_s = 0;
  double start_timeout_s = 60;
  double grace_s = 3;
};

// What one wellmonitor-scores message (post-scores=true, one per analysed
// frame) says: the frame's running time and the element's counters.
struct ScoresMessage {
  long long running_ns = -1;
  long frame = -1, analysed = -1, skipped = -1, late = -1;
};

// A QoS message on the bus: who posted it (a frame it dropped) and the
// frame's running time.
struct QosMessage {
  std::string element;
  long long running_ns = -1;
};

// The process's CPU time (user + system, seconds) at a moment of
// CLOCK_MONOTONIC (ns): what steady_clock and GStreamer's system clock read.
struct CpuSample {
  long long mono_ns = 0;
  double cpu_s = 0;
};

// One wellmonitor element's frames, as it logged them.
struct ElementLog {
  std::vector<double> at_s;       // when each analysed frame was done (seconds since the process's gst_init)
  std::vector<double> frame_ms;   // crops + scores of each analysed frame
  std::vector<ScoresMessage> scores;  // its wellmonitor-scores messages (gst-launch-1.0 -m), in order
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
  std::vector<QosMessage> qos;             // the QoS messages on the bus (gst-launch-1.0 -m), in order
  // The pipeline's base time on CLOCK_MONOTONIC (ns; -1: not logged) and what
  // to add to a log line's time (ns since gst_init) for CLOCK_MONOTONIC.
  long long base_time_ns = -1, log_to_mono_ns = 0;
  std::vector<CpuSample> cpu;              // sampled every 200 ms while it ran
  bool interrupted = false, killed = false;  // stopped by SIGINT; by SIGKILL after the grace period
};

// Starts every spec at once (at most a few: cameras side by side), waits for
// all, and returns their results in order. While they run, each child's
// minor page faults are read from /proc when its log first holds
// `warmup_frames` analysed frames.
std::vector<LaunchResult> run_launches(const std::string& gst_launch, const std::vector<LaunchSpec>& specs,
                                       size_t warmup_frames, double timeout_s);

// Parses a GST_DEBUG_FILE written with wellmonitor:6 (and pipeline:5 for the base time).
void parse_log(const std::string& text, LaunchResult& r);
// The wellmonitor-scores and QoS messages in gst-launch-1.0 -m's output.
void parse_messages(const std::string& text, LaunchResult& r);

// CPU seconds at `mono_ns`, interpolated between the samples (NaN outside them).
double cpu_at(const std::vector<CpuSample>& samples, long long mono_ns);

// Nearest-rank percentile (0-100) of `values` (copied and sorted); NaN when empty.
double percentile(std::vector<double> values, double p);

}  // namespace bench
