// How wellmonitor-run reads an H.264/H.265 stream that does not say its colour
// matrix (runner/colour_matrix.h): the decisions on caps as h264parse, h265parse
// and the decoders give them, without a pipeline; then file.sh, as a user runs
// it, on two streams that differ only in saying their matrix
// (tests/fixtures/colour-matrix): the line at the start, and the scores of all
// 42 wells, read from ALARM lines at threshold 0 after one frame.

#include "support/script_environment.h"
#include "support/subprocess.h"

#include "colour_matrix.h"

#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace wellmonitor::run;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kClips = std::string(WELLMONITOR_TEST_DATA) + "/colour-matrix";
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("colour-matrix", g_tmp));

struct Caps {
  GstCaps* caps;
  explicit Caps(const char* text) : caps(gst_caps_from_string(text)) {}
  ~Caps() { gst_caps_unref(caps); }
};

const char* const kUnsaidH264 = "video/x-h264, stream-format=avc, alignment=au, width=1920, height=1200, parsed=true";
const char* const kDecoded = "video/x-raw, format=I420, width=1920, height=1200, framerate=12/1";

class ColourMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

GstVideoColorimetry colorimetry_of(const GstCaps* caps) {
  GstVideoColorimetry c{};
  const gchar* text = gst_structure_get_string(gst_caps_get_structure(caps, 0), "colorimetry");
  EXPECT_TRUE(text && gst_video_colorimetry_from_string(&c, text)) << (text ? text : "(no colorimetry)");
  return c;
}

}  // namespace

TEST_F(ColourMatrix, AnUnsaidH264StreamIsReadAsBt601ByDefaultAndAsToldOtherwise) {
  const Caps coded(kUnsaidH264), decoded(kDecoded);
  const MatrixDecision d = decide_colour_matrix(coded.caps, decoded.caps, AssumedMatrix::kAuto);
  EXPECT_EQ(d.said, MatrixSaid::kUnsaid);
  EXPECT_EQ(d.matrix, "BT.601");
  EXPECT_EQ(d.line, "the stream does not say its colour matrix: read as BT.601 (--colour-matrix auto)");
  ASSERT_NE(d.caps, nullptr);
  // what `capssetter caps=video/x-raw,colorimetry=bt601` gives; the rest of the caps kept
  EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(d.caps, 0), "colorimetry"), "bt601");
  EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(d.caps, 0), "format"), "I420");

  const MatrixDecision bt601 = decide_colour_matrix(coded.caps, decoded.caps, AssumedMatrix::kBt601);
  ASSERT_NE(bt601.caps, nullptr);
  EXPECT_EQ(colorimetry_of(bt601.caps).matrix, GST_VIDEO_COLOR_MATRIX_BT601);
  EXPECT_EQ(bt601.line, "the stream does not say its colour matrix: read as BT.601 (--colour-matrix bt601)");

  const MatrixDecision bt709 = decide_colour_matrix(coded.caps, decoded.caps, AssumedMatrix::kBt709);
  EXPECT_EQ(bt709.said, MatrixSaid::kUnsaid);
  ASSERT_NE(bt709.caps, nullptr);
  EXPECT_EQ(colorimetry_of(bt709.caps).matrix, GST_VIDEO_COLOR_MATRIX_BT709);
  EXPECT_EQ(bt709.line, "the stream does not say its colour matrix: read as BT.709 (--colour-matrix bt709)");

  // H.265 alike; a decoder that already guessed BT.709 is overruled too
  const Caps h265("video/x-h265, stream-format=hvc1, alignment=au, width=1920, height=1080");
  const Caps guessed("video/x-raw, format=NV12, width=1920, height=1080, colorimetry=bt709");
  const MatrixDecision hevc = decide_colour_matrix(h265.caps, guessed.caps, AssumedMatrix::kAuto);
  EXPECT_EQ(hevc.said, MatrixSaid::kUnsaid);
  ASSERT_NE(hevc.caps, nullptr);
  EXPECT_EQ(colorimetry_of(hevc.caps).matrix, GST_VIDEO_COLOR_MATRIX_BT601);
}

TEST_F(ColourMatrix, AMatrixTheStreamSaysIsAlwaysHonoured) {
  const Caps decoded(kDecoded);
  for (const auto assumed : {AssumedMatrix::kAuto, AssumedMatrix::kBt601, AssumedMatrix::kBt709}) {
    const Caps bt709("video/x-h264, width=1920, height=1200, colorimetry=bt709, parsed=true");
    const MatrixDecision d = decide_colour_matrix(bt709.caps, decoded.caps, assumed);
    EXPECT_EQ(d.said, MatrixSaid::kSaid);
    EXPECT_EQ(d.caps, nullptr);
    EXPECT_EQ(d.line, "the stream says its colour matrix: BT.709");
    const Caps bt601("video/x-h265, width=1920, height=1200, colorimetry=bt601");
    const MatrixDecision e = decide_colour_matrix(bt601.caps, decoded.caps, assumed);
    EXPECT_EQ(e.said, MatrixSaid::kSaid);
    EXPECT_EQ(e.caps, nullptr);
    EXPECT_EQ(e.matrix, "BT.601");
  }
}

