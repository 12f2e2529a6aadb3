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
#include <cstdlib>
#include <filesystem>
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
// Read only once the child runs gst-launch-1.0: between fork and exec it is a
// copy of the bench, with the bench's peak (the decoded frames, gigabytes).
long peak_rss_now(pid_t pid) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec || exe == std::filesystem::read_symlink("/proc/self/exe", ec)) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Fields 14 and 15 of /proc/PID/stat: user + system CPU time so far, seconds
// (-1 when unreadable).
double cpu_now(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(f, text);
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stol(field);
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long long mono_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// "H:MM:SS.NNNNNNNNN" to seconds.
double clock_seconds(const std::string& h, const std::string& m, const std::string& s) {
  return std::stod(h) * 3600 + std::stod(m) * 60 + std::stod(s);
}

const char* kFrameMarker = " wells: crops ";
const char* kBaseTimeMarker = ", base_time ";

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
  // 0:00:00.805197052 ... gst_pipeline_change_state:<pipeline0> start_time=0:00:00.000000000, now=7:10:46.788180215, base_time 7:10:46.788180215
  static const std::regex base(
      R"(^(\d+):(\d+):([\d.]+) .*> start_time=(\d+):(\d+):([\d.]+), now=(\d+):(\d+):([\d.]+), base_time (\d+):(\d+):([\d.]+))");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.find(kFrameMarker) != std::string::npos && std::regex_search(line, m, frame)) {
      ElementLog& e = r.elements[m[4]];
      e.at_s.push_back(clock_seconds(m[1], m[2], m[3]));
      e.frame_ms.push_back(std::stod(m[5]) + std::stod(m[6]));
    } else if (line.find("EOS: ") != std::string::npos && std::regex_search(line, m, eos)) {
      ElementLog& e = r.elements[m[1]];
      e.frames_in = std::stol(m[2]);
      e.analysed = std::stol(m[3]);
      e.skipped = std::stol(m[4]);
      e.late = std::stol(m[5]);
    } else if (line.find("intra-op threads") != std::string::npos && std::regex_search(line, m, threads)) {
      r.elements[m[1]].threads = std::stoi(m[2]);
    } else if (r.base_time_ns < 0 && line.find(", base_time ") != std::string::npos && std::regex_search(line, m, base)) {
      // the first PLAYING: running time = clock - base time (+ start_time, 0 then)
      const auto ns = [&](int k) {
        return static_cast<long long>(std::llround(1e9 * clock_seconds(m[k], m[k + 1], m[k + 2])));
      };
      r.base_time_ns = ns(10) - ns(4);
      r.log_to_mono_ns = ns(7) - ns(1);
    }
  }
}

namespace {

// The value of `name=(type)N` in a printed structure (-1 when absent).
long long field(const std::string& line, const std::string& name) {
  const size_t at = line.find(" " + name + "=(");
  if (at == std::string::npos) return -1;
  const size_t close = line.find(')', at);
  return close == std::string::npos ? -1 : std::atoll(line.c_str() + close + 1);
}

}  // namespace

