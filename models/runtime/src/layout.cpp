// Well layout files: parser, scaling and serialisation (format in layout.h).
#include "wellmonitor/layout.h"

#include "wellmonitor/errors.h"
#include "wellmonitor/file_io.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace wellmonitor {

namespace {

// "<origin>:<line>: well '<id>': <reason>", leaving out the parts that do not apply.
[[noreturn]] void fail(const std::string& origin, int line, const std::string& well,
                       const std::string& reason) {
  std::string msg = origin.empty() ? std::string("<layout>") : origin;
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  if (!well.empty()) msg += "well '" + printable(well) + "': ";
  msg += reason;
  throw LayoutError(msg);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

// A whole field as a decimal integer; no sign other than '-', no trailing characters.
std::optional<int> to_int(const std::string& s) {
  int value = 0;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return value;
}

// Ids end up in bus messages, metas and CSV files: keep them to a safe alphabet.
bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
  });
}

// Round-half-up of v * num / den for non-negative v, in 64 bits (no overflow for any int).
int scale_edge(int v, int num, int den) {
  const int64_t n = static_cast<int64_t>(v) * num * 2 + den;
  return static_cast<int>(n / (2 * static_cast<int64_t>(den)));
}

}  // namespace

std::vector<cv::Rect> WellLayout::scaled(int frame_width, int frame_height) const {
  if (frame_width <= 0 || frame_height <= 0)
    throw std::invalid_argument("WellLayout::scaled: frame size must be positive, got " +
                                std::to_string(frame_width) + "x" + std::to_string(frame_height));
  if (ref_width <= 0 || ref_height <= 0)
    throw std::invalid_argument("WellLayout::scaled: layout has no reference size");
  const cv::Rect frame(0, 0, frame_width, frame_height);
  std::vector<cv::Rect> out;
  out.reserve(wells.size());
  for (const auto& w : wells) {
    // Scale the edges, not origin and size: boxes that touch keep touching, and a box
    // that ends on the reference frame's edge ends on the frame's edge.
    int x0 = scale_edge(std::max(w.box.x, 0), frame_width, ref_width);
    int y0 = scale_edge(std::max(w.box.y, 0), frame_height, ref_height);
    int x1 = scale_edge(std::max(w.box.x + w.box.width, 0), frame_width, ref_width);
    int y1 = scale_edge(std::max(w.box.y + w.box.height, 0), frame_height, ref_height);
    // A downscale never collapses a box to nothing: keep at least one pixel.
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    cv::Rect r = cv::Rect(x0, y0, x1 - x0, y1 - y0) & frame;
    if (r.empty()) {
      // Only possible for a box on the very last row/column: pin it inside.
      r = cv::Rect(std::min(x0, frame_width - 1), std::min(y0, frame_height - 1), 1, 1);
    }
    out.push_back(r);
  }
  return out;
}

std::string WellLayout::to_text() const {
  std::ostringstream out;
  out << "reference " << ref_width << ' ' << ref_height << '\n';
  for (const auto& w : wells)
    out << "well " << w.id << ' ' << w.box.x << ' ' << w.box.y << ' ' << w.box.width << ' '
        << w.box.height << '\n';
  return out.str();
}

