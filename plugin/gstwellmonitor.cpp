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
 * (#GstValueArray of doubles) in layout order, "threshold", and the
 * "timestamp", "stream-time", "running-time" and "frame" fields above.
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
#include "camera-shift.h"
#include "well-crops.h"
#include "wellmonitor-meta.h"

#include "wellmonitor/debouncer.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/device.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
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
};

#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE ("{ BGR, BGRx, BGRA, RGB, RGBx, RGBA, GRAY8, I420, NV12 }")

static GstStaticPadTemplate gst_well_monitor_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

static GstStaticPadTemplate gst_well_monitor_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

namespace {

/* Settings read once per frame under the object lock. */
struct FrameSettings
{
  double threshold = DEFAULT_PROP_THRESHOLD;
  guint alarm_frames = DEFAULT_PROP_ALARM_FRAMES;
  guint clear_frames = DEFAULT_PROP_CLEAR_FRAMES;
  guint interval = DEFAULT_PROP_INTERVAL;
  bool post_scores = DEFAULT_PROP_POST_SCORES;
  wellmonitor::CameraShiftSettings shift;
};

}  // namespace

/* C++ state; lives from init to finalize. Touched only by start/stop,
 * set_info and the streaming thread, which GstBaseTransform serialises. */
struct GstWellMonitorPrivate
{
  std::unique_ptr<wellmonitor::Detector> detector;
  wellmonitor::WellLayout layout;

  /* negotiated format */
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;
  int width = 0;
  int height = 0;
  std::vector<cv::Rect> boxes;          /* per well, stream pixels */
  WellCrops crops;                      /* per well, what Detector::score sees */

  /* per-well debounce and last scores */
  wellmonitor::Debouncer debounce;
  std::vector<wellmonitor::WellChange> events;  /* of the current frame */
  double last_threshold = 0.0;
  bool have_scores = false;
  bool warned_non_finite = false;       /* a NaN/inf score was reported */
  guint64 frames = 0;                   /* buffers seen since start */
  guint64 last_analysed = 0;            /* index of the last analysed buffer */
  GValue well_ids = G_VALUE_INIT;       /* GstValueArray of the ids, for the scores message */
  cv::Mat reference;                    /* the reference frame, grey (watchdog) */
  wellmonitor::CameraShiftWatchdog watchdog;

  /* Forgets every well's debounce: no well is in alarm, and the next frame
   * is analysed whatever the interval. */
  void reset_debounce ()
  {
    debounce.reset ();
    events.clear ();
    have_scores = false;
  }

  void reset ()
  {
    detector.reset ();
    layout = wellmonitor::WellLayout ();
    format = GST_VIDEO_FORMAT_UNKNOWN;
    width = height = 0;
    boxes.clear ();
    crops.clear ();
    debounce.resize (0);
    events.clear ();
    have_scores = false;
    warned_non_finite = false;
    frames = 0;
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

/* An exception's text that names `path`: its own when it does already. */
static std::string
naming (const std::string & path, const char *what)
{
  if (std::string (what).find (path) != std::string::npos)
    return what;
  return path + ": " + what;
}

/* ---------------------------------------------------------------- start/stop */

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
  if (wells.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No well layout: set the 'wells' property to a layout file."),
        ("wells property is not set"));
    return FALSE;
  }
  if (!g_file_test (wells.c_str (), G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Well layout file '%s' does not exist.", wells.c_str ()),
        ("wells=%s", wells.c_str ()));
    return FALSE;
  }
  try {
    priv->layout = wellmonitor::load_layout (wells);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load the well layout: %s", naming (wells, wellmonitor::error_text (e).c_str ()).c_str ()),
        ("%s", wellmonitor::error_text (e).c_str ()));
    return FALSE;
  } catch (...) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load the well layout '%s'.", wells.c_str ()),
        ("unknown exception"));
    return FALSE;
  }
  if (priv->layout.wells.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Well layout '%s' names no wells.", wells.c_str ()), (NULL));
    return FALSE;
  }

  if (model.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model: set the 'model' property to a model file."),
        ("model property is empty"));
    return FALSE;
  }
  if (!g_file_test (model.c_str (), G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file '%s' does not exist.", model.c_str ()),
        ("model=%s (the default is the installed model %s/default.wmm, or "
            "%s in the source tree)", model.c_str (), WELLMONITOR_MODEL_DIR,
            WELLMONITOR_SOURCE_MODEL));
    return FALSE;
  }
  try {
    wellmonitor::ModelFile file = wellmonitor::load_model (model);
    torch::Device dev = wellmonitor::resolve_device (device);
    const int in_use = wellmonitor::set_threads (threads);
    priv->detector = std::make_unique<wellmonitor::Detector> (std::move (file),
        dev);
    GST_INFO_OBJECT (self, "model %s: arch %s, input %dx%d %s, threshold %g, "
        "on %s with %d intra-op threads", model.c_str (),
        priv->detector->model ().arch.c_str (),
        priv->detector->model ().preprocess.width,
        priv->detector->model ().preprocess.height,
        wellmonitor::to_string (priv->detector->model ().preprocess.color).c_str (),
        priv->detector->threshold (),
        wellmonitor::describe_device (dev).c_str (), in_use);
  } catch (const wellmonitor::ModelFileError & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load the model: %s", naming (model, wellmonitor::error_text (e).c_str ()).c_str ()),
        ("%s", wellmonitor::error_text (e).c_str ()));
    return FALSE;
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not use the model '%s' on device '%s': %s", model.c_str (),
            device.c_str (), wellmonitor::error_text (e).c_str ()), ("%s", wellmonitor::error_text (e).c_str ()));
    return FALSE;
  } catch (...) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load the model '%s'.", model.c_str ()),
        ("unknown exception"));
    return FALSE;
  }

  const size_t n = priv->layout.wells.size ();
  priv->debounce.resize (n);
  priv->events.reserve (n);
  priv->last_threshold = priv->detector->threshold ();

  g_value_init (&priv->well_ids, GST_TYPE_ARRAY);
  for (const auto & w : priv->layout.wells) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, w.id.c_str ());
    gst_value_array_append_and_take_value (&priv->well_ids, &v);
  }

  std::string active = wellmonitor::describe_device (priv->detector->device ());
  GST_OBJECT_LOCK (self);
  g_free (self->active_device);
  self->active_device = g_strdup (active.c_str ());
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "active-device");

  GST_INFO_OBJECT (self, "layout %s: %zu wells, reference %dx%d",
      wells.c_str (), n, priv->layout.ref_width, priv->layout.ref_height);
  return TRUE;
}

