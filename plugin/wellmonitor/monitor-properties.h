/* wellmonitor's properties: their ids, their values with the defaults, their
 * GParamSpecs (each with its doc block) and set/get, in one place, as
 * NNStreamer's tensor_filter_common.c does for tensor_filter. The element
 * installs them, holds one MonitorProperties under its object lock, and
 * adds what a change means while it runs (a reload, a warning). */
#pragma once

#include "camera-shift.h"
#include "camera-view.h"

#include "wellmonitor/alarm_lifecycle.h"

#include <glib-object.h>

#include <optional>
#include <string>

namespace wellmonitor {

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
  PROP_STRETCH,
  PROP_OBSCURED_CONTRAST,
  PROP_OBSCURED_SHARPNESS,
  PROP_OBSCURED_TIME,
  PROP_LATENCY,
  PROP_ALARM_SECONDS,
  PROP_CLEAR_SECONDS,
  PROP_SMOOTHING_SECONDS,
  PROP_CLEAR_RATIO,
};

/* A string property: unset is NULL, as GObject has it. */
using OptionalString = std::optional<std::string>;

/* What one frame needs of the properties, copied under the object lock
 * (nothing here allocates). */
struct FrameSettings
{
  double threshold = -1.0;      /* -1: the model file's */
  AlarmRule rule;
  guint interval = 1;
  bool post_scores = false;
  CameraShiftSettings shift;
  ObscuredSettings obscured;
};

/* Every property's value; the member initialisers are the defaults. */
struct MonitorProperties
{
  OptionalString model;         /* the default model, set by the element */
  OptionalString wells;
  double threshold = -1.0;
  OptionalString device = std::string ("auto");
  /* the decision rule: its defaults are AlarmRule's (wellmonitor/debouncer.h) */
  double alarm_seconds = AlarmRule ().alarm_seconds;
  double clear_seconds = AlarmRule ().clear_seconds;
  double smoothing_seconds = AlarmRule ().smoothing_seconds;
  double clear_ratio = AlarmRule ().clear_ratio;
  guint alarm_frames = AlarmRule ().alarm_frames;       /* 0: alarm_seconds */
  guint clear_frames = AlarmRule ().clear_frames;       /* 0: clear_seconds */
  guint interval = 1;
  bool post_scores = false;
  gint threads = 0;
  OptionalString active_device; /* read-only: set when the element starts */
  OptionalString reference_frame;
  double shift_interval = 5.0;
  double shift_tolerance = 4.0;
  double shift_min_confidence = 0.15;
  bool follow_shift = false;
  bool stretch = false;
  double obscured_contrast = ObscuredSettings ().contrast;
  double obscured_sharpness = ObscuredSettings ().sharpness;
  double obscured_time = ObscuredSettings ().seconds;
  guint latency = 200;          /* ms a frame may spend here in a live pipeline */

  FrameSettings frame_settings () const;
  /* Sets `model` (id PROP_MODEL) or `wells` (PROP_WELLS) back to `kept`
   * when it still holds `refused` (a file refused while running); true when
   * it did. */
  bool revert (guint id, const std::string & refused, const std::string & kept);
};

/* Installs the properties on wellmonitor's class; `default_model` is the
 * model property's default. */
void install_monitor_properties (GObjectClass * klass,
    const std::string & default_model);

/* Sets or reads property `id`; false when `id` is none of the above. */
bool set_monitor_property (MonitorProperties & p, guint id,
    const GValue * value);
bool get_monitor_property (const MonitorProperties & p, guint id,
    GValue * value);

/* The string as a C string for GLib (NULL when unset). */
inline const char *
c_str_or_null (const OptionalString & s)
{
  return s ? s->c_str () : NULL;
}

}  // namespace wellmonitor
