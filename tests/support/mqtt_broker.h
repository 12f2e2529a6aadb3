// A real Mosquitto broker for tests, started on a free loopback port and
// stopped by the test, and a subscriber that records what arrives. Include
// from suites linked with libmosquitto.
#pragma once

#include <mosquitto.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wellmonitor_test {

inline const char* mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"})
    if (::access(p, X_OK) == 0) return p;
  return nullptr;
}

// A loopback TCP port nobody listens on (now).
inline int free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    return -1;
  }
  ::close(s);
  return ntohs(a.sin_port);
}

inline bool port_accepts(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// Mosquitto with persistence in `dir` (sessions and queued messages survive a
// kill once saved: autosave every second), listening on 127.0.0.1 only.
class Broker {
 public:
  // `more`: configuration appended (more listeners, with their own settings).
  Broker(const std::filesystem::path& dir, int port, const std::string& more = "") : dir_(dir), port_(port) {
    std::filesystem::create_directories(dir_);
    std::ofstream c(dir_ / "mosquitto.conf");
    if (!more.empty()) c << "per_listener_settings true\n";
    c << "listener " << port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "persistence true\n"
      << "persistence_location " << dir_.string() << "/\n"
      << "autosave_interval 1\n";
    if (const passwd* pw = ::getpwuid(::getuid())) c << "user " << pw->pw_name << "\n";
    c << more;
  }
  ~Broker() { kill(); }

  // Starts it and waits until it accepts connections; false when it did not.
  bool start() {
    const char* bin = mosquitto_binary();
    if (!bin) return false;
    const std::string conf = (dir_ / "mosquitto.conf").string();
    const std::string log = (dir_ / "mosquitto.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(bin, bin, "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (port_accepts(port_)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }

  // SIGTERM: a clean stop (sessions and queued messages saved), as a restart does.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // SIGKILL: no goodbye, no last save.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string log() const {
    std::ifstream f(dir_ / "mosquitto.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  int port_;
  pid_t pid_ = -1;
};

struct Received {
  std::string topic, payload;
  bool retained = false;
};

// Subscribes to `filter` (QoS 1) with a persistent session (clean session
// off), so that what is published while it is away waits for it at the
// broker; reconnects by itself (libmosquitto's threaded loop).
class Subscriber {
 public:
  Subscriber(int port, const std::string& filter, const std::string& id) : filter_(filter) {
    mosquitto_lib_init();
    m_ = mosquitto_new(id.c_str(), false, this);
    mosquitto_connect_callback_set(m_, [](mosquitto* m, void* obj, int rc) {
      auto* self = static_cast<Subscriber*>(obj);
      if (rc == 0) mosquitto_subscribe(m, nullptr, self->filter_.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* obj, int, int, const int*) {
      auto* self = static_cast<Subscriber*>(obj);
      std::lock_guard<std::mutex> l(self->mu_);
      self->subscribed_ = true;
      self->cv_.notify_all();
    });
    mosquitto_message_callback_set(m_, [](mosquitto*, void* obj, const mosquitto_message* msg) {
      auto* self = static_cast<Subscriber*>(obj);
      Received r;
      r.topic = msg->topic;
      r.payload.assign(static_cast<const char*>(msg->payload), msg->payloadlen);
      r.retained = msg->retain;
      if (self->on_message) self->on_message(r);
      std::lock_guard<std::mutex> l(self->mu_);
      self->got_.push_back(std::move(r));
      self->cv_.notify_all();
    });
    mosquitto_reconnect_delay_set(m_, 1, 1, false);
    connected_ = mosquitto_connect(m_, "127.0.0.1", port, 10) == MOSQ_ERR_SUCCESS;
    mosquitto_loop_start(m_);
  }
  ~Subscriber() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, true);
    mosquitto_destroy(m_);
  }
  bool wait_subscribed(int ms) {
    std::unique_lock<std::mutex> l(mu_);
    return connected_ && cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return subscribed_; });
  }
  // Waits until `done` holds for what has arrived.
  bool wait_for(const std::function<bool(const std::vector<Received>&)>& done, int ms) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return done(got_); });
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> l(mu_);
    return got_;
  }
  std::function<void(const Received&)> on_message;  // on libmosquitto's thread

 private:
  std::string filter_;
  mosquitto* m_ = nullptr;
  bool connected_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::vector<Received> got_;
};

}  // namespace wellmonitor_test