static gboolean
gst_well_monitor_stop (GstBaseTransform * trans)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  for (size_t i = 0; i < self->priv->debounce.size (); i++) {
    if (self->priv->debounce.well (i).alarm)
      GST_INFO_OBJECT (self, "stopping with well %s in alarm",
          self->priv->layout.wells[i].id.c_str ());
  }
  self->priv->reset ();
  return TRUE;
}

static gboolean
gst_well_monitor_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellMonitor *self = GST_WELL_MONITOR (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      /* no clear messages at EOS: alarms stand until a well is seen normal */
      for (size_t i = 0; i < self->priv->debounce.size (); i++) {
        if (self->priv->debounce.well (i).alarm)
          GST_INFO_OBJECT (self, "EOS with well %s still in alarm",
              self->priv->layout.wells[i].id.c_str ());
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      /* a flushing seek: the frames before it say nothing about the ones
       * after it (serialised with the streaming thread) */
      GST_DEBUG_OBJECT (self, "flush: debounce reset");
      self->priv->reset_debounce ();
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* Brings controlled properties (threshold) to the buffer's stream time, as
 * videobalance does. */
static void
gst_well_monitor_before_transform (GstBaseTransform * trans, GstBuffer * buffer)
{
  const GstClockTime timestamp = GST_BUFFER_PTS (buffer);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (timestamp) && trans->segment.format == GST_FORMAT_TIME)
    stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
        timestamp);
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

  if (!priv->detector) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("caps set before the element was started"));
    return FALSE;
  }

  try {
    std::vector<cv::Rect> boxes = priv->layout.scaled (w, h);
    if (boxes.size () != priv->layout.wells.size ())
      throw std::runtime_error ("layout returned the wrong number of boxes");
    for (size_t i = 0; i < boxes.size (); i++) {
      const cv::Rect & b = boxes[i];
      if (b.width < 1 || b.height < 1 || b.x < 0 || b.y < 0
          || b.x + b.width > w || b.y + b.height > h) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT,
            ("Well '%s' of layout '%s' has no pixels in a %dx%d frame.",
                priv->layout.wells[i].id.c_str (),
                priv->layout.origin.c_str (), w, h),
            ("scaled box %d,%d %dx%d", b.x, b.y, b.width, b.height));
        return FALSE;
      }
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
  priv->format = format;
  priv->width = w;
  priv->height = h;
  GST_DEBUG_OBJECT (self, "%s %dx%d, %zu wells",
      gst_video_format_to_string (format), w, h, priv->boxes.size ());
  return TRUE;
}

/* ----------------------------------------------------------- per-frame work */

