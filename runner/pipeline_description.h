// The pipeline as gst-launch-1.0 descriptions, from the options: the source part
// (rebuilt on every reconnection) and the rest (built once). The runner builds
// both with gst_parse_bin_from_description; --dry-run prints them joined as the
// equivalent gst-launch-1.0 command. No GStreamer here: what the machine offers
// (encoder, stub elements) comes in a PipelinePlan.
//
//   SOURCE ! decodebin ! videoconvert name=wm_in ! wellmonitor name=monitor ...
//     [! wellpublish name=publish method=mqtt ... spool=DIR] [! wellpublish name=events method=file ...]
//     [! welloverlay name=overlay] ! <one branch, or a tee with one queue per branch>
//
// Branches: the window (or a fakesink when nothing else takes the video), the
// annotated MP4 (--output), the recording's segments (--record, splitmuxsink
// name=wm_record), the RTSP re-stream (--restream-port, appsink name=wm_restream;
// restream.h). The publishers see each frame before the overlay draws on it.
#pragma once

#include "options.h"

#include <string>

namespace wellmonitor::run {

struct PipelinePlan {
  std::string display_sink = "autovideosink";
  // The encoder of the annotated MP4, ending in a parser ("x264enc ... ! h264parse").
  std::string encoder = "x264enc speed-preset=veryfast ! h264parse";
  // The encoder of the recording's segments: low latency, and a key frame a
  // second, so that a segment starts within a second of its time and a crash
  // loses at most the second splitmuxsink was collecting.
  std::string record_encoder = "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=12 ! h264parse";
  // identity instead of wellmonitor and welloverlay (WELLMONITOR_STUB_ELEMENTS=1)
  bool stub_elements = false;
};

// A value for a gst-launch description: quoted, with '"' and '\' escaped.
std::string gst_quote(const std::string& value);

// The source, without the decoder that follows it.
std::string source_description(const RunOptions& o);
// The decoder after every source: named so the runner finds its pads.
inline constexpr const char* kDecoderName = "wm_decode";
// Everything after the decoder.
std::string downstream_description(const RunOptions& o, const PipelinePlan& plan);
// The whole pipeline as one gst-launch-1.0 description.
std::string launch_description(const RunOptions& o, const PipelinePlan& plan);

// Element names the runner looks up.
inline constexpr const char* kEntryName = "wm_in";
inline constexpr const char* kMonitorName = "monitor";
inline constexpr const char* kRecorderName = "wm_record";
inline constexpr const char* kOverlayName = "overlay";
inline constexpr const char* kRestreamSinkName = "wm_restream";

}  // namespace wellmonitor::run
