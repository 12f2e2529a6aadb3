/* wellpublish's side of the streaming thread, without the element: reads the
 * well metas of each buffer (well-meta.h), follows each well's alarm flag, as
 * wellmonitor decided it, through the alarm lifecycle
 * (wellmonitor/alarm_lifecycle.h), and turns each alarm and its one end into a
 * message for the publisher: the snapshot's pixels are copied now, the JSON
 * is rendered later on the publisher's thread (Message::prepare). It also ends
 * the alarms itself when the camera is lost or obscured and when the stream
 * stops, and turns camera events into messages. With publish_scores, an
 * analysed frame also gives a scores message. */
#pragma once

#include "command.h"
#include "publisher.h"
#include "settings.h"
#include "well-state.h"

#include "buffer-times.h"
#include "well-meta.h"
#include "wellmonitor/alarm_lifecycle.h"

#include <gst/video/video.h>

#include <functional>
#include <string>
#include <vector>

namespace wellpublish {

class WellEvents
{
public:
  /* Forgets every well and counter (the element starts or stops). */
  void reset ();

  /* One buffer (`segment`: the sink pad's, for its times; `wall_us`: when it
   * arrived): its messages in order, the alarms and clears in layout order,
   * then the scores. A gap in the buffers (DISCONT) changes nothing here: the
   * alarm flags say what wellmonitor made of it. */
  std::vector<Message> frame (const GstVideoFrame * frame,
      const GstSegment * segment, const Settings & s, gint64 wall_us);

  /* Ends every alarm in progress with `reason` (kStopped, kCameraLost,
   * kCameraObscured): a clear each, in layout order, without a snapshot (no
   * frame shows the well), with the well's last box and score. */
  std::vector<Message> end_all (wellmonitor::AlarmEnd reason,
      const Settings & s, gint64 wall_us);

  /* A camera event: `kind` "lost", "obscured" (their alarms end first, with
   * reason camera-lost or camera-obscured), "back" or "unobscured" (with the
   * seconds since the loss), "moved" (with the `shift`); `reason` as the
   * event gave it ("" none). Its message goes to CAMERA/camera. */
  std::vector<Message> camera (const std::string & kind,
      const std::string & reason, const Settings & s, gint64 wall_us,
      const CameraShift * shift = nullptr);

  /* Buffers seen since the reset (the next buffer's "frame"). */
  guint64 frames () const { return frames_; }

  /* With s.publish_state: an operator's command. Shelve and unshelve are
   * remembered (who, why) until wellmonitor's metas say the well's shelving
   * changed; `upstream` says whether wellmonitor took it. An acknowledgement
   * is taken here. Returns the messages: the well's state and the action on
   * CAMERA/operator, or a "refused" action saying why. */
  std::vector<Message> command (const Command & c, bool upstream,
      const Settings & s, gint64 wall_us);
  /* A shelve or put-back on its way up to wellmonitor that no command of
   * this element's sent (a shelve event sent into the pipeline from
   * downstream: wellmonitor-run shelving again at its start the wells shelved
   * before a restart): who and why, remembered as a command's are. */
  void expect_shelve (const std::string & well, const std::string & by,
      const std::string & note, gint64 since_us = 0);
  /* A command that could not be read or carried out: a "refused" action
   * (`by`: who sent it, when it says). */
  std::vector<Message> refuse (const std::string & verb,
      const std::string & well, const std::string & error,
      const Settings & s, gint64 wall_us, const std::string & by = "");
  /* Why a shelve or unshelve would change nothing (the well is shelved
   * already, or not shelved), so that the operator is told rather than left
   * without an answer; "" when it would change something, when another
   * shelving of the well is on its way, or before the well's state is known. */
  std::string pointless (const Command & c) const;
  /* Whether a layout's well has this id ("unknown" until the first frame
   * with metas). */
  bool knows_well (const std::string & id) const
  {
    return states_.size () == 0 || states_.find (id) != nullptr;
  }

  /* Whether a well went into or out of alarm or shelving, or the camera's
   * state changed, since the last call (the stats say so at once then). */
  bool take_wells_changed ()
  {
    const bool changed = wells_changed_;
    wells_changed_ = false;
    return changed;
  }

  /* The stats message (retained on CAMERA/stats): `d` filled here with the
   * frames and wells, the rest by the caller. The rates are over the time
   * since the last call. */
  Message stats (StatsData d, const Settings & s);

  /* Told one line for each alarm, clear and camera event queued (the
   * element's log). */
  std::function<void (const std::string &)> log;
  /* Told each operator action published (CAMERA/operator). */
  std::function<void (const OperatorAction &)> action;

private:
  Message event_message (const GstVideoFrame * frame,
      const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
      const Settings & s, gint64 wall_us, guint64 index);
  /* With s.publish_state: what a change means for the well's state (and its
   * snapshot picture), appended to `out`. */
  void state_change (const GstVideoFrame * frame,
      const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
      const Settings & s, gint64 wall_us, std::vector<Message> & out);
  /* The shelve command sent up for `well`, taken out of asked_; false: none. */
  bool take_asked (const std::string & well, OperatorAction & a);
  Message state_message (const WellState & w, const Settings & s,
      gint64 wall_us);
  Message operator_message (const OperatorAction & a, const Settings & s,
      gint64 wall_us);

  wellmonitor::AlarmLifecycle alarms_;
  std::vector<wellmonitor::WellResult> wells_;  /* of the current buffer */
  std::vector<wellmonitor::WellResult> last_;   /* each well's last, by index */
  wellmonitor::BufferTimes times_;              /* of the last buffer */
  guint64 frames_ = 0;
  guint64 seq_ = 0;             /* the messages' counter */
  gint64 lost_us_ = 0;          /* when the camera was lost or obscured (0: it is not) */

  /* with publish_state */
  WellStates states_;
  std::vector<std::pair<std::string, OperatorAction>> asked_;  /* shelve commands sent up */
  std::string camera_state_ = "waiting";
  guint64 analysed_ = 0, late_ = 0, alarms_raised_ = 0, clears_ = 0;
  gint64 last_frame_us_ = 0;
  double threshold_ = -1.0;
  guint64 stats_frames_ = 0, stats_analysed_ = 0;      /* at the last stats */
  gint64 stats_us_ = 0;
  bool wells_changed_ = false;
};

}  // namespace wellpublish
