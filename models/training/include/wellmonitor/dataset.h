// Folders of crops, labels files, deduplication and the held-out splits.
#pragma once

#include "wellmonitor/file_io.h"  // sha256_hex

#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace wellmonitor {

// Bad input data (missing folder, unreadable image, bad labels line); what()
// is one line that names the file (and line) and the reason.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Crop {
  std::string path;    // full path
  std::string name;    // file name
  std::string sha256;  // of the file's bytes
  cv::Mat image;       // decoded, 8-bit BGR
  int label = 0;       // 1 = spill
  int group = -1;      // spill: the well number from the file name; -1 unknown
  int64_t time_ms = -1;  // spill: capture time of day from the file name; -1 unknown
};

struct LoadOptions {
  bool skip_bad = false;  // count unreadable files as warnings instead of failing
  bool dedup = true;      // keep the first of byte-identical files (by SHA-256)
};

struct LoadReport {
  size_t files = 0;       // image files seen
  size_t loaded = 0;      // crops kept
  size_t duplicates = 0;  // dropped as byte-identical to a kept crop
  std::vector<std::string> bad;  // "name: reason" of files skipped with skip_bad
};

// Limits on one crop file: its size, and its width and height (checked from
// the header before decoding for PNG, BMP and JPEG, after decoding otherwise).
constexpr uint64_t kMaxCropFileBytes = 64ull << 20;  // 64 MiB
constexpr int kMaxCropSide = 4096;

// Width and height from a PNG, BMP or JPEG header, without decoding;
// nullopt for other or unreadable headers.
std::optional<cv::Size> image_header_size(const std::string& bytes);

// Decodes the bytes of one crop file into 8-bit BGR `image` with the limits
// above (the side checked from the header where it can be, before decoding).
// Returns false with `why` ("empty file", "not a readable image", "image of
// 5000x10 is larger than ...") when they are no crop.
bool decode_crop(const std::string& bytes, cv::Mat& image, std::string& why);

// True for the image extensions the loader reads (.jpg .jpeg .png .bmp, any case).
bool is_image_file(const std::string& name);

// Reads every image in `dir` (not recursive), sorted by name. Throws DataError
// when the folder is missing or holds no image, or (without skip_bad) when a
// file cannot be decoded.
std::vector<Crop> load_folder(const std::string& dir, int label, const LoadOptions& options,
                              LoadReport* report = nullptr);

// Reads a labels file ("<file name> <0|1>" per line; blank lines and lines
// starting with '#' are ignored; a UTF-8 byte order mark is skipped) and the
// named images from `dir`. Throws DataError naming the line for a malformed
// line, a missing file or a name that leads outside `dir` (absolute, or with
// a '..' part). The labels file is a regular file of at most 64 MiB.
std::vector<Crop> load_labelled(const std::string& dir, const std::string& labels_file,
                                const LoadOptions& options, LoadReport* report = nullptr);

// The lines of a two-column text file ("<file name> <value>": labels, groups),
// blank lines and lines starting with '#' skipped, a UTF-8 BOM skipped; a
// regular file of at most 64 MiB. Throws DataError naming the file (and line)
// for an unreadable file or a line that is not two fields (`expected` shows the
// form in the message).
struct NameValueLine {
  int line = 0;
  std::string name, value;
};
std::vector<NameValueLine> read_name_value_lines(const std::string& file, const std::string& what,
                                                const std::string& expected);

// "<well>_CAM_<cam>_<dd-mm-yyyy>_<HH-MM-SS-mmm>.jpg", the dataset's spill
// names -> the well and when. The one reader of those names (the trainer's
// folds and the replay tool use it). Out-of-range dates and times do not parse.
struct SpillName {
  int well = -1;
  int64_t time_ms = -1;  // time of day in milliseconds
  int64_t day = -1;      // the date as a day number that orders dates (not a calendar count)
  // date and time together, for ordering captures across days
  int64_t ordering_ms() const { return day * 86400000 + time_ms; }
};
std::optional<SpillName> parse_spill_name(const std::string& name);

// Removes from both sets every crop whose bytes appear in both (ambiguous
// labels); returns how many distinct images were removed.
size_t drop_ambiguous(std::vector<Crop>& normal, std::vector<Crop>& spills);

// Held-out splits. Crops are ordered by content hash and shuffled with the
// seed, so a split depends only on the set of crops and the seed, never on
// file names or folder order.
struct NormalSplit {
  std::vector<size_t> train, val, calib, test;  // indices into the crops
};
struct SplitFractions {
  double val = 0.05;    // early stopping
  double calib = 0.10;  // threshold calibration
  double test = 0.10;   // validation figures
};
NormalSplit split_normals(const std::vector<Crop>& crops, const SplitFractions& fractions, uint64_t seed);

// Spills are held out by well: every crop of one well lands on the same side.
// Crops without a well number form one group each.
struct SpillSplit {
  std::vector<size_t> calib, test;
  std::vector<int> calib_wells, test_wells;
};
SpillSplit split_spills_by_well(const std::vector<Crop>& crops, double test_fraction, uint64_t seed);

}  // namespace wellmonitor
