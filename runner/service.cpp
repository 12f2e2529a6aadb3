#include "service.h"

#include "pipeline_description.h"
#include "secrets.h"
#include "well-meta.h"

#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>

namespace wellmonitor::run {

namespace {

int64_t now_ns() { return g_get_monotonic_time() * 1000; }

// systemd's WatchdogSec= for this process, 0 without one.
double watchdog_seconds() {
  uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0 ? static_cast<double>(usec) / 1e6 : 0.0;
}

bool has_property(GstElement* e, const char* name) {
  return e && g_object_class_find_property(G_OBJECT_GET_CLASS(e), name) != nullptr;
}

// A numeric or boolean property as a uint64 (0 when the element has none).
uint64_t get_u64(GstElement* e, const char* name) {
  GParamSpec* spec = e ? g_object_class_find_property(G_OBJECT_GET_CLASS(e), name) : nullptr;
  if (!spec) return 0;
  GValue value = G_VALUE_INIT, as_u64 = G_VALUE_INIT;
  g_value_init(&value, spec->value_type);
  g_object_get_property(G_OBJECT(e), name, &value);
  g_value_init(&as_u64, G_TYPE_UINT64);
  const uint64_t v = G_VALUE_HOLDS_BOOLEAN(&value)        ? uint64_t{g_value_get_boolean(&value) != FALSE}
                     : g_value_transform(&value, &as_u64) ? g_value_get_uint64(&as_u64)
                                                          : 0;
  g_value_unset(&value);
  g_value_unset(&as_u64);
  return v;
}

}  // namespace

Service::Service(const RunOptions& o, Health& health, std::string camera)
    : o_(o),
      health_(health),
      camera_(std::move(camera)),
      notify_(std::getenv("NOTIFY_SOCKET") && *std::getenv("NOTIFY_SOCKET")),
      heartbeat_(HeartbeatSettings{o.hang_timeout_s, watchdog_seconds()}) {
  health_.started_ns.store(now_ns());
}

Service::~Service() {
  server_.reset();  // no request in flight from here on
  std::lock_guard<std::mutex> lock(elements_mutex_);
  if (monitor_) gst_object_unref(monitor_);
  for (auto& p : publishers_) gst_object_unref(p.first);
}

// ------------------------------------------------------------------- the pipeline

GstFlowReturn Service::chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  auto* self = static_cast<Service*>(gst_pad_get_element_private(pad));
  self->health_.busy_since_ns.store(now_ns());
  const GstFlowReturn r = gst_proxy_pad_chain_default(pad, parent, buffer);
  self->health_.busy_since_ns.store(0);
  return r;
}

GstFlowReturn Service::chain_list(GstPad* pad, GstObject* parent, GstBufferList* list) {
  auto* self = static_cast<Service*>(gst_pad_get_element_private(pad));
  self->health_.busy_since_ns.store(now_ns());
  const GstFlowReturn r = gst_proxy_pad_chain_list_default(pad, parent, list);
  self->health_.busy_since_ns.store(0);
  return r;
}

GstPadProbeReturn Service::on_monitor_in(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer data) {
  static_cast<Service*>(data)->monitor_in_ns_.store(now_ns(), std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Service::on_monitor_out(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Service*>(data);
  if (!self->notify_ && self->o_.metrics_port < 0) return GST_PAD_PROBE_OK;  // nobody reads them
  const int64_t in = self->monitor_in_ns_.load(std::memory_order_relaxed);
  std::vector<wellmonitor::WellResult> wells;
  if (!well_meta_read(GST_PAD_PROBE_INFO_BUFFER(info), wells)) return GST_PAD_PROBE_OK;
  uint64_t alarms = 0;
  for (const auto& w : wells) alarms += w.alarm ? 1 : 0;
  self->health_.wells_in_alarm.store(alarms, std::memory_order_relaxed);
  self->health_.threshold.store(wells.front().threshold, std::memory_order_relaxed);
  // (frames carried over from the last analysed one took no scoring)
  if (wells.front().analysed && in > 0) self->scoring_.observe(static_cast<double>(now_ns() - in) / 1e9);
  return GST_PAD_PROBE_OK;
}

bool Service::attach(GstElement* downstream, GstPad* entry, std::string& error) {
  // Every frame's push into the pipeline, timed: the entry is a ghost pad of
  // ours, and its chain function runs for as long as the frame's push does.
  gst_pad_set_element_private(entry, this);
  gst_pad_set_chain_function(entry, chain);
  gst_pad_set_chain_list_function(entry, chain_list);

  const bool metrics = o_.metrics_port >= 0;
  {
    std::lock_guard<std::mutex> lock(elements_mutex_);
    monitor_ = gst_bin_get_by_name(GST_BIN(downstream), kMonitorName);
    for (const auto& [name, method] : {std::pair<const char*, const char*>{"publish", "mqtt"}, {"events", "file"}})
      if (GstElement* e = gst_bin_get_by_name(GST_BIN(downstream), name)) publishers_.emplace_back(e, method);
  }
  if (monitor_) {
    if (GstPad* in = gst_element_get_static_pad(monitor_, "sink")) {
      gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, on_monitor_in, this, nullptr);
      gst_object_unref(in);
    }
    if (GstPad* out = gst_element_get_static_pad(monitor_, "src")) {
      gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, on_monitor_out, this, nullptr);
      gst_object_unref(out);
    }
    // wellmonitor's own frame counters come with its scores messages
    if (metrics && has_property(monitor_, "post-scores")) g_object_set(monitor_, "post-scores", TRUE, nullptr);
  }

  // The broker's password, in the process only: a file the element reads
  // itself where it can, else the value.
  if (!o_.mqtt_password_file.empty()) {
    for (auto& [e, method] : publishers_) {
      if (method != "mqtt") continue;
      if (has_property(e, "password-file")) {
        g_object_set(e, "password-file", o_.mqtt_password_file.c_str(), nullptr);
      } else {
        const auto secret = read_secret_file(o_.mqtt_password_file, error);
        if (!secret) return false;
        g_object_set(e, "password", secret->c_str(), nullptr);
      }
    }
  }
  if (!o_.rtsp_password_file.empty()) {
    const auto secret = read_secret_file(o_.rtsp_password_file, error);
    if (!secret) return false;
    rtsp_password_ = *secret;
  }

  if (metrics) {
    server_ = MetricsServer::start(o_.metrics_address, o_.metrics_port, [this] { return render_metrics(); }, error);
    if (!server_) return false;
    std::fprintf(stderr, "%s: metrics at %s\n", o_.name.c_str(), server_->url().c_str());
  }
  return true;
}

