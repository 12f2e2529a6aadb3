#include "cameras.h"

#include "report.h"

#include "wellmonitor/version.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

namespace bench {

namespace fs = std::filesystem;

// The decoded frames go through a pipe as raw I420 and are timed anew at 25
// frames/s, so every frame is a new picture (the demo replay is 12 frames/s);
// the video is decoded again from its start until `frames` frames have gone
// through (head -c), so a short video makes a stream of any length.
std::string make_camera_video(const Launcher& launcher, const std::string& video, int width, int height, int frames,
                              int kbps) {
  const std::string out = launcher.tmp_dir + fmt::format("/camera-{}kbps.mp4", kbps);
  const long long frame_bytes = static_cast<long long>(width) * height * 3 / 2;
  const std::string decode = fmt::format(
      "{0} -q filesrc location={1} ! decodebin ! videoconvert ! videoscale ! "
      "video/x-raw,format=I420,width={2},height={3} ! fdsink fd=1",
      launcher.gst_launch, checked_path(video), width, height);
  const std::string cmd = fmt::format(
      "{{ for pass in $(seq 1 1000); do {0} || break; done; }} 2>/dev/null | head -c {1} | "
      "{2} -q fdsrc fd=0 blocksize={3} ! rawvideoparse width={4} height={5} format=i420 framerate=25/1 ! "
      "x264enc bitrate={6} key-int-max=50 tune=zerolatency speed-preset=veryfast ! h264parse ! mp4mux ! "
      "filesink location={7}",
      decode, frame_bytes * frames, launcher.gst_launch, frame_bytes, width, height, kbps, out);
  if (std::system(cmd.c_str()) != 0 || !fs::exists(out) || fs::file_size(out) == 0)
    throw std::runtime_error("cannot re-encode the video as a camera (x264enc, from gstreamer1.0-plugins-ugly)");
  return out;
}

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

bool CameraRow::keeps_up() const {
  const double sent = kCameraFps * window_s;
  return error.empty() && frames_in >= 0.98 * sent && analysed == frames_in && skipped == 0 && dropped == 0 &&
         fps >= 0.98 * kCameraFps && latency_p99_ms < 1000 && latency_growth_ms < 100;
}

namespace {

double median(std::vector<double> v) { return v.empty() ? 0 : percentile(std::move(v), 50); }

// One camera's figures over the window, from its process's log, messages and CPU samples.
void fill_row(CameraRow& row, const LaunchResult& l, const std::string& element, const CameraRun& run) {
  if (l.base_time_ns < 0) {
    std::string err = l.stderr_text;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    row.error = "the pipeline never played: " + err.substr(err.size() > 300 ? err.size() - 300 : 0);
    return;
  }
  const auto it = l.elements.find(element);
  if (it == l.elements.end()) {
    row.error = "no log from " + element;
    return;
  }
  const ElementLog& e = it->second;
  row.threads_used = e.threads;
  const long long w0 = l.base_time_ns + static_cast<long long>(1e9 * run.warmup_s);
  const long long w1 = w0 + static_cast<long long>(1e9 * run.window_s);
  const size_t n = std::min(e.at_s.size(), e.scores.size());  // the k-th log line and message: the k-th analysed frame
  std::vector<size_t> in;
  long long last = 0;
  for (size_t k = 0; k < n; ++k) {
    const long long mono = static_cast<long long>(std::llround(1e9 * e.at_s[k])) + l.log_to_mono_ns;
    if (mono >= w0 && mono < w1) in.push_back(k);
    last = std::max(last, mono);
  }
  if (in.size() < 2) {
    row.error = fmt::format("{} frames analysed in the window ({} in all)", in.size(), n);
    return;
  }
  if (last < w1 - 1'000'000'000LL) {
    row.error = fmt::format("the run ended {:.1f} s into the {:.0f} s window", (last - w0) / 1e9, run.window_s);
    return;
  }
  const ScoresMessage& a = e.scores[in.front() > 0 ? in.front() - 1 : in.front()];
  const ScoresMessage& b = e.scores[in.back()];
  row.frames_in = b.frame - a.frame;
  row.analysed = b.analysed - a.analysed;
  row.skipped = b.skipped - a.skipped;
  row.late = b.late - a.late;
  row.fps = in.size() / run.window_s;
  std::vector<double> times, latency, first_second, last_second;
  for (size_t k : in) {
    times.push_back(e.frame_ms[k]);
    const long long mono = static_cast<long long>(std::llround(1e9 * e.at_s[k])) + l.log_to_mono_ns;
    const double ms = (mono - l.base_time_ns - e.scores[k].running_ns) / 1e6;
    latency.push_back(ms);
    if (mono < w0 + 1'000'000'000LL) first_second.push_back(ms);
    if (mono >= w1 - 1'000'000'000LL) last_second.push_back(ms);
  }
  row.p50_ms = percentile(times, 50);
  row.p99_ms = percentile(times, 99);
  row.latency_p50_ms = percentile(latency, 50);
  row.latency_p99_ms = percentile(latency, 99);
  row.latency_growth_ms = median(last_second) - median(first_second);
  const long long r0 = static_cast<long long>(1e9 * run.warmup_s), r1 = r0 + static_cast<long long>(1e9 * run.window_s);
  for (const QosMessage& q : l.qos)
    if (q.running_ns >= r0 && q.running_ns < r1) ++row.dropped;
  const double c0 = cpu_at(l.cpu, w0), c1 = cpu_at(l.cpu, w1);
  if (std::isnan(c0) || std::isnan(c1))
    row.error = "no CPU samples around the window";
  else {
    row.cpu_percent = 100.0 * (c1 - c0) / run.window_s / (run.one_process ? run.cameras : 1);
    row.cpu_ms_per_frame = row.fps > 0 ? 10.0 * row.cpu_percent / row.fps : 0;
  }
}

}  // namespace

std::vector<CameraRow> measure_cameras(Launcher& launcher, const Job& job, const CameraRun& run) {
  auto chain = [&] {
    std::string c = fmt::format("rtspsrc location={} latency={} protocols=tcp ! decodebin ! videoconvert ! "
                                "wellmonitor wells={} post-scores=true",
                                run.url, run.latency_ms, checked_path(job.wells));
    if (job.model != WELLMONITOR_SOURCE_MODEL) c += " model=" + checked_path(job.model);
    if (run.threads > 0) c += fmt::format(" threads={}", run.threads);
    return c + " ! " + run.sink + " ";
  };
  std::vector<LaunchSpec> specs;
  auto add = [&](const std::string& line) {
    // -m: the bus's messages (the element's wellmonitor-scores, QoS) on
    // stdout; pipeline:5 logs the base time the window is measured from
    LaunchSpec s = launcher.spec(words(line), ",pipeline:5");
    s.args.front() = "-m";
    s.stdout_path = s.log_path + ".out";
    s.stop_after_running_s = run.warmup_s + run.window_s + 1.0;
    specs.push_back(std::move(s));
  };
  if (run.one_process) {
    std::string line;
    for (int i = 0; i < run.cameras; ++i) line += chain();
    add(line);
  } else {
    for (int i = 0; i < run.cameras; ++i) add(chain());
  }
  const auto results = run_launches(launcher.gst_launch, specs, 0, 90.0 + run.warmup_s + run.window_s);
  std::vector<CameraRow> rows;
  for (int i = 0; i < run.cameras; ++i) {
    const LaunchResult& l = results[run.one_process ? 0 : i];
    CameraRow row;
    row.stream = run.stream;
    row.sink = run.sink;
    row.mode = run.one_process ? fmt::format("1 process, {} branches", run.cameras)
                               : fmt::format("{} process{}", run.cameras, run.cameras == 1 ? "" : "es");
    row.threads = run.threads;
    row.camera = i;
    row.pid = l.pid;
    row.shared = run.one_process;
    row.window_s = run.window_s;
    row.rss_mib = l.max_rss_kib / 1024.0;
    row.stop = l.killed ? "SIGKILL" : l.interrupted ? "SIGINT" : fmt::format("exit {}", l.exit_code);
    fill_row(row, l, fmt::format("wellmonitor{}", run.one_process ? i : 0), run);
    rows.push_back(row);
  }
  return rows;
}

void print_camera_header() {
  fmt::print("| {:<12} | {:<26} | {:<22} | {:>7} | {:>3} | {:>8} | {:>6} | {:>8} | {:>7} | {:>8} | {:>5} | {:>6} | "
             "{:>6} | {:>6} | {:>6} | {:>7} | {:>7} | {:>6} | {:<8} |\n",
             "stream", "sink", "mode", "threads", "cam", "pid", "in", "analysed", "skipped", "dropped", "fps", "CPU %",
             "CPU ms", "p50 ms", "p99 ms", "lat p50", "lat p99", "growth", "keeps up");
  fmt::print("|{:-<14}|{:-<28}|{:-<24}|{:->9}|{:->5}|{:->10}|{:->8}|{:->10}|{:->9}|{:->10}|{:->7}|{:->8}|{:->8}|{:->8}|{:->8}|"
             "{:->9}|{:->9}|{:->8}|{:-<10}|\n",
             "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "");
}

void print_camera_rows(const std::vector<CameraRow>& rows) {
  for (const auto& c : rows) {
    if (!c.error.empty()) {
      fmt::print("| {:<12} | {:<26} | {:<22} | {:>7} | {:>3} | {:>8} |  failed: {}\n", c.stream, c.sink, c.mode,
                 threads_text(c.threads, c.threads_used), c.camera, c.pid, c.error);
      continue;
    }
    fmt::print("| {:<12} | {:<26} | {:<22} | {:>7} | {:>3} | {:>8} | {:>6} | {:>8} | {:>7} | {:>7}{} | {:>5.1f} | "
               "{:>5.0f}{} | {:>6.1f} | {:>6.1f} | {:>6.1f} | {:>7.0f} | {:>7.0f} | {:>6.0f} | {:<8} |\n",
               c.stream, c.sink, c.mode, threads_text(c.threads, c.threads_used), c.camera, c.pid, c.frames_in,
               c.analysed, c.skipped, c.dropped, c.shared ? "*" : " ", c.fps, c.cpu_percent, c.shared ? "*" : " ",
               c.cpu_ms_per_frame, c.p50_ms, c.p99_ms, c.latency_p50_ms, c.latency_p99_ms, c.latency_growth_ms,
               c.keeps_up() ? "yes" : "NO");
  }
  std::fflush(stdout);
}

void print_camera_verdicts(const std::vector<CameraRow>& rows, int cameras) {
  struct Verdict {
    int keep_up = 0, rows = 0;
    double cpu = 0, min_fps = 1e9, max_latency = 0, analysed_fps = 0;
    long skipped = 0, dropped = 0;
    bool shared = false;
  };
  std::map<std::string, Verdict> verdicts;  // by configuration, in the order of the table's columns
  for (const auto& c : rows) {
    // the element's threads property as set: each camera's choice under `auto` is in its row
    Verdict& v = verdicts[fmt::format("{}, {}, {}, threads {}", c.stream, c.sink, c.mode, threads_text(c.threads, 0))];
    v.keep_up += c.keeps_up();
    v.rows += 1;
    v.cpu += c.cpu_percent;
    v.analysed_fps += c.fps;
    v.min_fps = std::min(v.min_fps, c.fps);
    v.max_latency = std::max(v.max_latency, c.latency_p99_ms);
    v.skipped += std::max(0L, c.skipped);
    v.shared = c.shared;
    v.dropped = c.shared ? c.dropped : v.dropped + c.dropped;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (const auto& [config, v] : verdicts)
    fmt::print("target: {} cameras at {:.0f} fps, {}: {} of {} keep up, {} (together {:.0f}% of one core, {:.0f}% of "
               "the box's {} cores; slowest camera {:.1f} fps; {} skipped, {} dropped by QoS; latency p99 up to "
               "{:.0f} ms); {:.1f} ms of CPU an analysed frame, decoding included{}\n",
               cameras, kCameraFps, config, v.keep_up, v.rows, v.keep_up == v.rows ? "MET" : "NOT MET", v.cpu,
               v.cpu / cores, cores, v.min_fps, v.skipped, v.dropped, v.max_latency,
               v.analysed_fps > 0 ? 10.0 * v.cpu / v.analysed_fps : 0.0,
               // frames dropped or skipped cost CPU too: the estimate holds only where every frame was analysed
               v.cpu > 0 && v.skipped == 0 && v.dropped == 0
                   ? fmt::format(": {:.1f} cameras at 25 fps would fill the {} cores",
                                 cores * 100.0 * v.analysed_fps / kCameraFps / v.cpu, cores)
                   : std::string());
}

}  // namespace bench
