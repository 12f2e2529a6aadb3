/* What a client that connects at any moment needs to learn at once: each
 * well's state (PREFIX/CAMERA/state/WELL, retained;
 * pipelines/schemas/state.schema.json) and the monitor's health
 * (PREFIX/CAMERA/stats, retained, every stats-interval seconds;
 * stats.schema.json); and the operators' actions on the wells
 * (PREFIX/CAMERA/operator; operator.schema.json). The state of each well as
 * the alarms, the shelving and the acknowledgements change it, and the JSON
 * of those messages. No threads and no GStreamer here. */
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wellpublish {

/* One well's state. */
struct WellState
{
  std::string well;
  std::string state = "normal";         /* normal, alarm or shelved */
  gint64 since_us = 0;                  /* when it entered that state (0: the start) */
  std::string event_id;                 /* alarm: the alarm's */
  double score = 0.0, threshold = 0.0;  /* when it changed */
  bool acknowledged = false;            /* alarm: an operator acknowledged it */
  std::string ack_by, ack_note;
  gint64 ack_us = 0;
  std::string by, note;                 /* shelved: who and why */
  std::string last_event_id;            /* normal: the last alarm's, if any */
  std::string last_reason;              /* normal: why the last alarm ended */
  bool published = false;               /* its state went out once */
};

/* An operator's action, or a command refused. */
struct OperatorAction
{
  std::string kind;             /* shelved, unshelved, acknowledged, refused */
  std::string well;
  std::string event_id;         /* acknowledged: the alarm's */
  std::string by, note;
  std::string command;          /* refused: the command's verb ("" unreadable) */
  std::string error;            /* refused: why */
  gint64 since_us = 0;          /* shelved: since when, when before now (a
                                 * shelving sent again after a restart) */
};

/* The health of one camera's monitor, as the stats message gives it. */
struct StatsData
{
  std::string camera;
  gint64 now_us = 0;
  gint64 started_us = 0;
  guint64 frames_in = 0;        /* buffers through wellpublish since its start */
  guint64 frames_analysed = 0;  /* of them, scored by wellmonitor */
  guint64 frames_late = 0;      /* of them, passed on unscored because late */
  double fps_in = 0.0;          /* over the last period */
  double fps_analysed = 0.0;
  gint64 last_frame_us = 0;     /* 0: none yet */
  std::string camera_state;     /* waiting, up, lost, obscured, stopped ("": the frames') */
  guint64 wells = 0;
  std::vector<std::string> in_alarm, shelved;
  guint64 alarms = 0, clears = 0;          /* since the start */
  std::string model;            /* "": unknown */
  double threshold = -1.0;      /* < 0: unknown */
  bool connected = false;
  guint64 queued = 0, spooled = 0, delivered = 0, dropped = 0;
};

/* The wells' states, in layout order (by index). */
class WellStates
{
public:
  void reset () { wells_.clear (); }
  size_t size () const { return wells_.size (); }
  /* Well `index`, named `id`; a new id at an index starts it afresh. */
  WellState & at (size_t index, const std::string & id);
  const WellState * find (const std::string & id) const;
  WellState * find (const std::string & id);
  const std::vector<WellState> & wells () const { return wells_; }

  /* The changes; each returns true when the state changed (publish it). */
  bool alarm (WellState & w, const std::string & event_id, double score,
      double threshold, gint64 wall_us);
  bool end (WellState & w, const std::string & reason, double score,
      gint64 wall_us);
  bool shelve (WellState & w, bool shelved, const std::string & by,
      const std::string & note, gint64 wall_us);
  /* An acknowledgement of `event_id` ("": the alarm in progress): "" when
   * taken, else why not (the well is not in alarm, another alarm). */
  std::string acknowledge (WellState & w, const std::string & event_id,
      const std::string & by, const std::string & note, gint64 wall_us);

private:
  std::vector<WellState> wells_;
};

std::string render_state (const std::string & camera, const WellState & w,
    guint64 seq, gint64 wall_us);
std::string render_operator (const std::string & camera,
    const OperatorAction & a, guint64 seq, gint64 wall_us);
std::string render_stats (const StatsData & s, guint64 seq);

/* The line for the log and the bus of an acknowledgement ("ACKNOWLEDGED
 * well=r1w4 event=ID by=anna") or a refused command ("COMMAND REFUSED ack
 * well=r1w4: ERROR"), with note="..." when it has one; "" for the other
 * kinds (shelving is wellmonitor's to tell). */
std::string operator_action_text (const OperatorAction & a);

}  // namespace wellpublish
