// Well layout files: parsing, error messages, scaling, and the plant's real layout.
#include "wellmonitor/layout.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#ifndef WELLMONITOR_SOURCE_DIR
#define WELLMONITOR_SOURCE_DIR "."
#endif

using wellmonitor::LayoutError;
using wellmonitor::load_layout;
using wellmonitor::parse_layout;
using wellmonitor::WellLayout;

namespace {

// The message of the LayoutError that parsing `text` throws ("" when none is thrown).
std::string error_of(const std::string& text, const std::string& origin = "t.wells") {
  try {
    parse_layout(text, origin);
  } catch (const LayoutError& e) {
    return e.what();
  }
  return "";
}

::testing::AssertionResult mentions(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << message << "' does not mention '" << part << "'";
}

const std::string kPlantLayout = WELLMONITOR_SOURCE_DIR "/pipelines/casting-table.wells.txt";

}  // namespace

TEST(Layout, ParsesReferenceWellsCommentsAndBlankLines) {
  const auto layout = parse_layout(
      "# a comment line\n"
      "\n"
      "reference 1920 1200   # trailing comment\n"
      "well a1 10 20 90 53\n"
      "   well\tb-2.x   100 200 30 40\r\n",
      "mem");
  EXPECT_EQ(layout.origin, "mem");
  EXPECT_EQ(layout.ref_width, 1920);
  EXPECT_EQ(layout.ref_height, 1200);
  ASSERT_EQ(layout.wells.size(), 2u);
  EXPECT_EQ(layout.wells[0].id, "a1");
  EXPECT_EQ(layout.wells[0].box, cv::Rect(10, 20, 90, 53));
  EXPECT_EQ(layout.wells[0].line, 4);
  EXPECT_EQ(layout.wells[1].id, "b-2.x");
  EXPECT_EQ(layout.wells[1].box, cv::Rect(100, 200, 30, 40));
  EXPECT_EQ(layout.wells[1].line, 5);
}

TEST(Layout, ScaledHalvesBoxesForAHalfSizeFrame) {
  const auto layout = parse_layout("reference 1920 1200\nwell a 100 200 90 54\nwell b 0 0 2 2\n", "m");
  const auto boxes = layout.scaled(960, 600);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0], cv::Rect(50, 100, 45, 27));
  EXPECT_EQ(boxes[1], cv::Rect(0, 0, 1, 1));
  // Same size: unchanged.
  EXPECT_EQ(layout.scaled(1920, 1200)[0], cv::Rect(100, 200, 90, 54));
}

TEST(Layout, ScaledRoundsEdgesSoTouchingBoxesStayTouching) {
  // Odd coordinates at a scale of 2/3: each edge rounds on its own, so a box that
  // ends where the next begins still ends there, and the sizes follow the edges.
  const auto layout =
      parse_layout("reference 300 300\nwell a 1 1 100 50\nwell b 101 1 100 50\n", "m");
  const auto boxes = layout.scaled(200, 200);
  EXPECT_EQ(boxes[0].x + boxes[0].width, boxes[1].x);
  EXPECT_EQ(boxes[0], cv::Rect(1, 1, 66, 33));   // x edges 0.67->1, 67.33->67; y 0.67->1, 34
  EXPECT_EQ(boxes[1], cv::Rect(67, 1, 67, 33));  // x edges 67.33->67, 134
  // Halves round up: 1 * 1/2 = 0.5 -> 1.
  EXPECT_EQ(parse_layout("reference 2 2\nwell a 1 1 1 1\n", "m").scaled(1, 1)[0], cv::Rect(0, 0, 1, 1));
}

TEST(Layout, ScaledUpscalesAndKeepsBoxesInsideTheFrame) {
  const auto layout = parse_layout("reference 100 50\nwell edge 90 40 10 10\nwell tiny 0 0 1 1\n", "m");
  // Upscale by 3: the box ending on the reference edge ends on the frame edge.
  auto boxes = layout.scaled(300, 150);
  EXPECT_EQ(boxes[0], cv::Rect(270, 120, 30, 30));
  // Downscale by 10: a 1-px box keeps one pixel; nothing leaves the frame.
  boxes = layout.scaled(10, 5);
  for (const auto& b : boxes) {
    EXPECT_GE(b.width, 1);
    EXPECT_GE(b.height, 1);
    EXPECT_EQ(b & cv::Rect(0, 0, 10, 5), b);
  }
  // A different aspect ratio scales x and y apart.
  boxes = layout.scaled(200, 200);
  EXPECT_EQ(boxes[0], cv::Rect(180, 160, 20, 40));
}

