// Benchmark: what the wellmonitor element costs where users run it, beside the
// same job done the way the homework-style Python pipeline did it (PIL crops,
// one torch forward pass; bench/reference_element.py), interleaved in the same
// run so that a busy machine slows both sides alike.
//
//   wellmonitor-bench-element [--video FILE] [--wells FILE] [--model FILE]...
//                             [--frames N] [--threads 1,2] [--python /usr/bin/python3]
//                             [--rounds R] [--seed-ae] [--cameras N] [--json FILE]
//
// Rows where users run it (each a gst-launch-1.0 process of its own, started
// with nothing of the bench's environment: GST_PLUGIN_PATH, and GST_DEBUG
// writing the element's per-frame LOG line to a file):
//   e2e      the README's pipeline, filesrc ! decodebin ! videoconvert !
//            wellmonitor wells=... ! fakesink sync=false, over the whole video:
//            frames/s once warm (from the element's per-frame log lines, the
//            first --warmup frames left out), p50/p99 of the element's time per
//            frame (crops + scores, as it logs them), peak RSS, minor page
//            faults per frame once warm (from /proc and wait4), CPU use
//   decode   the same without wellmonitor: what decoding alone costs
//   Python   the reference on the first --frames frames, decoded by the bench
//            into a raw file (its decoding is not counted)
// --cameras N: N cameras at once at 25 frames/s, each an RTSP client of a real
// gst-rtsp-server on loopback (tests/support/rtsp_server.py: every client gets
// the whole stream in real time), with the pipeline wellmonitor-run builds for
// an RTSP camera and fakesink sync=true qos=true (a frame that comes late is
// skipped by the element or dropped by the decoder, and counted); N
// gst-launch-1.0 processes and one process with N pipelines, on the demo
// replay re-encoded at 25 frames/s and at a camera's bit rate; per camera:
// frames analysed and skipped, CPU use, the element's p50/p99 time per frame
// and how late frames reached the sink.
// Diagnosis rows (in the bench's own process, not what users run):
//   forward  the Detector's batched forward pass alone on the first frame's
//            wells, and the multiply-adds per second it reaches against one
//            core's measured FP32 peak
//   model    the Scorer alone on each decoded frame's BGR crops
//   element  a GstHarness around the element, the frames decoded into memory
//   pipeline the README's pipeline built with gst_parse_launch in this process
// Every model given (--model, repeatable; --seed-ae adds the homework's
// network) gets its rows and a line in the cost table at the end: its
// multiply-adds and its frames/s end to end against the targets.
#include "launch_run.h"
#include "support/rtsp_server.h"

#include "wellmonitor/detector.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/preprocess.h"
#include "wellmonitor/scorer.h"
#include "wellmonitor/version.h"

#include <immintrin.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr double kTargetFps = 110.0;    // end to end, default model: four cameras at 25 fps and a margin
constexpr double kTargetVsPython = 5.0;  // end to end, default model, against the homework-style seed-ae in Python

// ------------------------------------------------------------------ decoding

struct Video {
  GstVideoInfo info{};        // the layout of every frame in `data` (default strides)
  std::vector<uint8_t> data;  // frames back to back, info.size bytes each
  size_t count = 0;

  const uint8_t* frame(size_t i) const { return data.data() + i * info.size; }
};

std::string bus_error(GstBus* bus) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (!msg) return {};
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  std::string text = err ? err->message : "unknown error";
  if (debug && *debug) text += fmt::format(" ({})", debug);
  if (err) g_error_free(err);
  g_free(debug);
  gst_message_unref(msg);
  return text;
}

// The first `max_frames` frames of `path` in `format` (a GStreamer video format
// name), through decodebin, videoconvert and an appsink.
Video decode(const std::string& path, size_t max_frames, const std::string& format) {
  if (!fs::exists(path)) throw std::runtime_error(path + ": no such video file");
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(
      ("filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=" + format +
       " ! appsink name=sink sync=false")
          .c_str(),
      &err);
  if (!pipe) {
    std::string msg = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    throw std::runtime_error("cannot build the decoding pipeline: " + msg);
  }
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstBus* bus = gst_element_get_bus(pipe);
  auto cleanup = [&] {
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
  };

  Video v;
  std::string error;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = bus_error(bus);
    if (error.empty()) error = "the decoding pipeline did not start";
  }
  while (error.empty() && v.count < max_frames) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 2);
    if (!sample) {
      if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
      error = bus_error(bus);
      continue;
    }
    if (v.count == 0 && !gst_video_info_from_caps(&v.info, gst_sample_get_caps(sample))) {
      gst_sample_unref(sample);
      error = "decoder produced caps that are not raw video";
      break;
    }
    // Copy into the default layout of v.info, whatever strides the decoder used.
    v.data.resize((v.count + 1) * v.info.size);
    GstBuffer* dst_buf = gst_buffer_new_wrapped_full(static_cast<GstMemoryFlags>(0),
                                                     v.data.data() + v.count * v.info.size, v.info.size, 0,
                                                     v.info.size, nullptr, nullptr);
    GstVideoFrame src_frame, dst_frame;
    const bool mapped = gst_video_frame_map(&src_frame, &v.info, gst_sample_get_buffer(sample), GST_MAP_READ);
    if (mapped && gst_video_frame_map(&dst_frame, &v.info, dst_buf, GST_MAP_WRITE)) {
      if (!gst_video_frame_copy(&dst_frame, &src_frame)) error = "cannot copy a decoded frame";
      gst_video_frame_unmap(&dst_frame);
    } else {
      error = "cannot map a decoded frame";
    }
    if (mapped) gst_video_frame_unmap(&src_frame);
    gst_buffer_unref(dst_buf);
    gst_sample_unref(sample);
    if (!error.empty()) break;
    ++v.count;
  }
  cleanup();
  if (!error.empty()) throw std::runtime_error(path + ": " + error);
  if (v.count == 0) throw std::runtime_error(path + ": no video frames decoded");
  return v;
}

// The frames (BGR) as N x H x W x 3 uint8, packed rows, for the Python side.
void write_raw(const Video& v, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const int w = GST_VIDEO_INFO_WIDTH(&v.info), h = GST_VIDEO_INFO_HEIGHT(&v.info);
  const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&v.info, 0);
  for (size_t i = 0; i < v.count; ++i)
    for (int y = 0; y < h; ++y)
      f.write(reinterpret_cast<const char*>(v.frame(i) + static_cast<size_t>(y) * stride), w * 3);
  if (!f.flush()) throw std::runtime_error(path + ": cannot write the frames for the Python reference");
}

// ------------------------------------------------------------------ results

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
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// fps, p50 and p99 from per-frame times (seconds) and the wall time they took.
void summarise(Result& r, std::vector<double> times, double wall) {
  std::sort(times.begin(), times.end());
  r.ok = !times.empty() && wall > 0;
  if (!r.ok) {
    if (r.error.empty()) r.error = "nothing timed";
    return;
  }
  r.frames = times.size();
  r.fps = times.size() / wall;
  const auto rank = [&](double p) {
    const size_t k = std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100.0 * times.size())));
    return times[k - 1];
  };
  r.p50_ms = 1e3 * rank(50);
  r.p99_ms = 1e3 * rank(99);
  r.rss_mib = peak_rss_mib();
}


// ------------------------------------------------------------------ C++ side

struct Job {
  std::string video, wells, model;
  size_t warmup = 10;
};

// Scores of one output buffer from its region-of-interest metas, by well index.
std::vector<double> scores_from_metas(GstBuffer* buf, size_t wells) {
  std::vector<double> scores(wells, std::nan(""));
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, "wellmonitor");
    double score = 0;
    if (s && gst_structure_get_double(s, "score", &score) && roi->id >= 0 && static_cast<size_t>(roi->id) < wells)
      scores[roi->id] = score;
  }
  return scores;
}

