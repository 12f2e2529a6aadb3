/* wellmonitor: per-well spill detection on a casting table's camera.
 */

/**
 * SECTION:element-wellmonitor
 * @title: wellmonitor
 * @see_also: welloverlay
 *
 * wellmonitor watches a casting table. For every analysed frame it crops each
 * well named in the layout file (#GstWellMonitor:wells) out of the frame,
 * scores all crops with the model in the model file
 * (#GstWellMonitor:model) in one batched forward pass, compares each score
 * with the threshold, and debounces the result per well: a well goes into
 * alarm after #GstWellMonitor:alarm-frames consecutive analysed frames over
 * the threshold and clears after #GstWellMonitor:clear-frames consecutive
 * analysed frames at or under it.
 *
 * The video passes through untouched (buffers, timestamps and pixels). Only
 * the wells' crops are converted, never the whole frame: BGR and GRAY8 wells
 * are read in place, every other format is converted well by well to BGR by
 * GStreamer's own GstVideoConverter (videoconvert's code and defaults: the
 * stream's colorimetry, chroma upsampled linearly from the same samples as in
 * a whole-frame conversion). A well therefore scores the same whichever of
 * the formats the stream is in, and as `wellmonitor-trainer evaluate` scores
 * its crop. A model for colour crops sees a GRAY8 well as grey in all three
 * channels.
 *
 * ## Buffer metadata
 *
 * Every buffer carries one #GstVideoRegionOfInterestMeta per well, of type
 * "well", whose id is the well's index in the layout file and whose box is the
 * well's box in stream pixels. Its parameter structure "wellmonitor" holds
 * "well" (string, the id), "score" (double), "threshold" (double), "anomaly"
 * (boolean, score over threshold on the analysed frame), "alarm" (boolean,
 * the debounced state) and "analysed" (boolean, FALSE when the values were
 * carried over from the last analysed frame because of
 * #GstWellMonitor:interval). welloverlay draws from these metas only.
 *
 * ## Messages
 *
 * "wellmonitor-alarm": a well has started spilling, posted once per spill on
 * the frame that completes #GstWellMonitor:alarm-frames. "wellmonitor-clear":
 * the same well is back to normal. Both carry:
 *
 * * "well" (#G_TYPE_STRING): the well's id from the layout file.
 * * "score" (#G_TYPE_DOUBLE): its score on the frame that triggered the message.
 * * "threshold" (#G_TYPE_DOUBLE): the threshold in force.
 * * "timestamp" (#G_TYPE_UINT64): the buffer's timestamp in ns.
 * * "stream-time" (#G_TYPE_UINT64): its stream time in ns.
 * * "running-time" (#G_TYPE_UINT64): its running time in ns.
 * * "frame" (#G_TYPE_UINT64): the buffer's index since the element started (0 = first).
 * * "x", "y", "width", "height" (#G_TYPE_INT): the well's box in stream pixels.
 *
 * Each well is debounced on its own and posts its own messages: wells that
 * start spilling on the same frame each get one "wellmonitor-alarm".
 *
 * "wellmonitor-scores" (only when #GstWellMonitor:post-scores is TRUE): once
 * per analysed frame, "wells" (#GstValueArray of strings) and "scores"
 * (#GstValueArray of doubles) in layout order, "threshold", the
 * "timestamp", "stream-time", "running-time" and "frame" fields above, and
 * the counters since the element started:
 *
 * * "frames-analysed" (#G_TYPE_UINT64): frames scored, this one included.
 * * "frames-skipped" (#G_TYPE_UINT64): frames passed on without being scored
 *   (late, or between two of #GstWellMonitor:interval);
 *   "frames-analysed" + "frames-skipped" = "frame" + 1, the frames in.
 * * "frames-late" (#G_TYPE_UINT64): of the skipped frames, those skipped
 *   because they came late (see QoS below).
 *
 * "wellmonitor-summary": posted at EOS with "frames" (#G_TYPE_UINT64, the
 * frames in) and the three counters above; the same figures are logged at
 * INFO level (GST_DEBUG=wellmonitor:4).
 *
 * "wellmonitor-reconfigured": a model or layout set while the element runs
 * (see below) is in use from this frame on: "model" and "wells"
 * (#G_TYPE_STRING, the files in use) and "frame" (#G_TYPE_UINT64, the first
 * frame they score).
 *
 * Time fields are GST_CLOCK_TIME_NONE when the buffer has no timestamp or
 * lies outside the segment.
 *
 * At EOS, and when the element stops, no "wellmonitor-clear" is posted for
 * wells still in alarm: an alarm stays reported until the well is seen
 * normal again. Stopping resets the per-well state, so a well still spilling
 * after a restart is reported again. A flush (FLUSH_STOP, as after a flushing
 * seek) and a buffer flagged DISCONT (frames lost before it) reset it the same
 * way: the consecutive-frame counts start again, no "wellmonitor-clear" is
 * posted, and a well still spilling is reported again once it has been over
 * the threshold for #GstWellMonitor:alarm-frames frames.
 *
 * ## Camera-shift watchdog
 *
 * With #GstWellMonitor:reference-frame (the picture the layout was drawn on),
 * the element estimates every #GstWellMonitor:shift-interval seconds of
 * stream time (and on the first frame) how far the table has moved in the
 * picture: phase correlation of the frame against the reference on the
 * static parts of the picture (the wells are faded out of the reference),
 * at most 640 pixels across. When the estimate differs by more than
 * #GstWellMonitor:shift-tolerance pixels from the last one reported (at
 * first: from no move), with a confidence of #GstWellMonitor:shift-min-confidence
 * or more, it posts "wellmonitor-camera-moved": "dx", "dy" (#G_TYPE_DOUBLE,
 * stream pixels: a point of the reference is now at x + dx, y + dy),
 * "confidence" (#G_TYPE_DOUBLE, the correlation's peak, 0..1: 0.5-0.8 for
 * the replay moved 20 pixels, under 0.1 for an unrelated picture),
 * "followed" (#G_TYPE_BOOLEAN), "offset-x", "offset-y" (#G_TYPE_INT: the
 * boxes' offset from the layout now) and the time fields below. With
 * #GstWellMonitor:follow-shift the wells' boxes move with the table from
 * that frame on (rounded to whole pixels, kept inside the frame); the metas
 * carry the moved boxes.
 *
 * #GstWellMonitor:threshold is controllable: a #GstControlBinding on it is
 * brought to each buffer's stream time before the buffer is analysed.
 *
 * ## Live reconfiguration
 *
 * #GstWellMonitor:model, #GstWellMonitor:wells and #GstWellMonitor:threshold
 * can be changed while the element runs. A new model or layout is read and
 * prepared by a thread of the element's own while the frames go on with the
 * old one, then swapped in between two frames (the first frame it scores
 * posts "wellmonitor-reconfigured"): no frame waits for the load and none is
 * lost. A file that cannot be used (missing, corrupt, a layout whose wells
 * do not fit the stream) is refused with a warning on the bus that names it;
 * the old one stays in use and the property goes back to it. A new layout
 * starts every well's debounce again; a new model keeps it (the wells are
 * the same). #GstWellMonitor:device and #GstWellMonitor:threads still take
 * effect at the next start, and a change while running says so in a warning.
 *
 * ## QoS
 *
 * With #GstBaseTransform:qos TRUE (the default of video filters), QoS events
 * from downstream tell the element which frames come too late to be shown
 * in time, as when the model is slower than the camera. Those frames are not
 * dropped (GstBaseTransform's own answer, which would lose video): they pass
 * with the last analysed scores in their metas ("analysed" FALSE) and are
 * counted in "frames-late"; the first frame that is on time again, the
 * newest, is analysed. For tests of this, WELLMONITOR_SCORE_DELAY_US in the
 * environment of the process makes every scoring pass sleep that long.
 *
 * ## Performance
 *
 * Per analysed frame the element converts only the wells' crops and runs one
 * batched forward pass for all of them (#GstWellMonitor:threads sets
 * LibTorch's threads; #GstWellMonitor:interval skips frames when the CPU
 * cannot keep up). LibTorch allocates and frees its activations on every
 * pass; with glibc's default allocator settings the streaming thread then
 * returns that memory to the kernel and faults it back in each frame. Running
 * the process with MALLOC_MMAP_THRESHOLD_=268435456 and
 * MALLOC_TRIM_THRESHOLD_=536870912 in its environment keeps it and saves
 * several milliseconds a frame. GST_DEBUG=wellmonitor:6 logs the crop and
 * scoring times of every frame.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=table.mp4 ! decodebin ! videoconvert ! \
 *     wellmonitor wells=casting-table.wells ! welloverlay ! videoconvert ! autovideosink
 * ]| Monitors a recording with the installed default model; alarms appear on
 * the bus (printed by -m) and on screen.
 */