TEST_F(ColourMatrix, AStreamThatSaysItsRangeButAnUnspecifiedMatrixIsUnsaidAndKeepsItsRange) {
  // VUI with a video signal type, full range, matrix_coefficients 2 (unspecified)
  const Caps coded("video/x-h264, width=1920, height=1200, colorimetry=(string)1:0:0:0");
  const Caps decoded("video/x-raw, format=I420, width=1920, height=1200, colorimetry=(string)1:0:0:0");
  const MatrixDecision d = decide_colour_matrix(coded.caps, decoded.caps, AssumedMatrix::kAuto);
  EXPECT_EQ(d.said, MatrixSaid::kUnsaid);
  ASSERT_NE(d.caps, nullptr);
  const GstVideoColorimetry c = colorimetry_of(d.caps);
  EXPECT_EQ(c.matrix, GST_VIDEO_COLOR_MATRIX_BT601);
  EXPECT_EQ(c.range, GST_VIDEO_COLOR_RANGE_0_255);
}

TEST_F(ColourMatrix, OtherFormatsAndRgbOutputAreLeftAsTheirDecoderDescribesThem) {
  const Caps decoded(kDecoded);
  for (const char* other : {"image/jpeg, width=1920, height=1200", "video/x-vp8, width=1920, height=1200",
                            "video/mpeg, mpegversion=4, systemstream=false, width=1920, height=1200"}) {
    const Caps coded(other);
    const MatrixDecision d = decide_colour_matrix(coded.caps, decoded.caps, AssumedMatrix::kAuto);
    EXPECT_EQ(d.said, MatrixSaid::kNotH264H265) << other;
    EXPECT_EQ(d.caps, nullptr) << other;
    EXPECT_TRUE(d.line.empty()) << other;
  }
  EXPECT_EQ(decide_colour_matrix(nullptr, decoded.caps, AssumedMatrix::kAuto).caps, nullptr);
  const Caps coded(kUnsaidH264), rgb("video/x-raw, format=BGRx, width=1920, height=1200");
  const MatrixDecision d = decide_colour_matrix(coded.caps, rgb.caps, AssumedMatrix::kAuto);
  EXPECT_EQ(d.said, MatrixSaid::kUnsaid);
  EXPECT_EQ(d.caps, nullptr);
}

TEST_F(ColourMatrix, ParsesTheOptionsValues) {
  EXPECT_EQ(parse_assumed_matrix("auto"), AssumedMatrix::kAuto);
  EXPECT_EQ(parse_assumed_matrix("bt601"), AssumedMatrix::kBt601);
  EXPECT_EQ(parse_assumed_matrix("bt709"), AssumedMatrix::kBt709);
  EXPECT_FALSE(parse_assumed_matrix("BT.709"));
  EXPECT_FALSE(parse_assumed_matrix(""));
}

namespace {

struct ClipRun {
  wellmonitor_test::ProcessResult result;
  std::map<std::string, std::string> scores;  // well -> score, as the ALARM line prints it
};

// file.sh on a clip at threshold 0, alarming after one frame: every well's first
// score comes out in its ALARM line.
ClipRun run_file_sh(const std::string& clip, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {kSource + "/pipelines/file.sh", "--no-display", "--fast", "--threads", "1",
                                   "--threshold", "0", "--alarm-frames", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(kClips + "/" + clip);
  ClipRun r{wellmonitor_test::run_process("/bin/bash", args, g_tmp.string()), {}};
  static const std::regex alarm(R"(^ALARM well=(\S+) time=0\.000s frame=0 score=(\S+) )");
  std::istringstream out(r.result.out);
  std::smatch m;
  for (std::string line; std::getline(out, line);)
    if (std::regex_search(line, m, alarm)) r.scores[m[1]] = m[2];
  return r;
}

bool has_line(const wellmonitor_test::ProcessResult& r, const std::string& line) {
  for (const auto& l : r.err_lines())
    if (l == line) return true;
  return false;
}

}  // namespace

TEST(ColourMatrixRun, AnUnsaidStreamIsSaidAtTheStartAndScoredAsTheSaidOne) {
  // the said stream, with the other matrix asked for: the stream's own is used
  const ClipRun said = run_file_sh("said.h264", {"--colour-matrix", "bt709"});
  ASSERT_EQ(said.result.exit_code, 0) << said.result.describe();
  EXPECT_TRUE(has_line(said.result, "file.sh: the stream says its colour matrix: BT.601")) << said.result.describe();
  ASSERT_EQ(said.scores.size(), 42u) << said.result.describe();

  const ClipRun unsaid = run_file_sh("unsaid.h264");
  ASSERT_EQ(unsaid.result.exit_code, 0) << unsaid.result.describe();
  EXPECT_TRUE(has_line(unsaid.result,
                       "file.sh: the stream does not say its colour matrix: read as BT.601 (--colour-matrix auto)"))
      << unsaid.result.describe();
  EXPECT_EQ(unsaid.scores, said.scores);

  // read with GStreamer's guess (what the runner did before), the same pictures score otherwise
  const ClipRun misread = run_file_sh("unsaid.h264", {"--colour-matrix", "bt709"});
  ASSERT_EQ(misread.scores.size(), 42u) << misread.result.describe();
  int differ = 0;
  for (const auto& [well, score] : said.scores) differ += misread.scores.at(well) != score;
  EXPECT_GT(differ, 21) << "of 42 wells";
}
