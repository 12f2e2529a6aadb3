#include "wellmonitor/dataset.h"

#include "wellmonitor/errors.h"
#include "wellmonitor/file_io.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <unordered_set>

namespace fs = std::filesystem;

namespace wellmonitor {

bool is_image_file(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

std::optional<SpillName> parse_spill_name(const std::string& name) {
  static const std::regex re(
      R"(^(\d{1,6})_CAM_[A-Za-z0-9]+_(\d{2})-(\d{2})-(\d{4})_(\d{2})-(\d{2})-(\d{2})-(\d{3})\.[A-Za-z]+$)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return std::nullopt;
  auto num = [&](int i) { return std::stoll(m[i].str()); };
  const int64_t day = num(2), month = num(3), year = num(4);
  const int64_t h = num(5), min = num(6), sec = num(7), ms = num(8);
  if (day < 1 || day > 31 || month < 1 || month > 12 || h > 23 || min > 59 || sec > 59) return std::nullopt;
  SpillName s;
  s.well = static_cast<int>(num(1));
  s.time_ms = ((h * 60 + min) * 60 + sec) * 1000 + ms;
  s.day = (year * 12 + (month - 1)) * 31 + (day - 1);
  return s;
}

namespace {

uint32_t be32(const unsigned char* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }
uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

std::optional<cv::Size> image_header_size(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  // PNG: signature, then the IHDR chunk's width and height.
  if (n >= 24 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(p + 12, "IHDR", 4) == 0)
    return cv::Size(static_cast<int>(std::min<uint32_t>(be32(p + 16), INT32_MAX)),
                    static_cast<int>(std::min<uint32_t>(be32(p + 20), INT32_MAX)));
  // BMP: BITMAPINFOHEADER width and height (negative height: top-down rows).
  if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
    int32_t w = 0, h = 0;
    std::memcpy(&w, p + 18, 4);
    std::memcpy(&h, p + 22, 4);
    const int64_t aw = std::abs(static_cast<int64_t>(w)), ah = std::abs(static_cast<int64_t>(h));
    return cv::Size(static_cast<int>(std::min<int64_t>(aw, INT32_MAX)), static_cast<int>(std::min<int64_t>(ah, INT32_MAX)));
  }
  // JPEG: walk the markers to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).
  if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
    size_t i = 2;
    while (i + 4 <= n) {
      if (p[i] != 0xFF) return std::nullopt;
      const unsigned char marker = p[i + 1];
      if (marker == 0xFF) {  // fill byte
        ++i;
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
        i += 2;
        continue;
      }
      const size_t len = be16(p + i + 2);
      if (len < 2) return std::nullopt;
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        if (i + 9 > n) return std::nullopt;
        return cv::Size(be16(p + i + 7), be16(p + i + 5));
      }
      if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan data before any frame header
      i += 2 + len;
    }
  }
  return std::nullopt;
}

namespace {

std::string size_text(const cv::Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

}  // namespace

bool decode_crop(const std::string& bytes, cv::Mat& image, std::string& why) {
  image.release();
  if (bytes.empty()) {
    why = "empty file";
    return false;
  }
  if (bytes.size() > kMaxCropFileBytes) {
    why = "file is " + std::to_string(bytes.size()) + " bytes, over the " + describe_size(kMaxCropFileBytes) + " limit";
    return false;
  }
  const std::string too_large = " is larger than the " + std::to_string(kMaxCropSide) + "x" +
                                std::to_string(kMaxCropSide) + " a crop may be";
  // Refused from the header where it can be read, before decoding allocates.
  if (const auto s = image_header_size(bytes); s && (s->width > kMaxCropSide || s->height > kMaxCropSide)) {
    why = "image of " + size_text(*s) + too_large;
    return false;
  }
  try {
    image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())),
                         cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    image.release();
  }
  if (image.empty()) {
    why = "not a readable image";
    return false;
  }
  if (image.cols > kMaxCropSide || image.rows > kMaxCropSide) {
    why = "image of " + size_text(image.size()) + too_large;
    image.release();
    return false;
  }
  return true;
}