#include "gstwellmonitor.h"

#include "buffer-times.h"
#include "camera-shift.h"
#include "monitor-messages.h"
#include "reloader.h"
#include "video-formats.h"
#include "well-crops.h"
#include "well-meta.h"

#include "wellmonitor/alarm_lifecycle.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/scorer.h"
#include "wellmonitor/version.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_monitor_debug);
#define GST_CAT_DEFAULT gst_well_monitor_debug

#define DEFAULT_PROP_WELLS NULL
#define DEFAULT_PROP_THRESHOLD -1.0
#define DEFAULT_PROP_DEVICE "auto"
#define DEFAULT_PROP_ALARM_FRAMES 5
#define DEFAULT_PROP_CLEAR_FRAMES 5
#define DEFAULT_PROP_INTERVAL 1
#define DEFAULT_PROP_POST_SCORES FALSE
#define DEFAULT_PROP_THREADS 0
#define DEFAULT_PROP_REFERENCE_FRAME NULL
#define DEFAULT_PROP_SHIFT_INTERVAL 5.0
#define DEFAULT_PROP_SHIFT_TOLERANCE 4.0
#define DEFAULT_PROP_SHIFT_MIN_CONFIDENCE 0.15
#define DEFAULT_PROP_FOLLOW_SHIFT FALSE
#define DEFAULT_PROP_LATENCY 200

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_WELLS,
  PROP_THRESHOLD,
  PROP_DEVICE,
  PROP_ALARM_FRAMES,
  PROP_CLEAR_FRAMES,
  PROP_INTERVAL,
  PROP_POST_SCORES,
  PROP_THREADS,
  PROP_ACTIVE_DEVICE,
  PROP_REFERENCE_FRAME,
  PROP_SHIFT_INTERVAL,
  PROP_SHIFT_TOLERANCE,
  PROP_SHIFT_MIN_CONFIDENCE,
  PROP_FOLLOW_SHIFT,
  PROP_LATENCY,
};

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

namespace {

/* Settings read once per frame under the object lock. */
struct FrameSettings
{
  double threshold = DEFAULT_PROP_THRESHOLD;
  wellmonitor::AlarmRule rule;
  guint interval = DEFAULT_PROP_INTERVAL;
  bool post_scores = DEFAULT_PROP_POST_SCORES;
  wellmonitor::CameraShiftSettings shift;
};

}  // namespace

/* C++ state; lives from init to finalize. Touched only by start/stop,
 * set_info and the streaming thread, which GstBaseTransform serialises,
 * except `reload`, which has its own lock. */
struct GstWellMonitorPrivate
{
  std::unique_ptr<wellmonitor::Scorer> scorer;
  wellmonitor::WellLayout layout;

  std::string model_path;               /* of the scorer in use */
  std::string wells_path;               /* of the layout in use */
  wellmonitor::Reloader reload;         /* new models and layouts, while running */

  /* negotiated format */
  GstVideoInfo info {};
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;
  int width = 0;
  int height = 0;
  std::vector<cv::Rect> boxes;          /* per well, stream pixels */
  WellCrops crops;                      /* per well, what the scorer sees */
  std::vector<double> scores;           /* per well, of the analysed frame */

  /* per-well alarms and last scores */
  wellmonitor::AlarmLifecycle alarms;
  std::vector<wellmonitor::AlarmChange> events;  /* of the current frame */
  double last_threshold = 0.0;
  bool have_scores = false;
  bool warned_non_finite = false;       /* a NaN/inf score was reported */
  wellmonitor::FrameCounters counters;  /* since start */
  guint64 last_analysed = 0;            /* index of the last analysed buffer */
  GValue well_ids = G_VALUE_INIT;       /* GstValueArray of the ids, for the scores message */
  cv::Mat reference;                    /* the reference frame, grey (watchdog) */
  wellmonitor::CameraShiftWatchdog watchdog;

