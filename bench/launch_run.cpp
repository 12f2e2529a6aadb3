#include "launch_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <thread>

namespace bench {

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Field 10 of /proc/PID/stat: minor faults so far (-1 when unreadable).
long minflt_now(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(f, text);
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 10 && rest >> field; ++i)
    if (i == 10) return std::stol(field);
  return -1;
}

// VmHWM of /proc/PID/status: the peak resident set so far, KiB (-1 when
// unreadable). wait4's ru_maxrss is no use for a child of the bench: it counts
// the pages the child shared with the bench between fork and exec.
long peak_rss_now(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// "H:MM:SS.NNNNNNNNN" to seconds.
double clock_seconds(const std::string& h, const std::string& m, const std::string& s) {
  return std::stod(h) * 3600 + std::stod(m) * 60 + std::stod(s);
}

const char* kFrameMarker = " wells: crops ";

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100.0 * values.size())));
  return values[std::min(k, values.size()) - 1];
}

void parse_log(const std::string& text, LaunchResult& r) {
  // 0:00:09.849331676  9451 0x7f19ac09b4c0 LOG  wellmonitor gstwellmonitor.cpp:1018:analyse_frame:<wellmonitor0> 42 wells: crops 0.25 ms, scores 8.00 ms
  static const std::regex frame(R"(^(\d+):(\d+):([\d.]+) .*:<([^>]+)> \d+ wells: crops ([\d.]+) ms, scores ([\d.]+) ms)");
  static const std::regex eos(
      R"(:<([^>]+)> EOS: (\d+) frames in, (\d+) analysed, (\d+) skipped \((\d+) of them late\))");
  static const std::regex threads(R"(:<([^>]+)> model .* with (\d+) intra-op threads)");
  static const std::regex jitter(R"(:<([^>]+)> clock returned -?\d+, jitter ([ -])(\d+):(\d+):([\d.]+))");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.find(kFrameMarker) != std::string::npos && std::regex_search(line, m, frame)) {
      ElementLog& e = r.elements[m[4]];
      e.at_s.push_back(clock_seconds(m[1], m[2], m[3]));
      e.frame_ms.push_back(std::stod(m[5]) + std::stod(m[6]));
    } else if (line.find("jitter") != std::string::npos && std::regex_search(line, m, jitter)) {
      const double ms = 1e3 * clock_seconds(m[3], m[4], m[5]);
      r.jitter_ms[m[1]].push_back(m[2] == "-" ? -ms : ms);
    } else if (line.find("EOS: ") != std::string::npos && std::regex_search(line, m, eos)) {
      ElementLog& e = r.elements[m[1]];
      e.frames_in = std::stol(m[2]);
      e.analysed = std::stol(m[3]);
      e.skipped = std::stol(m[4]);
      e.late = std::stol(m[5]);
    } else if (line.find("intra-op threads") != std::string::npos && std::regex_search(line, m, threads)) {
      r.elements[m[1]].threads = std::stoi(m[2]);
    }
  }
}

void parse_messages(const std::string& text, LaunchResult& r) {
  // Got message #123 from element "avdec_h264-0" (qos): GstMessageQOS, live=(boolean)false, ...
  static const std::regex qos(R"rx(from element "([^"]+)" \(qos\))rx");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (line.find("(qos)") != std::string::npos && std::regex_search(line, m, qos)) ++r.qos_messages[m[1]];
}

std::vector<LaunchResult> run_launches(const std::string& gst_launch, const std::vector<LaunchSpec>& specs,
                                       size_t warmup_frames, double timeout_s) {
  std::vector<LaunchResult> results(specs.size());
  std::vector<std::string> err_paths(specs.size());
  std::vector<Clock::time_point> started(specs.size());
  std::vector<bool> running(specs.size(), false);
  std::vector<size_t> log_read(specs.size(), 0), frames_seen(specs.size(), 0);
  std::vector<std::string> log_tail(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const LaunchSpec& s = specs[i];
    err_paths[i] = s.log_path.empty() ? "/dev/null" : s.log_path + ".stderr";
    const std::string out_path = s.stdout_path.empty() ? "/dev/null" : s.stdout_path;
    // Everything the child needs, made before fork: after it only exec-safe calls.
    std::vector<std::string> args{gst_launch};
    args.insert(args.end(), s.args.begin(), s.args.end());
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : s.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    std::fflush(nullptr);
    started[i] = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      const int err = ::open(err_paths[i].c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (null < 0 || err < 0 || out < 0) ::_exit(126);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    results[i].pid = pid;
    running[i] = pid > 0;
    if (pid < 0) results[i].stderr_text = "fork failed";
  }

  auto poll_log = [&](size_t i) {
    if (specs[i].log_path.empty() || results[i].minflt_at_warmup >= 0) return;
    std::ifstream f(specs[i].log_path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(log_read[i]));
    std::string chunk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    log_read[i] += chunk.size();
    chunk = log_tail[i] + chunk;
    const size_t last_nl = chunk.rfind('\n');
    log_tail[i] = last_nl == std::string::npos ? chunk : chunk.substr(last_nl + 1);
    for (size_t at = chunk.find(kFrameMarker); at != std::string::npos && at < last_nl + 1;
         at = chunk.find(kFrameMarker, at + 1))
      ++frames_seen[i];
    if (frames_seen[i] >= warmup_frames) results[i].minflt_at_warmup = minflt_now(results[i].pid);
  };

  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  std::vector<bool> interrupted(specs.size(), false);
  for (long polls = 0;; ++polls) {
    bool any = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!running[i]) continue;
      poll_log(i);
      if (polls % 10 == 0) results[i].max_rss_kib = std::max(results[i].max_rss_kib, peak_rss_now(results[i].pid));
      if (specs[i].interrupt_after_s > 0 && !interrupted[i] &&
          Clock::now() - started[i] > std::chrono::duration<double>(specs[i].interrupt_after_s)) {
        ::kill(results[i].pid, SIGINT);
        interrupted[i] = true;
      }
      int status = 0;
      struct rusage ru {};
      const pid_t done = ::wait4(results[i].pid, &status, WNOHANG, &ru);
      if (done == 0) {
        any = true;
        if (Clock::now() > deadline) ::kill(results[i].pid, SIGKILL);
        continue;
      }
      running[i] = false;
      LaunchResult& r = results[i];
      r.wall_s = std::chrono::duration<double>(Clock::now() - started[i]).count();
      if (done == r.pid) {
        if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
        r.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        r.minflt = ru.ru_minflt;
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (err_paths[i] != "/dev/null") {
      results[i].stderr_text = read_file(err_paths[i]);
      std::remove(err_paths[i].c_str());
    }
    if (!specs[i].log_path.empty()) parse_log(read_file(specs[i].log_path), results[i]);
    if (!specs[i].stdout_path.empty()) parse_messages(read_file(specs[i].stdout_path), results[i]);
  }
  return results;
}

}  // namespace bench