TEST(Layout, ScaledRejectsAnEmptyFrame) {
  const auto layout = parse_layout("reference 10 10\nwell a 0 0 5 5\n", "m");
  EXPECT_THROW(layout.scaled(0, 10), std::invalid_argument);
}

TEST(Layout, ToTextRoundTrips) {
  const auto layout = parse_layout("reference 640 480\nwell x 1 2 3 4\nwell y 5 6 7 8\n", "m");
  const auto again = parse_layout(layout.to_text(), "again");
  EXPECT_EQ(again.ref_width, 640);
  EXPECT_EQ(again.ref_height, 480);
  ASSERT_EQ(again.wells.size(), 2u);
  EXPECT_EQ(again.wells[1].id, "y");
  EXPECT_EQ(again.wells[1].box, cv::Rect(5, 6, 7, 8));
}

TEST(LayoutErrors, BadSyntaxNamesFileLineAndWell) {
  std::string e = error_of("reference 100 100\nwell a 1 2 3\n");
  EXPECT_TRUE(mentions(e, "t.wells:2:"));
  EXPECT_TRUE(mentions(e, "well 'a'"));
  e = error_of("reference 100 100\n\nwell b 1 2 three 4\n");
  EXPECT_TRUE(mentions(e, "t.wells:3:"));
  EXPECT_TRUE(mentions(e, "well 'b'"));
  EXPECT_TRUE(mentions(e, "'three' is not an integer"));
  e = error_of("reference 100 100\nwell c 1.5 2 3 4\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'c'"));
  e = error_of("reference 100 100\nwell d/e 1 2 3 4\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'd/e': bad id"));
  e = error_of("reference 100\nwell a 1 2 3 4\n");
  EXPECT_TRUE(mentions(e, "t.wells:1:"));
  EXPECT_TRUE(mentions(e, "reference"));
  e = error_of("reference wide 100\nwell a 1 2 3 4\n");
  EXPECT_TRUE(mentions(e, "t.wells:1:"));
}

TEST(LayoutErrors, UnknownStatement) {
  const auto e = error_of("reference 100 100\nwell a 0 0 5 5\nbox b 0 0 5 5\n");
  EXPECT_TRUE(mentions(e, "t.wells:3:"));
  EXPECT_TRUE(mentions(e, "unknown statement 'box'"));
}

TEST(LayoutErrors, MissingReference) {
  const auto e = error_of("# no reference\nwell a 0 0 5 5\n");
  EXPECT_TRUE(mentions(e, "t.wells:2:"));
  EXPECT_TRUE(mentions(e, "well 'a'"));
  EXPECT_TRUE(mentions(e, "missing 'reference"));
}

TEST(LayoutErrors, DuplicateReference) {
  const auto e = error_of("reference 100 100\nwell a 0 0 5 5\nreference 200 200\n");
  EXPECT_TRUE(mentions(e, "t.wells:3:"));
  EXPECT_TRUE(mentions(e, "duplicate 'reference'"));
  EXPECT_TRUE(mentions(e, "line 1"));
}

TEST(LayoutErrors, NonPositiveReference) {
  EXPECT_TRUE(mentions(error_of("reference 0 100\nwell a 0 0 5 5\n"), "t.wells:1:"));
}

TEST(LayoutErrors, EmptyLayout) {
  EXPECT_TRUE(mentions(error_of(""), "t.wells: empty layout"));
  EXPECT_TRUE(mentions(error_of("# only a comment\n\n"), "t.wells: empty layout"));
  const auto e = error_of("reference 100 100\n# no wells\n");
  EXPECT_TRUE(mentions(e, "t.wells:1:"));
  EXPECT_TRUE(mentions(e, "no wells"));
}

