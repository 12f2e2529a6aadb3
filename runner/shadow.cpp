#include "shadow.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;
using nlohmann::json;

namespace wellmonitor::run {

ShadowPaths::ShadowPaths(std::string d)
    : dir(std::move(d)),
      alarms(dir + "/alarms.jsonl"),
      levels(dir + "/levels.jsonl"),
      crops(dir + "/crops"),
      scores(dir + "/crops/scores.csv"),
      snapshots(dir + "/snapshots"),
      clips(dir + "/clips"),
      recording(dir + "/recording"),
      runs(dir + "/runs"),
      labels(dir + "/labels.txt"),
      missed(dir + "/missed.txt") {}

std::string prepare_shadow_dir(const std::string& dir) {
  std::error_code ec;
  if (dir.empty()) return "--shadow needs a folder";
  if (!fs::exists(dir, ec)) return "the shadow folder '" + dir + "' does not exist (create it first)";
  if (!fs::is_directory(dir, ec)) return "the shadow folder '" + dir + "' is not a folder";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "cannot write into the shadow folder '" + dir + "'";
  const ShadowPaths p(dir);
  for (const std::string& sub : {p.crops, p.snapshots, p.clips, p.runs}) {
    fs::create_directories(sub, ec);
    if (ec || ::access(sub.c_str(), W_OK | X_OK) != 0) return "cannot write into '" + sub + "'";
  }
  return "";
}

std::string iso_local(int64_t wall_ms) {
  const std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40], zone[8];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, "%z", &tm);  // +0100
  std::string z = zone;
  if (z.size() == 5) z.insert(3, ":");
  return std::string(buf) + z;
}

std::string shadow_alarm_id(const std::string& well, int64_t wall_ms) {
  const std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, "-%03d", static_cast<int>(wall_ms % 1000));
  // the well first: the review page groups crops by the name's part before '_'
  std::string w;
  for (const char c : well) w += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '-';
  return w + "_" + buf + ms;
}

std::string to_json_line(const ShadowAlarm& a) {
  json j = {{"id", a.id},
            {"camera", a.camera},
            {"well", a.well},
            {"time", iso_local(a.wall_ms)},
            {"wall_ms", a.wall_ms},
            {"frame", a.frame},
            {"score", a.score},
            {"threshold", a.threshold},
            {"box", {{"x", a.x}, {"y", a.y}, {"width", a.width}, {"height", a.height}}},
            {"crop", a.crop},
            {"snapshot", a.snapshot},
            {"clip", a.clip}};
  j["stream_time"] = a.stream_time_s >= 0 ? json(a.stream_time_s) : json(nullptr);
  return j.dump() + "\n";
}

double held_level(const std::vector<std::pair<double, double>>& frames, double alarm_seconds, int alarm_frames) {
  if (frames.empty()) return 0;
  // the frames' period: the shortest gap between two of them
  double period = 0;
  for (size_t i = 1; i < frames.size(); ++i) {
    const double d = frames[i].first - frames[i - 1].first;
    if (d > 0 && (period == 0 || d < period)) period = d;
  }
  double best = -1;
  for (size_t i = 0; i < frames.size(); ++i) {
    double low = frames[i].second;
    size_t j = i;
    // the run from i grows until it lasts the alarm time (the lowest score
    // only falls as it grows, so the shortest such run is the one to take)
    const auto short_of = [&] {
      return alarm_frames > 0 ? static_cast<int>(j - i + 1) < alarm_frames
                              : frames[j].first - frames[i].first + period < alarm_seconds - period / 4;
    };
    while (short_of()) {
      if (++j == frames.size()) break;
      low = std::min(low, frames[j].second);
    }
    if (j == frames.size()) break;
    best = std::max(best, low);
  }
  if (best >= 0) return best;
  double low = frames.front().second;
  for (const auto& f : frames) low = std::min(low, f.second);
  return low;
}

HeldLevels::Level HeldLevels::level_of(const Well& w) const {
  Level l;
  l.alarm_id = w.alarm_id;
  l.held = held_level(w.frames, alarm_s_, alarm_frames_);
  for (const auto& f : w.frames) l.peak = std::max(l.peak, f.second);
  return l;
}

std::optional<HeldLevels::Level> HeldLevels::frame(int index, double t, double score, bool alarm,
                                                   const std::string& alarm_id) {
  Well& w = wells_[index];
  std::optional<Level> ended;
  if (!w.alarm_id.empty() && !alarm) {
    ended = level_of(w);
    w.alarm_id.clear();
    w.frames.clear();
  }
  if (alarm && w.alarm_id.empty() && !alarm_id.empty()) w.alarm_id = alarm_id;
  w.frames.emplace_back(t, score);
  if (w.alarm_id.empty()) {
    // out of alarm: the last alarm time and a second more, for the next alarm
    size_t old = 0;
    const size_t keep = alarm_frames_ > 0 ? static_cast<size_t>(alarm_frames_) + 1 : 0;
    while (old + keep < w.frames.size() && w.frames[old].first < t - alarm_s_ - 1.0) ++old;
    w.frames.erase(w.frames.begin(), w.frames.begin() + static_cast<long>(old));
  }
  return ended;
}

std::vector<HeldLevels::Level> HeldLevels::finish() {
  std::vector<Level> out;
  for (auto& [index, w] : wells_)
    if (!w.alarm_id.empty()) {
      out.push_back(level_of(w));
      w.alarm_id.clear();
      w.frames.clear();
    }
  return out;
}