Result measure_element(const Video& v, const Job& job, size_t wells, int threads) {
  Result r;
  reset_peak_rss();
  GstElement* el = gst_element_factory_make("wellmonitor", nullptr);
  if (!el) {
    r.error = "no element 'wellmonitor' (is the plugin built? GST_PLUGIN_PATH=" +
              std::string(g_getenv("GST_PLUGIN_PATH") ? g_getenv("GST_PLUGIN_PATH") : "") + ")";
    return r;
  }
  gst_object_ref_sink(el);
  g_object_set(el, "model", job.model.c_str(), "wells", job.wells.c_str(), "interval", 1u, "device", "cpu", nullptr);
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(el), "threads"))
    g_object_set(el, "threads", threads, nullptr);
  else
    torch::set_num_threads(threads);  // LibTorch's count is per process; the element shares it

  // Start the element ourselves so that a bad model or layout gives its message,
  // not an assertion inside the harness.
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(el, bus);
  if (gst_element_set_state(el, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
    r.error = bus_error(bus);
    if (r.error.empty()) r.error = "the element did not start";
    gst_element_set_state(el, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(el);
    return r;
  }
  GstHarness* h = gst_harness_new_with_element(el, "sink", "src");
  gst_harness_set_src_caps(h, gst_video_info_to_caps(&v.info));
  r.threads = torch::get_num_threads();  // this thread starts the element and pushes the frames

  const GstClockTime duration =
      GST_VIDEO_INFO_FPS_N(&v.info) > 0
          ? gst_util_uint64_scale(GST_SECOND, GST_VIDEO_INFO_FPS_D(&v.info), GST_VIDEO_INFO_FPS_N(&v.info))
          : GST_SECOND / 15;
  uint64_t pushed = 0;
  // The element reads the frame in place and never writes its pixels: wrap the
  // decoded frames instead of copying them.
  auto push = [&](size_t i, double* seconds) -> bool {
    GstBuffer* buf = gst_buffer_new_wrapped_full(static_cast<GstMemoryFlags>(0), const_cast<uint8_t*>(v.frame(i)),
                                                 v.info.size, 0, v.info.size, nullptr, nullptr);
    GST_BUFFER_PTS(buf) = pushed * duration;
    GST_BUFFER_DURATION(buf) = duration;
    ++pushed;
    const auto t0 = Clock::now();
    const GstFlowReturn flow = gst_harness_push(h, buf);
    if (seconds) *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (flow != GST_FLOW_OK) {
      r.error = bus_error(bus);
      if (r.error.empty()) r.error = std::string("push failed: ") + gst_flow_get_name(flow);
      return false;
    }
    return true;
  };

  bool ok = true;
  for (size_t i = 0; ok && i < std::min(job.warmup, v.count); ++i) {
    ok = push(i, nullptr);
    if (ok)
      if (GstBuffer* out = gst_harness_pull(h)) gst_buffer_unref(out);
  }
  std::vector<double> times;
  times.reserve(v.count);
  const auto start = Clock::now();
  for (size_t i = 0; ok && i < v.count; ++i) {
    double s = 0;
    ok = push(i, &s);
    if (!ok) break;
    times.push_back(s);
    GstBuffer* out = gst_harness_pull(h);
    if (!out) {
      ok = false;
      r.error = "the element passed no buffer on";
      break;
    }
    if (i == 0) r.first_scores = scores_from_metas(out, wells);
    gst_buffer_unref(out);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();

  gst_harness_teardown(h);
  gst_element_set_bus(el, nullptr);
  gst_object_unref(bus);
  gst_object_unref(el);
  if (!ok) return r;
  summarise(r, std::move(times), wall);
  return r;
}

// The Scorer alone on the BGR crops of every frame: what the model costs.
Result measure_model(const Video& v, const std::vector<cv::Rect>& boxes, const Job& job, int threads) {
  Result r;
  reset_peak_rss();
  try {
    wellmonitor::ScorerOptions options;
    options.device = "cpu";
    options.threads = threads;
    auto scorer = wellmonitor::Scorer::open(job.model, options);
    r.threads = scorer->info().threads;
    const int w = GST_VIDEO_INFO_WIDTH(&v.info), h = GST_VIDEO_INFO_HEIGHT(&v.info);
    const size_t stride = GST_VIDEO_INFO_PLANE_STRIDE(&v.info, 0);
    std::vector<cv::Mat> crops(boxes.size());
    std::vector<double> scores;
    auto frame_crops = [&](size_t i) {
      const cv::Mat frame(h, w, CV_8UC3, const_cast<uint8_t*>(v.frame(i)), stride);
      for (size_t k = 0; k < boxes.size(); ++k) crops[k] = frame(boxes[k]);
    };
    for (size_t i = 0; i < std::min(job.warmup, v.count); ++i) {
      frame_crops(i);
      scorer->score(crops, scores);
    }
    std::vector<double> times;
    times.reserve(v.count);
    const auto start = Clock::now();
    for (size_t i = 0; i < v.count; ++i) {
      frame_crops(i);
      const auto t0 = Clock::now();
      scorer->score(crops, scores);
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      if (i == 0) r.first_scores = scores;
    }
    summarise(r, std::move(times), std::chrono::duration<double>(Clock::now() - start).count());
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

struct Handoffs {
  std::vector<Clock::time_point> at;
};

void on_handoff(GstElement*, GstBuffer*, GstPad*, gpointer data) {
  static_cast<Handoffs*>(data)->at.push_back(Clock::now());
}

// The whole video through a real pipeline, decoding included; with_monitor
// false: the same pipeline without wellmonitor (what decoding alone costs).
Result measure_pipeline(const Job& job, int threads, bool with_monitor) {
  Result r;
  reset_peak_rss();
  const std::string monitor =
      with_monitor ? fmt::format("wellmonitor model=\"{}\" wells=\"{}\" device=cpu interval=1 threads={} ! ", job.model,
                                 job.wells, threads)
                   : std::string();
  const std::string launch = fmt::format(
      "filesrc location=\"{}\" ! decodebin ! videoconvert ! {}fakesink name=out sync=false signal-handoffs=true",
      job.video, monitor);
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(launch.c_str(), &err);
  if (!pipe || err) {
    r.error = err ? err->message : "cannot build the pipeline";
    if (err) g_error_free(err);
    if (pipe) gst_object_unref(pipe);
    return r;
  }
  Handoffs h;
  h.at.reserve(100000);
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipe), "out");
  g_signal_connect(out, "handoff", G_CALLBACK(on_handoff), &h);
  gst_object_unref(out);
  GstBus* bus = gst_element_get_bus(pipe);
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) r.error = bus_error(bus);
  if (r.error.empty()) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 600 * GST_SECOND,
                                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (!msg) {
      r.error = "the pipeline timed out";
    } else {
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(msg, &e, nullptr);
        r.error = e ? e->message : "pipeline error";
        if (e) g_error_free(e);
      }
      gst_message_unref(msg);
    }
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  if (!r.error.empty()) return r;
  // from the first frame at the sink to the last: the model's start-up is left out
  std::vector<double> gaps;
  for (size_t i = 1; i < h.at.size(); ++i) gaps.push_back(std::chrono::duration<double>(h.at[i] - h.at[i - 1]).count());
  if (gaps.empty()) {
    r.error = "fewer than two frames reached the sink";
    return r;
  }
  summarise(r, gaps, std::chrono::duration<double>(h.at.back() - h.at.front()).count());
  r.threads = threads;
  return r;
}