TEST(LayoutErrors, BoxOutsideTheReferenceFrame) {
  std::string e = error_of("reference 100 100\nwell ok 0 0 10 10\nwell far 95 0 10 10\n");
  EXPECT_TRUE(mentions(e, "t.wells:3: well 'far'"));
  EXPECT_TRUE(mentions(e, "outside the 100x100 reference frame"));
  e = error_of("reference 100 100\nwell neg -1 0 10 10\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'neg'"));
  e = error_of("reference 100 100\nwell low 0 91 10 10\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'low'"));
  // A box that ends exactly on the edge is inside.
  EXPECT_EQ(error_of("reference 100 100\nwell edge 90 90 10 10\n"), "");
}

TEST(LayoutErrors, NonPositiveBoxSize) {
  std::string e = error_of("reference 100 100\nwell flat 0 0 10 0\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'flat'"));
  EXPECT_TRUE(mentions(e, "positive"));
  e = error_of("reference 100 100\nwell back 50 0 -10 10\n");
  EXPECT_TRUE(mentions(e, "t.wells:2: well 'back'"));
}

TEST(LayoutErrors, DuplicateIds) {
  const auto e = error_of("reference 100 100\nwell a 0 0 5 5\nwell b 10 0 5 5\nwell a 20 0 5 5\n");
  EXPECT_TRUE(mentions(e, "t.wells:4: well 'a'"));
  EXPECT_TRUE(mentions(e, "duplicate id"));
  EXPECT_TRUE(mentions(e, "line 2"));
}

TEST(LayoutErrors, UnreadableFileNamesThePath) {
  try {
    load_layout("/nonexistent/dir/x.wells.txt");
    FAIL() << "no LayoutError";
  } catch (const LayoutError& e) {
    EXPECT_TRUE(mentions(e.what(), "/nonexistent/dir/x.wells.txt"));
  }
}

