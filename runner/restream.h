// The annotated view re-streamed over RTSP (gst-rtsp-server), for the screens
// of a control room and for NVRs, from a monitor that runs headless as a
// service.
//
// The pipeline's re-stream branch ends in an appsink (kRestreamSinkName in
// pipeline_description.h). Each frame it takes is handed, without a copy, to
// the appsrc of the RTSP media, which keeps at most two and drops the oldest
// when its encoder falls behind: a slow, stalled or absent viewer never holds
// up the monitor. The media (appsrc ! videoconvert ! H.264 ! rtph264pay) is
// shared: one encoder for all viewers, running only while someone watches.
// While no frame comes (a camera lost) the last one is sent again every second,
// so viewers keep the picture (welloverlay draws "CAMERA LOST" on it) and
// their connection.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

namespace wellmonitor::run {

struct RestreamSettings {
  std::string address = "127.0.0.1";  // where to listen
  int port = 8554;                     // 0: any free port
  std::string path = "/camera";        // the mount point
  std::string encoder;                 // gst-launch words of an H.264 encoder
};

// The H.264 encoder this machine offers for the re-stream (x264enc, else
// openh264enc; $WELLMONITOR_RESTREAM_ENCODER overrides, gst-launch words
// ending in H.264); "" and `error` set when there is none. Needs gst_init.
std::string restream_encoder(std::string& error);

class Restream {
 public:
  // `appsink`: the pipeline's re-stream branch (a reference is taken).
  Restream(GstElement* appsink, RestreamSettings settings);
  // Stops serving: closes the viewers' connections. Destroy it after the
  // pipeline has stopped.
  ~Restream();
  Restream(const Restream&) = delete;
  Restream& operator=(const Restream&) = delete;

  // Listens, on the default main context; false with `error` when it cannot
  // (the port is taken, the address is not this machine's).
  bool start(std::string& error);
  // rtsp://address:port/path, with the port bound.
  std::string url() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace wellmonitor::run
