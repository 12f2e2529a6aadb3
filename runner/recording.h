// The recording's segments on disk: their names and how many of them are kept.
//
// Segments are MPEG-TS files named CAMERA-YYYYmmdd-HHMMSS-NNNN.ts (local time of
// their start, NNNN the run's segment counter): names sort by time and two runs
// never write the same file. Retention removes the oldest segments of the
// camera until every bound holds: total size, age, and free space left on the
// file system. The segment being written is never removed.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace wellmonitor::run {

struct Segment {
  std::string path;
  uint64_t bytes = 0;
  int64_t mtime = 0;  // seconds since 1970 (last write: the segment's end)
};

struct RetentionPolicy {
  uint64_t max_bytes = 0;      // all of the camera's segments together; 0: no bound
  int64_t max_age_s = 0;       // segments that ended longer ago are removed; 0: no bound
  uint64_t keep_free_bytes = 0;// free space the file system keeps; 0: no bound
};

// The segment file name for `camera` (made safe for a file name) starting at
// `start` (local time), the run's `index`-th.
std::string segment_file_name(const std::string& camera, std::time_t start, unsigned index);

// Whether `file_name` is one of `camera`'s segments.
bool is_segment_of(const std::string& file_name, const std::string& camera);

// The segments to remove, oldest first. `segments` in any order; `current` (a
// path, may be empty) is the one being written and is kept whatever the bounds;
// `free_bytes`: the file system's free space now.
std::vector<std::string> segments_to_remove(std::vector<Segment> segments, const RetentionPolicy& policy, int64_t now,
                                            const std::string& current, uint64_t free_bytes);

// `camera`'s segments in `dir` (size and time from the file system).
std::vector<Segment> list_segments(const std::string& dir, const std::string& camera);

// Applies the policy to `dir`: removes what segments_to_remove names. Returns
// the removed paths; `errors` gets one line per file that could not be removed.
std::vector<std::string> apply_retention(const std::string& dir, const std::string& camera,
                                         const RetentionPolicy& policy, const std::string& current,
                                         std::vector<std::string>& errors);

}  // namespace wellmonitor::run