// ------------------------------------------------------------------ the core's peak

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// One core's FP32 peak in multiply-adds per second of CPU time: independent
// fused multiply-adds on the widest vectors the CPU has (AVX-512, else AVX2),
// enough of them in flight to fill every FMA pipe. 0 when neither is there.
__attribute__((target("avx512f"))) double fma_peak_avx512() {
  __m512 acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm512_set1_ps(0.001f * k);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  const long iters = 20000000;
  const double t0 = thread_cpu_seconds();
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  const double s = thread_cpu_seconds() - t0;
  alignas(64) float lanes[16];
  float sink = 0;
  for (int k = 0; k < 12; ++k) {
    _mm512_store_ps(lanes, acc[k]);
    for (float v : lanes) sink += v;
  }
  if (sink == 12345.f) std::puts("");  // keeps the loop
  return iters * 12.0 * 16.0 / s;
}

__attribute__((target("avx2,fma"))) double fma_peak_avx2() {
  __m256 acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm256_set1_ps(0.001f * k);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  const long iters = 20000000;
  const double t0 = thread_cpu_seconds();
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  const double s = thread_cpu_seconds() - t0;
  alignas(32) float lanes[8];
  float sink = 0;
  for (int k = 0; k < 12; ++k) {
    _mm256_store_ps(lanes, acc[k]);
    for (float v : lanes) sink += v;
  }
  if (sink == 12345.f) std::puts("");
  return iters * 12.0 * 8.0 / s;
}

struct Peak {
  double madds_per_s = 0;
  std::string isa;
};

