#include "report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bench {

std::string load_average() {
  double load[3];
  if (getloadavg(load, 3) != 3) return "n/a";
  return fmt::format("{:.2f} {:.2f} {:.2f}", load[0], load[1], load[2]);
}

std::string threads_text(int requested, int used) {
  const std::string req = requested > 0 ? std::to_string(requested) : std::string("auto");
  return used > 0 && used != requested ? fmt::format("{} ({})", req, used) : req;
}

void print_user_row(const std::string& model, const std::string& side, int threads, const Result& r,
                    const std::string& ratio) {
  if (!r.ok) {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7} | {:>7} | {:>7} | {:>7} | {:>8} | {:>6} | {:>8} | {:>9} |  {}\n",
               model, side, threads_text(threads, 0), "-", "failed", "-", "-", "-", "-", "-", r.pid, "-", r.error);
  } else if (side == "decode") {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7} | {:>7} | {:>7} | {:>7.0f} | {:>8} | {:>6.0f} | {:>8} | {:>9} |  "
               "the whole video in {:.2f} s, start-up included\n",
               model, side, "-", "-", "-", "-", "-", r.rss_mib, "-", r.cpu_percent, r.pid, "", r.wall_s);
  } else {
    fmt::print("| {:<10} | {:<6} | {:>8} | {:>6} | {:>7.1f} | {:>7.2f} | {:>7.2f} | {:>7.0f} | {:>8} | {:>6} | {:>8} | {:>9} |\n",
               model, side, threads_text(threads, r.threads), r.frames, r.fps, r.p50_ms, r.p99_ms, r.rss_mib,
               r.faults_per_frame >= 0 ? fmt::format("{:.1f}", r.faults_per_frame) : std::string("-"),
               r.cpu_percent >= 0 ? fmt::format("{:.0f}", r.cpu_percent) : std::string("-"),
               r.pid > 0 ? std::to_string(r.pid) : std::string("-"), ratio);
  }
  std::fflush(stdout);
}

void print_diagnosis_row(const std::string& model, const std::string& side, int threads, const Result& r,
                         const std::string& note) {
  if (!r.ok) {
    fmt::print("| {:<10} | {:<8} | {:>7} | {:>6} | {:>7} | {:>7} | {:>7} | {:>8} |  {}\n", model, side, threads, "-",
               "failed", "-", "-", "-", r.error);
  } else {
    fmt::print("| {:<10} | {:<8} | {:>7} | {:>6} | {:>7.1f} | {:>7.2f} | {:>7.2f} | {:>8.0f} |{}{}\n", model, side, threads,
               r.frames, r.fps, r.p50_ms, r.p99_ms, r.rss_mib, note.empty() ? "" : "  " + note,
               r.threads != threads ? fmt::format("  (threads in use: {})", r.threads) : std::string());
  }
  std::fflush(stdout);
}

std::string score_agreement(const Result& cpp, const Result& py) {
  if (!cpp.ok || !py.ok || cpp.first_scores.size() != py.first_scores.size() || cpp.first_scores.empty())
    return "n/a";
  double diff = 0, sum = 0, top = 0;
  for (size_t i = 0; i < cpp.first_scores.size(); ++i) {
    if (std::isnan(cpp.first_scores[i]) || std::isnan(py.first_scores[i]))
      return fmt::format("n/a (no score for well {})", i);
    diff = std::max(diff, std::fabs(cpp.first_scores[i] - py.first_scores[i]));
    sum += std::fabs(cpp.first_scores[i] - py.first_scores[i]);
    top = std::max(top, std::fabs(py.first_scores[i]));
  }
  return fmt::format("|C++ - Python| max {:.3g}, mean {:.3g} over {} wells (largest score {:.3g})", diff,
                     sum / cpp.first_scores.size(), cpp.first_scores.size(), top);
}

}  // namespace bench