std::string to_json_line(const HeldLevels::Level& l) {
  return json({{"id", l.alarm_id}, {"held", l.held}, {"peak", l.peak}}).dump() + "\n";
}

std::optional<HeldLevels::Level> held_level_from_json(const std::string& line) {
  try {
    const json j = json::parse(line);
    HeldLevels::Level l;
    l.alarm_id = j.at("id").get<std::string>();
    l.held = j.at("held").get<double>();
    l.peak = j.value("peak", l.held);
    return l;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<ShadowAlarm> shadow_alarm_from_json(const std::string& line) {
  try {
    const json j = json::parse(line);
    ShadowAlarm a;
    a.id = j.at("id").get<std::string>();
    a.well = j.at("well").get<std::string>();
    a.camera = j.value("camera", "");
    a.wall_ms = j.value("wall_ms", int64_t{0});
    if (j.contains("stream_time") && j["stream_time"].is_number()) a.stream_time_s = j["stream_time"].get<double>();
    a.frame = j.value("frame", uint64_t{0});
    a.score = j.value("score", 0.0);
    a.threshold = j.value("threshold", 0.0);
    if (j.contains("box")) {
      const json& b = j["box"];
      a.x = b.value("x", 0);
      a.y = b.value("y", 0);
      a.width = b.value("width", 0);
      a.height = b.value("height", 0);
    }
    a.crop = j.value("crop", "");
    a.snapshot = j.value("snapshot", "");
    a.clip = j.value("clip", "");
    return a;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string scores_csv_line(const ShadowAlarm& a) {
  char score[32];
  std::snprintf(score, sizeof score, "%.6f", a.score);
  return fs::path(a.crop).filename().string() + "," + a.well + "," + score + "\n";
}

std::string to_json(const ShadowRun& r) {
  json j = {{"id", r.id},           {"camera", r.camera},       {"source", r.source},       {"mode", r.mode},
            {"started", r.started}, {"updated", r.updated},     {"finished", r.finished},   {"watched_s", r.watched_s},
            {"frames", r.frames},   {"alarms", r.alarms},       {"model", r.model},         {"monitor", r.monitor},
            {"wells", r.wells}, {"colour_matrix", r.colour_matrix}};
  j["threshold"] = r.threshold >= 0 ? json(r.threshold) : json(nullptr);
  return j.dump(2) + "\n";
}

ShadowRun shadow_run_from_json(const std::string& text, const std::string& source) {
  try {
    const json j = json::parse(text);
    ShadowRun r;
    r.id = j.value("id", "");
    r.camera = j.value("camera", "");
    r.source = j.value("source", "");
    r.mode = j.value("mode", "");
    r.started = j.value("started", "");
    r.updated = j.value("updated", "");
    r.finished = j.value("finished", false);
    r.watched_s = j.at("watched_s").get<double>();
    r.frames = j.value("frames", uint64_t{0});
    r.alarms = j.value("alarms", uint64_t{0});
    r.model = j.value("model", "");
    r.colour_matrix = j.value("colour_matrix", "");
    if (j.contains("threshold") && j["threshold"].is_number()) r.threshold = j["threshold"].get<double>();
    if (j.contains("monitor")) r.monitor = j["monitor"].get<std::map<std::string, std::string>>();
    if (j.contains("wells")) r.wells = j["wells"].get<std::vector<std::string>>();
    return r;
  } catch (const std::exception& e) {
    throw std::runtime_error(source + ": not a shadow run record (" + e.what() + ")");
  }
}

bool is_decision_setting(const std::string& p) {
  for (const char* prefix : {"alarm-", "clear-", "interval", "rule", "smooth", "hysteresis", "window", "decision"})
    if (p.rfind(prefix, 0) == 0) return true;
  return p == "threshold";
}

void WatchClock::frame(int64_t t) {
  if (last_ns_ && t > *last_ns_ && t - *last_ns_ <= max_gap_ns_) watched_ns_ += t - *last_ns_;
  last_ns_ = t;
}

void ClipPlanner::alarm(const std::string& id, int64_t running_ns) { waiting_.emplace_back(id, running_ns); }

std::vector<std::string> ClipPlanner::segments_for(int64_t t) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const int64_t start = segments_[i].first;
    const bool last = i + 1 == segments_.size();
    const int64_t end = last ? INT64_MAX : segments_[i + 1].first;
    if (start < t + after_ns_ && end > t - before_ns_) out.push_back(segments_[i].second);
  }
  return out;
}

std::vector<ClipPlanner::Clip> ClipPlanner::segment_opened(const std::string& path, int64_t running_ns) {
  std::vector<Clip> ready;
  // the segments before this one are closed now
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (running_ns >= it->second + after_ns_) {
      ready.push_back({it->first, segments_for(it->second)});
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  segments_.emplace_back(running_ns, path);
  // keep what a clip may still need: the last minutes, and what waiting alarms need
  int64_t keep_from = running_ns - 120'000'000'000;
  for (const auto& [_, t] : waiting_) keep_from = std::min(keep_from, t - before_ns_);
  while (segments_.size() > 2 && segments_[1].first < keep_from) segments_.erase(segments_.begin());
  return ready;
}

std::vector<ClipPlanner::Clip> ClipPlanner::finish() {
  std::vector<Clip> ready;
  for (const auto& [id, t] : waiting_) ready.push_back({id, segments_for(t)});
  waiting_.clear();
  return ready;
}

}  // namespace wellmonitor::run
