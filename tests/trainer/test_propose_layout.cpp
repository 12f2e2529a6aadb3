// `wellmonitor-trainer layout` proposes the wells of a frame.
//
// On the plant's frame (a committed copy at half size, 960x600, and the real
// 1920x1200 frame from ../shared/data when it is there) the proposed boxes are
// compared with the hand-made layout pipelines/casting-table.wells.txt, in
// frame pixels at 1920x1200: how many of its 42 wells have a proposed box whose
// centre lies within 6 px and whose width and height are within 5 px of the
// layout's, and that no proposed box is a false well (its centre more than
// 15 px from every well of the layout) and none is there twice. Measured now:
// on the real frame 42 boxes, all 42 wells within 6 px (largest centre error
// 5.4 px, size error 4 px; 33 within 4 px); on the half-size copy 41 boxes
// (r1w1, a rod in its cup, is not proposed), 38 within 6 px; no false well on
// either. The floors below hold that, so a change that finds fewer fails. The
// written layout is read back by the layout reader and the picture is written.

#include "support/subprocess.h"
#include "wellmonitor/layout.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using wellmonitor_test::run_process;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kTruth = kSource + "/pipelines/casting-table.wells.txt";
constexpr double kWithin = 6.0;   // centre, px at 1920x1200
constexpr double kSize = 5.0;     // width and height, px at 1920x1200
constexpr double kFalse = 15.0;   // a proposed centre this far from every well is a false well

struct Scored {
  int found = 0;         // wells of the layout with a proposed box within kWithin and kSize
  int false_wells = 0;   // proposed boxes farther than kFalse from every well
  size_t proposed = 0;
  double max_centre = 0, max_size = 0;  // over the wells found
};

Scored propose(const std::string& image, const fs::path& dir) {
  fs::create_directories(dir);
  const std::string out = (dir / "proposed.wells.txt").string(), pic = (dir / "proposed.png").string();
  const auto r = run_process(WELLMONITOR_TRAINER, {"layout", "--image", image, "--out", out, "--picture", pic},
                             dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(cv::imread(pic).empty());
  const auto proposed = wellmonitor::load_layout(out);
  const auto truth = wellmonitor::load_layout(kTruth);
  const double sx = static_cast<double>(truth.ref_width) / proposed.ref_width;
  const double sy = static_cast<double>(truth.ref_height) / proposed.ref_height;
  const auto centre_distance = [&](const auto& p, const auto& t) {
    return std::hypot((p.box.x + p.box.width / 2.0) * sx - (t.box.x + t.box.width / 2.0),
                      (p.box.y + p.box.height / 2.0) * sy - (t.box.y + t.box.height / 2.0));
  };
  Scored s;
  s.proposed = proposed.wells.size();
  for (const auto& t : truth.wells) {
    const wellmonitor::WellBox* best = nullptr;
    for (const auto& p : proposed.wells)
      if (!best || centre_distance(p, t) < centre_distance(*best, t)) best = &p;
    if (!best) continue;
    const double d = centre_distance(*best, t);
    const double size = std::max(std::abs(best->box.width * sx - t.box.width), std::abs(best->box.height * sy - t.box.height));
    if (d <= kWithin && size <= kSize) {
      ++s.found;
      s.max_centre = std::max(s.max_centre, d), s.max_size = std::max(s.max_size, size);
    }
  }
  for (const auto& p : proposed.wells) {
    double nearest = 1e9;
    for (const auto& t : truth.wells) nearest = std::min(nearest, centre_distance(p, t));
    s.false_wells += nearest > kFalse;
  }
  std::printf("%s: %zu wells proposed, %d of the layout's %zu within %.0f px (size within %.0f px; largest centre "
              "error %.1f, size error %.1f), %d false\n",
              image.c_str(), s.proposed, s.found, truth.wells.size(), kWithin, kSize, s.max_centre, s.max_size,
              s.false_wells);
  return s;
}

fs::path scratch(const char* name) {
  return fs::temp_directory_path() / ("wellmonitor-layout-" + std::string(name) + "-" + std::to_string(::getpid()));
}

TEST(ProposeLayout, FindsTheWellsOfTheHalfSizeFrame) {
  const fs::path dir = scratch("small");
  const auto s = propose(std::string(WELLMONITOR_TEST_DATA) + "/casting-table-960x600.jpg", dir);
  EXPECT_GE(s.found, 38);
  EXPECT_EQ(s.false_wells, 0);
  EXPECT_LE(s.proposed, 42u);  // no well twice
  fs::remove_all(dir);
}

TEST(ProposeLayout, FindsTheWellsOfThePlantsFrame) {
  const std::string frame = std::string(WELLMONITOR_SHARED_DATA) + "/frames/casting_table_1920x1200.png";
  if (!fs::exists(frame)) GTEST_SKIP() << "the plant's frame " << frame << " is missing (../shared/data)";
  const fs::path dir = scratch("full");
  const auto s = propose(frame, dir);
  EXPECT_EQ(s.found, 42);
  EXPECT_EQ(s.false_wells, 0);
  EXPECT_LE(s.proposed, 42u);  // no well twice
  fs::remove_all(dir);
}

TEST(ProposeLayout, ANonImageGivesOneLineNamingIt) {
  const fs::path dir = scratch("bad");
  fs::create_directories(dir);
  const std::string bad = std::string(WELLMONITOR_TEST_DATA) + "/bad/not_an_image.jpg";
  const auto r = run_process(WELLMONITOR_TRAINER, {"layout", "--image", bad}, dir.string());
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find(bad), std::string::npos);
  fs::remove_all(dir);
}

// A frame whose cups are too small to tell from the table (480x300: about 12 px
// wide) is refused with one line naming it and saying what to give instead,
// rather than answered with rows of noise.
TEST(ProposeLayout, AFrameWithTooSmallCupsIsRefusedWithOneLine) {
  const fs::path dir = scratch("tiny");
  fs::create_directories(dir);
  const std::string tiny = std::string(WELLMONITOR_TEST_DATA) + "/replay-frame.jpg";
  const auto r = run_process(WELLMONITOR_TRAINER, {"layout", "--image", tiny, "--out", (dir / "l.txt").string()},
                             dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find(tiny), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("full resolution"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "l.txt"));
  fs::remove_all(dir);
}

}  // namespace
