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
// an RTSP camera (rtspsrc latency=200 protocols=tcp ! decodebin ! videoconvert
// ! wellmonitor), then each --camera-sink (the runner's fakesink sync=false;
// a synchronised sink with QoS); N gst-launch-1.0 processes and one process
// with N branches, on the demo replay re-encoded at 25 frames/s and at a
// camera's bit rate. The streams outlast the run: each pipeline is measured
// over a fixed window of its running time (after --camera-warmup-seconds) from
// the element's own output (its per-frame log line, its wellmonitor-scores
// messages with its counters, the QoS messages on the bus) and its CPU time
// sampled from /proc, then stopped (SIGINT, SIGKILL after a grace period).
// Per camera: frames in, analysed, skipped, dropped by QoS, frames/s, CPU use,
// the element's p50/p99 time per frame, and p50/p99 latency from a frame's
// arrival to its analysis.
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
#include "cameras.h"
#include "in_process.h"
#include "report.h"
#include "support/rtsp_server.h"
#include "user_runs.h"
#include "video.h"

#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/version.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace bench;

constexpr double kTargetFps = 110.0;    // end to end, default model: four cameras at 25 fps and a margin
constexpr double kTargetVsPython = 5.0;  // end to end, default model, against the homework-style seed-ae in Python

