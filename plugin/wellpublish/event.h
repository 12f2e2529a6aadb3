/* wellpublish's messages: what an alarm or a clear carries, captured on the
 * streaming thread, and its JSON (pipelines/schemas/event.schema.json),
 * rendered on the publisher's thread; the camera and scores messages
 * (camera.schema.json, scores.schema.json); the topics (docs/mqtt.md). The
 * one place that knows the messages' field names and the topic layout. */
#pragma once

#include "buffer-times.h"
#include "well-meta.h"

#include "wellmonitor/alarm_lifecycle.h"

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace wellpublish {

/* What an event takes from the element's properties. */
struct EventSettings
{
  std::string camera;
  bool snapshot = true;         /* a JPEG of the well in the event */
  double margin = 0.5;          /* the snapshot's margin, a fraction of the box */
  int quality = 90;             /* JPEG quality */
  std::string frame_dir;        /* also save the whole frame here ("": no) */
};

/* One alarm or clear, as the streaming thread saw it. */
struct EventData
{
  std::string kind, camera, well, event_id;
  std::string reason;           /* a clear's: normal, camera-lost, ... */
  guint64 seq = 0;
  double score = 0.0, threshold = 0.0, top = 0.0;
  cv::Rect box, snapshot_box;
  gint64 wall_us = 0;
  wellmonitor::BufferTimes times;
  guint64 frame = 0;
  bool snapshot = false;
  int quality = 90;
  cv::Mat crop;                 /* BGR (or grey), owned */
  std::string snapshot_error;
  std::string frame_dir;
  GstBuffer *frame_copy = nullptr;      /* whole frame, for frame-dir */
  GstVideoInfo info {};

  EventData () = default;
  EventData (const EventData &) = delete;
  EventData & operator= (const EventData &) = delete;
  ~EventData ();
};

/* The event of `change` (an alarm or its end) for `well` on `frame`: copies
 * what the JSON needs (the snapshot's pixels, the frame for frame_dir), so
 * that it can be rendered later on another thread. `frame` NULL: an end that
 * no frame shows (camera lost, stopped): no snapshot, no frame file. */
std::shared_ptr<EventData> capture_event (const GstVideoFrame * frame,
    const wellmonitor::WellResult & well,
    const wellmonitor::AlarmChange & change, const EventSettings & settings,
    guint64 seq, gint64 wall_us, const wellmonitor::BufferTimes & times,
    guint64 index);

/* The picture a dashboard shows for an alarm (PREFIX/CAMERA/snapshot/WELL,
 * a binary JPEG): the well amid its neighbours, a 16:9 view about eight
 * wells wide, scaled to `width` pixels, the well marked by a thick red box
 * in a white one (a cue besides colour) and labelled with its id. The pixels
 * are copied on the streaming thread; the marking and the JPEG are made
 * later (render_view_jpeg) on the publisher's thread. */
struct ViewData
{
  cv::Mat view;                 /* BGR (or grey), the region of the frame, owned */
  cv::Rect well;                /* the well in `view`'s pixels */
  std::string label;
  int width = 640;              /* the JPEG's width */
  int quality = 90;
};

/* The view of `box` on `frame`; nullptr when the box is outside the frame
 * or the frame cannot be read. */
std::shared_ptr<ViewData> capture_view (const GstVideoFrame * frame,
    const cv::Rect & box, const std::string & label, int width, int quality);

/* The view, marked and scaled, as JPEG bytes. Throws std::runtime_error. */
std::string render_view_jpeg (const ViewData & view);

/* The event's JSON: encodes the snapshot and writes the frame file. */
std::string render_event (const EventData & event);

/* How far the table moved in the picture (wellmonitor's camera-shift
 * watchdog). */
struct CameraShift
{
  double dx = 0.0, dy = 0.0;    /* stream pixels */
  double confidence = 0.0;      /* 0..1 */
  bool followed = false;        /* the boxes were moved with it */
};

/* A camera event's JSON: `kind` lost, back, obscured, unobscured or moved,
 * with its `reason` ("": none), `down_s` (< 0: none) and, for moved, the
 * `shift`. */
std::string render_camera (const std::string & camera, const std::string & kind,
    const std::string & reason, guint64 seq, gint64 wall_us, double down_s,
    const CameraShift * shift = nullptr);

/* The scores message's JSON: every well's score on an analysed frame. */
std::string render_scores (const std::string & camera, guint64 seq,
    gint64 wall_us, const wellmonitor::BufferTimes & times, guint64 frame,
    const std::vector<wellmonitor::WellResult> & wells);

/* A topic level or a file name from an id: MQTT's wildcards, separators and
 * anything unusual become '_'. */
std::string safe_name (const std::string & s);

/* "PREFIX/CAMERA/LEAF", the camera made safe; `leaf` is used as given:
 * "status", "camera", "scores". */
std::string camera_topic (const std::string & prefix, const std::string & camera,
    const std::string & leaf);

/* A well's events: "PREFIX/CAMERA/events/WELL", both made safe. */
std::string event_topic (const std::string & prefix, const std::string & camera,
    const std::string & well);

/* ISO 8601 UTC with milliseconds. */
std::string iso8601 (gint64 unix_us);

/* `payload` (a message's JSON object) with "delay_s": the seconds from its
 * "time" to its sending, to the millisecond (never negative); unchanged when
 * it is not a JSON object. The publisher calls it at each send. */
std::string with_delay (const std::string & payload, double delay_s);

}  // namespace wellpublish
