// Benchmark: frames/s and per-frame latency of the wellmonitor element analysing
// every well on every frame (interval=1) of the demo replay, beside the same job
// done the way the reference Python pipeline did it (PIL crops, one torch forward
// pass; bench/reference_element.py), in the same run and interleaved, so that a
// busy machine slows both sides alike.
//
//   wellmonitor-bench-element [--video FILE] [--wells FILE] [--model FILE]
//                             [--frames N] [--threads 1,2] [--python /usr/bin/python3]
//                             [--format BGR|I420] [--rounds R] [--seed-ae]
//
// Rows per thread count (each C++ row: the process's peak RSS during it):
//   model    the Scorer alone (models/scorer.h) on the wells' BGR crops of each
//            decoded frame: preprocessing and one batched forward pass
//   element  a GstHarness around the element, the frames decoded once into
//            memory (the time of one push is the element's time for that frame)
//   e2e      filesrc ! decodebin ! videoconvert ! wellmonitor ! fakesink over the
//            whole video: decoding included, frames/s and p50/p99 of the gaps
//            between frames at the sink; "decode" is the same without wellmonitor
//   Python   the reference reads the decoded frames from a raw file and gets the
//            same boxes, scaled by the layout library
// --seed-ae adds the same rows for a seed-ae of random weights (the homework's
// network) made in a temporary folder.
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/scorer.h"
#include "wellmonitor/version.h"

#include <sys/resource.h>

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
#include <memory>
#include <optional>
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