  /* Forgets every well's alarm and runs, without reporting their ends (see
   * AlarmLifecycle::end_all): the next frame is analysed whatever the
   * interval. */
  void reset_alarms (wellmonitor::AlarmEnd reason)
  {
    alarms.end_all (reason);
    events.clear ();
    have_scores = false;
  }

  void reset ()
  {
    reload.stop ();
    scorer.reset ();
    layout = wellmonitor::WellLayout ();
    model_path.clear ();
    wells_path.clear ();
    format = GST_VIDEO_FORMAT_UNKNOWN;
    width = height = 0;
    boxes.clear ();
    crops.clear ();
    alarms.set_wells ({});
    events.clear ();
    have_scores = false;
    warned_non_finite = false;
    counters = wellmonitor::FrameCounters ();
    last_analysed = 0;
    if (G_IS_VALUE (&well_ids))
      g_value_unset (&well_ids);
    reference.release ();
    watchdog.clear ();
  }
};

struct _GstWellMonitor
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model;
  gchar *wells;
  gdouble threshold;
  gchar *device;
  guint alarm_frames;
  guint clear_frames;
  guint interval;
  gboolean post_scores;
  gint threads;
  gchar *active_device;
  gchar *reference_frame;
  gdouble shift_interval;
  gdouble shift_tolerance;
  gdouble shift_min_confidence;
  gboolean follow_shift;
  guint latency;

  /* under the object lock: between start and stop, when a new model or
   * layout is loaded at once */
  gboolean running;
  /* under the object lock: from downstream's QoS events, the running time
   * up to which frames are late (GST_CLOCK_TIME_NONE: none) */
  GstClockTime earliest_time;

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

/* The installed default model when there is one, else the source tree's. */
static std::string
default_model_path ()
{
  gchar *installed = g_build_filename (WELLMONITOR_MODEL_DIR, "default.wmm",
      NULL);
  std::string path = g_file_test (installed, G_FILE_TEST_IS_REGULAR) ?
      installed : WELLMONITOR_SOURCE_MODEL;
  g_free (installed);
  return path;
}

/* The scorer's options from the element's properties (and, for tests of a
 * slow model, WELLMONITOR_SCORE_DELAY_US in the environment). */
static wellmonitor::ScorerOptions
scorer_options (const std::string & device, gint threads)
{
  wellmonitor::ScorerOptions options;
  options.device = device;
  options.threads = threads;
  if (const gchar * delay = g_getenv ("WELLMONITOR_SCORE_DELAY_US"))
    options.delay_us = (long) g_ascii_strtoll (delay, NULL, 10);
  return options;
}

static void
log_model (GstWellMonitor * self, const wellmonitor::Scorer & scorer)
{
  const wellmonitor::ScorerInfo & i = scorer.info ();
  GST_INFO_OBJECT (self, "model %s: arch %s, input %dx%d %s, score %s, "
      "threshold %g (%s), trained with %s loss by wellmonitor %s on %s; "
      "on %s with %d intra-op threads", i.path.c_str (), i.arch.c_str (),
      i.input_width, i.input_height, i.color.c_str (), i.score.c_str (),
      i.threshold, i.calibration.c_str (), i.loss.c_str (),
      i.trainer_version.c_str (), i.date.c_str (), i.device.c_str (),
      i.threads);
}

/* The wells of priv->layout: none in alarm, and the ids for the scores
 * message. */
static void
use_wells (GstWellMonitorPrivate * priv)
{
  const size_t n = priv->layout.wells.size ();
  std::vector<std::string> ids;
  ids.reserve (n);
  for (const auto & w : priv->layout.wells)
    ids.push_back (w.id);
  priv->alarms.set_wells (ids);
  priv->events.clear ();
  priv->events.reserve (n);
  priv->scores.reserve (n);
  priv->have_scores = false;
  if (G_IS_VALUE (&priv->well_ids))
    g_value_unset (&priv->well_ids);
  g_value_init (&priv->well_ids, GST_TYPE_ARRAY);
  for (const std::string & id : ids) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, id.c_str ());
    gst_value_array_append_and_take_value (&priv->well_ids, &v);
  }
}

static void
post (GstWellMonitor * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* ----------------------------------------------------- live reconfiguration */

/* Sets `prop` (model or wells) back to `path` when it still holds `refused`. */
static void
revert_property (GstWellMonitor * self, guint prop, const std::string & refused,
    const std::string & path)
{
  bool reverted = false;
  GST_OBJECT_LOCK (self);
  gchar **value = prop == PROP_MODEL ? &self->model : &self->wells;
  if (g_strcmp0 (*value, refused.c_str ()) == 0) {
    g_free (*value);
    *value = g_strdup (path.c_str ());
    reverted = true;
  }
  GST_OBJECT_UNLOCK (self);
  if (reverted)
    g_object_notify (G_OBJECT (self), prop == PROP_MODEL ? "model" : "wells");
}

/* What the loader thread reports: a refused file is a warning on the bus that
 * names it, and the property goes back to the file kept. */
static wellmonitor::Reloader::Callbacks
reload_callbacks (GstWellMonitor * self)
{
  using wellmonitor::ReloadKind;
  wellmonitor::Reloader::Callbacks callbacks;
  callbacks.refused = [self](ReloadKind kind, const std::string & path,
      const std::string & why, const std::string & kept, bool superseded) {
    const bool model = kind == ReloadKind::kModel;
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The new %s '%s' was refused: %s. The monitor keeps '%s'.",
            model ? "model" : "well layout", path.c_str (), why.c_str (),
            kept.c_str ()), ("%s=%s", model ? "model" : "wells", path.c_str ()));
    if (!superseded)
      revert_property (self, model ? PROP_MODEL : PROP_WELLS, path, kept);
  };
  callbacks.loaded = [self](ReloadKind, const std::string & path,
      bool superseded) {
    if (superseded)
      GST_DEBUG_OBJECT (self, "%s superseded before it was used",
          path.c_str ());
    else
      GST_INFO_OBJECT (self, "%s loaded, swapped in before the next frame",
          path.c_str ());
  };
  return callbacks;
}

/* Asks the loader thread for a new model or layout. */
static void
request_reload (GstWellMonitor * self, guint prop, const std::string & path)
{
  self->priv->reload.request (prop == PROP_MODEL ?
      wellmonitor::ReloadKind::kModel : wellmonitor::ReloadKind::kWells, path);
  GST_INFO_OBJECT (self, "loading %s '%s' while running",
      prop == PROP_MODEL ? "model" : "layout", path.c_str ());
}

