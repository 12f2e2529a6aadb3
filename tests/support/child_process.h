// A program started by a test and watched while it runs: its stdout and stderr
// are read line by line as they come, each line stamped with the wall-clock time
// it arrived; the test waits for lines, sends signals (to the process or to its
// process group: the child leads a group of its own) and waits for the exit.
// The destructor kills the whole group if it still runs.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace wellmonitor_test {

struct TimedLine {
  std::string text;
  int64_t wall_ms = 0;  // when the test read it, ms since 1970
};

inline int64_t wall_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);  // the group: also anything it left behind
      if (!exited_) ::waitpid(pid_, nullptr, 0);
    }
    for (auto& t : readers_)
      if (t.joinable()) t.join();
  }

  // Starts `program args...` in a new process group, in the test's environment
  // plus `env` ("NAME=value").
  bool start(const std::string& program, const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return false;
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) envs.emplace_back(*e);
    for (const auto& e : env) envs.push_back(e);
    std::vector<char*> envp, argv;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::execve(program.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) return false;
    ::setpgid(pid, pid);
    pid_ = pid;
    readers_.emplace_back([this, fd = out[0]] { read_lines(fd, out_); });
    readers_.emplace_back([this, fd = err[0]] { read_lines(fd, err_); });
    return true;
  }

  pid_t pid() const { return pid_; }

  // Waits for a line of stdout (or stderr) matching `re` after the first `skip`
  // matching ones; returns it.
  std::optional<TimedLine> wait_line(const std::string& re, int timeout_ms, bool on_stderr = false, size_t skip = 0) {
    const std::regex r(re);
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<TimedLine> found;
    changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      size_t seen = 0;
      for (const auto& l : on_stderr ? err_ : out_)
        if (std::regex_search(l.text, r) && seen++ == skip) {
          found = l;
          return true;
        }
      return false;
    });
    return found;
  }

  bool signal(int sig) const { return pid_ > 0 && ::kill(pid_, sig) == 0; }
  bool signal_group(int sig) const { return pid_ > 0 && ::kill(-pid_, sig) == 0; }

  // The exit status (WEXITSTATUS), or -N when signal N killed it; nullopt when
  // it is still running after `timeout_ms`.
  std::optional<int> wait_exit(int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!exited_) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > until) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // the rest of its output (a process it left behind may hold the pipes: not forever)
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(2), [&] { return readers_done_ == 2; });
    return status_;
  }

  // Whether any process of the child's group is still there (after its exit:
  // something it left behind).
  bool group_alive() const { return pid_ > 0 && (::kill(-pid_, 0) == 0 || errno == EPERM); }

  std::vector<TimedLine> out_lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_;
  }
  std::string out() const { return join(out_lines()); }
  std::string err() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return join(err_);
  }
  std::string describe() const { return "--- stdout:\n" + out() + "--- stderr:\n" + err(); }

 private:
  static std::string join(const std::vector<TimedLine>& lines) {
    std::string s;
    for (const auto& l : lines) s += l.text + "\n";
    return s;
  }

  void read_lines(int fd, std::vector<TimedLine>& into) {
    std::string pending;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const int64_t now = wall_ms_now();
      pending.append(buf, static_cast<size_t>(n));
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
        into.push_back({pending.substr(0, nl), now});
      changed_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pending.empty()) into.push_back({pending, wall_ms_now()});
    ++readers_done_;
    changed_.notify_all();
    ::close(fd);
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TimedLine> out_, err_;
  std::vector<std::thread> readers_;
  int readers_done_ = 0;
};

}  // namespace wellmonitor_test
