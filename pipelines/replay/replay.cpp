#include "replay.h"

#include "wellmonitor/dataset.h"
#include "wellmonitor/folds.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace wellmonitor::replay {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int Rng::below(int n) {
  if (n <= 0) throw std::invalid_argument("Rng::below needs n > 0");
  // Rejection sampling: no modulo bias.
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x;
  do x = next();
  while (x >= limit);
  return static_cast<int>(x % range);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

namespace {

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<std::string> list_images(const std::string& dir, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw ReplayError(what + " folder '" + dir + "' does not exist");
  if (!fs::is_directory(dir, ec)) throw ReplayError(what + " '" + dir + "' is not a folder");
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_image(it->path())) files.push_back(it->path().string());
  }
  if (ec) throw ReplayError("cannot list " + what + " folder '" + dir + "': " + ec.message());
  if (files.empty())
    throw ReplayError(what + " folder '" + dir + "' holds no image (jpg, jpeg, png, bmp)");
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<SpillGroup> group_spills(const std::vector<std::string>& paths) {
  struct Item {
    int64_t time;
    std::string name;
    std::string path;
  };
  std::map<int, std::vector<Item>> by_well;
  std::vector<SpillGroup> loose;
  for (const auto& p : paths) {
    const std::string name = fs::path(p).filename().string();
    if (const auto parsed = parse_spill_name(name)) {
      by_well[parsed->well].push_back({parsed->ordering_ms(), name, p});
    } else {
      loose.push_back({name, {p}});
    }
  }
  std::vector<SpillGroup> groups;
  for (auto& [well, items] : by_well) {
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.time != b.time ? a.time < b.time : a.name < b.name;
    });
    SpillGroup g;
    g.source = std::to_string(well);
    for (const auto& it : items) g.files.push_back(it.path);
    groups.push_back(std::move(g));
  }
  std::sort(loose.begin(), loose.end(),
            [](const SpillGroup& a, const SpillGroup& b) { return a.source < b.source; });
  groups.insert(groups.end(), loose.begin(), loose.end());
  return groups;
}

std::vector<LabelledFile> read_labelled_files(const std::string& labels_path,
                                              const std::string& images_dir) {
  std::ifstream in(labels_path);
  if (!in) throw ReplayError("cannot read labels file '" + labels_path + "'");
  std::vector<LabelledFile> files;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    // "<file name> <0|1>": the label is the last field, so names may hold spaces.
    const auto sep = line.find_last_of(" \t");
    const std::string label = sep == std::string::npos ? "" : line.substr(sep + 1);
    const std::string name = sep == std::string::npos ? "" : trim(line.substr(0, sep));
    if (name.empty() || (label != "0" && label != "1"))
      throw ReplayError(labels_path + ":" + std::to_string(line_no) +
                        ": expected '<file name> <0|1>', got '" + line + "'");
    const fs::path p = fs::path(images_dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
      throw ReplayError(labels_path + ":" + std::to_string(line_no) + ": image '" + p.string() +
                        "' not found");
    files.push_back({p.string(), label == "1" ? 1 : 0});
  }
  return files;
}

std::vector<std::string> read_labelled_spills(const std::string& labels_path,
                                              const std::string& images_dir) {
  std::vector<std::string> files;
  for (const auto& f : read_labelled_files(labels_path, images_dir))
    if (f.label == 1) files.push_back(f.path);
  if (files.empty())
    throw ReplayError("labels file '" + labels_path + "' labels no file as a spill (1)");
  return files;
}

std::vector<SpillGroup> group_by_file(const std::vector<std::string>& paths,
                                      const std::string& groups_path) {
  std::map<std::string, std::string> groups;
  try {
    groups = read_groups(groups_path);
  } catch (const std::exception& e) {
    throw ReplayError(e.what());
  }
  std::map<std::string, std::vector<std::string>> by_group;
  for (const auto& p : paths) {
    const std::string name = fs::path(p).filename().string();
    const auto it = groups.find(name);
    if (it == groups.end()) throw ReplayError(groups_path + ": no group for '" + name + "'");
    by_group[it->second].push_back(p);
  }
  std::vector<SpillGroup> out;
  for (auto& [g, files] : by_group) {
    std::sort(files.begin(), files.end());
    out.push_back({g, std::move(files)});
  }
  return out;
}

