#include "restream.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

namespace wellmonitor::run {

namespace {

// The media's source, by name.
constexpr const char* kViewSourceName = "wm_view";
// How often the main loop checks for a stalled picture, and after how long
// without a frame the last one goes out again.
constexpr guint kRepeatCheckMs = 250;
constexpr gint64 kRepeatAfterUs = G_USEC_PER_SEC;

}  // namespace

std::string restream_encoder(std::string& error) {
  if (const char* forced = std::getenv("WELLMONITOR_RESTREAM_ENCODER"); forced && *forced) return forced;
  // a key frame every 24 frames (2 s at the replay's 12 fps): a viewer that
  // joins sees a picture within that
  const std::pair<const char*, const char*> candidates[] = {
      {"x264enc", "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=24 bitrate=4000"},
      {"openh264enc", "openh264enc bitrate=4000000 complexity=low gop-size=24"},
  };
  for (const auto& [factory, words] : candidates) {
    if (GstElementFactory* f = gst_element_factory_find(factory)) {
      gst_object_unref(f);
      return words;
    }
  }
  error =
      "the re-stream needs an H.264 encoder: apt-get install gstreamer1.0-plugins-ugly (x264enc) or "
      "gstreamer1.0-plugins-bad (openh264enc)";
  return "";
}

struct Restream::State {
  GstElement* appsink = nullptr;
  RestreamSettings settings;
  GstRTSPServer* server = nullptr;
  GstRTSPMediaFactory* factory = nullptr;
  guint server_source = 0;
  guint repeat_source = 0;
  int bound_port = 0;

  std::mutex mutex;  // what follows: the streaming thread, the main loop, the media's threads
  GstSample* last = nullptr;  // the newest frame
  gint64 last_push_us = 0;
  // each prepared media (shared: one at a time) and its appsrc
  std::vector<std::pair<GstRTSPMedia*, GstElement*>> viewers;

  // Hands `sample` to every viewer, stamped by its appsrc as it leaves
  // (do-timestamp): the media runs on its own clock. Mutex held.
  void push_locked(GstSample* sample) {
    last_push_us = g_get_monotonic_time();
    if (viewers.empty()) return;
    GstBuffer* buffer = gst_buffer_copy(gst_sample_get_buffer(sample));  // the memory is shared
    GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = GST_BUFFER_DURATION(buffer) = GST_CLOCK_TIME_NONE;
    GstSample* stamped = gst_sample_new(buffer, gst_sample_get_caps(sample), nullptr, nullptr);
    gst_buffer_unref(buffer);
    // never blocks: the appsrc drops its oldest frame when full
    for (const auto& viewer : viewers) gst_app_src_push_sample(GST_APP_SRC(viewer.second), stamped);
    gst_sample_unref(stamped);
  }

  // --- callbacks

  static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (!sample) return GST_FLOW_OK;
    std::lock_guard<std::mutex> lock(self->mutex);
    if (self->last) gst_sample_unref(self->last);
    self->last = sample;
    self->push_locked(sample);
    return GST_FLOW_OK;
  }

  static void on_media_unprepared(GstRTSPMedia* media, gpointer data) {
    auto* self = static_cast<State*>(data);
    std::lock_guard<std::mutex> lock(self->mutex);
    for (auto it = self->viewers.begin(); it != self->viewers.end(); ++it) {
      if (it->first != media) continue;
      g_signal_handlers_disconnect_by_data(it->first, self);
      g_object_unref(it->first);
      gst_object_unref(it->second);
      self->viewers.erase(it);
      break;
    }
  }

  // A viewer's media is being made: its appsrc gets the frames from now on,
  // the newest at once (so that it prerolls and answers DESCRIBE).
  static void on_media_configure(GstRTSPMediaFactory* /*factory*/, GstRTSPMedia* media, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstElement* element = gst_rtsp_media_get_element(media);
    GstElement* src = element ? gst_bin_get_by_name_recurse_up(GST_BIN(element), kViewSourceName) : nullptr;
    if (element) gst_object_unref(element);
    if (!src) return;
    g_signal_connect(media, "unprepared", G_CALLBACK(on_media_unprepared), self);
    std::lock_guard<std::mutex> lock(self->mutex);
    self->viewers.emplace_back(GST_RTSP_MEDIA(g_object_ref(media)), src);
    if (self->last) {
      gst_app_src_set_caps(GST_APP_SRC(src), gst_sample_get_caps(self->last));
      self->push_locked(self->last);
    }
  }