Peak core_peak() {
  Peak p;
  for (int i = 0; i < 3; ++i) {  // the best of three
    if (__builtin_cpu_supports("avx512f")) {
      p.madds_per_s = std::max(p.madds_per_s, fma_peak_avx512());
      p.isa = "AVX-512";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      p.madds_per_s = std::max(p.madds_per_s, fma_peak_avx2());
      p.isa = "AVX2";
    }
  }
  return p;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// The Detector's forward pass alone (preprocessed wells of the first frame,
// the whole batch at once), at `threads` intra-op threads: per-pass wall time,
// and multiply-adds per second of this thread's CPU time (one thread: all the
// work is on it).
Result measure_forward(const Video& v, const std::vector<cv::Rect>& boxes, const Job& job, int threads,
                       double madds_per_crop) {
  Result r;
  try {
    torch::set_num_threads(threads);
    r.threads = torch::get_num_threads();
    wellmonitor::Detector det = wellmonitor::Detector::open(job.model, "cpu");
    const int w = GST_VIDEO_INFO_WIDTH(&v.info), h = GST_VIDEO_INFO_HEIGHT(&v.info);
    const cv::Mat frame(h, w, CV_8UC3, const_cast<uint8_t*>(v.frame(0)), GST_VIDEO_INFO_PLANE_STRIDE(&v.info, 0));
    std::vector<cv::Mat> crops;
    for (const auto& b : boxes) crops.push_back(frame(b));
    const torch::Tensor batch = wellmonitor::preprocess_batch(crops, det.model().preprocess);
    for (size_t i = 0; i < job.warmup; ++i) det.score_tensor(batch);
    std::vector<double> times;
    const size_t passes = std::max<size_t>(20, std::min<size_t>(v.count, 200));
    const auto start = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    for (size_t i = 0; i < passes; ++i) {
      const auto t0 = Clock::now();
      det.score_tensor(batch);
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double cpu = thread_cpu_seconds() - cpu0;
    summarise(r, std::move(times), std::chrono::duration<double>(Clock::now() - start).count());
    if (threads == 1 && cpu > 0) r.madds_per_s = madds_per_crop * boxes.size() * passes / cpu;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

// ------------------------------------------------------------------ where users run it

struct Launcher {
  std::string gst_launch = "/usr/bin/gst-launch-1.0";
  std::string plugin_dir;
  std::string tmp_dir;
  int counter = 0;

  // A clean environment: this build's plugin folder and the element's debug
  // log into `log` (wellmonitor:6 writes one LOG line per analysed frame and
  // its summary at EOS; `extra_debug` adds categories).
  bench::LaunchSpec spec(const std::vector<std::string>& pipeline, const std::string& extra_debug = "") {
    bench::LaunchSpec s;
    s.args = {"-q"};
    s.args.insert(s.args.end(), pipeline.begin(), pipeline.end());
    s.log_path = fmt::format("{}/gst-{}.log", tmp_dir, counter++);
    s.env = {"GST_PLUGIN_PATH=" + plugin_dir, "GST_DEBUG=wellmonitor:6" + extra_debug, "GST_DEBUG_NO_COLOR=1",
             "GST_DEBUG_FILE=" + s.log_path};
    return s;
  }
};

// Splits a launch line into gst-launch-1.0's arguments (no quoting: paths with
// spaces are refused where the line is made).
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string checked_path(const std::string& path) {
  if (path.find_first_of(" \t\n'\"") != std::string::npos)
    throw std::runtime_error("'" + path + "': a path with spaces or quotes cannot go into a launch line here");
  return path;
}

// The README's pipeline (with_monitor false: without wellmonitor) in a
// gst-launch-1.0 of its own; threads > 0 sets the element's property.
Result measure_launch(Launcher& launcher, const Job& job, int threads, bool with_monitor, bool default_model) {
  Result r;
  std::string line = "filesrc location=" + checked_path(job.video) + " ! decodebin ! videoconvert ! ";
  if (with_monitor) {
    line += "wellmonitor wells=" + checked_path(job.wells);
    if (!default_model) line += " model=" + checked_path(job.model);
    if (threads > 0) line += fmt::format(" threads={}", threads);
    line += " ! ";
  }
  line += "fakesink sync=false";
  const bench::LaunchSpec spec = launcher.spec(words(line));
  const auto results = bench::run_launches(launcher.gst_launch, {spec}, job.warmup, 900);
  const bench::LaunchResult& l = results.front();
  r.pid = l.pid;
  r.wall_s = l.wall_s;
  r.rss_mib = l.max_rss_kib / 1024.0;
  r.cpu_percent = l.wall_s > 0 ? 100.0 * l.cpu_s / l.wall_s : -1;
  if (l.exit_code != 0) {
    std::string err = l.stderr_text;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    r.error = fmt::format("gst-launch-1.0 exit {}{}: {}", l.exit_code, l.signal ? fmt::format(" signal {}", l.signal) : "",
                          err.substr(err.size() > 400 ? err.size() - 400 : 0));
    return r;
  }
  if (!with_monitor) {  // decoding alone: frames/s over the whole run
    r.ok = true;
    r.threads = 0;
    r.frames = 0;
    return r;
  }
  const auto it = l.elements.find("wellmonitor0");
  if (it == l.elements.end() || it->second.at_s.size() < job.warmup + 2) {
    r.error = "fewer than warm-up + 2 analysed frames in the element's log";
    return r;
  }
  const bench::ElementLog& e = it->second;
  r.threads = e.threads;
  r.frames = e.at_s.size() - job.warmup;
  const double span = e.at_s.back() - e.at_s[job.warmup - (job.warmup > 0 ? 1 : 0)];
  r.fps = span > 0 ? (job.warmup > 0 ? r.frames : r.frames - 1) / span : 0;
  const std::vector<double> warm(e.frame_ms.begin() + static_cast<long>(job.warmup), e.frame_ms.end());
  r.p50_ms = bench::percentile(warm, 50);
  r.p99_ms = bench::percentile(warm, 99);
  if (l.minflt_at_warmup >= 0)
    r.faults_per_frame = static_cast<double>(l.minflt - l.minflt_at_warmup) / std::max<size_t>(1, r.frames);
  r.ok = r.fps > 0;
  if (!r.ok) r.error = "no time between the first and last frame";
  return r;
}

// ------------------------------------------------------------------ cameras

// The first `frames` frames of `video` re-encoded as a camera sends them:
// H.264 at 25 frames/s, `kbps` kbit/s, a key frame every 2 s. The decoded
// frames go through a pipe as raw I420 and are timed anew at 25 frames/s, so
// every frame is a new picture (the demo replay is 12 frames/s).
std::string make_camera_video(const Launcher& launcher, const std::string& video, int width, int height, int frames,
                              int kbps) {
  const std::string out = launcher.tmp_dir + fmt::format("/camera-{}kbps.mp4", kbps);
  const std::string cmd = fmt::format(
      "{0} -q filesrc location={1} ! decodebin ! videoconvert ! video/x-raw,format=I420,width={2},height={3} ! "
      "identity eos-after={4} ! fdsink fd=1 | "
      "{0} -q fdsrc fd=0 blocksize={5} ! rawvideoparse width={2} height={3} format=i420 framerate=25/1 ! "
      "x264enc bitrate={6} key-int-max=50 tune=zerolatency speed-preset=veryfast ! h264parse ! mp4mux ! "
      "filesink location={7}",
      launcher.gst_launch, checked_path(video), width, height, frames, width * height * 3 / 2, kbps, out);
  if (std::system(cmd.c_str()) != 0 || !fs::exists(out) || fs::file_size(out) == 0)
    throw std::runtime_error("cannot re-encode the video as a camera (x264enc, from gstreamer1.0-plugins-ugly)");
  return out;
}

// A free TCP port on loopback, for the RTSP server.
int free_loopback_port() {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = sock >= 0 && ::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(sock, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (sock >= 0) ::close(sock);
  if (!ok) throw std::runtime_error("no free loopback port for the RTSP server");
  return ntohs(a.sin_port);
}

struct CameraRow {
  std::string video, mode;
  int threads = 0;       // the element's property (0: as users get it, chosen by the element)
  int threads_used = -1;  // as the element reported it
  int camera = 0;
  long pid = 0;
  long frames_in = -1, analysed = -1, late = -1;
  long dropped = 0;         // frames dropped upstream (the decoder) by QoS, from its QoS messages
  long expected = -1;       // frames the camera sent
  double fps = 0, cpu_percent = 0, p50_ms = 0, p99_ms = 0, rss_mib = 0;
  double sink_p99_ms = 0;   // lateness at the sink against the pipeline's latency, p99 (< 0: every frame in time)
  bool shared = false;  // one process: its CPU time split evenly between the cameras, its drops counted together
  std::string error;
  bool keeps_up() const {
    return error.empty() && frames_in > 0 && analysed == frames_in && late == 0 && dropped == 0 &&
           (expected < 0 || frames_in >= expected) && fps >= 24.5 && sink_p99_ms < 0;
  }
};

// `cameras` cameras at once, each an RTSP client of `server` (which sends
// every client the whole file in real time), as `cameras` gst-launch-1.0
// processes (one_process false) or one process with `cameras` pipelines; each
// pipeline is the one wellmonitor-run builds for an RTSP camera.
std::vector<CameraRow> measure_cameras(Launcher& launcher, const Job& job, const std::string& label,
                                       const wellmonitor_test::RtspServer& server, long frames_sent, int cameras, bool one_process,
                                       int threads, int latency_ms) {
  auto chain = [&] {
    std::string c = fmt::format("rtspsrc location={} latency={} protocols=tcp ! decodebin ! videoconvert ! "
                                "wellmonitor wells={}",
                                server.url(), latency_ms, checked_path(job.wells));
    if (job.model != WELLMONITOR_SOURCE_MODEL) c += " model=" + checked_path(job.model);
    if (threads > 0) c += fmt::format(" threads={}", threads);
    return c + " ! fakesink sync=true qos=true ";
  };
  std::vector<bench::LaunchSpec> specs;
  auto add = [&](const std::string& line) {
    bench::LaunchSpec s = launcher.spec(words("-e -m " + line), ",basesink:5");
    s.args.erase(s.args.begin());  // -m instead of -q: the bus's QoS messages are counted
    s.stdout_path = s.log_path + ".out";
    // A camera's stream does not end: after the stream's length and 5 s for
    // the RTSP set-up, SIGINT (with -e: EOS) ends the run and its summary.
    s.interrupt_after_s = frames_sent / 25.0 + 5.0;
    specs.push_back(std::move(s));
  };
  if (one_process) {
    std::string line;
    for (int i = 0; i < cameras; ++i) line += chain();
    add(line);
  } else {
    for (int i = 0; i < cameras; ++i) add(chain());
  }
  const auto results = bench::run_launches(launcher.gst_launch, specs, 0, 60.0 + 2.0 * frames_sent / 25.0);
  std::vector<CameraRow> rows;
  for (int i = 0; i < cameras; ++i) {
    const bench::LaunchResult& l = results[one_process ? 0 : i];
    CameraRow row;
    row.video = label;
    row.mode = one_process ? fmt::format("1 process, {} pipelines", cameras) : fmt::format("{} processes", cameras);
    row.threads = threads;
    row.camera = i;
    row.pid = l.pid;
    row.rss_mib = l.max_rss_kib / 1024.0;
    row.shared = one_process;
    row.cpu_percent = l.wall_s > 0 ? 100.0 * l.cpu_s / l.wall_s / (one_process ? cameras : 1) : 0;
    for (const auto& [element, n] : l.qos_messages) row.dropped += n;
    row.expected = frames_sent;
    const std::string el = fmt::format("wellmonitor{}", one_process ? i : 0);
    const std::string sink = fmt::format("fakesink{}", one_process ? i : 0);
    if (l.exit_code != 0) {
      row.error = fmt::format("gst-launch-1.0 exit {}: {}", l.exit_code, l.stderr_text.substr(0, 300));
    } else if (!l.elements.count(el)) {
      row.error = "no log from " + el;
    } else {
      const bench::ElementLog& e = l.elements.at(el);
      row.threads_used = e.threads;
      row.frames_in = e.frames_in;
      row.analysed = e.analysed;
      row.late = e.late;
      if (e.at_s.size() > 1) row.fps = (e.at_s.size() - 1) / (e.at_s.back() - e.at_s.front());
      if (!e.frame_ms.empty()) {
        row.p50_ms = bench::percentile(e.frame_ms, 50);
        row.p99_ms = bench::percentile(e.frame_ms, 99);
      }
      if (l.jitter_ms.count(sink))
        row.sink_p99_ms = bench::percentile(l.jitter_ms.at(sink), 99);
      else
        row.error = "no clock jitter logged by " + sink;
    }
    rows.push_back(row);
  }
  return rows;
}

// ------------------------------------------------------------------ Python side

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Result measure_python(const std::string& python, const std::string& script, const std::string& frames_file,
                      const Video& v, const std::string& boxes_json, const Job& job, int threads) {
  Result r;
  const std::string cmd = fmt::format(
      "{} {} --frames-file {} --width {} --height {} --count {} --warmup {} --model {} --threads {} --boxes {}",
      shell_quote(python), shell_quote(script), shell_quote(frames_file), GST_VIDEO_INFO_WIDTH(&v.info),
      GST_VIDEO_INFO_HEIGHT(&v.info), v.count, job.warmup, shell_quote(job.model), threads, shell_quote(boxes_json));
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) {
    r.error = "cannot run " + python;
    return r;
  }
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p.get())) out += buf;
  const int status = pclose(p.release());
  try {
    if (status != 0) throw std::runtime_error("exit status " + std::to_string(status));
    const auto j = nlohmann::json::parse(out.substr(out.rfind("{\"frames\"")));
    r.frames = j.at("frames").get<size_t>();
    r.threads = j.at("threads").get<int>();
    r.fps = j.at("fps").get<double>();
    r.p50_ms = j.at("p50_ms").get<double>();
    r.p99_ms = j.at("p99_ms").get<double>();
    r.first_scores = j.at("first_scores").get<std::vector<double>>();
    r.rss_mib = j.value("peak_rss_mib", 0.0);
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = fmt::format("python reference failed ({}): {}", e.what(), python + " " + script);
  }
  return r;
}

// ------------------------------------------------------------------ report

std::string load_average() {
  double load[3];
  if (getloadavg(load, 3) != 3) return "n/a";
  return fmt::format("{:.2f} {:.2f} {:.2f}", load[0], load[1], load[2]);
}

std::string threads_text(int requested, int used) {
  const std::string req = requested > 0 ? std::to_string(requested) : std::string("auto");
  return used > 0 && used != requested ? fmt::format("{} ({})", req, used) : req;
}

// A row of the users' table: a process of its own.
void print_user_row(const std::string& model, const std::string& side, int threads, const Result& r,
                    const std::string& ratio) {
  if (!r.ok) {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7} | {:>7} | {:>7} | {:>7} | {:>8} | {:>6} | {:>8} | {:>9} |  {}\n",
               model, side, threads_text(threads, 0), "-", "failed", "-", "-", "-", "-", "-", r.pid, "-", r.error);
  } else if (side == "decode") {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7} | {:>7} | {:>7} | {:>7.0f} | {:>8} | {:>6.0f} | {:>8} | {:>9} |  "
               "the whole video in {:.2f} s, start-up included\n",
               model, side, "-", "-", "-", "-", "-", r.rss_mib, "-", r.cpu_percent, r.pid, "", r.wall_s);
  } else {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7.1f} | {:>7.2f} | {:>7.2f} | {:>7.0f} | {:>8} | {:>6} | {:>8} | {:>9} |\n",
               model, side, threads_text(threads, r.threads), r.frames, r.fps, r.p50_ms, r.p99_ms, r.rss_mib,
               r.faults_per_frame >= 0 ? fmt::format("{:.1f}", r.faults_per_frame) : std::string("-"),
               r.cpu_percent >= 0 ? fmt::format("{:.0f}", r.cpu_percent) : std::string("-"),
               r.pid > 0 ? std::to_string(r.pid) : std::string("-"), ratio);
  }
  std::fflush(stdout);
}

