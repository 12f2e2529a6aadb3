/* The wells' states, the operators' actions and the stats, and their JSON. */

#include "well-state.h"

#include "event.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace wellpublish {

WellState &
WellStates::at (size_t index, const std::string & id)
{
  if (index >= wells_.size ())
    wells_.resize (index + 1);
  WellState & w = wells_[index];
  if (w.well != id) {
    w = WellState ();
    w.well = id;
  }
  return w;
}

const WellState *
WellStates::find (const std::string & id) const
{
  for (const WellState & w : wells_)
    if (w.well == id)
      return &w;
  return nullptr;
}

WellState *
WellStates::find (const std::string & id)
{
  for (WellState & w : wells_)
    if (w.well == id)
      return &w;
  return nullptr;
}

namespace {

void
forget_acknowledgement (WellState & w)
{
  w.acknowledged = false;
  w.ack_by.clear ();
  w.ack_note.clear ();
  w.ack_us = 0;
}

}  // namespace

bool
WellStates::alarm (WellState & w, const std::string & event_id, double score,
    double threshold, gint64 wall_us)
{
  w.state = "alarm";
  w.since_us = wall_us;
  w.event_id = event_id;
  w.score = score;
  w.threshold = threshold;
  forget_acknowledgement (w);
  return true;
}

bool
WellStates::end (WellState & w, const std::string & reason, double score,
    gint64 wall_us)
{
  if (w.state != "alarm")
    return false;
  /* the alarm ended because the well was shelved: shelve () says so next */
  w.state = "normal";
  w.since_us = wall_us;
  w.last_event_id = w.event_id;
  w.last_reason = reason;
  w.event_id.clear ();
  w.score = score;
  forget_acknowledgement (w);
  return true;
}

bool
WellStates::shelve (WellState & w, bool shelved, const std::string & by,
    const std::string & note, gint64 wall_us)
{
  if (shelved == (w.state == "shelved"))
    return false;
  w.state = shelved ? "shelved" : "normal";
  w.since_us = wall_us;
  w.event_id.clear ();
  w.by = by;
  w.note = note;
  return true;
}

std::string
WellStates::acknowledge (WellState & w, const std::string & event_id,
    const std::string & by, const std::string & note, gint64 wall_us)
{
  if (w.state != "alarm")
    return "well " + w.well + " is not in alarm (" + w.state + ")";
  if (!event_id.empty () && event_id != w.event_id)
    return "well " + w.well + "'s alarm is " + w.event_id + ", not " +
        event_id;
  w.acknowledged = true;
  w.ack_by = by;
  w.ack_note = note;
  w.ack_us = wall_us;
  return "";
}

namespace {

nlohmann::ordered_json
number_or_null (double v)
{
  return std::isfinite (v) ? nlohmann::ordered_json (v) : nullptr;
}

double
round3 (double v)
{
  return std::round (v * 1000.0) / 1000.0;
}

}  // namespace

std::string
render_state (const std::string & camera, const WellState & w, guint64 seq,
    gint64 wall_us)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = "state";
  j["camera"] = camera;
  j["well"] = w.well;
  j["state"] = w.state;
  j["since"] = w.since_us > 0 ? nlohmann::ordered_json (iso8601 (w.since_us)) :
      nlohmann::ordered_json ();
  if (w.state == "alarm") {
    j["event_id"] = w.event_id;
    j["score"] = number_or_null (w.score);
    j["threshold"] = w.threshold;
    j["acknowledged"] = w.acknowledged;
    if (w.acknowledged) {
      j["acknowledged_by"] = w.ack_by;
      j["acknowledged_at"] = iso8601 (w.ack_us);
      if (!w.ack_note.empty ())
        j["acknowledged_note"] = w.ack_note;
    }
  } else if (w.state == "shelved") {
    j["by"] = w.by;
    if (!w.note.empty ())
      j["note"] = w.note;
  } else if (!w.last_event_id.empty ()) {
    j["last_event_id"] = w.last_event_id;
    j["last_reason"] = w.last_reason;
  }
  j["seq"] = seq;
  j["time"] = iso8601 (wall_us);
  return j.dump ();
}

std::string
render_operator (const std::string & camera, const OperatorAction & a,
    guint64 seq, gint64 wall_us)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = a.kind;
  j["camera"] = camera;
  j["well"] = a.well;
  if (!a.event_id.empty ())
    j["event_id"] = a.event_id;
  j["by"] = a.by;
  if (!a.note.empty ())
    j["note"] = a.note;
  if (a.kind == "refused") {
    j["command"] = a.command;
    j["error"] = a.error;
  }
  j["seq"] = seq;
  j["time"] = iso8601 (wall_us);
  return j.dump ();
}

std::string
render_stats (const StatsData & s, guint64 seq)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = "stats";
  j["camera"] = s.camera;
  j["seq"] = seq;
  j["time"] = iso8601 (s.now_us);
  j["uptime_s"] = round3 ((double) (s.now_us - s.started_us) / G_USEC_PER_SEC);
  j["camera_state"] = s.camera_state;
  j["frames_in"] = s.frames_in;
  j["frames_analysed"] = s.frames_analysed;
  j["frames_late"] = s.frames_late;
  j["fps_in"] = round3 (s.fps_in);
  j["fps_analysed"] = round3 (s.fps_analysed);
  if (s.last_frame_us > 0) {
    j["last_frame_time"] = iso8601 (s.last_frame_us);
    j["last_frame_age_s"] = round3 ((double) (s.now_us - s.last_frame_us) /
        G_USEC_PER_SEC);
  } else {
    j["last_frame_time"] = nullptr;
    j["last_frame_age_s"] = nullptr;
  }
  j["wells"] = s.wells;
  j["wells_in_alarm"] = s.in_alarm;
  j["wells_shelved"] = s.shelved;
  j["alarms"] = s.alarms;
  j["clears"] = s.clears;
  j["model"] = s.model.empty ()? nlohmann::ordered_json () :
      nlohmann::ordered_json (s.model);
  j["threshold"] = s.threshold >= 0 ? nlohmann::ordered_json (s.threshold) :
      nlohmann::ordered_json ();
  j["publisher"] = {
    {"connected", s.connected}, {"queued", s.queued}, {"spooled", s.spooled},
    {"delivered", s.delivered}, {"dropped", s.dropped},
  };
  return j.dump ();
}

std::string
operator_action_text (const OperatorAction & a)
{
  auto or_unknown = [](const std::string & v) {
    return v.empty ()? std::string ("?") : v;
  };
  std::string text;
  if (a.kind == "acknowledged")
    text = "ACKNOWLEDGED well=" + a.well + " event=" + a.event_id + " by=" +
        or_unknown (a.by);
  else if (a.kind == "refused")
    text = "COMMAND REFUSED " + or_unknown (a.command) + " well=" +
        or_unknown (a.well) + ": " + a.error;
  else
    return "";
  if (!a.note.empty ())
    text += " note=\"" + a.note + "\"";
  return text;
}

}  // namespace wellpublish
