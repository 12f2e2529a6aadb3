// Benchmark: frames/s and per-frame latency of the wellmonitor element analysing
// every well on every frame (interval=1) of the demo replay, beside the same job
// done the way the reference Python pipeline did it (PIL crops, one torch forward
// pass; bench/reference_element.py), in the same run and interleaved, so that a
// busy machine slows both sides alike.
//
//   wellmonitor-bench-element [--video FILE] [--wells FILE] [--model FILE]
//                             [--frames N] [--threads 1,2] [--python /usr/bin/python3]
//                             [--format BGR|I420] [--rounds R]
//
// The video is decoded once into memory. The C++ side pushes the frames through
// a GstHarness around the element (the element runs in the pushing thread, so
// the time of one push is the element's time for that frame); the Python side
// reads the same frames from a raw file and gets the same boxes, scaled by the
// layout library.
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/version.h"

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

constexpr double kTargetFps = 25.0;

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
  std::vector<double> first_scores;  // the first timed frame's scores, layout order
};

// Nearest-rank percentile of sorted values (the Python side uses the same rule).
double nearest_rank(const std::vector<double>& sorted, double p) {
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100.0 * sorted.size())));
  return sorted[k - 1];
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

  std::sort(times.begin(), times.end());
  r.ok = true;
  r.frames = times.size();
  r.fps = times.size() / wall;
  r.p50_ms = 1e3 * nearest_rank(times, 50);
  r.p99_ms = 1e3 * nearest_rank(times, 99);
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

void print_row(const std::string& side, int threads, const Result& r, const std::string& ratio) {
  if (!r.ok) {
    fmt::print("| {:<6} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>20} |  {}\n", side, threads, "-", "failed", "-",
               "-", "-", r.error);
  } else {
    fmt::print("| {:<6} | {:>7} | {:>6} | {:>7.1f} | {:>7.1f} | {:>7.1f} | {:>20} |{}\n", side, threads, r.frames,
               r.fps, r.p50_ms, r.p99_ms, ratio,
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

  // The frames for the Python side, in a private temporary directory.
  std::string tmp_dir, frames_file;
  if (!python.empty()) {
    gchar* dir = g_dir_make_tmp("wellmonitor-bench-XXXXXX", nullptr);
    if (!dir) {
      fmt::print(stderr, "wellmonitor-bench-element: cannot make a temporary directory\n");
      return 1;
    }
    tmp_dir = dir;
    g_free(dir);
    frames_file = tmp_dir + "/frames.bgr";
    try {
      write_raw(video, frames_file);
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
  fmt::print("| {:<6} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>20} |\n", "side", "threads", "frames", "fps",
             "p50 ms", "p99 ms", "ratio C++/Python fps");
  fmt::print("|{:-<8}|{:->9}|{:->8}|{:->9}|{:->9}|{:->9}|{:->22}|\n", "", "", "", "", "", "", "");
  std::fflush(stdout);

  std::vector<std::pair<int, Result>> cpp_results;
  std::vector<std::string> agreements;
  for (int round = 0; round < rounds; ++round) {
    for (int t : threads) {
      const Result cpp = measure_element(element_video, job, boxes.size(), t);
      Result py;
      if (!python.empty()) py = measure_python(python, script, frames_file, video, boxes_json.dump(), job, t);
      const std::string ratio =
          cpp.ok && py.ok && py.fps > 0 ? fmt::format("{:.2f}x", cpp.fps / py.fps) : std::string("n/a");
      print_row("C++", t, cpp, ratio);
      if (!python.empty()) print_row("Python", t, py, "");
      cpp_results.emplace_back(t, cpp);
      if (agreements.empty() && !python.empty()) agreements.push_back(score_agreement(cpp, py));
    }
  }
  if (!tmp_dir.empty()) fs::remove_all(tmp_dir);

  fmt::print("\nmachine load average {} after the run\n", load_average());
  if (!agreements.empty())
    fmt::print("scores of the first timed frame, C++ element vs Python reference: {}{}\n", agreements.front(),
               format == "BGR" ? ""
                               : fmt::format(" (the element converts its {} crops to BGR itself, as videoconvert "
                                             "made the BGR frames Python got)",
                                             format));
  std::vector<std::string> met;
  double best = 0;
  int best_threads = 0;
  for (const auto& [t, r] : cpp_results) {
    if (!r.ok) continue;
    if (r.fps > best) best = r.fps, best_threads = t;
    if (r.fps >= kTargetFps) met.push_back(fmt::format("{} thread{} ({:.1f} fps, p99 {:.1f} ms)", t, t == 1 ? "" : "s",
                                                       r.fps, r.p99_ms));
  }
  std::string met_text;
  for (const auto& m : met) met_text += (met_text.empty() ? "" : ", ") + m;
  fmt::print("target: >= {:.0f} frames/s with all {} wells analysed every frame, C++ element on this CPU: {}\n",
             kTargetFps, boxes.size(),
             !met.empty() ? "MET at " + met_text
                          : (best > 0 ? fmt::format("NOT MET (best {:.1f} fps at {} thread{})", best, best_threads,
                                                    best_threads == 1 ? "" : "s")
                                      : std::string("NOT MEASURED (the element failed)")));
  bool all_ok = !cpp_results.empty();
  for (const auto& cr : cpp_results) all_ok = all_ok && cr.second.ok;
  return all_ok ? 0 : 1;
}
