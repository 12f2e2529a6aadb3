// Several cameras on one box: each an RTSP client of a real gst-rtsp-server
// on loopback, with the pipeline wellmonitor-run builds for an RTSP camera,
// as one gst-launch-1.0 process a camera or one process for all of them,
// measured over a fixed window of each pipeline's running time from the
// element's own output (its per-frame log line and wellmonitor-scores
// messages) and the process's CPU time sampled from /proc.
#pragma once

#include "user_runs.h"

#include <string>
#include <vector>

namespace bench {

constexpr double kCameraFps = 25.0;

// The first `frames` frames of `video`, looped as often as it takes, re-encoded
// as a camera sends them: H.264 at 25 frames/s, `kbps` kbit/s, a key frame
// every 2 s, into the bench's temporary folder.
std::string make_camera_video(const Launcher& launcher, const std::string& video, int width, int height, int frames,
                              int kbps);

// A free TCP port on loopback, for the RTSP server.
int free_loopback_port();

struct CameraRun {
  std::string url;             // the RTSP server's stream
  std::string stream;          // its label in the table
  std::string sink;            // what follows wellmonitor, e.g. "fakesink sync=false"
  int cameras = 4;
  bool one_process = false;    // one gst-launch-1.0 with a branch a camera, else a process a camera
  int threads = 0;             // the element's property (0: not set)
  int latency_ms = 200;        // rtspsrc's latency
  double warmup_s = 5;         // running time left out at the start
  double window_s = 20;        // running time measured
};

struct CameraRow {
  std::string stream, sink, mode;
  int threads = 0;        // the element's property (0: as users get it, chosen by the element)
  int threads_used = -1;  // as the element reported it
  int camera = 0;
  long pid = 0;
  bool shared = false;    // one process: its CPU time split evenly between the cameras, its drops counted together
  double window_s = 0;
  // over the window, from the element's counters (wellmonitor-scores messages)
  long frames_in = -1, analysed = -1, skipped = -1, late = -1;
  long dropped = 0;       // QoS messages on the bus in the window: frames dropped before the element or at the sink
  double fps = 0;         // analysed frames a second of the window
  double cpu_percent = 0;            // CPU time in the window over its length, % of one core
  double cpu_ms_per_frame = 0;       // CPU time in the window per frame analysed (decoding included), ms
  double p50_ms = 0, p99_ms = 0;     // the element's time per analysed frame (crops + scores)
  double latency_p50_ms = 0, latency_p99_ms = 0;  // from the frame's running time (its arrival) to its analysis done
  double latency_growth_ms = 0;      // median latency of the window's last second minus its first: the lag growing
  double rss_mib = 0;
  std::string stop;       // how its process ended: "SIGINT" (stopped by the bench), "SIGKILL" (after the grace period), "exit N"
  std::string error;
  bool keeps_up() const;
};

// `run.cameras` cameras at once, each an RTSP client of run.url (each client
// gets the stream from its start, in real time).
std::vector<CameraRow> measure_cameras(Launcher& launcher, const Job& job, const CameraRun& run);

void print_camera_header();
void print_camera_rows(const std::vector<CameraRow>& rows);
// One line a configuration: how many of its cameras keep up, and what they cost the box together.
void print_camera_verdicts(const std::vector<CameraRow>& rows, int cameras);

}  // namespace bench