/* Before a frame: swaps in what the loader thread has loaded. A layout whose
 * wells do not fit the negotiated frame is refused, the old one kept. */
static void
apply_reloads (GstWellMonitor * self, guint64 frame)
{
  GstWellMonitorPrivate *priv = self->priv;
  std::unique_ptr<wellmonitor::Scorer> scorer;
  std::unique_ptr<wellmonitor::WellLayout> layout;
  if (!priv->reload.take (scorer, layout))
    return;                     /* never waits for the loader */

  if (scorer) {
    priv->scorer.swap (scorer);
    priv->model_path = priv->scorer->info ().path;
    log_model (self, *priv->scorer);
    post (self, wellmonitor::reconfigured_message (priv->model_path,
            priv->wells_path, frame));
  }
  if (layout) {
    std::string why;
    std::vector<cv::Rect> boxes;
    if (priv->format != GST_VIDEO_FORMAT_UNKNOWN) {
      boxes = wellmonitor::place_wells (*layout, priv->width, priv->height,
          why);
      if (why.empty ()) {
        try {
          priv->crops.configure (&priv->info, boxes);
        } catch (const std::exception & e) {
          why = wellmonitor::error_text (e);
          priv->crops.configure (&priv->info, priv->boxes);
        }
      }
    }
    if (!why.empty ()) {
      const std::string refused = layout->origin;
      priv->reload.refuse_wells (refused, priv->wells_path);
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("The new well layout '%s' was refused: %s. The monitor keeps '%s'.",
              refused.c_str (), why.c_str (), priv->wells_path.c_str ()),
          ("wells=%s", refused.c_str ()));
      revert_property (self, PROP_WELLS, refused, priv->wells_path);
    } else {
      for (const auto & end :
          priv->alarms.end_all (wellmonitor::AlarmEnd::kLayoutChanged))
        GST_INFO_OBJECT (self, "new layout: well %s was in alarm",
            priv->layout.wells[end.well].id.c_str ());
      priv->layout = std::move (*layout);
      priv->wells_path = priv->layout.origin;
      priv->boxes = std::move (boxes);
      use_wells (priv);
      GST_INFO_OBJECT (self, "layout %s in use from frame %" G_GUINT64_FORMAT
          ": %zu wells", priv->wells_path.c_str (), frame,
          priv->layout.wells.size ());
      post (self, wellmonitor::reconfigured_message (priv->model_path,
              priv->wells_path, frame));
    }
  }
}

/* ---------------------------------------------------------------- start/stop */

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
  const GstClockTime own = self->latency * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  if (live) {
    min += own;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += own;
  }
  GST_DEBUG_OBJECT (self, "latency: live %d, min %" GST_TIME_FORMAT ", max %"
      GST_TIME_FORMAT " (%" GST_TIME_FORMAT " of it here)", live,
      GST_TIME_ARGS (min), GST_TIME_ARGS (max), GST_TIME_ARGS (live ? own : 0));
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

/* Posts the error a failed start gives (GstBaseTransform posts none). */
static gboolean
start_failed (GstWellMonitor * self, const wellmonitor::OpenError & e)
{
  const gint code = e.kind == wellmonitor::OpenError::kNotFound ?
      GST_RESOURCE_ERROR_NOT_FOUND : e.kind == wellmonitor::OpenError::kSettings ?
      GST_RESOURCE_ERROR_SETTINGS : GST_RESOURCE_ERROR_READ;
  GST_WARNING_OBJECT (self, "error: %s", e.message.c_str ());
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, code, g_strdup (e.message.c_str ()),
      e.details.empty () ? NULL : g_strdup (e.details.c_str ()), __FILE__,
      GST_FUNCTION, __LINE__);
  return FALSE;
}

static gboolean
gst_well_monitor_start (GstBaseTransform * trans)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);
  GstWellMonitorPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  std::string model = self->model ? self->model : "";
  std::string wells = self->wells ? self->wells : "";
  std::string device = self->device ? self->device : DEFAULT_PROP_DEVICE;
  const gint threads = self->threads;
  const std::string reference = self->reference_frame ? self->reference_frame : "";
  GST_OBJECT_UNLOCK (self);

  priv->reset ();
  GST_OBJECT_LOCK (self);
  self->earliest_time = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  priv->model_path = model;
  priv->wells_path = wells;
  if (!reference.empty ()) {
    try {
      priv->reference = wellmonitor::load_reference_frame (reference);
    } catch (const std::exception & e) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", e.what ()),
          ("reference-frame=%s", reference.c_str ()));
      return FALSE;
    }
  }

  /* the layout first: it is the property users forget */
  wellmonitor::OpenError error = wellmonitor::open_layout (wells, priv->layout);
  if (error.kind != wellmonitor::OpenError::kNone)
    return start_failed (self, error);
  wellmonitor::ScorerOptions options = scorer_options (device, threads);
  options.batch = (int) priv->layout.wells.size ();
  error = wellmonitor::open_model (model, options, priv->scorer);
  if (error.kind != wellmonitor::OpenError::kNone)
    return start_failed (self, error);
  log_model (self, *priv->scorer);

  use_wells (priv);
  priv->last_threshold = priv->scorer->threshold ();
  /* a new model runs at the count in use: no measurement while running */
  priv->reload.set_callbacks (reload_callbacks (self));
  priv->reload.begin (model, wells,
      scorer_options (device, priv->scorer->info ().threads));

  std::string active = priv->scorer->device_name ();
  GST_OBJECT_LOCK (self);
  g_free (self->active_device);
  self->active_device = g_strdup (active.c_str ());
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "active-device");

  GST_INFO_OBJECT (self, "layout %s: %zu wells, reference %dx%d",
      wells.c_str (), priv->layout.wells.size (), priv->layout.ref_width,
      priv->layout.ref_height);

  /* from now on a new model or layout is loaded at once; one set since the
   * properties were read above is loaded now */
  GST_OBJECT_LOCK (self);
  self->running = TRUE;
  const bool model_changed = g_strcmp0 (self->model, model.c_str ()) != 0;
  const bool wells_changed = g_strcmp0 (self->wells, wells.c_str ()) != 0;
  std::string new_model = self->model ? self->model : "";
  std::string new_wells = self->wells ? self->wells : "";
  GST_OBJECT_UNLOCK (self);
  if (model_changed)
    request_reload (self, PROP_MODEL, new_model);
  if (wells_changed)
    request_reload (self, PROP_WELLS, new_wells);
  return TRUE;
}

