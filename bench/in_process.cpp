#include "in_process.h"

#include "wellmonitor/detector.h"
#include "wellmonitor/preprocess.h"
#include "wellmonitor/scorer.h"

#include <immintrin.h>
#include <sys/resource.h>
#include <time.h>

#include <fmt/core.h>
#include <gst/check/gstharness.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace bench {

namespace {

using Clock = std::chrono::steady_clock;

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

struct Handoffs {
  std::vector<Clock::time_point> at;
};

void on_handoff(GstElement*, GstBuffer*, GstPad*, gpointer data) {
  static_cast<Handoffs*>(data)->at.push_back(Clock::now());
}

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

}  // namespace

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

}  // namespace bench