/* Scores all wells in one forward pass and updates the debounce; the wells
 * that change state are left in priv->events. */
static void
analyse_frame (GstWellMonitor * self, GstVideoFrame * frame,
    const FrameSettings & settings)
{
  GstWellMonitorPrivate *priv = self->priv;

  const gint64 t0 = g_get_monotonic_time ();
  const std::vector<cv::Mat> & crops = priv->crops.extract (frame);
  const gint64 t1 = g_get_monotonic_time ();
  const std::vector<double> scores = priv->detector->score (crops);
  const gint64 t2 = g_get_monotonic_time ();
  GST_LOG_OBJECT (self, "%zu wells: crops %.2f ms, scores %.2f ms",
      crops.size (), (t1 - t0) / 1000.0, (t2 - t1) / 1000.0);
  if (scores.size () != priv->debounce.size ())
    throw std::runtime_error ("the model returned " +
        std::to_string (scores.size ()) + " scores for " +
        std::to_string (priv->debounce.size ()) + " wells");

  const double threshold = settings.threshold >= 0.0 ?
      settings.threshold : priv->detector->threshold ();
  /* a score that is no number is an anomaly (the debounce counts it as
   * one), never a silent normal; say so once */
  for (size_t i = 0; i < scores.size () && !priv->warned_non_finite; i++) {
    if (!std::isfinite (scores[i])) {
      priv->warned_non_finite = true;
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("The model scored well '%s' %g, not a number; such wells are "
              "treated as anomalous. The model file is unusable.",
              priv->layout.wells[i].id.c_str (), scores[i]),
          ("frame %" G_GUINT64_FORMAT ", well %zu", priv->frames, i));
    }
  }
  priv->events = priv->debounce.update (scores, threshold,
      settings.alarm_frames, settings.clear_frames);
  priv->last_threshold = threshold;
  priv->have_scores = true;
}

static void
attach_metas (GstWellMonitor * self, GstBuffer * buffer, bool analysed)
{
  GstWellMonitorPrivate *priv = self->priv;

  for (size_t i = 0; i < priv->debounce.size (); i++) {
    const cv::Rect & b = priv->boxes[i];
    const wellmonitor::WellState & s = priv->debounce.well (i);
    GstVideoRegionOfInterestMeta *meta =
        gst_buffer_add_video_region_of_interest_meta (buffer,
        WELLMONITOR_ROI_TYPE, b.x, b.y, b.width, b.height);
    meta->id = (gint) i;
    gst_video_region_of_interest_meta_add_param (meta,
        gst_structure_new (WELLMONITOR_ROI_PARAM,
            "well", G_TYPE_STRING, priv->layout.wells[i].id.c_str (),
            "score", G_TYPE_DOUBLE, s.score,
            "threshold", G_TYPE_DOUBLE, priv->last_threshold,
            "anomaly", G_TYPE_BOOLEAN, (gboolean) s.anomaly,
            "alarm", G_TYPE_BOOLEAN, (gboolean) s.alarm,
            "analysed", G_TYPE_BOOLEAN, (gboolean) analysed, NULL));
  }
}

/* The time fields shared by all messages, as in level and videoanalyse. */
static GstStructure *
new_message_structure (GstWellMonitor * self, const gchar * name,
    GstBuffer * buffer, guint64 frame)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  const GstClockTime timestamp = GST_BUFFER_PTS (buffer);
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (timestamp) && segment->format == GST_FORMAT_TIME) {
    running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        timestamp);
    stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        timestamp);
  }
  return gst_structure_new (name,
      "timestamp", G_TYPE_UINT64, (guint64) timestamp,
      "stream-time", G_TYPE_UINT64, (guint64) stream_time,
      "running-time", G_TYPE_UINT64, (guint64) running_time,
      "frame", G_TYPE_UINT64, frame, NULL);
}