// A row of the diagnosis table: in the bench's own process.
void print_diagnosis_row(const std::string& model, const std::string& side, int threads, const Result& r,
                         const std::string& note) {
  if (!r.ok) {
    fmt::print("| {:<10} | {:<8} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>8} |  {}\n", model, side, threads, "-",
               "failed", "-", "-", "-", r.error);
  } else {
    fmt::print("| {:<10} | {:<8} | {:>7} | {:>6} | {:>7.1f} | {:>7.2f} | {:>7.2f} | {:>8.0f} |{}{}\n", model, side, threads,
               r.frames, r.fps, r.p50_ms, r.p99_ms, r.rss_mib, note.empty() ? "" : "  " + note,
               r.threads != threads ? fmt::format("  (threads in use: {})", r.threads) : std::string());
  }
  std::fflush(stdout);
}

void print_camera_rows(const std::vector<CameraRow>& rows) {
  for (const auto& c : rows) {
    if (!c.error.empty()) {
      fmt::print("| {:<12} | {:<22} | {:>8} | {:>6} | {:>8} |  failed: {}\n", c.video, c.mode,
                 threads_text(c.threads, c.threads_used), c.camera, c.pid, c.error);
      continue;
    }
    fmt::print("| {:<12} | {:<22} | {:>8} | {:>6} | {:>8} | {:>6} | {:>8} | {:>4} | {:>6}{} | {:>6.1f} | {:>6.0f}{} | "
               "{:>7.1f} | {:>7.1f} | {:>8.0f} | {:>7.0f} | {:<9} |\n",
               c.video, c.mode, threads_text(c.threads, c.threads_used), c.camera, c.pid, c.frames_in, c.analysed,
               c.late, c.dropped, c.shared ? "*" : " ", c.fps, c.cpu_percent, c.shared ? "*" : " ", c.p50_ms, c.p99_ms,
               c.sink_p99_ms, c.rss_mib, c.keeps_up() ? "yes" : "NO");
  }
  std::fflush(stdout);
}

