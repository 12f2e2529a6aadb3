/* An operator's change to a well, as it travels from wellpublish (which takes
 * commands from the plant) up to wellmonitor (which decides the alarms): a
 * GStreamer event of type GST_EVENT_CUSTOM_UPSTREAM whose structure is named
 * wellmonitor::kShelveEvent (wellmonitor/camera_events.h):
 *   well     string   the well's id from the layout
 *   shelved  boolean  TRUE: shelve (mask) it; FALSE: put it back
 *   by       string   who asked ("" unknown)
 *   note     string   why ("" none)
 *   since-us int64    (optional, shelve) since when, µs since 1970: a
 *                     shelving from before a restart, sent again at a start
 * Upstream events go through queues, tees and converters; wellmonitor takes
 * it (and does not pass it on). The one place that writes and reads it. */
#pragma once

#include "wellmonitor/camera_events.h"

#include <gst/gst.h>

#include <string>

namespace wellmonitor {

struct ShelveRequest
{
  std::string well;
  bool shelved = true;
  std::string by;
  std::string note;
  gint64 since_us = 0;          /* 0: now */
};

inline GstEvent *
shelve_event_new (const ShelveRequest & r)
{
  GstEvent *event = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new (kShelveEvent,
          "well", G_TYPE_STRING, r.well.c_str (),
          "shelved", G_TYPE_BOOLEAN, (gboolean) r.shelved,
          "by", G_TYPE_STRING, r.by.c_str (),
          "note", G_TYPE_STRING, r.note.c_str (), NULL));
  if (r.since_us > 0)
    gst_structure_set (gst_event_writable_structure (event), "since-us",
        G_TYPE_INT64, r.since_us, NULL);
  return event;
}

/* True, with `r` filled, when `event` is a shelve event with a well. */
inline bool
shelve_event_parse (GstEvent * event, ShelveRequest & r)
{
  const GstStructure *s = gst_event_get_structure (event);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM || !s
      || !gst_structure_has_name (s, kShelveEvent))
    return false;
  const gchar *well = gst_structure_get_string (s, "well");
  if (!well || !*well)
    return false;
  gboolean shelved = TRUE;
  gst_structure_get_boolean (s, "shelved", &shelved);
  const gchar *by = gst_structure_get_string (s, "by");
  const gchar *note = gst_structure_get_string (s, "note");
  r.well = well;
  r.shelved = shelved != FALSE;
  r.by = by ? by : "";
  r.note = note ? note : "";
  r.since_us = 0;
  gst_structure_get_int64 (s, "since-us", &r.since_us);
  return true;
}

}  // namespace wellmonitor