std::vector<ScheduledSpill> schedule_spills(const WellLayout& layout,
                                            const std::vector<SpillGroup>& groups,
                                            const ScheduleOptions& o, Rng& rng) {
  const int n = o.num_spills;
  if (n < 0) throw ReplayError("the number of spills cannot be negative");
  if (n == 0) return {};
  if (groups.empty()) throw ReplayError("no spill crops to replay");
  if (n > static_cast<int>(layout.wells.size()))
    throw ReplayError("asked for " + std::to_string(n) + " spills but the layout has only " +
                      std::to_string(layout.wells.size()) + " wells (one spill per well)");

  // Target wells: given, or distinct random ones.
  std::vector<int> targets;
  if (!o.wells.empty()) {
    if (static_cast<int>(o.wells.size()) != n)
      throw ReplayError("--spill-wells names " + std::to_string(o.wells.size()) +
                        " wells for " + std::to_string(n) + " spills");
    std::set<std::string> seen;
    for (const auto& id : o.wells) {
      auto it = std::find_if(layout.wells.begin(), layout.wells.end(),
                             [&](const WellBox& w) { return w.id == id; });
      if (it == layout.wells.end())
        throw ReplayError("--spill-wells: no well '" + id + "' in layout " + layout.origin);
      if (!seen.insert(id).second) throw ReplayError("--spill-wells names '" + id + "' twice");
      targets.push_back(static_cast<int>(it - layout.wells.begin()));
    }
  } else {
    std::vector<int> all(layout.wells.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    for (int i = 0; i < n; ++i) {  // partial Fisher-Yates
      const int j = i + rng.below(static_cast<int>(all.size()) - i);
      std::swap(all[i], all[j]);
      targets.push_back(all[i]);
    }
  }

  // Source groups: given, or random ones, preferring real sequences.
  std::vector<const SpillGroup*> sources;
  if (!o.sources.empty()) {
    if (static_cast<int>(o.sources.size()) != n)
      throw ReplayError("--spill-sources names " + std::to_string(o.sources.size()) +
                        " groups for " + std::to_string(n) + " spills");
    for (const auto& s : o.sources) {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const SpillGroup& g) { return g.source == s; });
      if (it == groups.end())
        throw ReplayError("--spill-sources: no spill crops from well '" + s + "'");
      sources.push_back(&*it);
    }
  } else {
    std::vector<const SpillGroup*> long_ones, short_ones;
    for (const auto& g : groups)
      (static_cast<int>(g.files.size()) >= o.min_group_crops ? long_ones : short_ones)
          .push_back(&g);
    // Shuffle each class, long sequences first; short ones only when needed.
    for (auto* v : {&long_ones, &short_ones})
      for (int i = static_cast<int>(v->size()) - 1; i > 0; --i)
        std::swap((*v)[i], (*v)[rng.below(i + 1)]);
    std::vector<const SpillGroup*> pool = long_ones;
    pool.insert(pool.end(), short_ones.begin(), short_ones.end());
    for (int i = 0; i < n; ++i) sources.push_back(pool[i % pool.size()]);
  }

  // Spans, then place them one after the other.
  std::vector<ScheduledSpill> out(n);
  int64_t busy = o.warmup_frames;
  for (int i = 0; i < n; ++i) {
    auto& s = out[i];
    s.well_index = targets[i];
    s.well = layout.wells[targets[i]].id;
    s.source = sources[i]->source;
    s.files = sources[i]->files;
    const int count = static_cast<int>(s.files.size());
    s.hold = std::max({1, o.hold_frames, (o.min_spill_frames + count - 1) / count});
    busy += static_cast<int64_t>(s.hold) * count + o.min_gap_frames;
  }
  if (busy > o.total_frames)
    throw ReplayError("the video is too short for " + std::to_string(n) + " spills: they need " +
                      std::to_string(busy) + " frames (warm-up, spills, gaps) and the video has " +
                      std::to_string(o.total_frames) +
                      "; lengthen --duration or lower --spills, --hold, --gap or --warmup");
  const int64_t slack = o.total_frames - busy;
  int64_t cursor = o.warmup_frames;
  for (int i = 0; i < n; ++i) {
    auto& s = out[i];
    cursor += slack / (n + 1) + (i < slack % (n + 1) ? 1 : 0);
    s.first_frame = static_cast<int>(cursor);
    s.last_frame = static_cast<int>(cursor + static_cast<int64_t>(s.hold) * s.files.size() - 1);
    cursor = s.last_frame + 1 + o.min_gap_frames;
  }
  return out;
}

}  // namespace wellmonitor::replay
