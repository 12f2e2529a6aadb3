// Synthetic shifts and synthetic spills on 8-bit BGR crops.
//
// Shifts imitate what other days' normal wells look like (an operator's arm
// or a hose across the crop, a crop box cut larger, smaller or off-centre,
// other exposure, blur); the crop stays normal. Synthetic spills imitate the
// subtle spills the recorded event lacks (a small bright or bluish blob at the
// well's lower edge; a DRAEM-style blend of foreign texture under a random
// mask). Used for training-time augmentation and for the stress validation.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace wellmonitor {

using Rng = std::mt19937_64;

enum class ShiftKind { Occluder, Box, Photometric };
enum class SpillKind { Blob, Blend, Smooth };

std::string to_string(ShiftKind kind);
std::string to_string(SpillKind kind);

// A dark or brown shape (arm or sleeve: a thick band; hose: a curved line;
// tool: a thin straight bar) entering from an edge and covering 10-40% of the crop.
cv::Mat add_occluder(const cv::Mat& bgr, Rng& rng);

// The crop box grown or shrunk by 10-20% and shifted by up to 15% of its size;
// pixels beyond the original crop are mirrored from it. Output has the input's size.
cv::Mat jitter_box(const cv::Mat& bgr, Rng& rng);

// Brightness (+-25), contrast (x0.75-1.3), colour cast, optional Gaussian blur
// and, half of the time, JPEG re-compression at quality 20-75 (another camera or
// encoder: the monitor sees crops of a compressed video stream).
cv::Mat photometric(const cv::Mat& bgr, Rng& rng);

cv::Mat apply_shift(const cv::Mat& bgr, ShiftKind kind, Rng& rng);

// What the way through a video does to a well: the crop resampled to another
// box (each side 80-120% of its own, area-averaged when it shrinks, bilinear
// when it grows), its gain moved by up to 4%, and compressed as JPEG at
// quality 30-90, as a camera's H.264 stream and the element's crop of the
// decoded frame do. The crop stays what it was (a normal stays normal).
cv::Mat video_like(const cv::Mat& bgr, Rng& rng);

// A colour stream read with the wrong colour matrix, as a decoder that guesses
// it does: the crop converted to Y'CbCr with BT.601 and back with BT.709
// (`bt601_as_bt709`, what GStreamer does to an HD H.264 stream written by
// OpenCV, which does not say its matrix), or the other way round. Grey stays
// grey; saturated colours shift. Grey crops come back unchanged.
cv::Mat misread_colour_matrix(const cv::Mat& bgr, bool bt601_as_bt709);

// A scene in which codec_round_trip shows crops: a camera's frame and the
// wells' boxes in it.
struct CodecScene {
  cv::Mat background;           // 8-bit BGR
  std::vector<cv::Rect> boxes;  // inside the background
  double fps = 12.0;
  int min_hold = 3, max_hold = 12;  // frames each crop stays in its box
  // Each crop is shown max(1, runs drawn in min_run..max_run) times in a row,
  // each time with its gain redrawn in [1 - gain_jitter, 1 + gain_jitter]: a
  // well that hardly changes, as a camera sees it (the encoder then codes only
  // the small change) and as a replay shows a run of one group's crops.
  int min_run = 1, max_run = 1;
  double gain_jitter = 0.0;
};

// What a camera's H.264 stream does to a well, for real: the crops are shown
// in the scene's boxes (resized to the box, area-averaged when they shrink),
// each for min_hold..max_hold frames with the wells changing out of step, as
// wells do (and, with runs, shown again with a slightly other gain); the frames
// are encoded as H.264 by OpenCV's FFmpeg writer (the encoder
// wellmonitor-replay uses), decoded again, and each crop is cut back out of a
// random frame of its last showing. Returns one crop per input, at the
// size of the box it was shown in (grey in, grey out). The video is written to
// `scratch_path` + ".mp4" and removed. Throws std::runtime_error when no H.264
// writer is available, std::invalid_argument for a bad scene.
std::vector<cv::Mat> codec_round_trip(const std::vector<cv::Mat>& crops, const CodecScene& scene, Rng& rng,
                                      const std::string& scratch_path);

// One to three shifts chosen at random (each with probability 1/2, at least one).
cv::Mat random_shift(const cv::Mat& bgr, Rng& rng);

// The kinds random_shift may draw from: training without one kind shows how a
// model copes with it unseen.
struct ShiftSet {
  bool occluder = true, box = true, photometric = true;
  bool all() const { return occluder && box && photometric; }
  bool none() const { return !occluder && !box && !photometric; }
};

// As above, restricted to `allowed` (each allowed kind with probability 1/2, at
// least one); with every kind allowed it draws exactly what random_shift(bgr, rng)
// draws; with none it returns an unchanged copy.
cv::Mat random_shift(const cv::Mat& bgr, Rng& rng, const ShiftSet& allowed);

// "occluder,box,photometric" (any subset, comma-separated; "none" for none).
// Throws std::invalid_argument naming an unknown kind.
ShiftSet parse_shift_set(const std::string& list);
std::string to_string(const ShiftSet& set);

// "blob,blend,smooth" (any non-empty subset). Throws std::invalid_argument naming an unknown kind.
std::vector<SpillKind> parse_spill_kinds(const std::string& list);

// A small (4-12% of the area) bright white-yellow or bluish blob in the lower
// third of the crop, soft-edged, with a little texture.
cv::Mat add_blob_spill(const cv::Mat& bgr, Rng& rng);

// DRAEM-style: `texture` (any crop or image, resized) blended into `bgr`
// under a thresholded smooth-noise mask covering 8-30% of the crop, with
// opacity 0.5-1. Without a texture, a saturated random colour field is used.
cv::Mat add_blend_spill(const cv::Mat& bgr, const cv::Mat& texture, Rng& rng);

// A smooth, bluish, empty-looking well with a small spill at its lower edge: the
// crop blurred (sigma 1.5-3.5 px) and pulled 25-60% towards a bluish grey, then
// a thin bright (white, yellow or orange) streak covering 2-6% of the crop,
// across its lower edge (centre in the bottom fifth, at most 12% of the crop tall).
cv::Mat add_smooth_spill(const cv::Mat& bgr, Rng& rng);

cv::Mat apply_spill(const cv::Mat& bgr, SpillKind kind, const cv::Mat& texture, Rng& rng);

}  // namespace wellmonitor
