// One process per camera: an flock(2) on a file named after the camera under the
// state directory. The lock goes with the process (a kill -9 releases it); the
// file holds the PID of the process that holds it, for the refusal's message.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace wellmonitor::run {

// The state directory: $STATE_DIRECTORY (a systemd service's, the first of a
// colon-separated list), else $XDG_STATE_HOME/wellmonitor, else
// $HOME/.local/state/wellmonitor. `getenv` is std::getenv in use, a table in tests.
std::string state_directory(const std::function<const char*(const char*)>& getenv);

// The lock file's name for a camera id: safe_file_stem(camera) + ".lock".
std::string lock_file_name(const std::string& camera);

class CameraLock {
 public:
  CameraLock() = default;
  ~CameraLock();
  CameraLock(CameraLock&& other) noexcept;
  CameraLock& operator=(CameraLock&& other) noexcept;
  CameraLock(const CameraLock&) = delete;
  CameraLock& operator=(const CameraLock&) = delete;

  struct Refusal {
    std::string message;          // one line for the user
    std::optional<pid_t> holder;  // the PID in the lock file, when there is one
  };

  // Creates `dir` when needed and takes the lock of `camera` in it. On failure
  // returns nullopt and sets `refusal`: held by another process (naming it), or
  // the directory or file cannot be used.
  static std::optional<CameraLock> acquire(const std::string& dir, const std::string& camera, Refusal& refusal);

  const std::string& path() const { return path_; }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace wellmonitor::run
