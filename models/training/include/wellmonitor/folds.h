// Group-wise cross-validation folds over labelled crops of other days.
//
// Crops of one near-duplicate group (one well over a few seconds) are nearly
// the same picture: a model that trained on one of them has as good as seen
// the others. Folds are therefore drawn by group, never by crop, and two
// groups that share a byte-identical crop count as one group.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "wellmonitor/dataset.h"

namespace wellmonitor {

// Reads a groups file: "<file name> <group>" per line (blank lines and lines
// starting with '#' ignored; a UTF-8 BOM skipped). Throws DataError naming the
// file and line for a malformed line or a name listed twice.
std::map<std::string, std::string> read_groups(const std::string& groups_file);

// A folder of labelled crops with their groups: "<dir>/imgs/", "<dir>/labels.txt"
// and "<dir>/groups.txt" (the layout of the plant's other-days sample). Every
// crop is kept (no deduplication: byte-identical crops tie their groups
// together instead). Throws DataError when a labelled crop has no group.
struct GroupedSet {
  std::vector<Crop> crops;
  std::vector<std::string> groups;  // groups[i]: crops[i]'s group as the file names it
};
GroupedSet load_grouped(const std::string& dir, const LoadOptions& options, LoadReport* report = nullptr);

// Fold (0..folds-1) of every crop. Groups joined by a byte-identical crop are
// merged first; a merged group is a spill group when any of its crops is a
// spill. Spill groups and normal groups are each dealt out separately, largest
// first, to the fold holding the fewest crops of that kind so far (ties: the
// lower fold), after a shuffle by `seed` of groups ordered by content, so the
// folds depend on the crops and the seed only, never on names or order.
// Throws std::invalid_argument when folds < 2 or there are fewer groups than folds.
std::vector<int> group_folds(const std::vector<Crop>& crops, const std::vector<std::string>& groups, int folds,
                             uint64_t seed);

}  // namespace wellmonitor