static void
post_messages (GstWellMonitor * self, GstBuffer * buffer, guint64 frame,
    bool analysed, const FrameSettings & settings)
{
  GstWellMonitorPrivate *priv = self->priv;

  for (const wellmonitor::WellChange & ev : priv->events) {
    const cv::Rect & b = priv->boxes[ev.well];
    const char *id = priv->layout.wells[ev.well].id.c_str ();
    const double score = priv->debounce.well (ev.well).score;
    GstStructure *s = new_message_structure (self,
        ev.alarm ? "wellmonitor-alarm" : "wellmonitor-clear", buffer, frame);
    gst_structure_set (s,
        "well", G_TYPE_STRING, id,
        "score", G_TYPE_DOUBLE, score,
        "threshold", G_TYPE_DOUBLE, priv->last_threshold,
        "x", G_TYPE_INT, b.x, "y", G_TYPE_INT, b.y,
        "width", G_TYPE_INT, b.width, "height", G_TYPE_INT, b.height, NULL);
    if (ev.alarm)
      GST_WARNING_OBJECT (self, "well %s in alarm at frame %" G_GUINT64_FORMAT
          ": score %g > threshold %g", id, frame, score, priv->last_threshold);
    else
      GST_INFO_OBJECT (self, "well %s clear at frame %" G_GUINT64_FORMAT
          ": score %g", id, frame, score);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
  priv->events.clear ();

  if (analysed && settings.post_scores) {
    GstStructure *s = new_message_structure (self, "wellmonitor-scores",
        buffer, frame);
    GValue scores = G_VALUE_INIT;
    g_value_init (&scores, GST_TYPE_ARRAY);
    for (const wellmonitor::WellState & w : priv->debounce.wells ()) {
      GValue v = G_VALUE_INIT;
      g_value_init (&v, G_TYPE_DOUBLE);
      g_value_set_double (&v, w.score);
      gst_value_array_append_and_take_value (&scores, &v);
    }
    gst_structure_set_value (s, "wells", &priv->well_ids);
    gst_structure_take_value (s, "scores", &scores);
    gst_structure_set (s, "threshold", G_TYPE_DOUBLE, priv->last_threshold,
        NULL);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
}

/* The camera-shift watchdog's turn on this frame: posts
 * wellmonitor-camera-moved and, with follow-shift, moves the boxes. */
static void
watch_camera (GstWellMonitor * self, GstVideoFrame * frame, guint64 index,
    const FrameSettings & settings)
{
  GstWellMonitorPrivate *priv = self->priv;
  if (!priv->watchdog.armed ())
    return;
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  const GstClockTime pts = GST_BUFFER_PTS (frame->buffer);
  const GstClockTime stream_time = GST_CLOCK_TIME_IS_VALID (pts)
      && segment->format == GST_FORMAT_TIME ?
      gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts) : GST_CLOCK_TIME_NONE;
  wellmonitor::CameraMove move;
  if (!priv->watchdog.update (frame, stream_time, settings.shift, move,
          priv->boxes))
    return;
  if (move.followed)
    priv->crops.configure (&frame->info, priv->boxes);
  GST_WARNING_OBJECT (self, "camera moved by %.1f, %.1f px (confidence %.2f)%s",
      move.shift.dx, move.shift.dy, move.shift.confidence,
      move.followed ? ": boxes follow" : "");
  GstStructure *s = new_message_structure (self, "wellmonitor-camera-moved",
      frame->buffer, index);
  gst_structure_set (s, "dx", G_TYPE_DOUBLE, move.shift.dx,
      "dy", G_TYPE_DOUBLE, move.shift.dy,
      "confidence", G_TYPE_DOUBLE, move.shift.confidence,
      "followed", G_TYPE_BOOLEAN, (gboolean) move.followed,
      "offset-x", G_TYPE_INT, move.offset.x,
      "offset-y", G_TYPE_INT, move.offset.y, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
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
  settings.alarm_frames = self->alarm_frames;
  settings.clear_frames = self->clear_frames;
  settings.interval = self->interval;
  settings.post_scores = self->post_scores;
  settings.shift.interval = (GstClockTime) (self->shift_interval * GST_SECOND);
  settings.shift.tolerance = self->shift_tolerance;
  settings.shift.min_confidence = self->shift_min_confidence;
  settings.shift.follow = self->follow_shift;
  GST_OBJECT_UNLOCK (self);

  const guint64 index = priv->frames++;
  if (GST_BUFFER_IS_DISCONT (frame->buffer) && index > 0) {
    /* frames are missing before this one: runs of frames over or under the
     * threshold are broken */
    GST_DEBUG_OBJECT (self, "discontinuity at frame %" G_GUINT64_FORMAT
        ": debounce reset", index);
    priv->reset_debounce ();
  }
  const bool analyse = !priv->have_scores || settings.interval <= 1
      || index - priv->last_analysed >= settings.interval;

  try {
    watch_camera (self, frame, index, settings);
    if (analyse) {
      analyse_frame (self, frame, settings);
      priv->last_analysed = index;
    }
    attach_metas (self, frame->buffer, analyse);
    post_messages (self, frame->buffer, index, analyse, settings);
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

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (.wmm) made by wellmonitor-trainer: the model, its "
          "preprocessing and its calibrated threshold. Read when the element "
          "starts (READY to PAUSED); a regular file of at most 256 MiB",
          default_model.c_str (),
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_WELLS,
      g_param_spec_string ("wells", "Well layout",
          "Well layout file (required): the id and box of every well in a "
          "reference resolution; boxes scale to the stream's resolution. Read "
          "when the element starts; at most 256 wells, a regular file of at "
          "most 1 MiB",
          DEFAULT_PROP_WELLS,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "A well is anomalous on a frame when its score is greater than this; "
          "-1 uses the threshold calibrated in the model file. Takes effect on "
          "the next analysed frame",
          -1.0, G_MAXDOUBLE, DEFAULT_PROP_THRESHOLD,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Where the model runs: auto (CUDA when this build and machine have "
          "it, else CPU), cpu, cuda or cuda:N. Asking for CUDA where there is "
          "none fails the start; see active-device for the one in use",
          DEFAULT_PROP_DEVICE,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_ALARM_FRAMES,
      g_param_spec_uint ("alarm-frames", "Alarm frames",
          "A well goes into alarm (wellmonitor-alarm) after this many "
          "consecutive analysed frames over the threshold",
          1, G_MAXUINT, DEFAULT_PROP_ALARM_FRAMES,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_CLEAR_FRAMES,
      g_param_spec_uint ("clear-frames", "Clear frames",
          "A well in alarm clears (wellmonitor-clear) after this many "
          "consecutive analysed frames at or under the threshold",
          1, G_MAXUINT, DEFAULT_PROP_CLEAR_FRAMES,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Analyse every Nth frame (1 = every frame); the frames in between "
          "pass with the last scores in their metas",
          1, G_MAXUINT, DEFAULT_PROP_INTERVAL,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_POST_SCORES,
      g_param_spec_boolean ("post-scores", "Post scores",
          "Post a wellmonitor-scores message with every well's score on each "
          "analysed frame",
          DEFAULT_PROP_POST_SCORES,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "LibTorch intra-op threads for the forward pass (0 = LibTorch's "
          "default). LibTorch keeps one count per process: the last element "
          "started sets it for all",
          0, 1024, DEFAULT_PROP_THREADS,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_ACTIVE_DEVICE,
      g_param_spec_string ("active-device", "Active device",
          "The device the model runs on, e.g. cpu or cuda:0 (NULL until the "
          "element has started)",
          NULL, (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstWellMonitor:reference-frame:
   *
   * The picture the layout was drawn on; turns the camera-shift watchdog on.
   */
  g_object_class_install_property (gobject_class, PROP_REFERENCE_FRAME,
      g_param_spec_string ("reference-frame", "Reference frame",
          "Image (PNG, JPEG, ...) of the table as the layout was drawn on it; "
          "turns on the camera-shift watchdog, which posts "
          "wellmonitor-camera-moved (dx, dy, confidence) when the table has "
          "moved in the picture. Read when the element starts; scaled to the "
          "stream", DEFAULT_PROP_REFERENCE_FRAME,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_SHIFT_INTERVAL,
      g_param_spec_double ("shift-interval", "Shift interval",
          "Seconds of stream time between two camera-shift estimates (the "
          "first frame is always checked); each costs a few ms",
          0.0, 3600.0, DEFAULT_PROP_SHIFT_INTERVAL,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_SHIFT_TOLERANCE,
      g_param_spec_double ("shift-tolerance", "Shift tolerance",
          "Pixels: wellmonitor-camera-moved is posted when the estimated "
          "shift differs by more than this from the last one posted (at "
          "first: from none)", 0.0, 10000.0, DEFAULT_PROP_SHIFT_TOLERANCE,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_SHIFT_MIN_CONFIDENCE,
      g_param_spec_double ("shift-min-confidence", "Shift minimum confidence",
          "Estimates whose confidence (the phase correlation's peak, 0..1) is "
          "under this are ignored: something covers the view", 0.0, 1.0,
          DEFAULT_PROP_SHIFT_MIN_CONFIDENCE,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_FOLLOW_SHIFT,
      g_param_spec_boolean ("follow-shift", "Follow shift",
          "When the watchdog reports a move, move the wells' boxes with the "
          "table (else only report it)", DEFAULT_PROP_FOLLOW_SHIFT,
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
  const bool needs_restart = prop_id == PROP_MODEL || prop_id == PROP_WELLS
      || prop_id == PROP_DEVICE || prop_id == PROP_THREADS
      || prop_id == PROP_REFERENCE_FRAME;

  GST_OBJECT_LOCK (self);
  const bool running = GST_STATE (self) >= GST_STATE_PAUSED;
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  /* the model, layout, device and threads are read when the element starts:
   * a change while it runs is kept for the next start, and said so */
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
