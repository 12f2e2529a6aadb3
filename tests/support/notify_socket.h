// A stand-in for systemd's notification socket: a unix datagram socket the test
// binds, whose path goes to the child as NOTIFY_SOCKET; every datagram the child
// sends with sd_notify() ("READY=1\nSTATUS=...") is kept with the wall-clock
// time it arrived.
#pragma once

#include "child_process.h"  // wall_ms_now

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace wellmonitor_test {

struct Notification {
  std::string text;      // the datagram: KEY=value lines
  int64_t wall_ms = 0;   // when it arrived
  bool has(const std::string& line) const {
    return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
  }
  // The value of KEY= in it, "" when absent.
  std::string value(const std::string& key) const {
    const std::string t = "\n" + text;
    const size_t at = t.find("\n" + key + "=");
    if (at == std::string::npos) return "";
    const size_t begin = at + key.size() + 2;
    return t.substr(begin, t.find('\n', begin) - begin);
  }
};

class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    std::filesystem::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (bound_) reader_ = std::thread([this] { read(); });
  }
  ~NotifySocket() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
    std::filesystem::remove(path_);
  }
  bool bound() const { return bound_; }
  // For the child's environment.
  std::string env() const { return "NOTIFY_SOCKET=" + path_.string(); }

  std::vector<Notification> received() const {
    std::lock_guard<std::mutex> l(mu_);
    return got_;
  }
  // Waits until a notification for which `match` holds arrives; returns the first.
  std::optional<Notification> wait_until(const std::function<bool(const Notification&)>& match, int timeout_ms) {
    std::unique_lock<std::mutex> l(mu_);
    std::optional<Notification> found;
    changed_.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] {
      for (const auto& n : got_)
        if (match(n)) {
          found = n;
          return true;
        }
      return false;
    });
    return found;
  }
  // ...holding the line `line` ("READY=1").
  std::optional<Notification> wait_for(const std::string& line, int timeout_ms) {
    return wait_until([&](const Notification& n) { return n.has(line); }, timeout_ms);
  }
  // ...whose STATUS= starts with `prefix`.
  std::optional<Notification> wait_for_status(const std::string& prefix, int timeout_ms) {
    return wait_until([&](const Notification& n) { return n.value("STATUS").rfind(prefix, 0) == 0; }, timeout_ms);
  }
  // The notifications holding `line` that arrived in [from_ms, to_ms).
  size_t count(const std::string& line, int64_t from_ms, int64_t to_ms) const {
    std::lock_guard<std::mutex> l(mu_);
    size_t n = 0;
    for (const auto& m : got_)
      if (m.has(line) && m.wall_ms >= from_ms && m.wall_ms < to_ms) ++n;
    return n;
  }
  // Every STATUS= text, in order.
  std::vector<std::string> statuses() const {
    std::vector<std::string> s;
    for (const auto& n : received())
      if (!n.value("STATUS").empty()) s.push_back(n.value("STATUS"));
    return s;
  }

 private:
  void read() {
    char buf[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string text(buf, static_cast<size_t>(n));
      while (!text.empty() && text.back() == '\n') text.pop_back();
      std::lock_guard<std::mutex> l(mu_);
      got_.push_back({text, wall_ms_now()});
      changed_.notify_all();
    }
  }

  std::filesystem::path path_;
  int fd_ = -1;
  bool bound_ = false;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Notification> got_;
};

}  // namespace wellmonitor_test