namespace {

// Reads and decodes one file; returns false with `why` when it is no image.
bool read_crop(const fs::path& path, Crop& crop, std::string& why) {
  std::string bytes;
  if (!read_regular_file(path.string(), kMaxCropFileBytes, bytes, why)) return false;
  if (!decode_crop(bytes, crop.image, why)) return false;
  crop.path = path.string();
  crop.name = path.filename().string();
  crop.sha256 = sha256_hex(bytes.data(), bytes.size());
  if (auto s = parse_spill_name(crop.name)) {
    crop.group = s->well;
    crop.time_ms = s->time_ms;
  }
  return true;
}

void add_crop(std::vector<Crop>& out, std::unordered_set<std::string>& seen, Crop&& crop,
              const LoadOptions& options, LoadReport& report) {
  if (options.dedup && !seen.insert(crop.sha256).second) {
    ++report.duplicates;
    return;
  }
  out.push_back(std::move(crop));
}

void handle_bad(const std::string& file, const std::string& why, const LoadOptions& options, LoadReport& report) {
  if (!options.skip_bad) throw DataError(file + ": " + why + " (use --skip-bad to skip unreadable files)");
  report.bad.push_back(fs::path(file).filename().string() + ": " + why);
}

}  // namespace

std::vector<Crop> load_folder(const std::string& dir, int label, const LoadOptions& options, LoadReport* report_out) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError(dir + ": no such folder");
  if (!fs::is_directory(dir, ec)) throw DataError(dir + ": not a folder");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && is_image_file(e.path().filename().string())) files.push_back(e.path());
  if (ec) throw DataError(dir + ": cannot list folder (" + ec.message() + ")");
  if (files.empty()) throw DataError(dir + ": no image files (.jpg, .jpeg, .png, .bmp) in folder");
  std::sort(files.begin(), files.end());
  LoadReport report;
  std::vector<Crop> out;
  std::unordered_set<std::string> seen;
  for (const auto& p : files) {
    ++report.files;
    Crop crop;
    std::string why;
    if (!read_crop(p, crop, why)) {
      handle_bad(p.string(), why, options, report);
      continue;
    }
    crop.label = label;
    add_crop(out, seen, std::move(crop), options, report);
  }
  if (out.empty()) throw DataError(dir + ": no readable image in folder");
  report.loaded = out.size();
  if (report_out) *report_out = report;
  return out;
}

std::vector<Crop> load_labelled(const std::string& dir, const std::string& labels_file, const LoadOptions& options,
                                LoadReport* report_out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw DataError(dir + ": no such folder");
  LoadReport report;
  std::vector<Crop> out;
  std::unordered_set<std::string> seen;
  std::set<std::string> names;
  for (const auto& [line_no, name, label] : read_name_value_lines(labels_file, "labels", "<file name> <0|1>")) {
    const std::string where = labels_file + ":" + std::to_string(line_no) + ": ";
    if (label != "0" && label != "1") throw DataError(where + "label must be 0 or 1, got '" + printable(label) + "'");
    // Names are read inside the images folder only.
    const fs::path rel(name);
    if (rel.is_absolute() || std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; }))
      throw DataError(where + "'" + printable(name) + "' is not a file name inside " + dir + " (no absolute paths, no '..')");
    if (!names.insert(name).second) throw DataError(where + "'" + printable(name) + "' is listed twice");
    const fs::path p = fs::path(dir) / name;
    if (!fs::exists(p, ec)) throw DataError(where + "no file '" + printable(name) + "' in " + dir);
    ++report.files;
    Crop crop;
    std::string why;
    if (!read_crop(p, crop, why)) {
      handle_bad(p.string(), why, options, report);
      continue;
    }
    crop.label = label == "1" ? 1 : 0;
    add_crop(out, seen, std::move(crop), options, report);
  }
  if (out.empty()) throw DataError(labels_file + ": no labelled images");
  report.loaded = out.size();
  if (report_out) *report_out = report;
  return out;
}

