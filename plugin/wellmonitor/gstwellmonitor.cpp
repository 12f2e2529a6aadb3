/* wellmonitor: per-well spill detection on a casting table's camera.
 */

/**
 * SECTION:element-wellmonitor
 * @title: wellmonitor
 * @see_also: welloverlay, wellpublish
 *
 * wellmonitor watches a casting table. For every analysed frame it crops each
 * well named in the layout file (#GstWellMonitor:wells) out of the frame,
 * scores all crops with the model file's network (#GstWellMonitor:model) in
 * one batched forward pass, compares each score with the threshold and
 * decides per well, in seconds of the buffers' timestamps: a well goes into
 * alarm once its score (or its mean over #GstWellMonitor:smoothing-seconds)
 * has stayed over the threshold for #GstWellMonitor:alarm-seconds, and clears
 * once it has stayed at or under #GstWellMonitor:clear-ratio times the
 * threshold for #GstWellMonitor:clear-seconds. The video
 * passes through untouched; only the wells' crops are converted (by
 * GStreamer's own GstVideoConverter), so a well scores the same in every
 * format and as `wellmonitor-trainer evaluate` scores its crop.
 *
 * Every buffer carries one #GstVideoRegionOfInterestMeta per well (type
 * "well", id = the well's index in the layout, box in stream pixels) whose
 * parameter structure "wellmonitor" holds "well", "score", "threshold",
 * "anomaly", "alarm" and "analysed" (FALSE when carried over from the last
 * analysed frame). welloverlay and wellpublish read only these metas.
 *
 * ## Messages
 *
 * Element messages, each with the time fields "timestamp", "stream-time",
 * "running-time" (#G_TYPE_UINT64 ns, GST_CLOCK_TIME_NONE when unknown) and
 * "frame" (#G_TYPE_UINT64, the buffer's index among the buffers the element
 * received since it started, 0 = first: frames dropped upstream are not
 * counted). A message about an event (a camera lost, an alarm ended at EOS)
 * carries the last frame's.
 *
 * * "wellmonitor-alarm": a well started spilling, once per spill, on the
 *   frame that completes #GstWellMonitor:alarm-seconds. "well" (string),
 *   "score", "threshold" (double), "x", "y", "width", "height" (int, the
 *   well's box).
 * * "wellmonitor-clear": the end of that alarm, exactly one per alarm; the
 *   same fields and "reason" (string): "normal" (seen normal again),
 *   "camera-lost", "camera-obscured", "stopped" (EOS, posted before the EOS
 *   goes on, a stop, or a flushing seek) or "reconfigured" (a new layout):
 *   the words of the MQTT clear event.
 * * "wellmonitor-scores" (#GstWellMonitor:post-scores): per analysed frame,
 *   "wells" and "scores" (#GstValueArray, layout order), "threshold",
 *   "frames-analysed", "frames-skipped" (late, or between two of
 *   #GstWellMonitor:interval; analysed + skipped = frame + 1) and
 *   "frames-late".
 * * "wellmonitor-summary": at EOS, "frames" (the frames in) and the three
 *   counters above (no time fields).
 * * "wellmonitor-reconfigured": a model or layout set while running is in
 *   use from "frame" on; "model", "wells" (the files in use). A new layout
 *   also sends the custom downstream event "wellmonitor-layout-changed"
 *   ("wells") before the first frame with the new wells: wellpublish ends
 *   its alarms on it with reason "reconfigured".
 * * "wellmonitor-camera-moved" (#GstWellMonitor:reference-frame): the table
 *   moved in the picture: "dx", "dy" (stream pixels), "confidence" (0..1),
 *   "followed" (#GstWellMonitor:follow-shift), "offset-x", "offset-y" (the
 *   boxes' offset from the layout now).
 * * "wellmonitor-camera-lost" ("reason": the runner's) and
 *   "wellmonitor-camera-back": the custom downstream events of those names
 *   came in (and go on downstream); in between no frame is analysed.
 * * "wellmonitor-shelved" (#GstWellMonitor:shelved-wells, or the upstream
 *   event "wellmonitor-shelve" that wellpublish sends for an operator's
 *   command): a well was shelved or put back: "well", "shelved" (boolean),
 *   "by", "note", "text" (one line for a log). An alarm in progress on a
 *   shelved well ends first, with reason "shelved".
 * * "wellmonitor-camera-obscured" and "wellmonitor-camera-unobscured"
 *   (#GstWellMonitor:reference-frame, #GstWellMonitor:obscured-time): the
 *   view over the wells has far less contrast or sharpness than the
 *   reference frame's, or is back: "reason" (what was seen, in words),
 *   "contrast", "sharpness", "reference-contrast", "reference-sharpness"
 *   (double); the same structures go downstream as custom events; in
 *   between no frame is analysed.
 *
 * Every alarm ends exactly once. A gap in the frames (frames dropped
 * upstream, a buffer flagged DISCONT, a late frame under QoS) ends none and
 * raises none again: the runs over or under the threshold start again and
 * an alarm in progress stays open. A stream whose aspect ratio differs from
 * the layout's by more than 1% is refused (not-negotiated) with one error
 * unless #GstWellMonitor:stretch is TRUE.
 *
 * #GstWellMonitor:model, #GstWellMonitor:wells and #GstWellMonitor:threshold
 * may change while playing: a new model or layout is loaded by a thread of
 * the element's own and swapped in between two frames, or refused with a
 * warning and the old one kept. Under QoS (#GstBaseTransform:qos) frames that
 * come late pass with the last scores instead of being dropped. The full
 * reference, with the figures behind the defaults, is
 * docs/elements/wellmonitor.md.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=table.mp4 ! decodebin ! videoconvert ! \
 *     wellmonitor wells=casting-table.wells ! welloverlay ! videoconvert ! autovideosink
 * ]| Monitors a recording with the installed default model; alarms appear on
 * the bus (printed by -m) and on screen.
 */

