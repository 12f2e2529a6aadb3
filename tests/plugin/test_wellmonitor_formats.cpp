// The element scores a well the same whichever raw format the stream is in,
// and as `wellmonitor-trainer evaluate` scores the same crop.
//
// Frames of the demo replay (the plant's frame with real crops pasted into
// its 42 wells, H.264) are decoded once, in the decoder's own format (I420).
// For each format, the same frames go through `videoconvert !
// video/x-raw,format=F ! wellmonitor` in a GstHarness, and every well's score
// is read from its ROI meta. The wells of the frames videoconvert makes in
// BGR, written as PNG files, are scored by the trainer's evaluate command.
// Models: the shipped default (colour) and a small grey model made here with
// a fixed seed. GStreamer is isolated as in the other element suites.
//
// The source is I420 because a decoder gives I420 (or NV12): a BGR picture
// with colour detail finer than 2x2 pixels is not the same picture once
// subsampled, and the shipped model's scores tell the difference.

#include "support/evaluate_scores.h"
#include "support/gst_isolated.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"

#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kVideo = kSource + "/pipelines/demo/replay.mp4";
const std::string kLayout = kSource + "/pipelines/casting-table.wells.txt";
const std::string kDefaultModel = kSource + "/models/default.wmm";
// Frames of the replay: before any spill, and inside each scripted spill
// (pipelines/demo/replay.truth.csv), so that both low and high scores count.
const std::vector<int> kFrames = {10, 70, 190, 300, 400, 510};
constexpr double kTolerance = 0.01;  // on a score, between formats and against evaluate

struct Shared {
  fs::path dir;
  std::vector<std::vector<uint8_t>> frames;  // as decoded (I420), default strides
  std::vector<cv::Rect> boxes;               // the layout's, in the replay's pixels
  std::string caps;                          // of the decoded frames
  int width = 0, height = 0;
  std::string grey_model;
};
Shared* g = nullptr;

// Frames `kFrames` of the replay as the decoder gives them (I420), or an empty list.
std::vector<std::vector<uint8_t>> decode_frames(std::string* caps, int* width, int* height) {
  GstElement* pipe = gst_parse_launch(
      "filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink sync=false", nullptr);
  if (!pipe) return {};
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  g_object_set(src, "location", kVideo.c_str(), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  std::vector<std::vector<uint8_t>> out;
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  const int last = *std::max_element(kFrames.begin(), kFrames.end());
  for (int i = 0; i <= last; ++i) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 20 * GST_SECOND);
    if (!sample) break;
    if (std::find(kFrames.begin(), kFrames.end(), i) != kFrames.end()) {
      GstVideoInfo info, packed;
      gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
      gchar* c = gst_caps_to_string(gst_sample_get_caps(sample));
      *caps = c;
      g_free(c);
      *width = GST_VIDEO_INFO_WIDTH(&info);
      *height = GST_VIDEO_INFO_HEIGHT(&info);
      gst_video_info_set_format(&packed, GST_VIDEO_INFO_FORMAT(&info), *width, *height);
      GstVideoFrame f;
      if (gst_video_frame_map(&f, &info, gst_sample_get_buffer(sample), GST_MAP_READ)) {
        // copied into the default layout of the caps, whatever strides the decoder used
        std::vector<uint8_t> bytes(GST_VIDEO_INFO_SIZE(&packed));
        for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES(&packed); ++p) {
          const int rows = GST_VIDEO_INFO_COMP_HEIGHT(&packed, p);
          const int row_bytes = GST_VIDEO_INFO_COMP_WIDTH(&packed, p) * GST_VIDEO_INFO_COMP_PSTRIDE(&packed, p);
          for (int y = 0; y < rows; ++y)
            std::memcpy(bytes.data() + GST_VIDEO_INFO_PLANE_OFFSET(&packed, p) +
                            static_cast<size_t>(y) * GST_VIDEO_INFO_PLANE_STRIDE(&packed, p),
                        static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, p)) +
                            static_cast<size_t>(y) * GST_VIDEO_FRAME_PLANE_STRIDE(&f, p),
                        static_cast<size_t>(row_bytes));
        }
        out.push_back(std::move(bytes));
        gst_video_frame_unmap(&f);
      }
    }
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  if (out.size() != kFrames.size()) out.clear();
  return out;
}

class GstEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g = new Shared();
    g->dir = wellmonitor_test::init_isolated_gstreamer("formats");
    ASSERT_FALSE(g->dir.empty());
    g->frames = decode_frames(&g->caps, &g->width, &g->height);
    ASSERT_FALSE(g->frames.empty()) << "could not decode " << kVideo;
    g->boxes = wellmonitor::load_layout(kLayout).scaled(g->width, g->height);

    torch::manual_seed(20240917);
    wellmonitor::ModelFile m;
    m.arch = "compact-ae";
    m.arch_params = {{"base", 4}, {"latent", 16}};
    m.preprocess.color = wellmonitor::ColorMode::Gray;
    m.calibration.threshold = 1.0;
    m.calibration.method = "test";
    m.build_network();
    g->grey_model = (g->dir / "grey.wmm").string();
    wellmonitor::save_model(m, g->grey_model);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(g->dir, ec);
    delete g;
    g = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new GstEnvironment);

using Scores = std::vector<std::vector<double>>;  // [frame][well]

// Pushes the decoded frames through `launch` in a harness; `each` gets every
// buffer that comes out, in order.
void run_frames(const std::string& launch, const std::function<void(GstBuffer*)>& each) {
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  gst_harness_set_src_caps_str(h, g->caps.c_str());
  for (size_t i = 0; i < g->frames.size(); ++i) {
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, g->frames[i].size(), nullptr);
    gst_buffer_fill(buf, 0, g->frames[i].data(), g->frames[i].size());
    GST_BUFFER_PTS(buf) = i * GST_SECOND / 12;
    GST_BUFFER_DURATION(buf) = GST_SECOND / 12;
    EXPECT_EQ(gst_harness_push(h, buf), GST_FLOW_OK) << launch;
    GstBuffer* res = gst_harness_pull(h);
    if (!res) break;
    each(res);
    gst_buffer_unref(res);
  }
  gst_harness_teardown(h);
}

// Every well's score on every frame, the frames converted by videoconvert to
// `format` before the element.
Scores element_scores(const std::string& format, const std::string& model) {
  Scores out;
  run_frames("videoconvert ! video/x-raw,format=" + format + " ! wellmonitor model=\"" + model + "\" wells=\"" +
                 kLayout + "\" device=cpu threads=1",
             [&](GstBuffer* res) {
               std::vector<double> scores(g->boxes.size(), -1.0);
               gpointer state = nullptr;
               while (GstMeta* meta =
                          gst_buffer_iterate_meta_filtered(res, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
                 auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(meta);
                 const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, "wellmonitor");
                 if (s && roi->id >= 0 && static_cast<size_t>(roi->id) < scores.size())
                   gst_structure_get_double(s, "score", &scores[static_cast<size_t>(roi->id)]);
               }
               out.push_back(scores);
             });
  return out;
}

// The frames as videoconvert makes them in `format` (BGR or GRAY8), as 8-bit
// BGR images (grey copied into the three channels).
std::vector<cv::Mat> converted_frames(const std::string& format) {
  std::vector<cv::Mat> out;
  const bool grey = format == "GRAY8";
  run_frames("videoconvert ! capsfilter caps=video/x-raw,format=" + format, [&](GstBuffer* res) {
    GstMapInfo map;
    if (!gst_buffer_map(res, &map, GST_MAP_READ)) return;
    const size_t stride = grey ? GST_ROUND_UP_4(g->width) : GST_ROUND_UP_4(g->width * 3);
    const cv::Mat view(g->height, g->width, grey ? CV_8UC1 : CV_8UC3, map.data, stride);
    cv::Mat bgr;
    if (grey) {
      cv::Mat planes[3] = {view, view, view};
      cv::merge(planes, 3, bgr);
    } else {
      bgr = view.clone();
    }
    gst_buffer_unmap(res, &map);
    out.push_back(bgr);
  });
  return out;
}

std::string run_command(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *status = pclose(p);
  return out;
}