void print_row(const std::string& model, const std::string& side, int threads, const Result& r,
               const std::string& ratio) {
  if (!r.ok) {
    fmt::print("| {:<14} | {:<7} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>8} | {:>12} |  {}\n", model, side, threads,
               "-", "failed", "-", "-", "-", "-", r.error);
  } else {
    fmt::print("| {:<14} | {:<7} | {:>7} | {:>6} | {:>7.1f} | {:>7.2f} | {:>7.2f} | {:>8.0f} | {:>12} |{}\n", model, side,
               threads, r.frames, r.fps, r.p50_ms, r.p99_ms, r.rss_mib, ratio,
               r.threads != threads ? fmt::format("  (threads in use: {})", r.threads) : std::string());
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
      "Frames/s and per-frame latency of the wellmonitor element analysing every well on every frame "
      "(interval=1), beside the reference Python pipeline (PIL crops, torch forward pass) on the same frames, "
      "boxes and weights, interleaved in the same run"};
  Job job;
  job.video = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/demo/replay.mp4";
  job.wells = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";
  job.model = WELLMONITOR_SOURCE_MODEL;
  size_t frames = 300;
  std::vector<int> threads{1, 2};
  int rounds = 1;
  std::string python = "/usr/bin/python3";
  std::string script = std::string(WELLMONITOR_SOURCE_DIR) + "/bench/reference_element.py";
  std::string plugin_dir = WELLMONITOR_PLUGIN_DIR;
  std::string format = "BGR";
  app.add_option("--video", job.video, "Video to replay (decoded once into memory)")->capture_default_str();
  app.add_option("--wells", job.wells, "Well layout file")->capture_default_str();
  app.add_option("--model", job.model, "Model file (.wmm)")->capture_default_str();
  app.add_option("--frames", frames, "Frames to decode and time on each side")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--format", format,
                 "Pixel format fed to the element (the Python side always gets BGR); I420 is what a decoder "
                 "gives `decodebin ! videoconvert ! wellmonitor`")
      ->capture_default_str()
      ->check(CLI::IsMember({"BGR", "BGRx", "BGRA", "RGB", "RGBx", "RGBA", "GRAY8", "I420", "NV12"}));
  app.add_option("--warmup", job.warmup, "Untimed frames pushed first on each side")->capture_default_str();
  app.add_option("--threads", threads, "LibTorch / torch intra-op thread counts to measure (both sides)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--rounds", rounds, "Times to repeat the interleaved sequence")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--python", python, "Python with torch, PIL and numpy for the reference (empty: skip it)")
      ->capture_default_str();
  app.add_option("--script", script, "The Python reference script")->capture_default_str();
  app.add_option("--plugin-dir", plugin_dir, "Directory holding libgstwellmonitor.so")->capture_default_str();
  bool seed_ae = false;
  app.add_flag("--seed-ae", seed_ae,
               "Also measure a seed-ae (the homework's network, random weights) on every side, and compare the "
               "element end to end with the homework-style Python reference running it");
  bool no_e2e = false;
  app.add_flag("--no-e2e", no_e2e, "Leave out the end-to-end (decoding included) rows");
  CLI11_PARSE(app, argc, argv);

  // The plugin from this build, before any other on the plugin path.
  const char* old_path = g_getenv("GST_PLUGIN_PATH");
  g_setenv("GST_PLUGIN_PATH", (old_path && *old_path ? plugin_dir + ":" + old_path : plugin_dir).c_str(), TRUE);
  gst_init(&argc, &argv);

  std::vector<cv::Rect> boxes;
  nlohmann::json model_meta;
  Video video;      // what the Python side gets: BGR
  Video cpp_video;  // what the element gets: --format (empty when that is BGR)
  try {
    model_meta = wellmonitor::read_model_metadata(job.model);
    const auto layout = wellmonitor::load_layout(job.wells);
    video = decode(job.video, frames, "BGR");
    if (format != "BGR") cpp_video = decode(job.video, video.count, format);
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

  // The frames for the Python side and the seed-ae, in a private temporary directory.
  std::string tmp_dir, frames_file;
  if (!python.empty() || seed_ae) {
    gchar* dir = g_dir_make_tmp("wellmonitor-bench-XXXXXX", nullptr);
    if (!dir) {
      fmt::print(stderr, "wellmonitor-bench-element: cannot make a temporary directory\n");
      return 1;
    }
    tmp_dir = dir;
    g_free(dir);
    frames_file = tmp_dir + "/frames.bgr";
    try {
      if (!python.empty()) write_raw(video, frames_file);
    } catch (const std::exception& e) {
      fmt::print(stderr, "wellmonitor-bench-element: {}\n", e.what());
      fs::remove_all(tmp_dir);
      return 1;
    }
  }

  fmt::print("wellmonitor {} element benchmark: every well analysed every frame (interval=1), CPU\n",
             WELLMONITOR_VERSION);
  fmt::print("video   {} ({} frames decoded, {}x{}, {}/{} fps), {} untimed warm-up frames per measurement\n",
             job.video, video.count, GST_VIDEO_INFO_WIDTH(&video.info), GST_VIDEO_INFO_HEIGHT(&video.info),
             GST_VIDEO_INFO_FPS_N(&video.info), GST_VIDEO_INFO_FPS_D(&video.info), job.warmup);
  fmt::print("wells   {} ({} wells, boxes {}-{} x {}-{} px at this size)\n", job.wells, boxes.size(), min_w, max_w,
             min_h, max_h);
  fmt::print("model   {} ({} {}, {} {}x{}, score {})\n", job.model, model_meta.value("arch", std::string("?")),
             model_meta.value("arch_params", nlohmann::json::object()).dump(),
             model_meta["preprocess"].value("color", std::string("?")), model_meta["preprocess"].value("width", 0),
             model_meta["preprocess"].value("height", 0),
             model_meta.value("score", nlohmann::json::object()).value("kind", std::string("?")));
  const Video& element_video = format == "BGR" ? video : cpp_video;
  fmt::print("C++     GstHarness around `wellmonitor`, {} input; time of each push = the element's time for that frame\n",
             format);
  fmt::print("Python  {} {}: per frame PIL crop + convert + resize BILINEAR + to tensor + normalise per well, "
             "one forward pass under inference_mode\n",
             python.empty() ? "(skipped)" : python, python.empty() ? "" : fs::path(script).filename().string());
  // The environment that changes the timings; both processes see the same. libgomp reads OMP_* when
  // it loads (on a busy machine OMP_WAIT_POLICY=PASSIVE keeps 2 threads from spinning against other
  // work), glibc reads MALLOC_* at the first allocation.
  std::string env;
  for (const char* name : {"OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT", "MALLOC_MMAP_THRESHOLD_",
                           "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX"})
    if (const char* value = g_getenv(name)) env += fmt::format(" {}={}", name, value);
  fmt::print("machine {} CPUs, load average {} before the run; environment:{}\n\n",
             std::thread::hardware_concurrency(), load_average(), env.empty() ? " (no OMP_/MALLOC_ settings)" : env);
  std::vector<std::pair<std::string, std::string>> models{{"default", job.model}};
  if (seed_ae) {
    try {
      torch::manual_seed(1);
      wellmonitor::ModelFile m;
      m.arch = "seed-ae";
      m.calibration.threshold = 0.01;
      m.calibration.method = "bench";
      m.build_network();
      models.emplace_back("seed-ae", tmp_dir + "/seed-ae.wmm");
      wellmonitor::save_model(m, models.back().second);
    } catch (const std::exception& e) {
      fmt::print(stderr, "wellmonitor-bench-element: cannot make the seed-ae: {}\n", e.what());
      return 1;
    }
  }
  fmt::print("rows: model = the Scorer alone on the BGR crops; element = the element on frames decoded in memory "
             "({} input); e2e = filesrc ! decodebin ! videoconvert ! wellmonitor ! fakesink, decoding included; "
             "decode = the same without wellmonitor; RSS = peak resident MiB of the process during the row (Linux VmHWM), "
             "the {:.0f} MiB of frames decoded into memory included\n\n",
             format, (video.data.size() + cpp_video.data.size()) / 1048576.0);
  fmt::print("| {:<14} | {:<7} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>8} | {:>12} |\n", "model", "side", "threads",
             "frames", "fps", "p50 ms", "p99 ms", "RSS MiB", "vs Python");
  fmt::print("|{:-<16}|{:-<9}|{:->9}|{:->8}|{:->9}|{:->9}|{:->9}|{:->10}|{:->14}|\n", "", "", "", "", "", "", "", "", "");
  std::fflush(stdout);

  struct Row {
    std::string model, side;
    int threads;
    Result r;
  };
  std::vector<Row> rows;
  std::vector<std::string> agreements;
  auto ratio = [](const Result& a, const Result& py) {
    return a.ok && py.ok && py.fps > 0 ? fmt::format("{:.2f}x", a.fps / py.fps) : std::string("n/a");
  };
  for (int round = 0; round < rounds; ++round) {
    for (int t : threads) {
      if (!no_e2e) {
        const Result dec = measure_pipeline(job, t, false);
        print_row("-", "decode", t, dec, "");
        rows.push_back({"-", "decode", t, dec});
      }
      for (const auto& [label, path] : models) {
        Job mj = job;
        mj.model = path;
        const Result mo = measure_model(video, boxes, mj, t);
        const Result el = measure_element(element_video, mj, boxes.size(), t);
        Result e2e;
        if (!no_e2e) e2e = measure_pipeline(mj, t, true);
        Result py;
        if (!python.empty()) py = measure_python(python, script, frames_file, video, boxes_json.dump(), mj, t);
        print_row(label, "model", t, mo, ratio(mo, py));
        print_row(label, "element", t, el, ratio(el, py));
        if (!no_e2e) print_row(label, "e2e", t, e2e, ratio(e2e, py));
        if (!python.empty()) print_row(label, "Python", t, py, "");
        rows.push_back({label, "model", t, mo});
        rows.push_back({label, "element", t, el});
        if (!no_e2e) rows.push_back({label, "e2e", t, e2e});
        if (!python.empty()) rows.push_back({label, "Python", t, py});
        if (round == 0 && t == threads.front() && !python.empty())
          agreements.push_back(label + ": " + score_agreement(el, py));
      }
    }
  }
  if (!tmp_dir.empty()) fs::remove_all(tmp_dir);

  fmt::print("\nmachine load average {} after the run\n", load_average());
  for (const auto& a : agreements)
    fmt::print("scores of the first timed frame, C++ element vs Python reference, {}{}\n", a,
               format == "BGR" ? ""
                               : fmt::format(" (the element converts its {} crops to BGR itself, as videoconvert "
                                             "made the BGR frames Python got)",
                                             format));
  // The best of each (model, side) over thread counts and rounds.
  auto best = [&](const std::string& model, const std::string& side) -> const Row* {
    const Row* b = nullptr;
    for (const auto& row : rows)
      if (row.model == model && row.side == side && row.r.ok && (!b || row.r.fps > b->r.fps)) b = &row;
    return b;
  };
  auto describe = [](const Row* row) {
    return row ? fmt::format("{:.1f} fps at {} thread{}", row->r.fps, row->threads, row->threads == 1 ? "" : "s")
               : std::string("not measured");
  };
  const Row* e2e = best("default", "e2e");
  fmt::print("target: >= {:.0f} frames/s end to end (decoding included), default model, all {} wells every frame: {} "
             "({})\n",
             kTargetFps, boxes.size(), e2e ? (e2e->r.fps >= kTargetFps ? "MET" : "NOT MET") : "NOT MEASURED",
             describe(e2e));
  const Row* homework = best(seed_ae ? "seed-ae" : "default", "Python");
  if (e2e && homework)
    fmt::print("target: >= {:.0f}x the homework-style Python reference ({} in Python, {}): {:.2f}x, {}\n",
               kTargetVsPython, seed_ae ? "seed-ae" : "the default model (add --seed-ae for the homework's network)",
               describe(homework), e2e->r.fps / homework->r.fps,
               e2e->r.fps / homework->r.fps >= kTargetVsPython ? "MET" : "NOT MET");
  if (seed_ae) {
    const Row* el = best("seed-ae", "element");
    const Row* py = best("seed-ae", "Python");
    if (el && py)
      fmt::print("target: seed-ae in the element at least as fast as seed-ae in Python: {} vs {} -> {:.2f}x, {}\n",
                 describe(el), describe(py), el->r.fps / py->r.fps, el->r.fps >= py->r.fps ? "MET" : "NOT MET");
  }
  bool all_ok = !rows.empty();
  for (const auto& row : rows) all_ok = all_ok && row.r.ok;
  return all_ok ? 0 : 1;
}