void Service::configure_source(GstElement* source_bin) {
  if (o_.rtsp_user.empty()) return;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(source_bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement* e = GST_ELEMENT(g_value_get_object(&item));
    if (has_property(e, "user-id") && has_property(e, "user-pw"))
      g_object_set(e, "user-id", o_.rtsp_user.c_str(), "user-pw", rtsp_password_.c_str(), nullptr);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

void Service::on_scores(const GstStructure* s) {
  guint64 analysed = 0, late = 0;
  if (!gst_structure_get_uint64(s, "frames-analysed", &analysed)) return;
  gst_structure_get_uint64(s, "frames-late", &late);
  health_.frames_analysed.store(analysed);
  health_.frames_late.store(late);
  health_.monitor_counters.store(true);
}

// ------------------------------------------------------------------- systemd

void Service::notify(const std::string& lines) {
  if (notify_ && !lines.empty()) sd_notify(0, lines.c_str());
}

void Service::ready(const HeartbeatInput& in) { notify(heartbeat_.ready(in)); }

void Service::tick(const HeartbeatInput& in) {
  const HeartbeatStep step = heartbeat_.tick(in);
  health_.sound.store(step.sound);
  if (!step.log.empty()) std::fprintf(stderr, "%s: %s\n", o_.name.c_str(), step.log.c_str());
  notify(step.notify);
}

void Service::stopping(const std::string& why) { notify(heartbeat_.stopping(why)); }

// ------------------------------------------------------------------- metrics

std::string Service::render_metrics() {
  CameraMetrics m;
  m.camera = camera_;
  m.frames_in = health_.frames_in.load();
  m.counters_from_monitor = health_.monitor_counters.load();
  m.frames_analysed = health_.frames_analysed.load();
  m.frames_late = health_.frames_late.load();
  m.camera_up = health_.camera_up.load();
  const int64_t last = health_.last_frame_in_ns.load();
  m.last_frame_age_s = static_cast<double>(now_ns() - (last > 0 ? last : health_.started_ns.load())) / 1e9;
  m.wells_in_alarm = health_.wells_in_alarm.load();
  m.alarms = health_.alarms.load();
  m.clears = health_.clears.load();
  m.camera_losses = health_.camera_losses.load();
  m.sound = health_.sound.load();
  if (const double t = health_.threshold.load(); t >= 0) m.threshold = t;
  m.scoring = scoring_.snapshot();
  std::lock_guard<std::mutex> lock(elements_mutex_);
  if (has_property(monitor_, "model")) {
    gchar* model = nullptr;
    g_object_get(monitor_, "model", &model, nullptr);
    if (model) m.model = model;
    g_free(model);
  }
  for (const auto& [e, method] : publishers_) {
    PublisherMetrics p;
    p.method = method;
    p.connected = get_u64(e, "connected") != 0;
    p.queued = get_u64(e, "waiting");
    p.delivered = get_u64(e, "delivered");
    p.dropped = get_u64(e, "dropped");
    if (has_property(e, "spooled")) p.spooled = get_u64(e, "spooled");
    m.publishers.push_back(p);
  }
  return format_metrics({m});
}

}  // namespace wellmonitor::run
