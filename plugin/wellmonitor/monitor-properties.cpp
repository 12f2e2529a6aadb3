/* wellmonitor's properties. */

#include "monitor-properties.h"

#include <gst/gst.h>

namespace wellmonitor {

FrameSettings
MonitorProperties::frame_settings () const
{
  FrameSettings s;
  s.threshold = threshold;
  s.rule.alarm_seconds = alarm_seconds;
  s.rule.clear_seconds = clear_seconds;
  s.rule.smoothing_seconds = smoothing_seconds;
  s.rule.clear_ratio = clear_ratio;
  s.rule.alarm_frames = alarm_frames;
  s.rule.clear_frames = clear_frames;
  s.interval = interval;
  s.post_scores = post_scores;
  s.shift.interval = (GstClockTime) (shift_interval * GST_SECOND);
  s.shift.tolerance = shift_tolerance;
  s.shift.min_confidence = shift_min_confidence;
  s.shift.follow = follow_shift;
  s.obscured.contrast = obscured_contrast;
  s.obscured.sharpness = obscured_sharpness;
  s.obscured.seconds = obscured_time;
  return s;
}

bool
MonitorProperties::revert (guint id, const std::string & refused,
    const std::string & kept)
{
  OptionalString & value = id == PROP_MODEL ? model : wells;
  if (!value || *value != refused)
    return false;
  value = kept;
  return true;
}

#define RW_READY (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

void
install_monitor_properties (GObjectClass * gobject_class,
    const std::string & default_model)
{
  const MonitorProperties d;

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
          c_str_or_null (d.wells), RW_PLAYING));
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
          -1.0, G_MAXDOUBLE, d.threshold,
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
          c_str_or_null (d.device), RW_READY));
  /**
   * GstWellMonitor:alarm-seconds:
   *
   * A well goes into alarm ("wellmonitor-alarm") once its score (or its
   * smoothed score, see #GstWellMonitor:smoothing-seconds) has stayed over the
   * threshold for this many seconds of the buffers' timestamps, each analysed
   * frame standing for the time until the next; 0: on the first frame over.
   * The same at any frame rate. #GstWellMonitor:alarm-frames, when set,
   * counts frames instead.
   */
  g_object_class_install_property (gobject_class, PROP_ALARM_SECONDS,
      g_param_spec_double ("alarm-seconds", "Alarm seconds",
          "Seconds over the threshold that raise an alarm",
          0.0, 60.0, d.alarm_seconds, RW_PLAYING));
  /**
   * GstWellMonitor:clear-seconds:
   *
   * A well in alarm clears ("wellmonitor-clear") once its (smoothed) score has
   * stayed at or under the clear level (#GstWellMonitor:clear-ratio times the
   * threshold) for this many seconds. #GstWellMonitor:clear-frames, when set,
   * counts frames instead.
   */
  g_object_class_install_property (gobject_class, PROP_CLEAR_SECONDS,
      g_param_spec_double ("clear-seconds", "Clear seconds",
          "Seconds at or under the clear level that clear an alarm",
          0.0, 3600.0, d.clear_seconds, RW_PLAYING));
  /**
   * GstWellMonitor:smoothing-seconds:
   *
   * The alarm and clear decide on the mean of each well's scores over the
   * last this many seconds of analysed frames instead of the frame's own
   * score (a score that is no number makes the mean infinite: an anomaly).
   * 0: no smoothing. The metas' and messages' scores stay the frame's own.
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING_SECONDS,
      g_param_spec_double ("smoothing-seconds", "Smoothing seconds",
          "Seconds of scores the decision averages (0: the frame's own)",
          0.0, 10.0, d.smoothing_seconds, RW_PLAYING));
  /**
   * GstWellMonitor:clear-ratio:
   *
   * Hysteresis: a well in alarm clears only under this fraction of the
   * threshold (held for #GstWellMonitor:clear-seconds); between the two
   * levels it neither alarms nor clears. 1: the threshold itself.
   */
  g_object_class_install_property (gobject_class, PROP_CLEAR_RATIO,
      g_param_spec_double ("clear-ratio", "Clear ratio",
          "Fraction of the threshold a well must fall under to clear",
          0.0, 1.0, d.clear_ratio, RW_PLAYING));
  /**
   * GstWellMonitor:alarm-frames:
   *
   * Deprecated, for pipelines that count frames: when not 0, a well goes
   * into alarm after this many consecutive analysed frames over the
   * threshold instead of #GstWellMonitor:alarm-seconds (what it means
   * changes with the frame rate and #GstWellMonitor:interval). 0: seconds.
   */
  g_object_class_install_property (gobject_class, PROP_ALARM_FRAMES,
      g_param_spec_uint ("alarm-frames", "Alarm frames",
          "Deprecated: analysed frames over the threshold that raise an alarm, "
          "instead of alarm-seconds (0: alarm-seconds)",
          0, G_MAXUINT, d.alarm_frames, RW_PLAYING));
  /**
   * GstWellMonitor:clear-frames:
   *
   * Deprecated, for pipelines that count frames: when not 0, a well in alarm
   * clears after this many consecutive analysed frames at or under the clear
   * level instead of #GstWellMonitor:clear-seconds. 0: seconds.
   */
  g_object_class_install_property (gobject_class, PROP_CLEAR_FRAMES,
      g_param_spec_uint ("clear-frames", "Clear frames",
          "Deprecated: analysed frames at or under the clear level that clear "
          "an alarm, instead of clear-seconds (0: clear-seconds)",
          0, G_MAXUINT, d.clear_frames, RW_PLAYING));
  /**
   * GstWellMonitor:interval:
   *
   * Analyse every Nth frame (1 = every frame); the frames in between pass
   * with the last scores in their metas ("analysed" FALSE).
   */
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Analyse every Nth frame (1 = every frame)",
          1, G_MAXUINT, d.interval, RW_PLAYING));
  /**
   * GstWellMonitor:post-scores:
   *
   * Post a "wellmonitor-scores" message with every well's score on each
   * analysed frame.
   */
  g_object_class_install_property (gobject_class, PROP_POST_SCORES,
      g_param_spec_boolean ("post-scores", "Post scores",
          "Post every well's score on each analysed frame (wellmonitor-scores)",
          d.post_scores, RW_PLAYING));
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
          0, 1024, d.threads, RW_READY));
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
   * in the picture, and the obscured-camera check, which posts
   * "wellmonitor-camera-obscured" when the view over the wells has far less
   * contrast or sharpness than the reference's (see
   * #GstWellMonitor:obscured-time). Read when the element starts; scaled to
   * the stream.
   */
  g_object_class_install_property (gobject_class, PROP_REFERENCE_FRAME,
      g_param_spec_string ("reference-frame", "Reference frame",
          "Picture the layout was drawn on; turns the camera watchdogs on",
          c_str_or_null (d.reference_frame), RW_READY));
  /**
   * GstWellMonitor:shift-interval:
   *
   * Seconds of stream time between two camera-shift estimates (the first
   * frame is always checked); each costs a few ms.
   */
  g_object_class_install_property (gobject_class, PROP_SHIFT_INTERVAL,
      g_param_spec_double ("shift-interval", "Shift interval",
          "Seconds of stream time between two camera-shift estimates",
          0.0, 3600.0, d.shift_interval, RW_PLAYING));
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
          0.0, 10000.0, d.shift_tolerance, RW_PLAYING));
  /**
   * GstWellMonitor:shift-min-confidence:
   *
   * Estimates whose confidence (the phase correlation's peak, 0..1) is under
   * this are ignored: something covers the view.
   */
  g_object_class_install_property (gobject_class, PROP_SHIFT_MIN_CONFIDENCE,
      g_param_spec_double ("shift-min-confidence", "Shift minimum confidence",
          "Camera-shift estimates less confident than this are ignored",
          0.0, 1.0, d.shift_min_confidence, RW_PLAYING));
  /**
   * GstWellMonitor:follow-shift:
   *
   * When the watchdog reports a move, move the wells' boxes with the table
   * (else only report it).
   */
  g_object_class_install_property (gobject_class, PROP_FOLLOW_SHIFT,
      g_param_spec_boolean ("follow-shift", "Follow shift",
          "Move the wells' boxes with a reported camera move",
          d.follow_shift, RW_PLAYING));
  /**
   * GstWellMonitor:stretch:
   *
   * Accept a stream whose aspect ratio differs from the layout's reference
   * resolution by more than 1%, stretching the boxes onto it. Off, such a
   * stream is refused with an error (its boxes would lie beside the wells);
   * a stream of the layout's shape is scaled whatever its size. Read when
   * the caps are set.
   */
  g_object_class_install_property (gobject_class, PROP_STRETCH,
      g_param_spec_boolean ("stretch", "Stretch",
          "Accept a stream of another shape than the layout's (boxes stretched)",
          d.stretch, RW_READY));
  /**
   * GstWellMonitor:obscured-contrast:
   *
   * With #GstWellMonitor:reference-frame: the view over the wells counts as
   * obscured while its contrast (standard deviation of the luma) is under
   * this fraction of the reference frame's, or its sharpness under
   * #GstWellMonitor:obscured-sharpness of the reference's.
   */
  g_object_class_install_property (gobject_class, PROP_OBSCURED_CONTRAST,
      g_param_spec_double ("obscured-contrast", "Obscured contrast",
          "Fraction of the reference's contrast under which the view is obscured",
          0.0, 1.0, d.obscured_contrast, RW_PLAYING));
  /**
   * GstWellMonitor:obscured-sharpness:
   *
   * With #GstWellMonitor:reference-frame: the view over the wells counts as
   * obscured while its sharpness (variance of the luma's Laplacian) is under
   * this fraction of the reference frame's (or its contrast too low, see
   * #GstWellMonitor:obscured-contrast).
   */
  g_object_class_install_property (gobject_class, PROP_OBSCURED_SHARPNESS,
      g_param_spec_double ("obscured-sharpness", "Obscured sharpness",
          "Fraction of the reference's sharpness under which the view is obscured",
          0.0, 1.0, d.obscured_sharpness, RW_PLAYING));
  /**
   * GstWellMonitor:obscured-time:
   *
   * Seconds the view must stay obscured (measured twice a second) before
   * "wellmonitor-camera-obscured" is posted, every alarm in progress ends
   * with reason camera-obscured, and no alarm is raised until the view is
   * back ("wellmonitor-camera-unobscured", after a second with both measures
   * back over the fractions with a quarter to spare). 0 turns the check off.
   */
  g_object_class_install_property (gobject_class, PROP_OBSCURED_TIME,
      g_param_spec_double ("obscured-time", "Obscured time",
          "Seconds the view must stay obscured before it is reported (0: off)",
          0.0, 3600.0, d.obscured_time, RW_PLAYING));
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
          0, 10000, d.latency, RW_READY));
}

