// The replay of the real plant: a video made of the real frame and real well crops,
// with scripted spills and their ground truth (DESIGN.md, "Replay of the real plant").
#pragma once

#include "wellmonitor/layout.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace wellmonitor::replay {

// Bad input (missing folder, unreadable file, impossible schedule): one line for the user.
class ReplayError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Deterministic generator (splitmix64), the same sequence on every platform and
// standard library, so a seed names one video.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  int below(int n);        // uniform in [0, n), n > 0
  double uniform();        // uniform in [0, 1)

 private:
  uint64_t state_;
};

// Image files (jpg, jpeg, png, bmp) directly in dir, sorted by name. Throws ReplayError
// when dir is missing, is not a folder, or holds no image.
std::vector<std::string> list_images(const std::string& dir, const std::string& what);

// The crops of one spill as the camera saw it: one source well, in capture order.
struct SpillGroup {
  std::string source;               // the well number from the names, or the file name
  std::vector<std::string> files;   // paths, in capture-time order
};

// Groups spill crops by the well number in their names and orders each group by
// capture time (then name). A file whose name does not follow the pattern is a
// group of its own. Groups come out ordered by source well number.
std::vector<SpillGroup> group_spills(const std::vector<std::string>& paths);

// Spill crops from a labels file ("<file name> <0|1>" per line, '#' comments): the
// files labelled 1, found in images_dir. Throws ReplayError on a bad line, a missing
// file, or no file labelled 1.
std::vector<std::string> read_labelled_spills(const std::string& labels_path,
                                              const std::string& images_dir);

// Every file of a labels file with its label (1 = spill), found in images_dir.
// Throws ReplayError on a bad line or a missing file.
struct LabelledFile {
  std::string path;
  int label = 0;
};
std::vector<LabelledFile> read_labelled_files(const std::string& labels_path, const std::string& images_dir);

// Crops grouped by a groups file ("<file name> <group>": near-duplicate groups,
// one well over a few seconds): one SpillGroup per group, its files in name
// order, groups in name order. Throws ReplayError for a file without a group.
std::vector<SpillGroup> group_by_file(const std::vector<std::string>& paths,
                                      const std::string& groups_path);

struct ScheduleOptions {
  int total_frames = 0;
  int num_spills = 0;
  int hold_frames = 6;       // frames each spill crop stays on screen
  int min_spill_frames = 0;  // a short sequence holds its crops longer to last this long
  int warmup_frames = 0;     // normal-only frames at the start
  int min_gap_frames = 0;    // normal-only frames after each spill, before the next
  int min_group_crops = 3;   // random choice prefers sequences at least this long
  std::vector<std::string> wells;    // target layout wells; empty = random distinct
  std::vector<std::string> sources;  // source groups; empty = random
};

struct ScheduledSpill {
  std::string well;                 // layout id
  int well_index = 0;               // index in the layout
  std::string source;               // source group (well number in the spill names)
  std::vector<std::string> files;   // crops in capture order
  int hold = 0;                     // frames per crop
  int first_frame = 0;              // first frame showing the spill (0-based)
  int last_frame = 0;               // last frame showing it, inclusive
};

// One spill after the other, each at its own well, separated by at least
// min_gap_frames and spread evenly over the video. Throws ReplayError when they do
// not fit or an id/source is unknown.
std::vector<ScheduledSpill> schedule_spills(const WellLayout& layout,
                                            const std::vector<SpillGroup>& groups,
                                            const ScheduleOptions& options, Rng& rng);

}  // namespace wellmonitor::replay