  static gboolean on_repeat(gpointer data) {
    auto* self = static_cast<State*>(data);
    std::lock_guard<std::mutex> lock(self->mutex);
    if (self->last && !self->viewers.empty() && g_get_monotonic_time() - self->last_push_us > kRepeatAfterUs)
      self->push_locked(self->last);
    return G_SOURCE_CONTINUE;
  }
};

Restream::Restream(GstElement* appsink, RestreamSettings settings) : s_(std::make_unique<State>()) {
  s_->appsink = GST_ELEMENT(gst_object_ref(appsink));
  s_->settings = std::move(settings);
}

Restream::~Restream() {
  State& s = *s_;
  GstAppSinkCallbacks none{};
  gst_app_sink_set_callbacks(GST_APP_SINK(s.appsink), &none, nullptr, nullptr);
  if (s.repeat_source) g_source_remove(s.repeat_source);
  if (s.factory) {
    g_signal_handlers_disconnect_by_data(s.factory, &s);
    g_object_unref(s.factory);
  }
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (auto& [media, src] : s.viewers) {
      g_signal_handlers_disconnect_by_data(media, &s);
      g_object_unref(media);
      gst_object_unref(src);
    }
    s.viewers.clear();
    if (s.last) gst_sample_unref(s.last);
    s.last = nullptr;
  }
  if (s.server) {
    // every viewer's connection closed: their players say so at once
    GList* kept = gst_rtsp_server_client_filter(
        s.server, [](GstRTSPServer*, GstRTSPClient*, gpointer) { return GST_RTSP_FILTER_REMOVE; }, nullptr);
    g_list_free_full(kept, g_object_unref);
    if (s.server_source) g_source_remove(s.server_source);
    g_object_unref(s.server);
  }
  gst_object_unref(s.appsink);
}

bool Restream::start(std::string& error) {
  State& s = *s_;
  s.server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(s.server, s.settings.address.c_str());
  gst_rtsp_server_set_service(s.server, std::to_string(s.settings.port).c_str());

  s.factory = gst_rtsp_media_factory_new();
  const std::string launch = std::string("( appsrc name=") + kViewSourceName +
                             " is-live=true format=time do-timestamp=true max-buffers=2 leaky-type=downstream"
                             " ! videoconvert ! video/x-raw,format=I420 ! " +
                             s.settings.encoder + " ! rtph264pay name=pay0 pt=96 config-interval=-1 )";
  gst_rtsp_media_factory_set_launch(s.factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(s.factory, TRUE);
  g_signal_connect(s.factory, "media-configure", G_CALLBACK(State::on_media_configure), &s);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(s.server);
  gst_rtsp_mount_points_add_factory(mounts, s.settings.path.c_str(), GST_RTSP_MEDIA_FACTORY(g_object_ref(s.factory)));
  g_object_unref(mounts);

  s.server_source = gst_rtsp_server_attach(s.server, nullptr);
  if (!s.server_source) {
    error = "cannot serve the live view on " + s.settings.address + ":" + std::to_string(s.settings.port) +
            " (the port is taken, or the address is not one of this machine's)";
    return false;
  }
  s.bound_port = gst_rtsp_server_get_bound_port(s.server);

  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = State::on_new_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(s.appsink), &callbacks, &s, nullptr);
  s.repeat_source = g_timeout_add(kRepeatCheckMs, State::on_repeat, &s);
  return true;
}

std::string Restream::url() const {
  const std::string& a = s_->settings.address;
  const std::string host = a.find(':') != std::string::npos ? "[" + a + "]" : a;
  return "rtsp://" + host + ":" + std::to_string(s_->bound_port) + s_->settings.path;
}

}  // namespace wellmonitor::run
