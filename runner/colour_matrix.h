// The colour matrix a camera's H.264 or H.265 stream is read with. Y'CbCr becomes
// R'G'B' (what wellmonitor scores) through a matrix, BT.601 or BT.709, that the
// stream may say in its sequence header (the VUI's colour description) or not.
// A stream that does not say it is read with the decoder's guess: GStreamer's is
// BT.709 for a picture over 576 lines, while OpenCV and FFmpeg, which decoded the
// crops the model was trained on, read such a stream as BT.601. Read with the other
// matrix every colour shifts a little and the model raises several times as many
// false alarms (docs/validation.md).
//
// So: h264parse and h265parse put `colorimetry` in their caps only when the stream
// says a matrix; a decoder's sink caps are those caps. When they say none, the
// decoder's output caps get the assumed matrix (--colour-matrix: auto is BT.601)
// before videoconvert reads them. A matrix the stream says is always honoured.
// Other coded formats (MJPEG, MPEG-4, VP8, ...) and raw video are left as their
// decoder or source describes them.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>

namespace wellmonitor::run {

// --colour-matrix: what an H.264/H.265 stream that does not say its matrix is read as.
enum class AssumedMatrix {
  kAuto,   // BT.601, as the model's training crops were decoded
  kBt601,
  kBt709,  // GStreamer's own guess for a picture over 576 lines
};

// "auto", "bt601", "bt709"; nullopt for anything else.
std::optional<AssumedMatrix> parse_assumed_matrix(const std::string& text);

// What a decoder's caps say about the matrix.
enum class MatrixSaid {
  kSaid,          // the coded stream says it
  kUnsaid,        // an H.264/H.265 stream that does not (or says "unspecified")
  kNotH264H265,   // another format: left as the decoder describes it
};

struct MatrixDecision {
  MatrixSaid said = MatrixSaid::kNotH264H265;
  std::string matrix;     // the matrix read: "BT.601", "BT.709", ... ("" for kNotH264H265)
  GstCaps* caps = nullptr;  // the decoded caps to send on instead (owned), or nullptr: keep them
  std::string line;       // what to tell the operator ("" for kNotH264H265)

  MatrixDecision() = default;
  MatrixDecision(const MatrixDecision&) = delete;
  MatrixDecision& operator=(const MatrixDecision&) = delete;
  MatrixDecision(MatrixDecision&& o) noexcept;
  ~MatrixDecision();
};

// Decides from a decoder's sink caps (`coded`: the parser's src caps) and the caps
// it sends downstream (`decoded`, raw video) how the picture is to be read.
MatrixDecision decide_colour_matrix(const GstCaps* coded, const GstCaps* decoded, AssumedMatrix assumed);

// Watches every video decoder that appears inside `bin` (decodebin's, at any
// depth) and applies decide_colour_matrix to its output caps. Each decision with a
// line is posted on the bus as an application message kColourMatrixMessage
// (fields `line`, `said` (boolean), `matrix`) from the decoder.
void watch_colour_matrix(GstElement* bin, AssumedMatrix assumed);
inline constexpr const char* kColourMatrixMessage = "wellmonitor-run-colour-matrix";

}  // namespace wellmonitor::run
