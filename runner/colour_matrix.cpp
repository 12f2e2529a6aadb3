#include "colour_matrix.h"

#include <gst/video/video.h>

#include <cstring>

#include <utility>

namespace wellmonitor::run {

std::optional<AssumedMatrix> parse_assumed_matrix(const std::string& text) {
  if (text == "auto") return AssumedMatrix::kAuto;
  if (text == "bt601") return AssumedMatrix::kBt601;
  if (text == "bt709") return AssumedMatrix::kBt709;
  return std::nullopt;
}

MatrixDecision::MatrixDecision(MatrixDecision&& o) noexcept
    : said(o.said), matrix(std::move(o.matrix)), caps(std::exchange(o.caps, nullptr)), line(std::move(o.line)) {}

MatrixDecision::~MatrixDecision() {
  if (caps) gst_caps_unref(caps);
}

namespace {

const char* matrix_name(GstVideoColorMatrix m) {
  switch (m) {
    case GST_VIDEO_COLOR_MATRIX_BT601:
      return "BT.601";
    case GST_VIDEO_COLOR_MATRIX_BT709:
      return "BT.709";
    case GST_VIDEO_COLOR_MATRIX_BT2020:
      return "BT.2020";
    case GST_VIDEO_COLOR_MATRIX_SMPTE240M:
      return "SMPTE 240M";
    case GST_VIDEO_COLOR_MATRIX_FCC:
      return "FCC";
    case GST_VIDEO_COLOR_MATRIX_RGB:
      return "identity (RGB)";
    default:
      return "unknown";
  }
}

// The matrix `coded` says, or nullopt when it says none.
std::optional<GstVideoColorMatrix> said_matrix(const GstStructure* coded) {
  const gchar* text = gst_structure_get_string(coded, "colorimetry");
  GstVideoColorimetry c;
  if (!text || !gst_video_colorimetry_from_string(&c, text) || c.matrix == GST_VIDEO_COLOR_MATRIX_UNKNOWN)
    return std::nullopt;
  return c.matrix;
}

}  // namespace

MatrixDecision decide_colour_matrix(const GstCaps* coded, const GstCaps* decoded, AssumedMatrix assumed) {
  MatrixDecision d;
  if (!coded || gst_caps_get_size(coded) == 0) return d;
  const GstStructure* s = gst_caps_get_structure(coded, 0);
  if (!gst_structure_has_name(s, "video/x-h264") && !gst_structure_has_name(s, "video/x-h265")) return d;
  if (const auto m = said_matrix(s)) {
    d.said = MatrixSaid::kSaid;
    d.matrix = matrix_name(*m);
    d.line = "the stream says its colour matrix: " + d.matrix;
    return d;
  }
  d.said = MatrixSaid::kUnsaid;
  const bool bt709 = assumed == AssumedMatrix::kBt709;
  const char* option = assumed == AssumedMatrix::kAuto ? "auto" : bt709 ? "bt709" : "bt601";
  d.matrix = bt709 ? "BT.709" : "BT.601";
  GstVideoInfo info;
  if (!decoded || !gst_video_info_from_caps(&info, decoded) || !GST_VIDEO_INFO_IS_YUV(&info)) {
    // nothing to read with a matrix (the decoder gives R'G'B' itself)
    d.matrix.clear();
    d.line = "the stream does not say its colour matrix; its decoder converts it to RGB itself";
    return d;
  }
  d.line = "the stream does not say its colour matrix: read as " + d.matrix + " (--colour-matrix " + option + ")";
  // The decoder's range stays (a stream without a colour description says no
  // full range either: limited); matrix, transfer and primaries are the assumed
  // standard's, as `colorimetry=bt601` or `bt709` says them.
  GstVideoColorimetry c = info.colorimetry;
  const gchar* now = gst_structure_get_string(gst_caps_get_structure(decoded, 0), "colorimetry");
  // (GstVideoInfo drops a colorimetry with an unknown matrix whole, its range too)
  if (GstVideoColorimetry given; now && gst_video_colorimetry_from_string(&given, now) &&
                                 given.range != GST_VIDEO_COLOR_RANGE_UNKNOWN)
    c.range = given.range;
  c.matrix = bt709 ? GST_VIDEO_COLOR_MATRIX_BT709 : GST_VIDEO_COLOR_MATRIX_BT601;
  c.transfer = bt709 ? GST_VIDEO_TRANSFER_BT709 : GST_VIDEO_TRANSFER_BT601;
  c.primaries = bt709 ? GST_VIDEO_COLOR_PRIMARIES_BT709 : GST_VIDEO_COLOR_PRIMARIES_SMPTE170M;
  gchar* text = gst_video_colorimetry_to_string(&c);
  if (text && g_strcmp0(now, text) != 0) {
    d.caps = gst_caps_copy(decoded);
    gst_caps_set_simple(d.caps, "colorimetry", G_TYPE_STRING, text, nullptr);
  }
  g_free(text);
  return d;
}

// ------------------------------------------------------------------- in the pipeline

namespace {

// On a decoder's source pad: its caps, read as decided.
GstPadProbeReturn on_decoded_caps(GstPad* pad, GstPadProbeInfo* info, gpointer assumed_ptr) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* decoded = nullptr;
  gst_event_parse_caps(event, &decoded);
  GstElement* decoder = gst_pad_get_parent_element(pad);
  if (!decoder) return GST_PAD_PROBE_OK;
  GstCaps* coded = nullptr;
  if (GstPad* sink = gst_element_get_static_pad(decoder, "sink")) {
    coded = gst_pad_get_current_caps(sink);
    gst_object_unref(sink);
  }
  const auto assumed = static_cast<AssumedMatrix>(GPOINTER_TO_INT(assumed_ptr));
  MatrixDecision d = decide_colour_matrix(coded, decoded, assumed);
  if (coded) gst_caps_unref(coded);
  if (d.caps) {
    GstEvent* replaced = gst_event_new_caps(d.caps);
    gst_event_set_seqnum(replaced, gst_event_get_seqnum(event));
    gst_event_unref(event);
    info->data = replaced;
  }
  if (!d.line.empty())
    gst_element_post_message(
        decoder, gst_message_new_application(
                     GST_OBJECT(decoder), gst_structure_new(kColourMatrixMessage, "line", G_TYPE_STRING, d.line.c_str(),
                                                            "said", G_TYPE_BOOLEAN, d.said == MatrixSaid::kSaid,
                                                            "matrix", G_TYPE_STRING, d.matrix.c_str(), nullptr)));
  gst_object_unref(decoder);
  return GST_PAD_PROBE_OK;
}

bool is_video_decoder(GstElement* e) {
  GstElementFactory* f = gst_element_get_factory(e);
  const gchar* klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : nullptr;
  return klass && strstr(klass, "Decoder") && strstr(klass, "Video");
}

void on_element_added(GstBin* /*bin*/, GstBin* /*parent*/, GstElement* e, gpointer assumed_ptr) {
  if (!is_video_decoder(e)) return;
  if (GstPad* src = gst_element_get_static_pad(e, "src")) {
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_decoded_caps, assumed_ptr, nullptr);
    gst_object_unref(src);
  }
}

}  // namespace

void watch_colour_matrix(GstElement* bin, AssumedMatrix assumed) {
  g_signal_connect(bin, "deep-element-added", G_CALLBACK(on_element_added),
                   GINT_TO_POINTER(static_cast<int>(assumed)));
}

}  // namespace wellmonitor::run