std::vector<NameValueLine> read_name_value_lines(const std::string& file, const std::string& what,
                                                const std::string& expected) {
  std::string text, why;
  if (!read_regular_file(file, kMaxLabelsFileBytes, text, why))
    throw DataError(file + ": cannot read " + what + " file: " + why);
  skip_utf8_bom(text);  // editors on Windows write one
  std::istringstream f(text);
  std::vector<NameValueLine> out;
  std::string line;
  int line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream in(line);
    std::string name, value, extra;
    if (!(in >> name >> value) || (in >> extra))
      throw DataError(file + ":" + std::to_string(line_no) + ": expected '" + expected + "', got '" + printable(line) + "'");
    out.push_back({line_no, name, value});
  }
  return out;
}

size_t drop_ambiguous(std::vector<Crop>& normal, std::vector<Crop>& spills) {
  std::unordered_set<std::string> n, both;
  for (const auto& c : normal) n.insert(c.sha256);
  for (const auto& c : spills)
    if (n.count(c.sha256)) both.insert(c.sha256);
  auto drop = [&](std::vector<Crop>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Crop& c) { return both.count(c.sha256) > 0; }), v.end());
  };
  drop(normal);
  drop(spills);
  return both.size();
}

namespace {
std::vector<size_t> hash_order(const std::vector<Crop>& crops, uint64_t seed) {
  std::vector<size_t> idx(crops.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return crops[a].sha256 != crops[b].sha256 ? crops[a].sha256 < crops[b].sha256 : crops[a].name < crops[b].name;
  });
  std::mt19937_64 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  return idx;
}

size_t part_size(size_t n, double fraction) {
  if (fraction <= 0.0 || n == 0) return 0;
  return std::max<size_t>(1, static_cast<size_t>(std::llround(fraction * static_cast<double>(n))));
}
}  // namespace

NormalSplit split_normals(const std::vector<Crop>& crops, const SplitFractions& fr, uint64_t seed) {
  if (fr.val < 0 || fr.calib < 0 || fr.test < 0 || fr.val + fr.calib + fr.test >= 1.0)
    throw std::invalid_argument("split fractions must be >= 0 and leave crops for training");
  const auto idx = hash_order(crops, seed);
  const size_t n = idx.size();
  const size_t n_test = part_size(n, fr.test), n_calib = part_size(n, fr.calib), n_val = part_size(n, fr.val);
  if (n_test + n_calib + n_val >= n)
    throw std::invalid_argument("too few normal crops (" + std::to_string(n) + ") to split into training, "
                                "validation, calibration and test parts");
  NormalSplit s;
  size_t i = 0;
  for (; i < n_test; ++i) s.test.push_back(idx[i]);
  for (; i < n_test + n_calib; ++i) s.calib.push_back(idx[i]);
  for (; i < n_test + n_calib + n_val; ++i) s.val.push_back(idx[i]);
  for (; i < n; ++i) s.train.push_back(idx[i]);
  return s;
}

SpillSplit split_spills_by_well(const std::vector<Crop>& crops, double test_fraction, uint64_t seed) {
  if (test_fraction < 0.0 || test_fraction > 1.0) throw std::invalid_argument("spill test fraction must be in [0, 1]");
  // Group key: the well, or a unique negative key per crop without one.
  std::map<int, std::vector<size_t>> groups;
  int anonymous = -1;
  for (size_t i = 0; i < crops.size(); ++i) groups[crops[i].group >= 0 ? crops[i].group : anonymous--].push_back(i);
  std::vector<int> keys;
  for (const auto& [k, v] : groups) keys.push_back(k);
  std::mt19937_64 rng(seed ^ 0x5eedf00dULL);
  std::shuffle(keys.begin(), keys.end(), rng);
  size_t n_test = static_cast<size_t>(std::llround(test_fraction * static_cast<double>(keys.size())));
  if (test_fraction > 0 && n_test == 0 && keys.size() > 1) n_test = 1;
  SpillSplit s;
  for (size_t k = 0; k < keys.size(); ++k) {
    auto& part = k < n_test ? s.test : s.calib;
    auto& wells = k < n_test ? s.test_wells : s.calib_wells;
    part.insert(part.end(), groups[keys[k]].begin(), groups[keys[k]].end());
    if (keys[k] >= 0) wells.push_back(keys[k]);
  }
  std::sort(s.calib_wells.begin(), s.calib_wells.end());
  std::sort(s.test_wells.begin(), s.test_wells.end());
  return s;
}

}  // namespace wellmonitor
