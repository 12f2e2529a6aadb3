// The camera's source as one bin with one "src" pad of decoded video: the
// source description (pipeline_description.h) followed by decodebin. Only video
// comes out: decodebin is told to expose video alone, and rtspsrc is told to set
// up only the video streams of an RTSP session. The pad has no target until
// decodebin exposes the video, so the bin can be linked as soon as it is made.
// An H.264/H.265 stream that does not say its colour matrix comes out read as
// `assumed` says (colour_matrix.h).
#pragma once

#include "colour_matrix.h"

#include <gst/gst.h>

#include <string>

namespace wellmonitor::run {

// A new, floating bin named `name`; nullptr with `error` set when the
// description cannot be built (an element that does not exist, bad syntax).
GstElement* make_source_bin(const std::string& description, const std::string& name, AssumedMatrix assumed,
                            std::string& error);

}  // namespace wellmonitor::run