// `wellmonitor-trainer evaluate` on every well's crop of `frames` (PNG files).
Scores evaluate_scores(const std::vector<cv::Mat>& frames, const std::string& model, const std::string& name) {
  const fs::path dir = g->dir / name;
  fs::create_directories(dir);
  std::ofstream labels(dir / "labels.txt");
  for (size_t f = 0; f < frames.size(); ++f)
    for (size_t w = 0; w < g->boxes.size(); ++w) {
      const std::string file = "f" + std::to_string(f) + "_w" + std::to_string(w) + ".png";
      EXPECT_TRUE(cv::imwrite((dir / file).string(), frames[f](g->boxes[w])));
      labels << file << " 0\n";
    }
  labels.close();
  const std::string csv = (dir / "scores.csv").string();
  int status = -1;
  const std::string out = run_command(std::string(WELLMONITOR_TRAINER) + " evaluate --model \"" + model +
                                          "\" --images " + dir.string() + " --labels " + (dir / "labels.txt").string() +
                                          " --scores " + csv + " --threads 1 -q 2>&1",
                                      &status);
  EXPECT_EQ(status, 0) << out;
  Scores scores(frames.size(), std::vector<double>(g->boxes.size(), -1.0));
  for (const auto& [file, crop] : wellmonitor_test::read_evaluate_scores(csv)) {
    size_t f = 0, w = 0;
    if (std::sscanf(file.c_str(), "f%zu_w%zu.png", &f, &w) != 2 || f >= scores.size() || w >= g->boxes.size())
      continue;
    scores[f][w] = crop.score;
  }
  return scores;
}

// The largest difference between two score tables of the same shape.
double max_difference(const Scores& a, const Scores& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t f = 0; f < std::min(a.size(), b.size()); ++f) {
    EXPECT_EQ(a[f].size(), b[f].size());
    for (size_t w = 0; w < std::min(a[f].size(), b[f].size()); ++w) {
      EXPECT_GE(a[f][w], 0.0) << "no score for frame " << f << " well " << w;
      EXPECT_GE(b[f][w], 0.0) << "no score for frame " << f << " well " << w;
      worst = std::max(worst, std::abs(a[f][w] - b[f][w]));
    }
  }
  return worst;
}

// The scores must span a range, or agreement would prove nothing.
void expect_spread(const Scores& s, double at_least) {
  double lo = 1e300, hi = -1e300;
  for (const auto& frame : s)
    for (double v : frame) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  EXPECT_GT(hi - lo, at_least) << "scores from " << lo << " to " << hi;
}

void expect_formats_agree(const std::string& model, const std::string& name, const std::vector<std::string>& formats) {
  const std::vector<cv::Mat> frames = converted_frames("BGR");
  ASSERT_EQ(frames.size(), g->frames.size());
  const Scores evaluated = evaluate_scores(frames, model, name);
  const Scores bgr = element_scores("BGR", model);
  ASSERT_EQ(bgr.size(), g->frames.size());
  expect_spread(evaluated, 0.05);
  // BGR frames are cropped in place: the crops evaluate reads.
  EXPECT_LT(max_difference(bgr, evaluated), 1e-5) << "BGR against evaluate";
  for (const std::string& format : formats) {
    SCOPED_TRACE(format);
    const Scores got = element_scores(format, model);
    ASSERT_EQ(got.size(), g->frames.size());
    const double vs_bgr = max_difference(got, bgr);
    const double vs_evaluate = max_difference(got, evaluated);
    EXPECT_LT(vs_bgr, kTolerance) << format << " against BGR";
    EXPECT_LT(vs_evaluate, kTolerance) << format << " against evaluate";
    std::printf("%s: %s max |difference| %.5f against BGR, %.5f against evaluate\n", name.c_str(), format.c_str(),
                vs_bgr, vs_evaluate);
  }
}

}  // namespace

// The shipped (colour) model, in every colour format a decoder's picture
// reaches the element in.
TEST(FormatAgreement, EveryColourFormatScoresLikeBgrAndLikeEvaluateWithTheDefaultModel) {
  expect_formats_agree(kDefaultModel, "default", {"I420", "NV12", "BGRx", "RGB", "RGBA"});
}

// A grey model: the same in every format, GRAY8 included (videoconvert's
// luma and the trainer's grey of the BGR picture differ only by rounding and
// the luma weights, BT.709 against BT.601, which a grey picture hardly feels).
TEST(FormatAgreement, EveryFormatScoresLikeBgrAndLikeEvaluateWithAGreyModel) {
  expect_formats_agree(g->grey_model, "grey", {"I420", "NV12", "BGRx", "RGB", "RGBA", "GRAY8"});
}

// A colour model sees a GRAY8 stream's wells as grey in all three channels:
// its scores are evaluate's on the grey crops.
TEST(FormatAgreement, ColourModelOnGray8ScoresTheGreyCropsLikeEvaluate) {
  const Scores gray = element_scores("GRAY8", kDefaultModel);
  ASSERT_EQ(gray.size(), g->frames.size());
  const std::vector<cv::Mat> frames = converted_frames("GRAY8");
  ASSERT_EQ(frames.size(), g->frames.size());
  EXPECT_LT(max_difference(gray, evaluate_scores(frames, kDefaultModel, "default-grey")), 1e-5);
}
