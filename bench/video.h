// Frames decoded into memory for the bench's own rows and the Python
// reference: decodebin, videoconvert and an appsink.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench {
struct Video {
  GstVideoInfo info{};        // the layout of every frame in `data` (default strides)
  std::vector<uint8_t> data;  // frames back to back, info.size bytes each
  size_t count = 0;

  const uint8_t* frame(size_t i) const { return data.data() + i * info.size; }
};

// The text of the first error on `bus` ("" when there is none).
std::string bus_error(GstBus* bus);

// The first `max_frames` frames of `path` in `format` (a GStreamer video format
// name), through decodebin, videoconvert and an appsink.
Video decode(const std::string& path, size_t max_frames, const std::string& format);

// The frames (BGR) as N x H x W x 3 uint8, packed rows, for the Python side.
void write_raw(const Video& v, const std::string& path);

}  // namespace bench
