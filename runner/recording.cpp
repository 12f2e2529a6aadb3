#include "recording.h"

#include "camera_id.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace wellmonitor::run {

namespace fs = std::filesystem;

std::string segment_file_name(const std::string& camera, std::time_t start, unsigned index) {
  std::tm tm{};
  localtime_r(&start, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  char n[16];
  std::snprintf(n, sizeof n, "%04u", index);
  return safe_file_stem(camera) + "-" + stamp + "-" + n + ".ts";
}

bool is_segment_of(const std::string& file_name, const std::string& camera) {
  // CAMERA-YYYYmmdd-HHMMSS-NNNN.ts
  const std::string prefix = safe_file_stem(camera) + "-";
  if (file_name.size() < prefix.size() + 23 || file_name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string rest = file_name.substr(prefix.size());
  const auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i)
      if (i >= rest.size() || rest[i] < '0' || rest[i] > '9') return false;
    return true;
  };
  if (!digits(0, 8) || rest[8] != '-' || !digits(9, 6) || rest[15] != '-') return false;
  size_t i = 16;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
  return i >= 20 && rest.substr(i) == ".ts";
}

std::vector<std::string> segments_to_remove(std::vector<Segment> segments, const RetentionPolicy& policy, int64_t now,
                                            const std::string& current, uint64_t free_bytes) {
  // oldest first: by end time, then by name (names sort by start time)
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
  });
  uint64_t total = 0;
  for (const auto& s : segments) total += s.bytes;
  std::vector<std::string> remove;
  for (const auto& s : segments) {
    if (s.path == current) continue;
    const bool too_big = policy.max_bytes > 0 && total > policy.max_bytes;
    const bool too_old = policy.max_age_s > 0 && now - s.mtime > policy.max_age_s;
    const bool too_full = policy.keep_free_bytes > 0 && free_bytes < policy.keep_free_bytes;
    if (!too_big && !too_old && !too_full) continue;
    remove.push_back(s.path);
    total -= s.bytes;
    free_bytes += s.bytes;
  }
  return remove;
}

std::vector<Segment> list_segments(const std::string& dir, const std::string& camera) {
  std::vector<Segment> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_segment_of(name, camera)) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({entry.path().string(), static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
  }
  return out;
}

std::vector<std::string> apply_retention(const std::string& dir, const std::string& camera,
                                         const RetentionPolicy& policy, const std::string& current,
                                         std::vector<std::string>& errors) {
  struct statvfs vfs {};
  uint64_t free_bytes = UINT64_MAX;
  if (::statvfs(dir.c_str(), &vfs) == 0) free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const auto remove = segments_to_remove(list_segments(dir, camera), policy, static_cast<int64_t>(std::time(nullptr)),
                                         current, free_bytes);
  std::vector<std::string> removed;
  for (const auto& path : remove) {
    std::error_code ec;
    if (fs::remove(path, ec))
      removed.push_back(path);
    else if (ec)
      errors.push_back("cannot remove old segment '" + path + "': " + ec.message());
  }
  return removed;
}

}  // namespace wellmonitor::run
