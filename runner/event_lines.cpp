#include "event_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

namespace wellmonitor::run {

namespace {

std::string printf_string(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string printf_string(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, n);
  std::string s(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, format);
  std::vsnprintf(s.data(), s.size(), format, ap);
  va_end(ap);
  s.resize(static_cast<size_t>(n));
  return s;
}

}  // namespace

std::string format_alarm_line(const AlarmEvent& e) {
  const char* kind = e.kind == AlarmEvent::Kind::kAlarm ? "ALARM" : "CLEAR";
  const std::string time =
      e.stream_time_ns ? printf_string("%.3f", static_cast<double>(*e.stream_time_ns) / 1e9) : std::string("?");
  std::string line = printf_string("%s well=%s time=%ss frame=%llu score=%.4f threshold=%.4f", kind, e.well.c_str(),
                                   time.c_str(), static_cast<unsigned long long>(e.frame), e.score, e.threshold);
  if (e.kind == AlarmEvent::Kind::kClear && !e.reason.empty()) line += " reason=" + e.reason;
  return line;
}

std::string format_camera_lost_line(const std::string& camera, const std::string& reason) {
  return "CAMERA LOST camera=" + camera + " reason=" + reason;
}

std::string format_camera_back_line(const std::string& camera, double down_seconds) {
  return "CAMERA BACK camera=" + camera + printf_string(" after=%.1fs", down_seconds);
}

EventLines::EventLines(std::FILE* out, std::string log_path) : out_(out), log_path_(std::move(log_path)) {}

EventLines::~EventLines() {
  if (log_fd_ >= 0) ::close(log_fd_);
}

bool EventLines::open(bool truncate, std::string& error) {
  if (log_path_.empty()) return true;
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  log_fd_ = ::open(log_path_.c_str(), flags, 0644);
  if (log_fd_ < 0) {
    error = "cannot write log '" + log_path_ + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

void EventLines::alarm(const AlarmEvent& e) {
  (e.kind == AlarmEvent::Kind::kAlarm ? alarms_ : clears_)++;
  line(alarm_prefix_ + format_alarm_line(e));
}

void EventLines::line(const std::string& text) {
  const std::string l = text + "\n";
  if (out_) {
    std::fwrite(l.data(), 1, l.size(), out_);
    std::fflush(out_);
  }
  if (log_fd_ >= 0) {
    // one write per line: O_APPEND keeps lines whole
    size_t done = 0;
    while (done < l.size()) {
      const ssize_t n = ::write(log_fd_, l.data() + done, l.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++log_failures_;
        break;
      }
      done += static_cast<size_t>(n);
    }
  }
}

}  // namespace wellmonitor::run