void parse_messages(const std::string& text, LaunchResult& r) {
  // Got message #123 from element "avdec_h264-0" (qos): GstMessageQOS, live=(boolean)false, running-time=(guint64)...
  // Got message #468 from element "wellmonitor0" (element): wellmonitor-scores, ..., running-time=(guint64)..., frame=...
  static const std::regex from(R"rx(from element "([^"]+)" \((qos|element)\): (\S+),)rx");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.compare(0, 12, "Got message ") != 0) continue;
    const size_t colon = line.find("): ");
    if (colon == std::string::npos) continue;
    const std::string head = line.substr(0, line.find(',', colon) + 1);
    if (!std::regex_search(head, m, from)) continue;
    if (m[2] == "qos") {
      r.qos.push_back({m[1], field(line, "running-time")});
    } else if (m[3] == "wellmonitor-scores") {
      ScoresMessage s;
      s.running_ns = field(line, "running-time");
      s.frame = static_cast<long>(field(line, "frame"));
      s.analysed = static_cast<long>(field(line, "frames-analysed"));
      s.skipped = static_cast<long>(field(line, "frames-skipped"));
      s.late = static_cast<long>(field(line, "frames-late"));
      r.elements[m[1]].scores.push_back(s);
    }
  }
}

double cpu_at(const std::vector<CpuSample>& samples, long long mono_ns) {
  for (size_t i = 1; i < samples.size(); ++i)
    if (samples[i - 1].mono_ns <= mono_ns && mono_ns <= samples[i].mono_ns) {
      const double span = static_cast<double>(samples[i].mono_ns - samples[i - 1].mono_ns);
      const double f = span > 0 ? (mono_ns - samples[i - 1].mono_ns) / span : 0;
      return samples[i - 1].cpu_s + f * (samples[i].cpu_s - samples[i - 1].cpu_s);
    }
  return std::numeric_limits<double>::quiet_NaN();
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

  // Reads what the child logged since the last poll: its analysed frames
  // until the warm-up is done (then its page faults so far), and its base time.
  auto poll_log = [&](size_t i) {
    const bool want_frames = results[i].minflt_at_warmup < 0;
    const bool want_base = specs[i].stop_after_running_s > 0 && results[i].base_time_ns < 0;
    if (specs[i].log_path.empty() || (!want_frames && !want_base)) return;
    std::ifstream f(specs[i].log_path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(log_read[i]));
    std::string chunk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    log_read[i] += chunk.size();
    chunk = log_tail[i] + chunk;
    const size_t last_nl = chunk.rfind('\n');
    log_tail[i] = last_nl == std::string::npos ? chunk : chunk.substr(last_nl + 1);
    if (last_nl == std::string::npos) return;
    const std::string lines = chunk.substr(0, last_nl + 1);
    if (want_base && lines.find(kBaseTimeMarker) != std::string::npos) {
      LaunchResult found;
      parse_log(lines, found);
      results[i].base_time_ns = found.base_time_ns;
    }
    if (!want_frames) return;
    for (size_t at = lines.find(kFrameMarker); at != std::string::npos; at = lines.find(kFrameMarker, at + 1))
      ++frames_seen[i];
    if (frames_seen[i] >= warmup_frames) results[i].minflt_at_warmup = minflt_now(results[i].pid);
  };

  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  std::vector<Clock::time_point> interrupted_at(specs.size());
  for (long polls = 0;; ++polls) {
    bool any = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!running[i]) continue;
      poll_log(i);
      if (polls % 10 == 0) results[i].max_rss_kib = std::max(results[i].max_rss_kib, peak_rss_now(results[i].pid));
      if (polls % 40 == 0) results[i].cpu.push_back({mono_ns_now(), cpu_now(results[i].pid)});
      const LaunchSpec& s = specs[i];
      if (s.stop_after_running_s > 0) {
        const double since_start = std::chrono::duration<double>(Clock::now() - started[i]).count();
        const bool due = results[i].base_time_ns >= 0
                             ? mono_ns_now() > results[i].base_time_ns + static_cast<long long>(1e9 * s.stop_after_running_s)
                             : since_start > s.start_timeout_s;
        if (due && !results[i].interrupted) {
          ::kill(results[i].pid, SIGINT);
          results[i].interrupted = true;
          interrupted_at[i] = Clock::now();
        } else if (results[i].interrupted && !results[i].killed &&
                   Clock::now() - interrupted_at[i] > std::chrono::duration<double>(s.grace_s)) {
          ::kill(results[i].pid, SIGKILL);
          results[i].killed = true;
        }
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
    if (!specs[i].log_path.empty()) {
      const long long base = results[i].base_time_ns;
      results[i].base_time_ns = -1;  // parsed again with its log offset
      parse_log(read_file(specs[i].log_path), results[i]);
      if (results[i].base_time_ns < 0) results[i].base_time_ns = base;
    }
    if (!specs[i].stdout_path.empty()) parse_messages(read_file(specs[i].stdout_path), results[i]);
  }
  return results;
}

}  // namespace bench
