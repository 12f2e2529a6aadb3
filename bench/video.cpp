#include "video.h"

#include <fmt/core.h>
#include <gst/app/gstappsink.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace bench {

namespace fs = std::filesystem;

std::string bus_error(GstBus* bus) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (!msg) return {};
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  std::string text = err ? err->message : "unknown error";
  if (debug && *debug) text += fmt::format(" ({})", debug);
  if (err) g_error_free(err);
  g_free(debug);
  gst_message_unref(msg);
  return text;
}

// The first `max_frames` frames of `path` in `format` (a GStreamer video format

Video decode(const std::string& path, size_t max_frames, const std::string& format) {
  if (!fs::exists(path)) throw std::runtime_error(path + ": no such video file");
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(
      ("filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=" + format +
       " ! appsink name=sink sync=false")
          .c_str(),
      &err);
  if (!pipe) {
    std::string msg = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    throw std::runtime_error("cannot build the decoding pipeline: " + msg);
  }
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstBus* bus = gst_element_get_bus(pipe);
  auto cleanup = [&] {
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
  };

  Video v;
  std::string error;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = bus_error(bus);
    if (error.empty()) error = "the decoding pipeline did not start";
  }
  while (error.empty() && v.count < max_frames) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 2);
    if (!sample) {
      if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
      error = bus_error(bus);
      continue;
    }
    if (v.count == 0 && !gst_video_info_from_caps(&v.info, gst_sample_get_caps(sample))) {
      gst_sample_unref(sample);
      error = "decoder produced caps that are not raw video";
      break;
    }
    // Copy into the default layout of v.info, whatever strides the decoder used.
    v.data.resize((v.count + 1) * v.info.size);
    GstBuffer* dst_buf = gst_buffer_new_wrapped_full(static_cast<GstMemoryFlags>(0),
                                                     v.data.data() + v.count * v.info.size, v.info.size, 0,
                                                     v.info.size, nullptr, nullptr);
    GstVideoFrame src_frame, dst_frame;
    const bool mapped = gst_video_frame_map(&src_frame, &v.info, gst_sample_get_buffer(sample), GST_MAP_READ);
    if (mapped && gst_video_frame_map(&dst_frame, &v.info, dst_buf, GST_MAP_WRITE)) {
      if (!gst_video_frame_copy(&dst_frame, &src_frame)) error = "cannot copy a decoded frame";
      gst_video_frame_unmap(&dst_frame);
    } else {
      error = "cannot map a decoded frame";
    }
    if (mapped) gst_video_frame_unmap(&src_frame);
    gst_buffer_unref(dst_buf);
    gst_sample_unref(sample);
    if (!error.empty()) break;
    ++v.count;
  }
  cleanup();
  if (!error.empty()) throw std::runtime_error(path + ": " + error);
  if (v.count == 0) throw std::runtime_error(path + ": no video frames decoded");
  return v;
}

void write_raw(const Video& v, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const int w = GST_VIDEO_INFO_WIDTH(&v.info), h = GST_VIDEO_INFO_HEIGHT(&v.info);
  const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&v.info, 0);
  for (size_t i = 0; i < v.count; ++i)
    for (int y = 0; y < h; ++y)
      f.write(reinterpret_cast<const char*>(v.frame(i) + static_cast<size_t>(y) * stride), w * 3);
  if (!f.flush()) throw std::runtime_error(path + ": cannot write the frames for the Python reference");
}

}  // namespace bench