#include "gstwellmonitor.h"

#include "monitor-core.h"
#include "monitor-properties.h"
#include "reloader.h"
#include "video-formats.h"

#include "wellmonitor/camera_events.h"

#include <string>

GST_DEBUG_CATEGORY_STATIC (gst_well_monitor_debug);
#define GST_CAT_DEFAULT gst_well_monitor_debug

using wellmonitor::PROP_MODEL;
using wellmonitor::PROP_WELLS;

static GstStaticPadTemplate gst_well_monitor_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

static GstStaticPadTemplate gst_well_monitor_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

/* What the core asks of the element: its messages on the bus, and a file
 * refused while running set back in the property. */
class ElementHost : public wellmonitor::MonitorHost
{
public:
  explicit ElementHost (GstWellMonitor * self) : self_ (self) {}
  void post (GstStructure * s) override;
  void report (GstMessageType type, GQuark domain, gint code,
      const std::string & text, const std::string & debug) override;
  void revert (wellmonitor::ReloadKind kind, const std::string & refused,
      const std::string & kept) override;
  void push_event (GstEvent * event) override;

private:
  GstWellMonitor *self_;
};

/* C++ state; lives from init to finalize. `props` and `running` are under
 * the object lock; `core` is driven by the vfuncs, which GstBaseTransform
 * serialises (its QoS report and reload requests are thread-safe). */
struct GstWellMonitorPrivate
{
  explicit GstWellMonitorPrivate (GstWellMonitor * self)
    : host (self), core (host, gst_well_monitor_debug, G_OBJECT (self)) {}

  wellmonitor::MonitorProperties props;
  bool running = false;                 /* between start and stop */
  ElementHost host;
  wellmonitor::MonitorCore core;
};

struct _GstWellMonitor
{
  GstVideoFilter parent;
  GstWellMonitorPrivate *priv;
};

#define gst_well_monitor_parent_class parent_class
G_DEFINE_TYPE (GstWellMonitor, gst_well_monitor, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (wellmonitor, "wellmonitor", GST_RANK_NONE,
    GST_TYPE_WELL_MONITOR);

static void gst_well_monitor_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_well_monitor_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_well_monitor_finalize (GObject * object);

void
ElementHost::post (GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self_),
      gst_message_new_element (GST_OBJECT (self_), s));
}

void
ElementHost::report (GstMessageType type, GQuark domain, gint code,
    const std::string & text, const std::string & debug)
{
  gst_element_message_full (GST_ELEMENT (self_), type, domain, code,
      text.empty ()? NULL : g_strdup (text.c_str ()),
      debug.empty ()? NULL : g_strdup (debug.c_str ()), __FILE__,
      GST_FUNCTION, __LINE__);
}

void
ElementHost::revert (wellmonitor::ReloadKind kind, const std::string & refused,
    const std::string & kept)
{
  const guint prop = kind == wellmonitor::ReloadKind::kModel ? PROP_MODEL :
      PROP_WELLS;
  GST_OBJECT_LOCK (self_);
  const bool reverted = self_->priv->props.revert (prop, refused, kept);
  GST_OBJECT_UNLOCK (self_);
  if (reverted)
    g_object_notify (G_OBJECT (self_), prop == PROP_MODEL ? "model" : "wells");
}