namespace {

void
set_string (OptionalString & s, const GValue * value)
{
  const gchar *v = g_value_get_string (value);
  if (v)
    s = std::string (v);
  else
    s.reset ();
}

}  // namespace

bool
set_monitor_property (MonitorProperties & p, guint id, const GValue * value)
{
  switch (id) {
    case PROP_MODEL:
      set_string (p.model, value);
      break;
    case PROP_WELLS:
      set_string (p.wells, value);
      break;
    case PROP_THRESHOLD:
      p.threshold = g_value_get_double (value);
      break;
    case PROP_DEVICE:
      set_string (p.device, value);
      break;
    case PROP_ALARM_FRAMES:
      p.alarm_frames = g_value_get_uint (value);
      break;
    case PROP_CLEAR_FRAMES:
      p.clear_frames = g_value_get_uint (value);
      break;
    case PROP_INTERVAL:
      p.interval = g_value_get_uint (value);
      break;
    case PROP_POST_SCORES:
      p.post_scores = g_value_get_boolean (value);
      break;
    case PROP_THREADS:
      p.threads = g_value_get_int (value);
      break;
    case PROP_REFERENCE_FRAME:
      set_string (p.reference_frame, value);
      break;
    case PROP_SHIFT_INTERVAL:
      p.shift_interval = g_value_get_double (value);
      break;
    case PROP_SHIFT_TOLERANCE:
      p.shift_tolerance = g_value_get_double (value);
      break;
    case PROP_SHIFT_MIN_CONFIDENCE:
      p.shift_min_confidence = g_value_get_double (value);
      break;
    case PROP_FOLLOW_SHIFT:
      p.follow_shift = g_value_get_boolean (value);
      break;
    case PROP_STRETCH:
      p.stretch = g_value_get_boolean (value);
      break;
    case PROP_OBSCURED_CONTRAST:
      p.obscured_contrast = g_value_get_double (value);
      break;
    case PROP_OBSCURED_SHARPNESS:
      p.obscured_sharpness = g_value_get_double (value);
      break;
    case PROP_OBSCURED_TIME:
      p.obscured_time = g_value_get_double (value);
      break;
    case PROP_LATENCY:
      p.latency = g_value_get_uint (value);
      break;
    case PROP_ALARM_SECONDS:
      p.alarm_seconds = g_value_get_double (value);
      break;
    case PROP_CLEAR_SECONDS:
      p.clear_seconds = g_value_get_double (value);
      break;
    case PROP_SMOOTHING_SECONDS:
      p.smoothing_seconds = g_value_get_double (value);
      break;
    case PROP_CLEAR_RATIO:
      p.clear_ratio = g_value_get_double (value);
      break;
    default:
      return false;
  }
  return true;
}

