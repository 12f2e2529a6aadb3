// The ground truth of a replay (wellmonitor-replay --truth): one line per
// scripted spill, the well and the frames that show it.
//
//   well,first_frame,last_frame
//   r1w4,46,105
//
// Header-only: the replay tool writes it with write_truth and every C++ reader
// (the end-to-end and watchdog tests) reads it with read_truth.
// research/replay-scores.py reads the same format in Python.
#pragma once

#include <cstdint>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace wellmonitor::replay {

struct TruthSpill {
  std::string well;
  int64_t first_frame = 0;  // first frame showing the spill (0-based)
  int64_t last_frame = 0;   // last frame showing it
};

inline constexpr const char* kTruthHeader = "well,first_frame,last_frame";

inline void write_truth(std::ostream& out, const std::vector<TruthSpill>& spills) {
  out << kTruthHeader << '\n';
  for (const auto& s : spills) out << s.well << ',' << s.first_frame << ',' << s.last_frame << '\n';
}

// Throws std::runtime_error naming the file and line on anything but the format above.
inline std::vector<TruthSpill> read_truth(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot read the ground truth");
  std::string line;
  if (!std::getline(f, line) || (line != kTruthHeader && line != std::string(kTruthHeader) + "\r"))
    throw std::runtime_error(path + ":1: expected the header '" + kTruthHeader + "'");
  std::vector<TruthSpill> out;
  for (int no = 2; std::getline(f, line); ++no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string well, a, b, rest;
    auto frame = [&](const std::string& s, int64_t& v) {
      if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos) return false;
      v = std::stoll(s);
      return true;
    };
    TruthSpill t;
    if (!std::getline(ss, well, ',') || !std::getline(ss, a, ',') || !std::getline(ss, b, ',') ||
        std::getline(ss, rest, ',') || well.empty() || !frame(a, t.first_frame) || !frame(b, t.last_frame) ||
        t.last_frame < t.first_frame)
      throw std::runtime_error(path + ":" + std::to_string(no) +
                               ": expected 'well,first_frame,last_frame' with first_frame <= last_frame");
    t.well = well;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace wellmonitor::replay