void
ElementHost::push_event (GstEvent * event)
{
  gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self_), event);
}

/* Asks the core to load a new model or layout while running. */
static void
request_reload (GstWellMonitor * self, guint prop, const std::string & path)
{
  self->priv->core.request_reload (prop == PROP_MODEL ?
      wellmonitor::ReloadKind::kModel : wellmonitor::ReloadKind::kWells, path);
}

/* ------------------------------------------------------------------ vfuncs */

/* The LATENCY query (from the sinks, in a live pipeline): upstream's answer
 * plus the time a frame may spend here (#GstWellMonitor:latency). */
static gboolean
gst_well_monitor_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);
  if (direction != GST_PAD_SRC || GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
        query);
  if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (trans), query))
    return FALSE;
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  GST_OBJECT_LOCK (self);
  const GstClockTime own = self->priv->props.latency * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  if (live) {
    min += own;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += own;
  }
  GST_DEBUG_OBJECT (self, "latency: live %d, min %" GST_TIME_FORMAT ", max %"
      GST_TIME_FORMAT, live, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

static gboolean
gst_well_monitor_start (GstBaseTransform * trans)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);
  GstWellMonitorPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  const wellmonitor::MonitorProperties props = priv->props;
  GST_OBJECT_UNLOCK (self);
  if (!priv->core.start (props))
    return FALSE;

  /* from now on a new model or layout is loaded at once; one set since the
   * properties were read above is loaded now */
  GST_OBJECT_LOCK (self);
  priv->props.active_device = priv->core.device ();
  priv->running = true;
  const std::string model = priv->props.model.value_or ("");
  const std::string wells = priv->props.wells.value_or ("");
  const bool model_changed = priv->props.model != props.model;
  const bool wells_changed = priv->props.wells != props.wells;
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "active-device");
  if (model_changed)
    request_reload (self, PROP_MODEL, model);
  if (wells_changed)
    request_reload (self, PROP_WELLS, wells);
  return TRUE;
}

static gboolean
gst_well_monitor_stop (GstBaseTransform * trans)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  GST_OBJECT_LOCK (self);
  self->priv->running = false;
  GST_OBJECT_UNLOCK (self);
  self->priv->core.stop ();
  return TRUE;
}

static gboolean
gst_well_monitor_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      self->priv->core.eos ();
      break;
    case GST_EVENT_FLUSH_STOP:
      self->priv->core.flush ();
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      /* the runner's camera events; forwarded for wellpublish */
      const GstStructure *s = gst_event_get_structure (event);
      if (gst_structure_has_name (s, wellmonitor::kCameraLostEvent)) {
        const gchar *reason = gst_structure_get_string (s, "reason");
        self->priv->core.camera_lost (reason ? reason : "unknown");
      } else if (gst_structure_has_name (s, wellmonitor::kCameraBackEvent)) {
        self->priv->core.camera_back ();
      }
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* QoS from downstream: frames that arrive too late to be shown in time are
 * passed on without analysis until the element has caught up. GstBaseTransform
 * would drop them (losing video and marking the next buffer DISCONT); the
 * element keeps every frame and only skips the model, so the QoS event is
 * recorded here and sent on upstream. */
static gboolean
gst_well_monitor_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  wellmonitor::ShelveRequest shelve;
  if (wellmonitor::shelve_event_parse (event, shelve)) {
    /* an operator's command (wellpublish): applied before the next frame */
    GST_INFO_OBJECT (self, "%s well %s (by %s)", shelve.shelved ? "shelve" :
        "put back", shelve.well.c_str (), shelve.by.c_str ());
    self->priv->core.shelving ().request (shelve);
    gst_event_unref (event);
    return TRUE;
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos (event, NULL, NULL, &diff, &timestamp);
    self->priv->core.qos (diff, timestamp);
    return gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (trans), event);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* Brings controlled properties (threshold) to the buffer's stream time, as
 * videobalance does. */
static void
gst_well_monitor_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  const GstClockTime stream_time = wellmonitor::buffer_times (&trans->segment,
      GST_BUFFER_PTS (buffer)).stream_time;
  GST_LOG_OBJECT (trans, "sync to %" GST_TIME_FORMAT, GST_TIME_ARGS (stream_time));
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (trans), stream_time);
}

/* Scales the layout's boxes to the negotiated size and sizes the scratch
 * images, so that the streaming thread allocates nothing per frame. */
static gboolean
gst_well_monitor_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstWellMonitor *self = GST_WELL_MONITOR (filter);

  (void) incaps;
  (void) outcaps;
  (void) out_info;
  GST_OBJECT_LOCK (self);
  const bool stretch = self->priv->props.stretch;
  GST_OBJECT_UNLOCK (self);
  return self->priv->core.set_info (in_info, stretch);
}