// Only regular files are read: a directory, /dev/zero (which never ends) and a
// FIFO without a writer (which must not block the start) are refused naming
// the path and why; so is a file over the 1 MiB cap.
TEST(LayoutErrors, SpecialFilesAndOversizeFilesAreRefusedNamingThePath) {
  const std::string dir = ::testing::TempDir() + "layout_special_" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string fifo = dir + "/table.wells";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string big = dir + "/big.wells";
  {
    std::ofstream out(big);
    out << "reference 100 100\n";
    out << std::string((1 << 20), '#') << "\n";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir, "not a regular file (a directory)"},
      {"/dev/zero", "not a regular file (a character device)"},
      {fifo, "not a regular file (a FIFO)"},
      {big, "over the 1 MiB limit"},
  };
  for (const auto& [path, why] : cases) {
    try {
      load_layout(path);
      ADD_FAILURE() << "no LayoutError for " << path;
    } catch (const LayoutError& e) {
      EXPECT_TRUE(mentions(e.what(), path + ": cannot read layout file: "));
      EXPECT_TRUE(mentions(e.what(), why));
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  std::remove(big.c_str());
  std::remove(fifo.c_str());
  ::rmdir(dir.c_str());
}

// A UTF-8 byte order mark (as Windows editors write) is skipped, not reported
// as an invisible "unknown statement".
TEST(Layout, Utf8ByteOrderMarkIsSkipped) {
  const WellLayout l = parse_layout("\xEF\xBB\xBFreference 100 80\nwell a 0 0 10 10\n", "bom.wells");
  EXPECT_EQ(l.ref_width, 100);
  ASSERT_EQ(l.wells.size(), 1u);
  EXPECT_EQ(l.wells[0].id, "a");
  // Only at the start of the file.
  EXPECT_TRUE(mentions(error_of("reference 100 80\n\xEF\xBB\xBFwell a 0 0 10 10\n"), "t.wells:2"));
}

// Every well is scored on every analysed frame: a layout names at most 256.
TEST(LayoutErrors, MoreThanTheMostWellsIsRefusedNamingTheLine) {
  auto layout_of = [](size_t n) {
    std::string text = "reference 4000 4000\n";
    for (size_t i = 0; i < n; ++i)
      text += "well w" + std::to_string(i) + " " + std::to_string(i % 100 * 10) + " " + std::to_string(i / 100 * 10) +
              " 8 8\n";
    return text;
  };
  EXPECT_EQ(parse_layout(layout_of(wellmonitor::kMaxWells), "max.wells").wells.size(), 256u);
  const std::string e = error_of(layout_of(10000));
  EXPECT_TRUE(mentions(e, "t.wells:258: well 'w256'"));
  EXPECT_TRUE(mentions(e, "more than 256 wells"));
}

TEST(LayoutErrors, LoadLayoutUsesThePathInMessages) {
  const std::string path = ::testing::TempDir() + "bad_layout.wells.txt";
  {
    std::ofstream out(path);
    out << "reference 100 100\nwell a 0 0 5 5\nwell a 9 9 5 5\n";
  }
  try {
    load_layout(path);
    FAIL() << "no LayoutError";
  } catch (const LayoutError& e) {
    EXPECT_TRUE(mentions(e.what(), path + ":3: well 'a'"));
  }
  std::remove(path.c_str());
}

TEST(PlantLayout, CoversTheCastingTableInsideTheFrame) {
  const WellLayout layout = load_layout(kPlantLayout);
  EXPECT_EQ(layout.ref_width, 1920);
  EXPECT_EQ(layout.ref_height, 1200);
  EXPECT_GE(layout.wells.size(), 40u);
  const cv::Rect frame(0, 0, 1920, 1200);
  for (const auto& w : layout.wells) {
    EXPECT_EQ(w.box & frame, w.box) << w.id;
    // About a crop's size (the dataset's crops are 43-57 x 24-40 at this scale).
    EXPECT_GE(w.box.width, 40) << w.id;
    EXPECT_LE(w.box.width, 100) << w.id;
    EXPECT_GE(w.box.height, 22) << w.id;
    EXPECT_LE(w.box.height, 60) << w.id;
  }
}

TEST(PlantLayout, NoTwoBoxesOverlapMuch) {
  const WellLayout layout = load_layout(kPlantLayout);
  for (size_t i = 0; i < layout.wells.size(); ++i) {
    for (size_t j = i + 1; j < layout.wells.size(); ++j) {
      const cv::Rect& a = layout.wells[i].box;
      const cv::Rect& b = layout.wells[j].box;
      const double inter = (a & b).area();
      const double smaller = std::min(a.area(), b.area());
      EXPECT_LT(inter / smaller, 0.1) << layout.wells[i].id << " and " << layout.wells[j].id;
    }
  }
}

TEST(PlantLayout, ScalesToTheReplaySize) {
  const WellLayout layout = load_layout(kPlantLayout);
  const auto boxes = layout.scaled(960, 600);
  ASSERT_EQ(boxes.size(), layout.wells.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    EXPECT_NEAR(boxes[i].x, layout.wells[i].box.x / 2.0, 1.0);
    EXPECT_NEAR(boxes[i].width, layout.wells[i].box.width / 2.0, 1.0);
  }
}

// Raw binary and a 1 MB id echoed into an error are escaped and cut: the
// message stays one short line that still names file, line and well.
TEST(LayoutErrors, BinaryAndHugeIdsAreEscapedAndCut) {
  const std::string huge(1 << 20, 'w');
  std::string msg = error_of("reference 10 10\nwell " + huge + " 0 0 1 1\n");
  EXPECT_TRUE(mentions(msg, "t.wells:2: well 'wwww"));
  EXPECT_TRUE(mentions(msg, "... (1048576 bytes)': bad id"));
  EXPECT_LT(msg.size(), 500u);
  msg = error_of("reference 10 10\n\x01\x02\xfe\x1b[2J 1 2\n");
  EXPECT_TRUE(mentions(msg, "t.wells:2: unknown statement '\\x01\\x02\\xFE\\x1B[2J'"));
  EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
  msg = error_of("reference 10 10\nwell a 0 0 1 " + huge + "\n");
  EXPECT_TRUE(mentions(msg, "... (1048576 bytes)' is not an integer"));
  EXPECT_LT(msg.size(), 500u);
}