static gboolean
gst_well_monitor_stop (GstBaseTransform * trans)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);
  GstWellMonitorPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  self->running = FALSE;
  GST_OBJECT_UNLOCK (self);
  priv->reload.stop ();
  for (const auto & end : priv->alarms.end_all (wellmonitor::AlarmEnd::kStopped))
    GST_INFO_OBJECT (self, "stopping with well %s in alarm",
        priv->layout.wells[end.well].id.c_str ());
  priv->reset ();
  return TRUE;
}

static gboolean
gst_well_monitor_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);
  GstWellMonitorPrivate *priv = self->priv;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      /* no clear messages at EOS: alarms stand until a well is seen normal */
      for (const wellmonitor::WellAlarm & w : priv->alarms.wells ())
        if (w.alarm)
          GST_INFO_OBJECT (self, "EOS with well %s still in alarm",
              w.id.c_str ());
      GST_INFO_OBJECT (self, "EOS: %" G_GUINT64_FORMAT " frames in, %"
          G_GUINT64_FORMAT " analysed, %" G_GUINT64_FORMAT " skipped (%"
          G_GUINT64_FORMAT " of them late)", priv->counters.frames,
          priv->counters.analysed, priv->counters.skipped,
          priv->counters.late);
      post (self, wellmonitor::summary_message (priv->counters));
      break;
    case GST_EVENT_FLUSH_STOP:
      /* a flushing seek: the frames before it say nothing about the ones
       * after it (serialised with the streaming thread) */
      GST_DEBUG_OBJECT (self, "flush: alarms reset");
      priv->reset_alarms (wellmonitor::AlarmEnd::kFlush);
      GST_OBJECT_LOCK (self);
      self->earliest_time = GST_CLOCK_TIME_NONE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* QoS from downstream: frames that arrive too late to be shown in time are
 * passed on without analysis until the element has caught up. GstBaseTransform
 * would drop them (losing video and marking the next buffer DISCONT, which
 * resets the alarms); the element keeps every frame and only skips the
 * model, so the QoS event is recorded here and sent on upstream. */
static gboolean
gst_well_monitor_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK (self);
    if (GST_CLOCK_TIME_IS_VALID (timestamp)) {
      /* as GstBaseTransform: frames up to timestamp + diff are late */
      self->earliest_time = diff > 0 || (GstClockTime) (-diff) <= timestamp ?
          timestamp + diff : 0;
    }
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (self, "QoS: proportion %g, diff %" G_GINT64_FORMAT
        ", earliest %" GST_TIME_FORMAT, proportion, diff,
        GST_TIME_ARGS (self->earliest_time));
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

/* ------------------------------------------------------------------ set_info */

/* Scales the layout's boxes to the negotiated size and sizes the scratch
 * images, so that the streaming thread allocates nothing per frame. */
static gboolean
gst_well_monitor_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstWellMonitor *self = GST_WELL_MONITOR (filter);
  GstWellMonitorPrivate *priv = self->priv;
  const int w = GST_VIDEO_INFO_WIDTH (in_info);
  const int h = GST_VIDEO_INFO_HEIGHT (in_info);
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT (in_info);

  (void) incaps;
  (void) outcaps;
  (void) out_info;

  if (!priv->scorer) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("caps set before the element was started"));
    return FALSE;
  }

  try {
    std::string why;
    std::vector<cv::Rect> boxes = wellmonitor::place_wells (priv->layout, w, h,
        why);
    if (!why.empty ()) {
      why[0] = g_ascii_toupper (why[0]);
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s.", why.c_str ()), (NULL));
      return FALSE;
    }

    priv->crops.configure (in_info, boxes);
    if (!priv->reference.empty ())
      priv->watchdog.configure (priv->reference, in_info, boxes);
    priv->boxes = std::move (boxes);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Could not place the wells of layout '%s' in a %dx%d frame.",
            priv->layout.origin.c_str (), w, h), ("%s", wellmonitor::error_text (e).c_str ()));
    return FALSE;
  } catch (...) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Could not place the wells of layout '%s' in a %dx%d frame.",
            priv->layout.origin.c_str (), w, h), ("unknown exception"));
    return FALSE;
  }

  if (priv->width != 0 && (priv->width != w || priv->height != h))
    GST_INFO_OBJECT (self, "resolution changed from %dx%d to %dx%d, boxes "
        "rescaled", priv->width, priv->height, w, h);
  priv->info = *in_info;
  priv->format = format;
  priv->width = w;
  priv->height = h;
  GST_DEBUG_OBJECT (self, "%s %dx%d, %zu wells",
      gst_video_format_to_string (format), w, h, priv->boxes.size ());
  return TRUE;
}

/* ----------------------------------------------------------- per-frame work */

/* Scores all wells in one forward pass and decides their alarms; the alarms
 * that start or end are left in priv->events. */
static void
analyse_frame (GstWellMonitor * self, GstVideoFrame * frame,
    const FrameSettings & settings, const wellmonitor::BufferTimes & times)
{
  GstWellMonitorPrivate *priv = self->priv;

  const gint64 t0 = g_get_monotonic_time ();
  const std::vector<cv::Mat> & crops = priv->crops.extract (frame);
  const gint64 t1 = g_get_monotonic_time ();
  priv->scorer->score (crops, priv->scores);
  const std::vector<double> & scores = priv->scores;
  const gint64 t2 = g_get_monotonic_time ();
  GST_LOG_OBJECT (self, "%zu wells: crops %.2f ms, scores %.2f ms",
      crops.size (), (t1 - t0) / 1000.0, (t2 - t1) / 1000.0);
  if (scores.size () != priv->alarms.size ())
    throw std::runtime_error ("the model returned " +
        std::to_string (scores.size ()) + " scores for " +
        std::to_string (priv->alarms.size ()) + " wells");

  const double threshold = settings.threshold >= 0.0 ?
      settings.threshold : priv->scorer->threshold ();
  /* a score that is no number is an anomaly (the alarm rule counts it as
   * one), never a silent normal; say so once */
  for (size_t i = 0; i < scores.size () && !priv->warned_non_finite; i++) {
    if (!std::isfinite (scores[i])) {
      priv->warned_non_finite = true;
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("The model scored well '%s' %g, not a number; such wells are "
              "treated as anomalous. The model file is unusable.",
              priv->layout.wells[i].id.c_str (), scores[i]),
          ("frame %" G_GUINT64_FORMAT ", well %zu", priv->counters.frames, i));
    }
  }
  wellmonitor::AlarmTime when;
  when.wall_us = g_get_real_time ();
  when.running_ns = times.running_time;
  priv->events = priv->alarms.decide (scores, threshold, settings.rule, when);
  priv->last_threshold = threshold;
  priv->have_scores = true;
}

