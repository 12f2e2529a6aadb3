#include "camera_lock.h"

#include "camera_id.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace wellmonitor::run {

std::string state_directory(const std::function<const char*(const char*)>& getenv) {
  const auto set = [&](const char* name) -> std::string {
    const char* v = getenv(name);
    return v ? std::string(v) : std::string();
  };
  std::string dir = set("STATE_DIRECTORY");
  if (!dir.empty()) return dir.substr(0, dir.find(':'));
  dir = set("XDG_STATE_HOME");
  if (!dir.empty() && dir.front() == '/') return dir + "/wellmonitor";
  dir = set("HOME");
  if (dir.empty()) dir = "/tmp";
  return dir + "/.local/state/wellmonitor";
}

std::string lock_file_name(const std::string& camera) { return safe_file_stem(camera) + ".lock"; }

CameraLock::~CameraLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

CameraLock::CameraLock(CameraLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

CameraLock& CameraLock::operator=(CameraLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

namespace {

std::optional<pid_t> read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  char* end = nullptr;
  const long pid = std::strtol(buf, &end, 10);
  if (end == buf || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace

std::optional<CameraLock> CameraLock::acquire(const std::string& dir, const std::string& camera, Refusal& refusal) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    refusal.message = "cannot create the state directory '" + dir + "': " + ec.message();
    return std::nullopt;
  }
  CameraLock lock;
  lock.path_ = (std::filesystem::path(dir) / lock_file_name(camera)).string();
  lock.fd_ = ::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd_ < 0) {
    refusal.message = "cannot open the lock file '" + lock.path_ + "': " + std::strerror(errno);
    return std::nullopt;
  }
  if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      refusal.holder = read_pid(lock.fd_);
      refusal.message = "camera '" + camera + "' is already monitored by " +
                        (refusal.holder ? "process " + std::to_string(*refusal.holder) : std::string("another process")) +
                        " (lock " + lock.path_ + ")";
    } else {
      refusal.message = "cannot lock '" + lock.path_ + "': " + std::strerror(err);
    }
    return std::nullopt;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.fd_, 0) != 0 || ::pwrite(lock.fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    refusal.message = "cannot write the lock file '" + lock.path_ + "': " + std::strerror(errno);
    return std::nullopt;
  }
  return lock;
}

}  // namespace wellmonitor::run