WellLayout parse_layout(const std::string& text, const std::string& origin) {
  WellLayout layout;
  layout.origin = origin;
  int reference_line = 0;
  std::map<std::string, int> id_lines;

  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (line_no == 1) skip_utf8_bom(raw);  // editors on Windows write one
    if (const auto hash = raw.find('#'); hash != std::string::npos) raw.erase(hash);
    const auto fields = split_fields(raw);  // also drops a trailing '\r'
    if (fields.empty()) continue;
    const std::string& keyword = fields[0];

    if (keyword == "reference") {
      if (reference_line != 0)
        fail(origin, line_no, "",
             "duplicate 'reference' (first given on line " + std::to_string(reference_line) + ")");
      if (fields.size() != 3)
        fail(origin, line_no, "", "expected 'reference <width> <height>'");
      const auto w = to_int(fields[1]);
      const auto h = to_int(fields[2]);
      if (!w || !h)
        fail(origin, line_no, "",
             "reference size must be two integers, got '" + printable(fields[1]) + " " + printable(fields[2]) + "'");
      if (*w <= 0 || *h <= 0)
        fail(origin, line_no, "",
             "reference size must be positive, got " + printable(fields[1]) + "x" + printable(fields[2]));
      layout.ref_width = *w;
      layout.ref_height = *h;
      reference_line = line_no;
    } else if (keyword == "well") {
      const std::string id = fields.size() > 1 ? fields[1] : std::string();
      if (fields.size() != 6)
        fail(origin, line_no, id, "expected 'well <id> <x> <y> <width> <height>', got " +
                                      std::to_string(fields.size() - 1) + " field(s) after 'well'");
      if (!valid_id(id))
        fail(origin, line_no, id,
             "bad id (use 1-64 of the characters A-Z a-z 0-9 _ - .)");
      int v[4];
      for (int i = 0; i < 4; ++i) {
        const auto n = to_int(fields[2 + i]);
        if (!n)
          fail(origin, line_no, id, "'" + printable(fields[2 + i]) + "' is not an integer (x y width height)");
        v[i] = *n;
      }
      if (reference_line == 0)
        fail(origin, line_no, id,
             "missing 'reference <width> <height>' before the first well");
      if (v[2] <= 0 || v[3] <= 0)
        fail(origin, line_no, id,
             "box size must be positive, got " + std::to_string(v[2]) + "x" + std::to_string(v[3]));
      const cv::Rect box(v[0], v[1], v[2], v[3]);
      if (box.x < 0 || box.y < 0 ||
          static_cast<int64_t>(box.x) + box.width > layout.ref_width ||
          static_cast<int64_t>(box.y) + box.height > layout.ref_height)
        fail(origin, line_no, id,
             "box " + std::to_string(box.x) + "," + std::to_string(box.y) + " " +
                 std::to_string(box.width) + "x" + std::to_string(box.height) +
                 " lies outside the " + std::to_string(layout.ref_width) + "x" +
                 std::to_string(layout.ref_height) + " reference frame");
      if (layout.wells.size() >= kMaxWells)
        fail(origin, line_no, id, "more than " + std::to_string(kMaxWells) + " wells (the most a layout may name)");
      const auto [it, inserted] = id_lines.emplace(id, line_no);
      if (!inserted)
        fail(origin, line_no, id,
             "duplicate id (first defined on line " + std::to_string(it->second) + ")");
      layout.wells.push_back(WellBox{id, box, line_no});
    } else {
      fail(origin, line_no, "",
           "unknown statement '" + printable(keyword) + "' (expected 'reference' or 'well')");
    }
  }

  if (reference_line == 0)
    fail(origin, 0, "", "empty layout: no 'reference <width> <height>' and no wells");
  if (layout.wells.empty())
    fail(origin, reference_line, "", "layout has no wells (add 'well <id> <x> <y> <w> <h>' lines)");
  return layout;
}

WellLayout load_layout(const std::string& path) {
  std::string text, why;
  if (!read_regular_file(path, kMaxLayoutFileBytes, text, why)) fail(path, 0, "", "cannot read layout file: " + why);
  return parse_layout(text, path);
}

std::vector<cv::Rect> place_wells(const WellLayout& layout, int w, int h, std::string& why) {
  std::vector<cv::Rect> boxes = layout.scaled(w, h);
  if (boxes.size() != layout.wells.size()) {
    why = "the layout returned the wrong number of boxes";
    return {};
  }
  for (size_t i = 0; i < boxes.size(); i++) {
    const cv::Rect& b = boxes[i];
    if (b.width < 1 || b.height < 1 || b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) {
      why = "well '" + layout.wells[i].id + "' of layout '" + layout.origin + "' has no pixels in a " +
            std::to_string(w) + "x" + std::to_string(h) + " frame (scaled box " + std::to_string(b.x) + "," +
            std::to_string(b.y) + " " + std::to_string(b.width) + "x" + std::to_string(b.height) + ")";
      return {};
    }
  }
  return boxes;
}

}  // namespace wellmonitor