// A model file's score as the model line prints it: its kind, and its test-time mirror.
std::string score_text(const nlohmann::json& score) {
  std::string t = score.value("kind", std::string("?"));
  if (score.value("test_time", std::string()) == "mirror")
    t += fmt::format(", with its mirror image from {:g} on", score.value("mirror_above", 0.0));
  return t;
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
                 "branches), on the video and on it re-encoded as a camera sends it; 0: skip")
      ->capture_default_str()
      ->check(CLI::Range(0, 16));
  double camera_seconds = 20;
  app.add_option("--camera-seconds", camera_seconds, "Seconds of running time each camera is measured over")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  double camera_warmup_seconds = 5;
  app.add_option("--camera-warmup-seconds", camera_warmup_seconds,
                 "Seconds of running time left out before the measured window (the model's first passes, the "
                 "RTSP start)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  std::vector<int> camera_threads{0};
  app.add_option("--camera-threads", camera_threads, "The element's threads property in the camera runs (0: not set)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  int camera_latency_ms = 200;
  app.add_option("--camera-latency-ms", camera_latency_ms,
                 "rtspsrc's latency in the camera runs (wellmonitor-run's default for an RTSP camera)")
      ->capture_default_str()
      ->check(CLI::Range(1, 5000));
  std::vector<int> camera_kbps{400, 6000};
  app.add_option("--camera-kbps", camera_kbps,
                 "Bit rates of the re-encoded streams, kbit/s (400: the demo replay's own; 6000: a camera's)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(100, 100000));
  std::vector<std::string> camera_sinks{"fakesink sync=false", "fakesink sync=true qos=true"};
  app.add_option("--camera-sink", camera_sinks,
                 "What follows wellmonitor in the camera runs; repeat for several (default: the runner's headless "
                 "fakesink sync=false, and a synchronised sink whose QoS makes late frames skipped or dropped)")
      ->capture_default_str();
  std::vector<std::string> camera_streams;
  app.add_option("--camera-stream", camera_streams,
                 "Serve this H.264 MP4 file as it is instead of the re-encoded streams (repeatable); it must last "
                 "longer than the warm-up, the window and 2 s");
  int camera_width = 0;
  app.add_option("--camera-width", camera_width,
                 "Width of the re-encoded streams (height to scale; 0: the video's own size)")
      ->capture_default_str()
      ->check(CLI::Range(0, 8192));
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
               score_text(m.meta.value("score", nlohmann::json::object())),
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
    fmt::print("\n{} cameras at once, 25 frames/s each, each an RTSP client of a real gst-rtsp-server on loopback "
               "that sends every client the whole stream in real time (not re-encoded): rtspsrc latency={} "
               "protocols=tcp ! decodebin ! videoconvert ! wellmonitor wells=... post-scores=true ! SINK, run with -m "
               "(the pipeline wellmonitor-run builds for an RTSP camera; its headless sink is fakesink sync=false). "
               "Each pipeline is measured over {:.0f} s of its running time after {:.0f} s of warm-up, then stopped "
               "(SIGINT, SIGKILL 3 s later): in / analysed / skipped = the element's counters over the window (its "
               "wellmonitor-scores messages); dropped = QoS messages on the bus in the window (frames a decoder or "
               "sink dropped late); fps = frames analysed a second; CPU = % of one core in the window; * = one "
               "process: its CPU time split evenly, its drops counted together; p50/p99 = the element's time per "
               "frame (crops + scores); lat = from a frame's running time (its arrival) to its analysis done, ms; "
               "growth = median latency of the window's last second minus its first (a lag that grows: the box "
               "cannot keep up); keeps up = >= 98% of the frames sent reached the element and all were analysed, "
               "none dropped, >= 24.5 fps, latency p99 < 1 s, growth < 100 ms.\n",
               cameras, camera_latency_ms, camera_seconds, camera_warmup_seconds);
    // The demo replay (12 frames/s, 0.4 Mbit/s) and a camera's stream, both
    // re-encoded at 25 frames/s with a key frame every 2 s, long enough to
    // outlast the run.
    const int width = camera_width > 0 ? camera_width : GST_VIDEO_INFO_WIDTH(&video.info);
    const int height =
        camera_width > 0 ? (GST_VIDEO_INFO_HEIGHT(&video.info) * camera_width / GST_VIDEO_INFO_WIDTH(&video.info)) & ~1
                         : GST_VIDEO_INFO_HEIGHT(&video.info);
    const double stream_s = camera_warmup_seconds + camera_seconds + 4.0;
    std::vector<std::pair<std::string, std::string>> videos;
    for (const auto& path : camera_streams) videos.emplace_back(fs::path(path).filename().string(), path);
    for (const int kbps : camera_streams.empty() ? camera_kbps : std::vector<int>{}) {
      try {
        const std::string cam = make_camera_video(launcher, job.video, width, height,
                                                  static_cast<int>(kCameraFps * stream_s), kbps);
        const double mbps = fs::file_size(cam) * 8.0 / stream_s / 1e6;
        fmt::print("stream: {} re-encoded by x264enc (bitrate={} key-int-max=50 tune=zerolatency "
                   "speed-preset=veryfast), {}x{}, 25 fps, {:.0f} s, {:.1f} Mbit/s measured, a key frame every 2 s\n",
                   job.video, kbps, width, height, stream_s, mbps);
        videos.emplace_back(fmt::format("{:.1f} Mbit/s", mbps), cam);
      } catch (const std::exception& e) {
        fmt::print("stream at {} kbit/s: {}\n", kbps, e.what());
      }
    }
    fmt::print("load average {} before the camera runs\n\n", load_average());
    print_camera_header();
    for (const auto& [label, path] : videos) {
      try {
        // A real RTSP server on loopback (the tests' gst-rtsp-server through
        // PyGObject), serving the stream as a camera does: in real time, each
        // client from the start of the file, not re-encoded.
        wellmonitor_test::RtspServer server(path, free_loopback_port());
        if (!server.start())
          throw std::runtime_error("the RTSP server did not start (python3-gi and gir1.2-gst-rtsp-server-1.0): " +
                                   server.log());
        for (const auto& sink : camera_sinks)
          for (int t : camera_threads)
            for (bool one_process : {false, true}) {
              if (one_process && cameras == 1) continue;  // the same as one process a camera
              CameraRun run;
              run.url = server.url();
              run.stream = label;
              run.sink = sink;
              run.cameras = cameras;
              run.one_process = one_process;
              run.threads = t;
              run.latency_ms = camera_latency_ms;
              run.warmup_s = camera_warmup_seconds;
              run.window_s = camera_seconds;
              const auto r = measure_cameras(launcher, job, run);
              print_camera_rows(r);
              camera_rows.insert(camera_rows.end(), r.begin(), r.end());
            }
      } catch (const std::exception& e) {
        fmt::print("| {:<12} | failed: {}\n", label, e.what());
        CameraRow failed;
        failed.stream = label;
        failed.error = e.what();
        camera_rows.push_back(failed);
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
  if (cameras > 0) print_camera_verdicts(camera_rows, cameras);

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
               m.meta.value("arch", std::string("?")) +
                   (m.meta.value("score", nlohmann::json::object()).value("test_time", "") == "mirror" ? "+mirror" : ""),
               m.meta.value("parameters", 0), madds_per_crop(m) / 1e6,
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
      j["cameras"].push_back({{"stream", c.stream}, {"sink", c.sink}, {"mode", c.mode}, {"threads", c.threads},
                              {"threads_used", c.threads_used}, {"camera", c.camera}, {"pid", c.pid},
                              {"window_s", c.window_s}, {"frames_in", c.frames_in}, {"analysed", c.analysed},
                              {"skipped", c.skipped}, {"late", c.late}, {"dropped", c.dropped}, {"fps", c.fps},
                              {"cpu_percent", c.cpu_percent}, {"cpu_ms_per_frame", c.cpu_ms_per_frame}, {"p50_ms", c.p50_ms}, {"p99_ms", c.p99_ms},
                              {"latency_p50_ms", c.latency_p50_ms}, {"latency_p99_ms", c.latency_p99_ms},
                              {"latency_growth_ms", c.latency_growth_ms}, {"rss_mib", c.rss_mib},
                              {"keeps_up", c.keeps_up()}, {"stop", c.stop}, {"error", c.error}});
    std::ofstream(json_path) << j.dump(2) << "\n";
  }
  bool all_ok = !rows.empty();
  for (const auto& row : rows) all_ok = all_ok && row.r.ok;
  for (const auto& row : diagnosis) all_ok = all_ok && row.r.ok;
  for (const auto& c : camera_rows) all_ok = all_ok && c.error.empty();
  return all_ok ? 0 : 1;
}

