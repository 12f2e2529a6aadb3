// libFuzzer harness: the well layout parser (wellmonitor::parse_layout).
//
// Any text must either parse into a layout that keeps its own invariants
// (at most kMaxWells wells, boxes inside the reference frame, to_text() parses
// back to the same layout, scaled boxes inside the frame) or be refused with
// one LayoutError line.
#include "fuzz_common.h"
#include "wellmonitor/layout.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using wellmonitor::LayoutError;
using wellmonitor::WellLayout;

static void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "layout invariant broken: %s\n", what);
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  WellLayout layout;
  try {
    layout = wellmonitor::parse_layout(text, "fuzz.wells");
  } catch (const LayoutError& e) {
    wellmonitor_fuzz::check_one_line(e.what());
    return 0;
  }
  require(layout.wells.size() <= wellmonitor::kMaxWells, "too many wells");
  require(layout.ref_width > 0 && layout.ref_height > 0, "reference size not positive");
  for (const auto& w : layout.wells) {
    require(w.box.x >= 0 && w.box.y >= 0 && w.box.width > 0 && w.box.height > 0, "box not positive");
    require(w.box.x + w.box.width <= layout.ref_width && w.box.y + w.box.height <= layout.ref_height,
            "box outside the reference frame");
  }
  const WellLayout again = wellmonitor::parse_layout(layout.to_text(), "again");
  require(again.ref_width == layout.ref_width && again.ref_height == layout.ref_height, "to_text changes reference");
  require(again.wells.size() == layout.wells.size(), "to_text changes the wells");
  for (size_t i = 0; i < again.wells.size(); ++i)
    require(again.wells[i].id == layout.wells[i].id && again.wells[i].box == layout.wells[i].box,
            "to_text changes a well");
  // Scaled to a few stream sizes, including ones smaller than a box.
  const int sizes[][2] = {{1, 1}, {3, 2}, {layout.ref_width, layout.ref_height}, {1920, 1200}, {4096, 4096}};
  for (const auto& s : sizes) {
    for (const auto& r : layout.scaled(s[0], s[1]))
      require(r.x >= 0 && r.y >= 0 && r.width >= 0 && r.height >= 0 && r.x + r.width <= s[0] &&
                  r.y + r.height <= s[1],
              "scaled box outside the frame");
  }
  return 0;
}
