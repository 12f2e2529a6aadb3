/* wellpublish's pictures: a well (or the whole frame) as BGR pixels of its own,
 * JPEG-encoded, and files written so that a reader never sees half of one.
 * GStreamer's video library and OpenCV; no element. */
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace wellpublish {

/* The part of `frame` in `box` (inside the frame) as BGR, or grey for a GRAY8
 * frame, converted as wellmonitor converts a well (crops/well-crops.h). */
cv::Mat frame_to_bgr (const GstVideoFrame * frame, const cv::Rect & box);

/* `image` as a JPEG of `quality` (1-100). Throws std::runtime_error. */
std::vector<uchar> encode_jpeg (const cv::Mat & image, int quality);

/* Writes `data` to `path` through `path`.part, renamed into place. Throws
 * std::runtime_error naming what failed. */
void write_file_atomically (const std::string & path,
    const std::vector<uchar> & data);

/* Writes the whole frame held in `buffer` (laid out as `info`) to `path` as a
 * JPEG, atomically. Throws std::runtime_error. */
void write_frame_jpeg (const std::string & path, GstBuffer * buffer,
    const GstVideoInfo & info, int quality);

}  // namespace wellpublish