bool
get_monitor_property (const MonitorProperties & p, guint id, GValue * value)
{
  switch (id) {
    case PROP_MODEL:
      g_value_set_string (value, c_str_or_null (p.model));
      break;
    case PROP_WELLS:
      g_value_set_string (value, c_str_or_null (p.wells));
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, p.threshold);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, c_str_or_null (p.device));
      break;
    case PROP_ALARM_FRAMES:
      g_value_set_uint (value, p.alarm_frames);
      break;
    case PROP_CLEAR_FRAMES:
      g_value_set_uint (value, p.clear_frames);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, p.interval);
      break;
    case PROP_POST_SCORES:
      g_value_set_boolean (value, p.post_scores);
      break;
    case PROP_THREADS:
      g_value_set_int (value, p.threads);
      break;
    case PROP_ACTIVE_DEVICE:
      g_value_set_string (value, c_str_or_null (p.active_device));
      break;
    case PROP_REFERENCE_FRAME:
      g_value_set_string (value, c_str_or_null (p.reference_frame));
      break;
    case PROP_SHIFT_INTERVAL:
      g_value_set_double (value, p.shift_interval);
      break;
    case PROP_SHIFT_TOLERANCE:
      g_value_set_double (value, p.shift_tolerance);
      break;
    case PROP_SHIFT_MIN_CONFIDENCE:
      g_value_set_double (value, p.shift_min_confidence);
      break;
    case PROP_FOLLOW_SHIFT:
      g_value_set_boolean (value, p.follow_shift);
      break;
    case PROP_STRETCH:
      g_value_set_boolean (value, p.stretch);
      break;
    case PROP_OBSCURED_CONTRAST:
      g_value_set_double (value, p.obscured_contrast);
      break;
    case PROP_OBSCURED_SHARPNESS:
      g_value_set_double (value, p.obscured_sharpness);
      break;
    case PROP_OBSCURED_TIME:
      g_value_set_double (value, p.obscured_time);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, p.latency);
      break;
    case PROP_ALARM_SECONDS:
      g_value_set_double (value, p.alarm_seconds);
      break;
    case PROP_CLEAR_SECONDS:
      g_value_set_double (value, p.clear_seconds);
      break;
    case PROP_SMOOTHING_SECONDS:
      g_value_set_double (value, p.smoothing_seconds);
      break;
    case PROP_CLEAR_RATIO:
      g_value_set_double (value, p.clear_ratio);
      break;
    default:
      return false;
  }
  return true;
}

}  // namespace wellmonitor
