// A one-line progress display for long work: a bar that redraws in place on
// a terminal, and a plain line every few seconds when stderr is a file or pipe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wellmonitor {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  // Sets the work done so far and a free-form status shown after the bar.
  void update(int64_t done, const std::string& status = "");
  // Ends the line (prints the final state once).
  void finish(const std::string& status = "");

  static std::string format_duration(double seconds);

 private:
  void draw(bool final);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  std::string status_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace wellmonitor