static GstFlowReturn
gst_well_monitor_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellMonitor *self = GST_WELL_MONITOR (filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM (filter);

  GST_OBJECT_LOCK (self);
  const wellmonitor::FrameSettings settings =
      self->priv->props.frame_settings ();
  GST_OBJECT_UNLOCK (self);
  return self->priv->core.frame (frame, settings, &trans->segment,
      gst_base_transform_is_qos_enabled (trans));
}

/* ---------------------------------------------------------------- class */

static void
gst_well_monitor_class_init (GstWellMonitorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_well_monitor_debug, "wellmonitor", 0,
      "casting-table well spill monitor");

  gobject_class->set_property = gst_well_monitor_set_property;
  gobject_class->get_property = gst_well_monitor_get_property;
  gobject_class->finalize = gst_well_monitor_finalize;
  /* each with its doc block, in monitor-properties.cpp */
  wellmonitor::install_monitor_properties (gobject_class,
      wellmonitor::default_model_path ());
  /**
   * GstWellMonitor:shelved-wells:
   *
   * Wells shelved (masked) by an operator, their ids separated by commas: a
   * shelved well raises no alarm, and an alarm in progress on it ends
   * (reason "shelved"). Settable while playing; wellpublish's command topic
   * changes it too (reading it gives the wells shelved now).
   */
  g_object_class_install_property (gobject_class, wellmonitor::kPropShelvedWells,
      g_param_spec_string ("shelved-wells", "Shelved wells",
          "Wells that raise no alarm (ids separated by commas)", "",
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_set_static_metadata (element_class,
      "Well spill monitor",
      "Filter/Analyzer/Video",
      "Scores every well of a casting table with a model and posts a message "
      "when one spills", "wellmonitor project");

  gst_element_class_add_static_pad_template (element_class,
      &gst_well_monitor_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_well_monitor_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_well_monitor_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_well_monitor_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_well_monitor_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_well_monitor_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_well_monitor_query);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_well_monitor_before_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_well_monitor_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_well_monitor_transform_frame_ip);
}

static void
gst_well_monitor_init (GstWellMonitor * self)
{
  self->priv = new GstWellMonitorPrivate (self);
  self->priv->props.model = wellmonitor::default_model_path ();

  /* analyses in place: never a copy, never a change to the pixels */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_well_monitor_finalize (GObject * object)
{
  GstWellMonitor *self = GST_WELL_MONITOR (object);

  delete self->priv;
  self->priv = NULL;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_well_monitor_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellMonitor *self = GST_WELL_MONITOR (object);
  wellmonitor::MonitorProperties & props = self->priv->props;
  if (prop_id == wellmonitor::kPropShelvedWells) {
    const gchar *list = g_value_get_string (value);
    self->priv->core.shelving ().set_list (list ? list : "");
    GST_INFO_OBJECT (self, "shelved wells: '%s'", list ? list : "");
    return;
  }
  const bool needs_restart = prop_id == wellmonitor::PROP_DEVICE
      || prop_id == wellmonitor::PROP_THREADS
      || prop_id == wellmonitor::PROP_REFERENCE_FRAME;
  const bool reloads = prop_id == PROP_MODEL || prop_id == PROP_WELLS;

  GST_OBJECT_LOCK (self);
  const bool running = self->priv->running;
  const bool known = wellmonitor::set_monitor_property (props, prop_id, value);
  const std::string path = prop_id == PROP_MODEL ? props.model.value_or ("")
      : prop_id == PROP_WELLS ? props.wells.value_or ("") : "";
  GST_OBJECT_UNLOCK (self);
  if (!known) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  /* a new model or layout is loaded at once and used from a later frame */
  if (reloads && running)
    request_reload (self, prop_id, path);
  /* the device and threads are read when the element starts: a change while
   * it runs is kept for the next start, and said so */
  if (needs_restart && running)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("'%s' was changed while the monitor runs: the running monitor keeps "
            "the old one; the new one takes effect after the element is set "
            "to READY and started again", pspec->name), (NULL));
}

static void
gst_well_monitor_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstWellMonitor *self = GST_WELL_MONITOR (object);

  if (prop_id == wellmonitor::kPropShelvedWells) {
    g_value_set_string (value, self->priv->core.shelving ().list ().c_str ());
    return;
  }
  GST_OBJECT_LOCK (self);
  const bool known = wellmonitor::get_monitor_property (self->priv->props,
      prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}
