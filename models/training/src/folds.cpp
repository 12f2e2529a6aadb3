#include "wellmonitor/folds.h"

#include "wellmonitor/errors.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace wellmonitor {

std::map<std::string, std::string> read_groups(const std::string& groups_file) {
  std::map<std::string, std::string> out;
  for (const auto& [line_no, name, group] : read_name_value_lines(groups_file, "groups", "<file name> <group>"))
    if (!out.emplace(name, group).second)
      throw DataError(groups_file + ":" + std::to_string(line_no) + ": '" + printable(name) + "' is listed twice");
  if (out.empty()) throw DataError(groups_file + ": no groups");
  return out;
}

GroupedSet load_grouped(const std::string& dir, const LoadOptions& options, LoadReport* report) {
  LoadOptions lo = options;
  lo.dedup = false;
  GroupedSet set;
  set.crops = load_labelled(dir + "/imgs", dir + "/labels.txt", lo, report);
  const auto groups = read_groups(dir + "/groups.txt");
  for (const auto& c : set.crops) {
    const auto it = groups.find(c.name);
    if (it == groups.end()) throw DataError(dir + "/groups.txt: no group for '" + printable(c.name) + "'");
    set.groups.push_back(it->second);
  }
  return set;
}

namespace {

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), size_t{0}); }
  size_t find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

}  // namespace

std::vector<int> group_folds(const std::vector<Crop>& crops, const std::vector<std::string>& groups, int folds,
                             uint64_t seed) {
  if (folds < 2) throw std::invalid_argument("cross-validation needs at least 2 folds");
  if (groups.size() != crops.size()) throw std::invalid_argument("group_folds: one group per crop");
  const size_t n = crops.size();
  // Crops of one named group, or with identical bytes, end up in one set.
  UnionFind uf(n);
  std::unordered_map<std::string, size_t> by_group, by_hash;
  for (size_t i = 0; i < n; ++i) {
    if (auto [it, fresh] = by_group.emplace(groups[i], i); !fresh) uf.join(i, it->second);
    if (auto [it, fresh] = by_hash.emplace(crops[i].sha256, i); !fresh) uf.join(i, it->second);
  }
  struct Set {
    std::vector<size_t> members;
    std::string key;  // sorted member hashes: the set's content, whatever its names
    bool spill = false;
  };
  std::map<size_t, Set> sets;
  for (size_t i = 0; i < n; ++i) {
    Set& s = sets[uf.find(i)];
    s.members.push_back(i);
    s.spill = s.spill || crops[i].label == 1;
  }
  std::vector<Set> all;
  for (auto& [root, s] : sets) {
    std::vector<std::string> h;
    for (size_t i : s.members) h.push_back(crops[i].sha256);
    std::sort(h.begin(), h.end());
    for (const auto& x : h) s.key += x;
    all.push_back(std::move(s));
  }
  if (all.size() < static_cast<size_t>(folds))
    throw std::invalid_argument("cross-validation: " + std::to_string(all.size()) + " group(s) cannot fill " +
                                std::to_string(folds) + " folds");
  std::sort(all.begin(), all.end(), [](const Set& a, const Set& b) { return a.key < b.key; });
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  std::stable_sort(all.begin(), all.end(),
                   [](const Set& a, const Set& b) { return a.members.size() > b.members.size(); });
  std::vector<int> fold(n, -1);
  std::vector<size_t> load_spill(static_cast<size_t>(folds), 0), load_normal(static_cast<size_t>(folds), 0);
  for (const auto& s : all) {
    auto& load = s.spill ? load_spill : load_normal;
    const size_t f = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[f] += s.members.size();
    for (size_t i : s.members) fold[i] = static_cast<int>(f);
  }
  return fold;
}

}  // namespace wellmonitor
