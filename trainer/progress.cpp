#include "progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace wellmonitor {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

std::string Progress::format_duration(double s) {
  if (s < 0 || s != s) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

void Progress::update(int64_t done, const std::string& status) {
  done_ = done;
  status_ = status;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (tty_ ? 0.1 : 5.0)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (!status.empty()) status_ = status;
  done_ = std::max(done_, int64_t{0});
  draw(true);
}

void Progress::draw(bool final) {
  if (!enabled_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 1.0;
  const double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : -1.0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(frac * kWidth + 0.5);
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::string line = fmt::format("{} [{}] {:3.0f}%  {}  {} {}", label_, bar, 100.0 * frac, status_,
                                 final ? "took" : "ETA", format_duration(final ? elapsed : eta));
  if (tty_) fmt::print(stderr, "\r\033[K{}{}", line, final ? "\n" : "");
  else fmt::print(stderr, "{}\n", line);
  std::fflush(stderr);
}

}  // namespace wellmonitor
