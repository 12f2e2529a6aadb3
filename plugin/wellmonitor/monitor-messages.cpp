/* wellmonitor's bus messages. */

#include "monitor-messages.h"

namespace wellmonitor {

GstStructure *
monitor_message (const char *name, const BufferTimes & t, guint64 frame)
{
  return gst_structure_new (name,
      "timestamp", G_TYPE_UINT64, (guint64) t.timestamp,
      "stream-time", G_TYPE_UINT64, (guint64) t.stream_time,
      "running-time", G_TYPE_UINT64, (guint64) t.running_time,
      "frame", G_TYPE_UINT64, frame, NULL);
}

GstStructure *
alarm_message (const AlarmChange & change, const std::string & id,
    double threshold, const cv::Rect & b, const BufferTimes & times,
    guint64 frame)
{
  GstStructure *s = monitor_message (change.alarm ? "wellmonitor-alarm" :
      "wellmonitor-clear", times, frame);
  gst_structure_set (s,
      "well", G_TYPE_STRING, id.c_str (),
      "score", G_TYPE_DOUBLE, change.score,
      "threshold", G_TYPE_DOUBLE, threshold,
      "x", G_TYPE_INT, b.x, "y", G_TYPE_INT, b.y,
      "width", G_TYPE_INT, b.width, "height", G_TYPE_INT, b.height, NULL);
  if (!change.alarm)
    gst_structure_set (s, "reason", G_TYPE_STRING,
        alarm_end_name (change.reason), NULL);
  return s;
}

GstStructure *
scores_message (const GValue * well_ids, const std::vector<WellAlarm> & wells,
    double threshold, const FrameCounters & c, const BufferTimes & times,
    guint64 frame)
{
  GstStructure *s = monitor_message ("wellmonitor-scores", times, frame);
  GValue scores = G_VALUE_INIT;
  g_value_init (&scores, GST_TYPE_ARRAY);
  for (const WellAlarm & w : wells) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, w.score);
    gst_value_array_append_and_take_value (&scores, &v);
  }
  gst_structure_set_value (s, "wells", well_ids);
  gst_structure_take_value (s, "scores", &scores);
  gst_structure_set (s, "threshold", G_TYPE_DOUBLE, threshold,
      "frames-analysed", G_TYPE_UINT64, c.analysed,
      "frames-skipped", G_TYPE_UINT64, c.skipped,
      "frames-late", G_TYPE_UINT64, c.late, NULL);
  return s;
}

GstStructure *
camera_moved_message (const CameraMove & move, const BufferTimes & times,
    guint64 frame)
{
  GstStructure *s = monitor_message ("wellmonitor-camera-moved", times, frame);
  gst_structure_set (s, "dx", G_TYPE_DOUBLE, move.shift.dx,
      "dy", G_TYPE_DOUBLE, move.shift.dy,
      "confidence", G_TYPE_DOUBLE, move.shift.confidence,
      "followed", G_TYPE_BOOLEAN, (gboolean) move.followed,
      "offset-x", G_TYPE_INT, move.offset.x,
      "offset-y", G_TYPE_INT, move.offset.y, NULL);
  gchar *text = g_strdup_printf ("CAMERA MOVED dx=%.1f dy=%.1f px "
      "confidence=%.2f%s", move.shift.dx, move.shift.dy, move.shift.confidence,
      move.followed ? " (boxes follow)" : "");
  gst_structure_set (s, "text", G_TYPE_STRING, text, NULL);
  g_free (text);
  return s;
}

GstStructure *
shelved_message (const ShelveChange & c, const BufferTimes & times,
    guint64 frame)
{
  GstStructure *s = monitor_message ("wellmonitor-shelved", times, frame);
  std::string text = std::string (c.shelved ? "SHELVED" : "UNSHELVED") +
      " well=" + c.well + " by=" + (c.by.empty ()? "?" : c.by);
  if (!c.note.empty ())
    text += " note=\"" + c.note + "\"";
  gst_structure_set (s, "well", G_TYPE_STRING, c.well.c_str (),
      "shelved", G_TYPE_BOOLEAN, (gboolean) c.shelved,
      "by", G_TYPE_STRING, c.by.c_str (),
      "note", G_TYPE_STRING, c.note.c_str (),
      "text", G_TYPE_STRING, text.c_str (), NULL);
  return s;
}

GstStructure *
camera_lost_message (const std::string & reason, const BufferTimes & times,
    guint64 frame)
{
  GstStructure *s = monitor_message ("wellmonitor-camera-lost", times, frame);
  gst_structure_set (s, "reason", G_TYPE_STRING, reason.c_str (), NULL);
  return s;
}

GstStructure *
camera_back_message (const BufferTimes & times, guint64 frame)
{
  return monitor_message ("wellmonitor-camera-back", times, frame);
}

GstStructure *
camera_view_message (bool obscured, const ViewMeasure & now,
    const ViewMeasure & reference, const BufferTimes & times, guint64 frame)
{
  /* also the names of the downstream events (wellmonitor/camera_events.h) */
  GstStructure *s = monitor_message (obscured ? "wellmonitor-camera-obscured" :
      "wellmonitor-camera-unobscured", times, frame);
  gchar *seen = g_strdup_printf ("contrast %.2f and sharpness %.2f of the "
      "reference frame's", reference.contrast > 0 ?
      now.contrast / reference.contrast : 0.0, reference.sharpness > 0 ?
      now.sharpness / reference.sharpness : 0.0);
  gst_structure_set (s, "reason", G_TYPE_STRING, seen, NULL);
  g_free (seen);
  gst_structure_set (s, "contrast", G_TYPE_DOUBLE, now.contrast,
      "sharpness", G_TYPE_DOUBLE, now.sharpness,
      "reference-contrast", G_TYPE_DOUBLE, reference.contrast,
      "reference-sharpness", G_TYPE_DOUBLE, reference.sharpness, NULL);
  return s;
}

GstStructure *
summary_message (const FrameCounters & c)
{
  return gst_structure_new ("wellmonitor-summary",
      "frames", G_TYPE_UINT64, c.frames,
      "frames-analysed", G_TYPE_UINT64, c.analysed,
      "frames-skipped", G_TYPE_UINT64, c.skipped,
      "frames-late", G_TYPE_UINT64, c.late, NULL);
}

GstStructure *
reconfigured_message (const std::string & model, const std::string & wells,
    guint64 frame)
{
  return gst_structure_new ("wellmonitor-reconfigured",
      "model", G_TYPE_STRING, model.c_str (),
      "wells", G_TYPE_STRING, wells.c_str (),
      "frame", G_TYPE_UINT64, frame, NULL);
}

}  // namespace wellmonitor
