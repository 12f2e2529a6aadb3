// The bench's diagnosis rows, in its own process (not what users run): the
// Detector's forward pass alone, the Scorer alone, a GstHarness around the
// element, the README's pipeline built with gst_parse_launch; and one core's
// FP32 peak to set the forward pass against.
#pragma once

#include "video.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace bench {

struct Result {
  bool ok = false;
  std::string error;
  size_t frames = 0;
  int threads = 0;  // intra-op threads in use, as the side reports it
  double fps = 0, p50_ms = 0, p99_ms = 0;
  double rss_mib = 0;                // peak resident memory of the process (C++: so far)
  std::vector<double> first_scores;  // the first timed frame's scores, layout order
  long pid = 0;                      // the process that ran it
  double faults_per_frame = -1;      // minor page faults per frame once warm (-1: not measured)
  double cpu_percent = -1;           // CPU time over wall time, in % of one core (-1: not measured)
  double wall_s = 0;                 // the process's whole run, start-up included
  double madds_per_s = 0;            // forward row: multiply-adds per second of CPU time
};


// Peak resident memory since the last reset_peak_rss() (Linux's VmHWM; the
// process's peak so far where the kernel cannot reset it).
double peak_rss_mib();
void reset_peak_rss();

// fps, p50 and p99 from per-frame times (seconds) and the wall time they took.
void summarise(Result& r, std::vector<double> times, double wall);

struct Job {
  std::string video, wells, model;
  size_t warmup = 10;
};

// A GstHarness around the element, the frames decoded into memory.
Result measure_element(const Video& v, const Job& job, size_t wells, int threads);
// The Scorer alone on the BGR crops of every frame: what the model costs.
Result measure_model(const Video& v, const std::vector<cv::Rect>& boxes, const Job& job, int threads);
// The whole video through a real pipeline, decoding included; with_monitor
// false: the same pipeline without wellmonitor (what decoding alone costs).
Result measure_pipeline(const Job& job, int threads, bool with_monitor);
// The Detector's forward pass alone (preprocessed wells of the first frame,
// the whole batch at once), at `threads` intra-op threads: per-pass wall time,
// and multiply-adds per second of this thread's CPU time (one thread: all the
// work is on it).
Result measure_forward(const Video& v, const std::vector<cv::Rect>& boxes, const Job& job, int threads,
                       double madds_per_crop);

struct Peak {
  double madds_per_s = 0;
  std::string isa;
};

// One core's FP32 peak in multiply-adds per second of CPU time: independent
// fused multiply-adds on the widest vectors the CPU has (AVX-512, else AVX2),
// enough of them in flight to fill every FMA pipe; the best of three.
Peak core_peak();
std::string cpu_model();

}  // namespace bench