/* Every well's result on the buffer (the meta API of well-meta.h). */
static void
attach_metas (GstWellMonitor * self, GstBuffer * buffer, bool analysed)
{
  GstWellMonitorPrivate *priv = self->priv;
  wellmonitor::WellResult r;

  r.threshold = priv->last_threshold;
  r.analysed = analysed;
  r.named = true;
  for (size_t i = 0; i < priv->alarms.size (); i++) {
    const cv::Rect & b = priv->boxes[i];
    const wellmonitor::WellAlarm & s = priv->alarms.well (i);
    r.index = (gint) i;
    r.id = priv->layout.wells[i].id;
    r.x = b.x;
    r.y = b.y;
    r.width = b.width;
    r.height = b.height;
    r.score = s.score;
    r.anomaly = s.anomaly;
    r.alarm = s.alarm;
    wellmonitor::well_meta_add (buffer, r);
  }
}

static void
post_messages (GstWellMonitor * self, const wellmonitor::BufferTimes & times,
    guint64 frame, bool analysed, const FrameSettings & settings)
{
  GstWellMonitorPrivate *priv = self->priv;

  for (const wellmonitor::AlarmChange & ev : priv->events) {
    const std::string & id = priv->layout.wells[ev.well].id;
    if (ev.alarm)
      GST_WARNING_OBJECT (self, "well %s in alarm at frame %" G_GUINT64_FORMAT
          ": score %g > threshold %g", id.c_str (), frame, ev.score,
          priv->last_threshold);
    else
      GST_INFO_OBJECT (self, "well %s clear at frame %" G_GUINT64_FORMAT
          ": score %g", id.c_str (), frame, ev.score);
    post (self, wellmonitor::alarm_message (ev, id, priv->last_threshold,
            priv->boxes[ev.well], times, frame));
  }
  priv->events.clear ();

  if (analysed && settings.post_scores)
    post (self, wellmonitor::scores_message (&priv->well_ids,
            priv->alarms.wells (), priv->last_threshold, priv->counters, times,
            frame));
}

/* The camera-shift watchdog's turn on this frame: posts
 * wellmonitor-camera-moved and, with follow-shift, moves the boxes. */
static void
watch_camera (GstWellMonitor * self, GstVideoFrame * frame, guint64 index,
    const FrameSettings & settings, const wellmonitor::BufferTimes & times)
{
  GstWellMonitorPrivate *priv = self->priv;
  if (!priv->watchdog.armed ())
    return;
  wellmonitor::CameraMove move;
  if (!priv->watchdog.update (frame, times.stream_time, settings.shift, move,
          priv->boxes))
    return;
  if (move.followed)
    priv->crops.configure (&frame->info, priv->boxes);
  GST_WARNING_OBJECT (self, "camera moved by %.1f, %.1f px (confidence %.2f)%s",
      move.shift.dx, move.shift.dy, move.shift.confidence,
      move.followed ? ": boxes follow" : "");
  post (self, wellmonitor::camera_moved_message (move, times, index));
}

static GstFlowReturn
gst_well_monitor_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellMonitor *self = GST_WELL_MONITOR (filter);
  GstWellMonitorPrivate *priv = self->priv;
  FrameSettings settings;

  GST_OBJECT_LOCK (self);
  settings.threshold = self->threshold;
  settings.rule.alarm_frames = self->alarm_frames;
  settings.rule.clear_frames = self->clear_frames;
  settings.interval = self->interval;
  settings.post_scores = self->post_scores;
  settings.shift.interval = (GstClockTime) (self->shift_interval * GST_SECOND);
  settings.shift.tolerance = self->shift_tolerance;
  settings.shift.min_confidence = self->shift_min_confidence;
  settings.shift.follow = self->follow_shift;
  GST_OBJECT_UNLOCK (self);

  const guint64 index = priv->counters.frames++;
  const wellmonitor::BufferTimes times = wellmonitor::buffer_times (
      &GST_BASE_TRANSFORM (self)->segment, GST_BUFFER_PTS (frame->buffer));
  apply_reloads (self, index);
  if (GST_BUFFER_IS_DISCONT (frame->buffer) && index > 0) {
    /* frames are missing before this one: runs of frames over or under the
     * threshold are broken */
    GST_DEBUG_OBJECT (self, "discontinuity at frame %" G_GUINT64_FORMAT
        ": alarms reset", index);
    priv->reset_alarms (wellmonitor::AlarmEnd::kGap);
  }
  /* late by downstream's QoS: pass it on with the last scores, so that the
   * newest frame is analysed once the element has caught up */
  bool late = false;
  if (priv->have_scores && gst_base_transform_is_qos_enabled (GST_BASE_TRANSFORM (self))
      && GST_CLOCK_TIME_IS_VALID (times.running_time)) {
    GST_OBJECT_LOCK (self);
    late = GST_CLOCK_TIME_IS_VALID (self->earliest_time)
        && times.running_time <= self->earliest_time;
    GST_OBJECT_UNLOCK (self);
  }
  const bool analyse = !late && (!priv->have_scores || settings.interval <= 1
      || index - priv->last_analysed >= settings.interval);
  if (analyse)
    priv->counters.analysed++;
  else
    priv->counters.skipped++;
  if (late) {
    priv->counters.late++;
    GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " late: not analysed",
        index);
  }

  try {
    watch_camera (self, frame, index, settings, times);
    if (analyse) {
      analyse_frame (self, frame, settings, times);
      priv->last_analysed = index;
    }
    attach_metas (self, frame->buffer, analyse);
    post_messages (self, times, index, analyse, settings);
  } catch (const std::exception & e) {
    priv->events.clear ();
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not score the wells of frame %" G_GUINT64_FORMAT ".", index),
        ("%s", wellmonitor::error_text (e).c_str ()));
    return GST_FLOW_ERROR;
  } catch (...) {
    priv->events.clear ();
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not score the wells of frame %" G_GUINT64_FORMAT ".", index),
        ("unknown exception"));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------------- class */

