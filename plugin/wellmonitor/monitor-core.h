/* What wellmonitor does, behind its GObject glue (as DL Streamer's
 * inference_impl.cpp is behind gva_base_inference.cpp): opens the model and
 * layout at start, places the wells when the caps come, and hands each frame
 * through the schedule (frame-schedule.h), the live reloads (reloader.h) and
 * the wells' analysis (well-analysis.h), posting the messages
 * (monitor-messages.h) through its host, the element.
 *
 * The element calls it from its vfuncs, which GstBaseTransform serialises
 * (start/stop, set_info, sink events, frames); qos () and request_reload ()
 * may come from any thread. Tests drive it with a host that records what it
 * posts, without a pipeline. */
#pragma once

#include "buffer-times.h"
#include "frame-schedule.h"
#include "monitor-properties.h"
#include "reloader.h"
#include "well-analysis.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

namespace wellmonitor {

/* What the core needs of its element. */
class MonitorHost
{
public:
  virtual ~MonitorHost () = default;
  /* Posts an element message with `s` (taken). */
  virtual void post (GstStructure * s) = 0;
  /* Posts GST_MESSAGE_ERROR or GST_MESSAGE_WARNING: `text` for the user
   * (empty: GStreamer's text for the code), `debug` for the details (empty:
   * none). */
  virtual void report (GstMessageType type, GQuark domain, gint code,
      const std::string & text, const std::string & debug) = 0;
  /* A model or layout set while running was refused: the property goes back
   * to `kept` if it still holds `refused`. Called on any thread. */
  virtual void revert (ReloadKind kind, const std::string & refused,
      const std::string & kept) = 0;
  /* Sends `event` (taken) downstream, from the streaming thread, before the
   * frame in hand. */
  virtual void push_event (GstEvent * event) = 0;
};

class MonitorCore
{
public:
  /* `category` and `log_object`: where its lines are logged (the element's
   * category, and the element). */
  MonitorCore (MonitorHost & host, GstDebugCategory * category,
      GObject * log_object);
  ~MonitorCore ();
  MonitorCore (const MonitorCore &) = delete;
  MonitorCore & operator= (const MonitorCore &) = delete;

  /* The element starts with `props`: opens the reference frame, layout and
   * model; false (the error posted) when one cannot be used. */
  bool start (const MonitorProperties & props);
  /* The element stops. */
  void stop ();
  bool started () const { return analysis_.started (); }
  /* The device the model runs on ("cpu", "cuda:0"). */
  std::string device () const;

  /* The caps: false (the error posted once per refused caps) when the wells
   * cannot be placed, or the stream's shape is not the layout's and
   * `stretch` is false. */
  bool set_info (const GstVideoInfo * info, bool stretch);

  /* One frame, with the properties of this frame, in `segment`; `qos`: the
   * element's qos property. GST_FLOW_ERROR (the error posted) when the model
   * fails. */
  GstFlowReturn frame (GstVideoFrame * frame, const FrameSettings & settings,
      const GstSegment * segment, bool qos);

  /* Serialised events from upstream. At EOS every open alarm ends with
   * reason stopped, before the summary. */
  void eos ();
  void flush ();
  /* The runner's wellmonitor-camera-lost {reason} and wellmonitor-camera-back
   * events: every open alarm ends (camera-lost) and no frame is analysed
   * until the camera is back. */
  void camera_lost (const std::string & reason);
  void camera_back ();
  /* Downstream's QoS report (any thread). */
  void qos (GstClockTimeDiff diff, GstClockTime timestamp);

  /* A new model or layout set while running (any thread). */
  void request_reload (ReloadKind kind, const std::string & path);

  /* The shelved wells (shelving.h): the property and the upstream event
   * change it from any thread; each frame applies it. */
  Shelving & shelving () { return shelving_; }

  const WellAnalysis & analysis () const { return analysis_; }
  const FrameSchedule & schedule () const { return schedule_; }

private:
  void apply_reloads (guint64 frame);
  void post_changes (const std::vector<AlarmChange> & changes,
      const BufferTimes & times, guint64 frame);
  /* Ends every open alarm with `reason`, posting the ends with the time
   * fields of the last frame. */
  void end_alarms (AlarmEnd reason);
  void watch_view (GstVideoFrame * frame, const FrameSettings & settings,
      const BufferTimes & times, guint64 index);
  void handle (GstVideoFrame * frame, const FrameSettings & settings,
      const BufferTimes & times, const FrameTurn & turn);
  bool set_info_checked (const GstVideoInfo * info, bool stretch, int w,
      int h);
  void reset ();
  void apply_shelving (const BufferTimes & times, guint64 index);

  MonitorHost & host_;
  GstDebugCategory *cat_;
  GObject *log_object_;

  WellAnalysis analysis_;               /* layout, model, crops, alarms */
  FrameSchedule schedule_;              /* which frames are analysed */
  Reloader reload_;                     /* new models and layouts, while running */
  std::string model_path_;              /* of the scorer in use */
  std::string wells_path_;              /* of the layout in use */
  int width_ = 0;                       /* negotiated frame */
  int height_ = 0;
  double frame_seconds_ = 0.04;         /* 1 / framerate (25/s when unknown) */
  bool stretch_ = false;                /* the stretch property at the caps */
  GstVideoInfo refused_ {};             /* the last caps refused (reported once) */
  bool refused_stretch_ = false;
  bool have_refused_ = false;

  BufferTimes last_times_;              /* of the last frame received */
  guint64 last_index_ = 0;
  bool camera_lost_ = false;            /* between camera-lost and camera-back */
  Shelving shelving_;                   /* wells an operator shelved */
};

}  // namespace wellmonitor
