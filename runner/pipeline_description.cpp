#include "pipeline_description.h"

#include "camera_id.h"

#include <cstdio>
#include <vector>

namespace wellmonitor::run {

std::string gst_quote(const std::string& value) {
  std::string q = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string source_description(const RunOptions& o) {
  switch (o.mode) {
    case Mode::kFile:
    case Mode::kHeadless:
    case Mode::kDemo:
      return "filesrc location=" + gst_quote(o.input);
    case Mode::kRtsp:
      return "rtspsrc location=" + gst_quote(o.input) + " latency=" + std::to_string(o.latency_ms) +
             (o.tcp ? " protocols=tcp" : "");
    case Mode::kCamera:
      return "v4l2src device=" + gst_quote(o.input) + (o.caps.empty() ? "" : " ! " + o.caps);
    case Mode::kLive:
      return o.input;
  }
  return "";
}

namespace {

std::string monitor_words(const RunOptions& o, const PipelinePlan& plan) {
  if (plan.stub_elements) return "identity name=" + std::string(kMonitorName);
  std::string s = std::string("wellmonitor name=") + kMonitorName + " wells=" + gst_quote(o.wells);
  if (!o.model.empty()) s += " model=" + gst_quote(o.model);
  const std::pair<const char*, const std::string*> plain[] = {
      {"threshold", &o.threshold},     {"device", &o.device},     {"alarm-frames", &o.alarm_frames},
      {"clear-frames", &o.clear_frames}, {"interval", &o.interval}, {"threads", &o.threads}};
  for (const auto& [key, value] : plain)
    if (!value->empty()) s += std::string(" ") + key + "=" + *value;
  if (!o.reference_frame.empty()) s += " reference-frame=" + gst_quote(o.reference_frame);
  if (o.stretch) s += " stretch=true";
  return s;
}

std::string publisher_words(const RunOptions& o, const char* name, const char* method, const std::string& address,
                            const std::string& spool = "") {
  std::string s = std::string("wellpublish name=") + name + " method=" + method + " address=" + gst_quote(address);
  if (!o.camera.empty()) s += " camera=" + gst_quote(o.camera);
  if (!o.mqtt_topic.empty() && std::string(method) == "mqtt") s += " topic=" + gst_quote(o.mqtt_topic);
  if (!o.frame_dir.empty()) s += " frame-dir=" + gst_quote(o.frame_dir);
  if (!spool.empty()) s += " spool=" + gst_quote(spool);
  return s;
}

}  // namespace

std::string downstream_description(const RunOptions& o, const PipelinePlan& plan) {
  const bool live = is_live(o.mode);
  const std::string sync = live || o.fast ? "false" : "true";
  std::vector<std::string> branches;  // each without its queue
  std::vector<std::string> queues;
  if (o.display) {
    branches.push_back("videoconvert ! " + plan.display_sink + " sync=" + sync);
    queues.push_back(live ? "queue leaky=downstream max-size-buffers=2" : "queue");
  }
  if (!o.output.empty()) {
    branches.push_back("videoconvert ! video/x-raw,format=I420 ! " + plan.encoder +
                       " ! mp4mux fragment-duration=1000 ! filesink location=" + gst_quote(o.output));
    queues.push_back("queue");
  }
  if (!o.record_dir.empty()) {
    char ns[32];
    std::snprintf(ns, sizeof ns, "%.0f", o.record_segment_s * 1e9);
    const std::string pattern = o.record_dir + "/" + safe_file_stem(o.camera_name()) + "-%05d.ts";
    branches.push_back("videoconvert ! video/x-raw,format=I420 ! " + plan.record_encoder + " ! splitmuxsink name=" +
                       kRecorderName + " muxer-factory=mpegtsmux max-size-time=" + ns +
                       " send-keyframe-requests=true location=" + gst_quote(pattern));
    // a slow encoder drops recorded frames, never holds up the monitor
    queues.push_back(live ? "queue leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=2000000000"
                          : "queue");
  }
  if (o.restream_port >= 0) {
    // frames handed to the RTSP server (restream.h), whose own queue drops
    // them when a viewer is slow; live, this queue drops them too
    branches.push_back(std::string("appsink name=") + kRestreamSinkName + " sync=" + sync +
                       " async=false max-buffers=1 drop=true enable-last-sample=false");
    queues.push_back(live ? "queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0" : "queue");
  }
  const bool annotated = !branches.empty();
  // a file at the video's pace (file.sh without --fast): a sink that waits for
  // each frame's time, also when the only branches write files (a recording,
  // shadow mode), which never wait. Not for the demo's annotated video: without
  // a window the demo runs as fast as it can, and its encoder, which holds
  // frames back, would never let a waiting sink beside it preroll.
  if (branches.empty() || (o.mode == Mode::kFile && sync == "true" && !o.display && o.restream_port < 0)) {
    branches.push_back("fakesink sync=" + sync);
    queues.push_back("queue");
  }

  // No leaky queue in front of the monitor, even live: a queue that drops
  // frames flags the next one DISCONT, and wellmonitor starts every well's
  // debounce again on a DISCONT: on a machine slower than the camera no alarm
  // would ever complete. A slow machine lags instead (and the recording and
  // window branches drop their own frames).
  std::string s = std::string("videoconvert name=") + kEntryName + " ! " + monitor_words(o, plan);
  if (!o.mqtt.empty()) s += " ! " + publisher_words(o, "publish", "mqtt", o.mqtt, o.spool);
  if (!o.events.empty()) s += " ! " + publisher_words(o, "events", "file", o.events);
  if (annotated)
    s += std::string(plan.stub_elements ? " ! identity name=" : " ! welloverlay name=") + kOverlayName +
         (plan.stub_elements || o.overlay_scale.empty() ? "" : " scale=" + o.overlay_scale);
  if (branches.size() == 1) return s + " ! " + branches[0];
  s += " ! tee name=wm_tee ! " + queues[0] + " ! " + branches[0];
  for (size_t i = 1; i < branches.size(); ++i) s += "  wm_tee. ! " + queues[i] + " ! " + branches[i];
  return s;
}

std::string launch_description(const RunOptions& o, const PipelinePlan& plan) {
  return source_description(o) + " ! decodebin name=" + kDecoderName + " ! " + downstream_description(o, plan);
}

}  // namespace wellmonitor::run