// How far the two sides' scores of the first timed frame lie apart, beside the largest score.
std::string score_agreement(const Result& cpp, const Result& py) {
  if (!cpp.ok || !py.ok || cpp.first_scores.size() != py.first_scores.size() || cpp.first_scores.empty())
    return "n/a";
  double diff = 0, sum = 0, top = 0;
  for (size_t i = 0; i < cpp.first_scores.size(); ++i) {
    if (std::isnan(cpp.first_scores[i]) || std::isnan(py.first_scores[i]))
      return fmt::format("n/a (no score for well {})", i);
    diff = std::max(diff, std::fabs(cpp.first_scores[i] - py.first_scores[i]));
    sum += std::fabs(cpp.first_scores[i] - py.first_scores[i]);
    top = std::max(top, std::fabs(py.first_scores[i]));
  }
  return fmt::format("|C++ - Python| max {:.3g}, mean {:.3g} over {} wells (largest score {:.3g})", diff,
                     sum / cpp.first_scores.size(), cpp.first_scores.size(), top);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "What the wellmonitor element costs where users run it (gst-launch-1.0 processes of their own, every well "
      "of every frame analysed), beside the homework-style Python pipeline (PIL crops, torch forward pass) on the "
      "same frames, boxes and weights, interleaved in the same run; in-process rows for diagnosis; with --cameras, "
      "several cameras at 25 frames/s at once"};
  Job job;
  job.video = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/demo/replay.mp4";
  job.wells = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";
  std::vector<std::string> model_paths;
  size_t frames = 300;
  std::vector<int> threads{1, 2};
  int rounds = 1;
  std::string python = "/usr/bin/python3";
  std::string script = std::string(WELLMONITOR_SOURCE_DIR) + "/bench/reference_element.py";
  Launcher launcher;
  launcher.plugin_dir = WELLMONITOR_PLUGIN_DIR;
  std::string format = "BGR";
  app.add_option("--video", job.video, "Video to replay")->capture_default_str();
  app.add_option("--wells", job.wells, "Well layout file")->capture_default_str();
  app.add_option("--model", model_paths,
                 "Model file (.wmm); repeat to compare models (default: the shipped default model)");
  app.add_option("--frames", frames,
                 "Frames decoded for the Python reference and the in-process rows (the gst-launch-1.0 rows run the "
                 "whole video)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--format", format,
                 "Pixel format fed to the element in the in-process element row (the Python side always gets BGR)")
      ->capture_default_str()
      ->check(CLI::IsMember({"BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA", "GRAY8", "I420", "NV12"}));
  app.add_option("--warmup", job.warmup, "Frames left out at the start of every measurement")->capture_default_str();
  app.add_option("--threads", threads,
                 "Intra-op thread counts of the Python reference and the in-process rows (the gst-launch-1.0 rows "
                 "run as users run them: the element chooses)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  std::vector<int> e2e_threads{0};
  app.add_option("--e2e-threads", e2e_threads,
                 "The element's threads property in the gst-launch-1.0 rows (0: not set, as in the README)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  app.add_option("--rounds", rounds, "Times to repeat the interleaved sequence")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--python", python, "Python with torch, PIL and numpy for the reference (empty: skip it)")
      ->capture_default_str();
  app.add_option("--script", script, "The Python reference script")->capture_default_str();
  app.add_option("--plugin-dir", launcher.plugin_dir, "Directory holding libgstwellmonitor.so")->capture_default_str();
  app.add_option("--gst-launch", launcher.gst_launch, "gst-launch-1.0 to run")->capture_default_str();
  bool seed_ae = false;
  app.add_flag("--seed-ae", seed_ae,
               "Also measure a seed-ae (the homework's network, random weights) on every side, and compare the "
               "element end to end with the homework-style Python reference running it");
  bool no_diagnosis = false;
  app.add_flag("--no-diagnosis", no_diagnosis, "Leave out the in-process rows");
  int cameras = 0;
  app.add_option("--cameras", cameras,
                 "Also run this many cameras at once at 25 frames/s (processes, and one process with as many "
                 "pipelines), on the video and on it re-encoded as a camera sends it; 0: skip")
      ->capture_default_str()
      ->check(CLI::Range(0, 16));
  int camera_seconds = 20;
  app.add_option("--camera-seconds", camera_seconds, "Seconds of 25 frames/s video per camera run")
      ->capture_default_str()
      ->check(CLI::Range(2, 600));
  std::vector<int> camera_threads{0, 1};
  app.add_option("--camera-threads", camera_threads, "The element's threads property in the camera runs (0: not set)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  int camera_latency_ms = 200;
  app.add_option("--camera-latency-ms", camera_latency_ms,
                 "rtspsrc's latency in the camera runs (wellmonitor-run's default for an RTSP camera)")
      ->capture_default_str()
      ->check(CLI::Range(1, 5000));
  int camera_kbps = 6000;
  app.add_option("--camera-kbps", camera_kbps, "Bit rate of the re-encoded camera stream, kbit/s")
      ->capture_default_str()
      ->check(CLI::Range(100, 100000));
  std::string json_path;
  app.add_option("--json", json_path, "Also write every row as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  if (model_paths.empty()) model_paths.push_back(WELLMONITOR_SOURCE_MODEL);
  job.model = model_paths.front();

  // The plugin from this build, first on the plugin path of this process (the in-process rows).
  const char* old_path = g_getenv("GST_PLUGIN_PATH");
  g_setenv("GST_PLUGIN_PATH",
           (old_path && *old_path ? launcher.plugin_dir + ":" + old_path : launcher.plugin_dir).c_str(), TRUE);
  gst_init(&argc, &argv);

  std::vector<cv::Rect> boxes;
  Video video;      // what the Python side gets: BGR
  Video cpp_video;  // what the in-process element gets: --format (empty when that is BGR)
  struct ModelEntry {
    std::string label, path;
    nlohmann::json meta;
  };
  std::vector<ModelEntry> models;
  try {
    for (size_t i = 0; i < model_paths.size(); ++i) {
      const std::string label =
          model_paths[i] == WELLMONITOR_SOURCE_MODEL ? "default" : fs::path(model_paths[i]).stem().string();
      models.push_back({label, model_paths[i], wellmonitor::read_model_metadata(model_paths[i])});
    }
    const auto layout = wellmonitor::load_layout(job.wells);
    video = decode(job.video, frames, "BGR");
    if (format != "BGR" && !no_diagnosis) cpp_video = decode(job.video, video.count, format);
    boxes = layout.scaled(GST_VIDEO_INFO_WIDTH(&video.info), GST_VIDEO_INFO_HEIGHT(&video.info));
  } catch (const std::exception& e) {
    fmt::print(stderr, "wellmonitor-bench-element: {}\n", e.what());
    return 1;
  }
  nlohmann::json boxes_json = nlohmann::json::array();
  int min_w = INT32_MAX, max_w = 0, min_h = INT32_MAX, max_h = 0;
  for (const auto& b : boxes) {
    boxes_json.push_back({b.x, b.y, b.width, b.height});
    min_w = std::min(min_w, b.width), max_w = std::max(max_w, b.width);
    min_h = std::min(min_h, b.height), max_h = std::max(max_h, b.height);
  }

  // Temporary files (frames for Python, the seed-ae, logs, the camera video) in a private directory.
  {
    gchar* dir = g_dir_make_tmp("wellmonitor-bench-XXXXXX", nullptr);
    if (!dir) {
      fmt::print(stderr, "wellmonitor-bench-element: cannot make a temporary directory\n");
      return 1;
    }
    launcher.tmp_dir = dir;
    g_free(dir);
  }
  struct TmpGuard {
    std::string dir;
    ~TmpGuard() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } tmp_guard{launcher.tmp_dir};
  const std::string frames_file = launcher.tmp_dir + "/frames.bgr";
  try {
    if (!python.empty()) write_raw(video, frames_file);
    if (seed_ae) {
      torch::manual_seed(1);
      wellmonitor::ModelFile m;
      m.arch = "seed-ae";
      m.calibration.threshold = 0.01;
      m.calibration.method = "bench";
      m.build_network();
      const std::string path = launcher.tmp_dir + "/seed-ae.wmm";
      wellmonitor::save_model(m, path);
      models.push_back({"seed-ae", path, wellmonitor::read_model_metadata(path)});
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wellmonitor-bench-element: {}\n", e.what());
    return 1;
  }

  auto madds_per_crop = [](const ModelEntry& m) { return m.meta.value("multiply_adds_per_crop", 0.0); };
  fmt::print("wellmonitor {} element benchmark: every well analysed every frame, CPU; bench pid {}\n",
             WELLMONITOR_VERSION, ::getpid());
  fmt::print("video   {} ({}x{}, {}/{} fps; {} frames decoded for the Python reference and the diagnosis rows), {} "
             "frames left out at the start of every measurement\n",
             job.video, GST_VIDEO_INFO_WIDTH(&video.info), GST_VIDEO_INFO_HEIGHT(&video.info),
             GST_VIDEO_INFO_FPS_N(&video.info), GST_VIDEO_INFO_FPS_D(&video.info), video.count, job.warmup);
  fmt::print("wells   {} ({} wells, boxes {}-{} x {}-{} px at this size)\n", job.wells, boxes.size(), min_w, max_w,
             min_h, max_h);
  for (const auto& m : models)
    fmt::print("model   {:<10} {} ({} {}, {} {}x{}, score {}; {} parameters, {:.2f} M multiply-adds a crop, {:.0f} M a "
               "frame of {} wells)\n",
               m.label, m.path, m.meta.value("arch", std::string("?")),
               m.meta.value("arch_params", nlohmann::json::object()).dump(),
               m.meta["preprocess"].value("color", std::string("?")), m.meta["preprocess"].value("width", 0),
               m.meta["preprocess"].value("height", 0),
               m.meta.value("score", nlohmann::json::object()).value("kind", std::string("?")),
               m.meta.value("parameters", 0), madds_per_crop(m) / 1e6, madds_per_crop(m) * boxes.size() / 1e6,
               boxes.size());
  fmt::print("Python  {} {}: per frame PIL crop + convert + resize BILINEAR + to tensor + normalise per well, "
             "one forward pass under inference_mode\n",
             python.empty() ? "(skipped)" : python, python.empty() ? "" : fs::path(script).filename().string());
  const Peak peak = core_peak();
  fmt::print("machine {} x {}, load average {} before the run; one core's FP32 peak, measured ({} FMA loop, "
             "per second of CPU time): {:.1f} G multiply-adds/s\n\n",
             std::thread::hardware_concurrency(), cpu_model(), load_average(), peak.isa.empty() ? "no" : peak.isa,
             peak.madds_per_s / 1e9);

  fmt::print("Where users run it: each row a gst-launch-1.0 process of its own, started with GST_PLUGIN_PATH={} and "
             "GST_DEBUG=wellmonitor:6 into a file, nothing else of the bench's environment.\n"
             "e2e = filesrc ! decodebin ! videoconvert ! wellmonitor wells=... ! fakesink sync=false over the whole "
             "video; fps once warm (the element's per-frame log lines); p50/p99 = the element's time per frame "
             "(crops + scores, as it logs them); RSS = peak of the process; faults = minor page faults per frame "
             "once warm; CPU = CPU time over wall time of the whole run (start-up included), % of one core. "
             "decode = the same without wellmonitor. Python = the reference on frames decoded beforehand.\n\n",
             launcher.plugin_dir);
  fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7} | {:>7} | {:>7} | {:>7} | {:>8} | {:>6} | {:>8} | {:>9} |\n",
             "model", "side", "threads", "frames", "fps", "p50 ms", "p99 ms", "RSS MiB", "faults", "CPU %", "pid",
             "vs Python");
  fmt::print("|{:-<12}|{:-<8}|{:->10}|{:->8}|{:->9}|{:->9}|{:->9}|{:->9}|{:->10}|{:->8}|{:->10}|{:->11}|\n", "", "", "",
             "", "", "", "", "", "", "", "", "");
  std::fflush(stdout);

  struct Row {
    std::string model, side;
    int threads;
    Result r;
  };
  std::vector<Row> rows, diagnosis;
  std::vector<std::string> agreements;
  auto ratio = [](const Result& a, const Result& py) {
    return a.ok && py.ok && py.fps > 0 ? fmt::format("{:.2f}x", a.fps / py.fps) : std::string("n/a");
  };
  const Video& element_video = format == "BGR" ? video : cpp_video;
  for (int round = 0; round < rounds; ++round) {
    const Result dec = measure_launch(launcher, job, 0, false, true);
    print_user_row("-", "decode", 0, dec, "");
    rows.push_back({"-", "decode", 0, dec});
    for (const auto& m : models) {
      Job mj = job;
      mj.model = m.path;
      std::vector<std::pair<int, Result>> e2e;
      for (int t : e2e_threads) e2e.emplace_back(t, measure_launch(launcher, mj, t, true, m.path == WELLMONITOR_SOURCE_MODEL));
      std::vector<std::pair<int, Result>> py;
      if (!python.empty())
        for (int t : threads)
          py.emplace_back(t, measure_python(python, script, frames_file, video, boxes_json.dump(), mj, t));
      const Result* best_py = nullptr;
      for (const auto& [t, r] : py)
        if (r.ok && (!best_py || r.fps > best_py->fps)) best_py = &r;
      for (const auto& [t, r] : e2e) {
        print_user_row(m.label, "e2e", t, r, best_py ? ratio(r, *best_py) : std::string("n/a"));
        rows.push_back({m.label, "e2e", t, r});
      }
      for (const auto& [t, r] : py) {
        print_user_row(m.label, "Python", t, r, "");
        rows.push_back({m.label, "Python", t, r});
      }
      if (!no_diagnosis) {
        for (int t : threads) {
          diagnosis.push_back({m.label, "forward", t, measure_forward(video, boxes, mj, t, madds_per_crop(m))});
          diagnosis.push_back({m.label, "model", t, measure_model(video, boxes, mj, t)});
          diagnosis.push_back({m.label, "element", t, measure_element(element_video, mj, boxes.size(), t)});
          diagnosis.push_back({m.label, "pipeline", t, measure_pipeline(mj, t, true)});
          if (round == 0 && t == threads.front() && !py.empty())
            agreements.push_back(m.label + ": " + score_agreement(diagnosis[diagnosis.size() - 2].r, py.front().second));
        }
      }
    }
  }
  fmt::print("\nmachine load average {} after the users' rows\n", load_average());

  if (!no_diagnosis) {
    fmt::print("\nDiagnosis, in the bench's own process (not what users run): forward = the Detector's batched forward "
               "pass alone on the first frame's wells; model = the Scorer (preprocessing + forward) on each frame's "
               "BGR crops; element = a GstHarness around the element, {} frames decoded into memory; pipeline = the "
               "README's pipeline built in this process. RSS = the bench process's peak during the row.\n\n",
               format);
    fmt::print("| {:<10} | {:<8} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>8} |\n", "model", "side", "threads",
               "frames", "fps", "p50 ms", "p99 ms", "RSS MiB");
    fmt::print("|{:-<12}|{:-<10}|{:->9}|{:->8}|{:->9}|{:->9}|{:->9}|{:->10}|\n", "", "", "", "", "", "", "", "");
    for (const auto& d : diagnosis) {
      std::string note;
      if (d.side == "forward" && d.r.madds_per_s > 0)
        note = fmt::format("{:.1f} G multiply-adds/s of CPU time, {:.0f}% of the core's peak", d.r.madds_per_s / 1e9,
                           peak.madds_per_s > 0 ? 100.0 * d.r.madds_per_s / peak.madds_per_s : 0.0);
      print_diagnosis_row(d.model, d.side, d.threads, d.r, note);
    }
    for (const auto& a : agreements)
      fmt::print("scores of the first timed frame, C++ element vs Python reference, {}\n", a);
  }

  std::vector<CameraRow> camera_rows;
  if (cameras > 0) {
    fmt::print("\n{} cameras at once, 25 frames/s each for {} s, each an RTSP client of a real gst-rtsp-server on "
               "loopback that sends every client the whole stream in real time (not re-encoded): rtspsrc latency={} "
               "protocols=tcp ! decodebin ! videoconvert ! wellmonitor wells=... ! fakesink sync=true qos=true, run "
               "with -m: the pipeline wellmonitor-run builds for an RTSP camera. A frame late at the sink sends QoS "
               "upstream: the element then passes late frames on unanalysed (late), the decoder drops them (dropped: "
               "its QoS messages). fps = analysed frames/s; CPU = % of one core; * = one process: its CPU time split "
               "evenly, its drops counted together; p50/p99 = the element's time per frame (crops + scores); sink "
               "p99 = how late a frame reached the sink against the pipeline's latency (negative: in time; "
               "GST_DEBUG=basesink:5); keeps up = every frame the camera sent ({}) analysed, none late or dropped, "
               ">= 24.5 fps, sink p99 < 0.\n",
               cameras, camera_seconds, camera_latency_ms, 25 * camera_seconds);
    // The demo replay (12 frames/s, 0.4 Mbit/s) and a camera's stream, both
    // re-encoded at 25 frames/s with a key frame every 2 s.
    std::vector<std::pair<std::string, std::string>> videos;
    for (const int kbps : {400, camera_kbps}) {
      try {
        const std::string cam = make_camera_video(launcher, job.video, GST_VIDEO_INFO_WIDTH(&video.info),
                                                  GST_VIDEO_INFO_HEIGHT(&video.info), 25 * camera_seconds, kbps);
        const double mbps = fs::file_size(cam) * 8.0 / camera_seconds / 1e6;
        fmt::print("stream: {} re-encoded by x264enc (bitrate={} key-int-max=50 tune=zerolatency "
                   "speed-preset=veryfast), {}x{}, 25 fps, {:.1f} Mbit/s measured, a key frame every 2 s\n",
                   job.video, kbps, GST_VIDEO_INFO_WIDTH(&video.info), GST_VIDEO_INFO_HEIGHT(&video.info), mbps);
        videos.emplace_back(fmt::format("{:.1f} Mbit/s", mbps), cam);
      } catch (const std::exception& e) {
        fmt::print("stream at {} kbit/s: {}\n", kbps, e.what());
      }
    }
    fmt::print("load average {} before the camera runs\n\n", load_average());
    fmt::print("| {:<12} | {:<22} | {:>8} | {:>6} | {:>8} | {:>6} | {:>8} | {:>4} | {:>7} | {:>6} | {:>7} | {:>7} | "
               "{:>7} | {:>8} | {:>7} | {:<9} |\n",
               "stream", "mode", "threads", "camera", "pid", "frames", "analysed", "late", "dropped", "fps", "CPU %",
               "p50 ms", "p99 ms", "sink p99", "RSS MiB", "keeps up");
    fmt::print("|{:-<14}|{:-<24}|{:->10}|{:->8}|{:->10}|{:->8}|{:->10}|{:->6}|{:->9}|{:->8}|{:->9}|{:->9}|{:->9}|{:->10}|"
               "{:->9}|{:-<11}|\n",
               "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "");
    for (const auto& [label, path] : videos) {
      try {
        // A real RTSP server on loopback (the tests' gst-rtsp-server through
        // PyGObject), serving the stream as a camera does: in real time, each
        // client from the start of the file, not re-encoded.
        wellmonitor_test::RtspServer server(path, free_loopback_port());
        if (!server.start())
          throw std::runtime_error("the RTSP server did not start (python3-gi and gir1.2-gst-rtsp-server-1.0): " +
                                   server.log());
        for (int t : camera_threads)
          for (bool one_process : {false, true}) {
            const auto r = measure_cameras(launcher, job, label, server, 25L * camera_seconds, cameras, one_process, t,
                                           camera_latency_ms);
            print_camera_rows(r);
            camera_rows.insert(camera_rows.end(), r.begin(), r.end());
          }
      } catch (const std::exception& e) {
        fmt::print("| {:<12} | failed: {}\n", label, e.what());
      }
    }
    fmt::print("load average {} after the camera runs\n", load_average());
  }

  // ---- targets and the cost of every model
  auto best = [&](const std::string& model, const std::string& side) -> const Row* {
    const Row* b = nullptr;
    for (const auto& row : rows)
      if (row.model == model && row.side == side && row.r.ok && (!b || row.r.fps > b->r.fps)) b = &row;
    return b;
  };
  auto describe = [](const Row* row) {
    return row ? fmt::format("{:.1f} fps ({} threads)", row->r.fps, threads_text(row->threads, row->r.threads))
               : std::string("not measured");
  };
  fmt::print("\n");
  const std::string first = models.front().label;
  const Row* e2e = best(first, "e2e");
  fmt::print("target: one camera >= {:.0f} frames/s end to end in gst-launch-1.0 (decoding included), {} model, all {} "
             "wells every frame: {} ({})\n",
             kTargetFps, first, boxes.size(), e2e ? (e2e->r.fps >= kTargetFps ? "MET" : "NOT MET") : "NOT MEASURED",
             describe(e2e));
  const Row* homework = best(seed_ae ? "seed-ae" : first, "Python");
  if (e2e && homework)
    fmt::print("target: >= {:.0f}x the homework-style Python reference ({} in Python, {}): {:.2f}x, {}\n",
               kTargetVsPython, seed_ae ? "seed-ae" : first + " model (add --seed-ae for the homework's network)",
               describe(homework), e2e->r.fps / homework->r.fps,
               e2e->r.fps / homework->r.fps >= kTargetVsPython ? "MET" : "NOT MET");
  if (cameras > 0) {
    std::map<std::string, std::pair<int, int>> verdicts;  // configuration -> (cameras keeping up, cameras)
    for (const auto& c : camera_rows) {
      auto& v = verdicts[fmt::format("{}, {}, threads {}", c.video, c.mode, threads_text(c.threads, c.threads_used))];
      v.first += c.keeps_up();
      v.second += 1;
    }
    for (const auto& [config, v] : verdicts)
      fmt::print("target: {} cameras at 25 fps, {}: {} of {} keep up, {}\n", cameras, config, v.first, v.second,
                 v.first == v.second ? "MET" : "NOT MET");
  }

  fmt::print("\nCost of each model (the budget every model change is measured against: >= {:.0f} frames/s end to "
             "end for one camera, 4 cameras at 25 fps on this machine):\n\n",
             kTargetFps);
  fmt::print("| {:<10} | {:<16} | {:>10} | {:>12} | {:>12} | {:>11} | {:>10} | {:>10} | {:>11} |\n", "model", "arch",
             "parameters", "M madds/crop", "M madds/frame", "e2e fps", "e2e p99 ms", "forward ms", "% of peak");
  fmt::print("|{:-<12}|{:-<18}|{:->12}|{:->14}|{:->14}|{:->13}|{:->12}|{:->12}|{:->13}|\n", "", "", "", "", "", "", "",
             "", "");
  for (const auto& m : models) {
    const Row* e = best(m.label, "e2e");
    const Result* fw = nullptr;
    for (const auto& d : diagnosis)
      if (d.model == m.label && d.side == "forward" && d.threads == 1 && d.r.ok) fw = &d.r;
    fmt::print("| {:<10} | {:<16} | {:>10} | {:>12.2f} | {:>12.0f} | {:>11} | {:>10} | {:>10} | {:>11} |\n", m.label,
               m.meta.value("arch", std::string("?")), m.meta.value("parameters", 0), madds_per_crop(m) / 1e6,
               madds_per_crop(m) * boxes.size() / 1e6, e ? fmt::format("{:.1f}", e->r.fps) : std::string("-"),
               e ? fmt::format("{:.2f}", e->r.p99_ms) : std::string("-"),
               fw ? fmt::format("{:.2f}", fw->p50_ms) : std::string("-"),
               fw && peak.madds_per_s > 0 ? fmt::format("{:.0f}%", 100.0 * fw->madds_per_s / peak.madds_per_s)
                                          : std::string("-"));
  }
  fmt::print("(forward ms and % of peak: the diagnosis forward row at 1 thread; the peak is one core's FMA loop)\n");

  if (!json_path.empty()) {
    nlohmann::json j;
    j["bench_pid"] = ::getpid();
    j["load_average"] = load_average();
    j["core_peak_madds_per_s"] = peak.madds_per_s;
    auto row_json = [](const Row& row) {
      return nlohmann::json{{"model", row.model},         {"side", row.side},       {"threads", row.threads},
                            {"ok", row.r.ok},             {"error", row.r.error},   {"pid", row.r.pid},
                            {"frames", row.r.frames},     {"fps", row.r.fps},       {"p50_ms", row.r.p50_ms},
                            {"p99_ms", row.r.p99_ms},     {"rss_mib", row.r.rss_mib},
                            {"faults_per_frame", row.r.faults_per_frame}, {"cpu_percent", row.r.cpu_percent},
                            {"threads_used", row.r.threads}, {"wall_s", row.r.wall_s}};
    };
    for (const auto& row : rows) j["rows"].push_back(row_json(row));
    for (const auto& row : diagnosis) j["diagnosis"].push_back(row_json(row));
    for (const auto& c : camera_rows)
      j["cameras"].push_back({{"video", c.video}, {"mode", c.mode}, {"threads", c.threads}, {"camera", c.camera},
                              {"pid", c.pid}, {"frames_in", c.frames_in}, {"analysed", c.analysed}, {"late", c.late},
                              {"dropped", c.dropped}, {"fps", c.fps}, {"cpu_percent", c.cpu_percent}, {"p50_ms", c.p50_ms},
                              {"p99_ms", c.p99_ms}, {"sink_p99_ms", c.sink_p99_ms}, {"keeps_up", c.keeps_up()},
                              {"error", c.error}});
    std::ofstream(json_path) << j.dump(2) << "\n";
  }
  bool all_ok = !rows.empty();
  for (const auto& row : rows) all_ok = all_ok && row.r.ok;
  for (const auto& row : diagnosis) all_ok = all_ok && row.r.ok;
  for (const auto& c : camera_rows) all_ok = all_ok && c.error.empty();
  return all_ok ? 0 : 1;
}
