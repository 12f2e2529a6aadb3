// Well layout files: the wells of one camera and their boxes.
//
// Text, one statement per line; '#' starts a comment:
//   reference <width> <height>        the resolution the boxes are given in (first statement)
//   well <id> <x> <y> <width> <height> one well's box in reference pixels
// Ids are unique, boxes lie inside the reference frame. Boxes scale with the
// stream's resolution. A layout names at most kMaxWells wells; a layout file
// is a regular file of at most 1 MiB (kMaxLayoutFileBytes). A UTF-8 byte
// order mark at its start is skipped.
#pragma once

#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace wellmonitor {

// The most wells one layout may name: every well is scored on every analysed
// frame, so this bounds the work and memory per frame.
constexpr size_t kMaxWells = 256;

// what() is "<file>:<line>: well '<id>': <reason>" (the parts that apply).
class LayoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WellBox {
  std::string id;
  cv::Rect box;   // in reference pixels
  int line = 0;   // where the file defines it
};

struct WellLayout {
  std::string origin;  // file name, for messages
  int ref_width = 0;
  int ref_height = 0;
  std::vector<WellBox> wells;

  // The boxes scaled to a frame of the given size, clipped to the frame, in layout order.
  std::vector<cv::Rect> scaled(int frame_width, int frame_height) const;
  std::string to_text() const;
};

WellLayout parse_layout(const std::string& text, const std::string& origin);

// The layout's boxes in a frame_width x frame_height frame, or an empty list
// and `why` ("well 'r1w1' of layout 'x.wells' has no pixels in a 64x40 frame
// (scaled box ...)") when a well has no pixels there.
std::vector<cv::Rect> place_wells(const WellLayout& layout, int frame_width, int frame_height, std::string& why);
WellLayout load_layout(const std::string& path);  // throws LayoutError

}  // namespace wellmonitor