#define RW_READY (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

static void
gst_well_monitor_class_init (GstWellMonitorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const std::string default_model = default_model_path ();

  GST_DEBUG_CATEGORY_INIT (gst_well_monitor_debug, "wellmonitor", 0,
      "casting-table well spill monitor");

  gobject_class->set_property = gst_well_monitor_set_property;
  gobject_class->get_property = gst_well_monitor_get_property;
  gobject_class->finalize = gst_well_monitor_finalize;

  /**
   * GstWellMonitor:model:
   *
   * The model file (.wmm) made by wellmonitor-trainer: the model, its
   * preprocessing and its calibrated threshold; a regular file of at most
   * 256 MiB. Read when the element starts. Set while it runs, the new file is
   * loaded in the background and used from a later frame
   * ("wellmonitor-reconfigured"), or refused with a warning that names it and
   * the old model kept (the property then goes back to it).
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (.wmm) made by wellmonitor-trainer, with its threshold",
          default_model.c_str (), RW_PLAYING));
  /**
   * GstWellMonitor:wells:
   *
   * The well layout file (required): the id and box of every well in a
   * reference resolution; boxes scale to the stream's resolution. At most 256
   * wells, a regular file of at most 1 MiB. Read when the element starts.
   * Set while it runs, the new layout is loaded in the background and used
   * from a later frame (every well's alarm starts again), or refused with a
   * warning that names it and the old layout kept (the property then goes
   * back to it).
   */
  g_object_class_install_property (gobject_class, PROP_WELLS,
      g_param_spec_string ("wells", "Well layout",
          "Well layout file (required): every well's id and box",
          DEFAULT_PROP_WELLS, RW_PLAYING));
  /**
   * GstWellMonitor:threshold:
   *
   * A well is anomalous on a frame when its score is greater than this; -1
   * uses the threshold calibrated in the model file. Takes effect on the next
   * analysed frame; controllable (a #GstControlBinding is synced to each
   * buffer's stream time).
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Score over which a well is anomalous (-1: the model file's)",
          -1.0, G_MAXDOUBLE, DEFAULT_PROP_THRESHOLD,
          (GParamFlags) (RW_PLAYING | GST_PARAM_CONTROLLABLE)));
  /**
   * GstWellMonitor:device:
   *
   * Where the model runs: auto (CUDA when this build and machine have it,
   * else CPU), cpu, cuda or cuda:N. Asking for CUDA where there is none fails
   * the start; #GstWellMonitor:active-device names the one in use.
   */
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Where the model runs: auto, cpu, cuda or cuda:N",
          DEFAULT_PROP_DEVICE, RW_READY));
  /**
   * GstWellMonitor:alarm-frames:
   *
   * A well goes into alarm ("wellmonitor-alarm") after this many consecutive
   * analysed frames over the threshold.
   */
  g_object_class_install_property (gobject_class, PROP_ALARM_FRAMES,
      g_param_spec_uint ("alarm-frames", "Alarm frames",
          "Consecutive analysed frames over the threshold that raise an alarm",
          1, G_MAXUINT, DEFAULT_PROP_ALARM_FRAMES, RW_PLAYING));
  /**
   * GstWellMonitor:clear-frames:
   *
   * A well in alarm clears ("wellmonitor-clear") after this many consecutive
   * analysed frames at or under the threshold.
   */
  g_object_class_install_property (gobject_class, PROP_CLEAR_FRAMES,
      g_param_spec_uint ("clear-frames", "Clear frames",
          "Consecutive analysed frames at or under the threshold that clear it",
          1, G_MAXUINT, DEFAULT_PROP_CLEAR_FRAMES, RW_PLAYING));
  /**
   * GstWellMonitor:interval:
   *
   * Analyse every Nth frame (1 = every frame); the frames in between pass
   * with the last scores in their metas ("analysed" FALSE).
   */
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Analyse every Nth frame (1 = every frame)",
          1, G_MAXUINT, DEFAULT_PROP_INTERVAL, RW_PLAYING));
  /**
   * GstWellMonitor:post-scores:
   *
   * Post a "wellmonitor-scores" message with every well's score on each
   * analysed frame.
   */
  g_object_class_install_property (gobject_class, PROP_POST_SCORES,
      g_param_spec_boolean ("post-scores", "Post scores",
          "Post every well's score on each analysed frame (wellmonitor-scores)",
          DEFAULT_PROP_POST_SCORES, RW_PLAYING));
  /**
   * GstWellMonitor:threads:
   *
   * LibTorch intra-op threads for the forward pass. 0: chosen when the
   * element starts by timing the model at one thread and at every core (more
   * threads only when clearly faster: spinning OpenMP threads collapse when
   * another process takes a core). LibTorch keeps one count per process: the
   * last element started sets it for all.
   */
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "LibTorch intra-op threads (0: chosen by timing at start)",
          0, 1024, DEFAULT_PROP_THREADS, RW_READY));
  /**
   * GstWellMonitor:active-device:
   *
   * The device the model runs on, e.g. cpu or cuda:0; NULL until the element
   * has started.
   */
  g_object_class_install_property (gobject_class, PROP_ACTIVE_DEVICE,
      g_param_spec_string ("active-device", "Active device",
          "The device the model runs on (NULL until started)",
          NULL, (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstWellMonitor:reference-frame:
   *
   * An image (PNG, JPEG, ...) of the table as the layout was drawn on it;
   * turns on the camera-shift watchdog, which posts
   * "wellmonitor-camera-moved" (dx, dy, confidence) when the table has moved
   * in the picture. Read when the element starts; scaled to the stream.
   */
  g_object_class_install_property (gobject_class, PROP_REFERENCE_FRAME,
      g_param_spec_string ("reference-frame", "Reference frame",
          "Picture the layout was drawn on; turns the camera-shift watchdog on",
          DEFAULT_PROP_REFERENCE_FRAME, RW_READY));
  /**
   * GstWellMonitor:shift-interval:
   *
   * Seconds of stream time between two camera-shift estimates (the first
   * frame is always checked); each costs a few ms.
   */
  g_object_class_install_property (gobject_class, PROP_SHIFT_INTERVAL,
      g_param_spec_double ("shift-interval", "Shift interval",
          "Seconds of stream time between two camera-shift estimates",
          0.0, 3600.0, DEFAULT_PROP_SHIFT_INTERVAL, RW_PLAYING));
  /**
   * GstWellMonitor:shift-tolerance:
   *
   * Pixels: "wellmonitor-camera-moved" is posted when the estimated shift
   * differs by more than this from the last one posted (at first: from
   * none).
   */
  g_object_class_install_property (gobject_class, PROP_SHIFT_TOLERANCE,
      g_param_spec_double ("shift-tolerance", "Shift tolerance",
          "Pixels the camera must move before a move is reported",
          0.0, 10000.0, DEFAULT_PROP_SHIFT_TOLERANCE, RW_PLAYING));
  /**
   * GstWellMonitor:shift-min-confidence:
   *
   * Estimates whose confidence (the phase correlation's peak, 0..1) is under
   * this are ignored: something covers the view.
   */
  g_object_class_install_property (gobject_class, PROP_SHIFT_MIN_CONFIDENCE,
      g_param_spec_double ("shift-min-confidence", "Shift minimum confidence",
          "Camera-shift estimates less confident than this are ignored",
          0.0, 1.0, DEFAULT_PROP_SHIFT_MIN_CONFIDENCE, RW_PLAYING));
  /**
   * GstWellMonitor:follow-shift:
   *
   * When the watchdog reports a move, move the wells' boxes with the table
   * (else only report it).
   */
  g_object_class_install_property (gobject_class, PROP_FOLLOW_SHIFT,
      g_param_spec_boolean ("follow-shift", "Follow shift",
          "Move the wells' boxes with a reported camera move",
          DEFAULT_PROP_FOLLOW_SHIFT, RW_PLAYING));
  /**
   * GstWellMonitor:latency:
   *
   * In a live pipeline (a camera), the time in milliseconds a frame may spend
   * in the element, added to the latency it reports in the LATENCY query: the
   * sinks render each frame that much later, so that a frame the model takes
   * long over (several cameras on one machine) is not late, skipped or
   * dropped by QoS. Alarms are posted when a frame is analysed, not delayed
   * by it. 0 reports none (GstBaseTransform's default, which leaves the
   * analysis only the sink's processing-deadline, 20 ms).
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Milliseconds a frame may spend in the element in a live pipeline",
          0, 10000, DEFAULT_PROP_LATENCY, RW_READY));

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
  self->model = g_strdup (default_model_path ().c_str ());
  self->wells = g_strdup (DEFAULT_PROP_WELLS);
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->device = g_strdup (DEFAULT_PROP_DEVICE);
  self->alarm_frames = DEFAULT_PROP_ALARM_FRAMES;
  self->clear_frames = DEFAULT_PROP_CLEAR_FRAMES;
  self->interval = DEFAULT_PROP_INTERVAL;
  self->post_scores = DEFAULT_PROP_POST_SCORES;
  self->threads = DEFAULT_PROP_THREADS;
  self->active_device = NULL;
  self->reference_frame = g_strdup (DEFAULT_PROP_REFERENCE_FRAME);
  self->shift_interval = DEFAULT_PROP_SHIFT_INTERVAL;
  self->shift_tolerance = DEFAULT_PROP_SHIFT_TOLERANCE;
  self->shift_min_confidence = DEFAULT_PROP_SHIFT_MIN_CONFIDENCE;
  self->follow_shift = DEFAULT_PROP_FOLLOW_SHIFT;
  self->latency = DEFAULT_PROP_LATENCY;
  self->running = FALSE;
  self->earliest_time = GST_CLOCK_TIME_NONE;
  self->priv = new GstWellMonitorPrivate ();

  /* analyses in place: never a copy, never a change to the pixels */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_well_monitor_finalize (GObject * object)
{
  GstWellMonitor *self = GST_WELL_MONITOR (object);

  self->priv->reset ();
  delete self->priv;
  self->priv = NULL;
  g_free (self->model);
  g_free (self->wells);
  g_free (self->device);
  g_free (self->active_device);
  g_free (self->reference_frame);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_well_monitor_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellMonitor *self = GST_WELL_MONITOR (object);
  const bool needs_restart = prop_id == PROP_DEVICE || prop_id == PROP_THREADS
      || prop_id == PROP_REFERENCE_FRAME;
  const bool reloads = prop_id == PROP_MODEL || prop_id == PROP_WELLS;

  GST_OBJECT_LOCK (self);
  const bool running = self->running;
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_WELLS:
      g_free (self->wells);
      self->wells = g_value_dup_string (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_ALARM_FRAMES:
      self->alarm_frames = g_value_get_uint (value);
      break;
    case PROP_CLEAR_FRAMES:
      self->clear_frames = g_value_get_uint (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_POST_SCORES:
      self->post_scores = g_value_get_boolean (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_REFERENCE_FRAME:
      g_free (self->reference_frame);
      self->reference_frame = g_value_dup_string (value);
      break;
    case PROP_SHIFT_INTERVAL:
      self->shift_interval = g_value_get_double (value);
      break;
    case PROP_SHIFT_TOLERANCE:
      self->shift_tolerance = g_value_get_double (value);
      break;
    case PROP_SHIFT_MIN_CONFIDENCE:
      self->shift_min_confidence = g_value_get_double (value);
      break;
    case PROP_FOLLOW_SHIFT:
      self->follow_shift = g_value_get_boolean (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  const std::string path = prop_id == PROP_MODEL && self->model ? self->model
      : prop_id == PROP_WELLS && self->wells ? self->wells : "";
  GST_OBJECT_UNLOCK (self);
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

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_WELLS:
      g_value_set_string (value, self->wells);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_ALARM_FRAMES:
      g_value_set_uint (value, self->alarm_frames);
      break;
    case PROP_CLEAR_FRAMES:
      g_value_set_uint (value, self->clear_frames);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_POST_SCORES:
      g_value_set_boolean (value, self->post_scores);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_ACTIVE_DEVICE:
      g_value_set_string (value, self->active_device);
      break;
    case PROP_REFERENCE_FRAME:
      g_value_set_string (value, self->reference_frame);
      break;
    case PROP_SHIFT_INTERVAL:
      g_value_set_double (value, self->shift_interval);
      break;
    case PROP_SHIFT_TOLERANCE:
      g_value_set_double (value, self->shift_tolerance);
      break;
    case PROP_SHIFT_MIN_CONFIDENCE:
      g_value_set_double (value, self->shift_min_confidence);
      break;
    case PROP_FOLLOW_SHIFT:
      g_value_set_boolean (value, self->follow_shift);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
