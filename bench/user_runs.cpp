#include "user_runs.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace bench {

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
  const LaunchSpec spec = launcher.spec(words(line));
  const auto results = run_launches(launcher.gst_launch, {spec}, job.warmup, 900);
  const LaunchResult& l = results.front();
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
  const ElementLog& e = it->second;
  r.threads = e.threads;
  r.frames = e.at_s.size() - job.warmup;
  const double span = e.at_s.back() - e.at_s[job.warmup - (job.warmup > 0 ? 1 : 0)];
  r.fps = span > 0 ? (job.warmup > 0 ? r.frames : r.frames - 1) / span : 0;
  const std::vector<double> warm(e.frame_ms.begin() + static_cast<long>(job.warmup), e.frame_ms.end());
  r.p50_ms = percentile(warm, 50);
  r.p99_ms = percentile(warm, 99);
  if (l.minflt_at_warmup >= 0)
    r.faults_per_frame = static_cast<double>(l.minflt - l.minflt_at_warmup) / std::max<size_t>(1, r.frames);
  r.ok = r.fps > 0;
  if (!r.ok) r.error = "no time between the first and last frame";
  return r;
}

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

}  // namespace bench
