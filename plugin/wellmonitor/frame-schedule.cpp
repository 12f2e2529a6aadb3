/* Which frames wellmonitor analyses. */

#include "frame-schedule.h"

namespace wellmonitor {

void
FrameSchedule::reset ()
{
  counters_ = FrameCounters ();
  last_analysed_ = 0;
  earliest_.store (GST_CLOCK_TIME_NONE);
}

void
FrameSchedule::qos (GstClockTimeDiff diff, GstClockTime timestamp)
{
  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    return;
  /* as GstBaseTransform: frames up to timestamp + diff are late */
  earliest_.store (diff > 0 || (GstClockTime) (-diff) <= timestamp ?
      timestamp + diff : 0);
}

FrameTurn
FrameSchedule::next (GstClockTime running_time, guint interval,
    bool have_scores, bool qos, bool hold)
{
  FrameTurn turn;
  turn.index = counters_.frames++;
  if (hold) {
    counters_.skipped++;
    return turn;
  }
  if (have_scores && qos && GST_CLOCK_TIME_IS_VALID (running_time)) {
    const GstClockTime earliest = earliest_.load ();
    turn.late = GST_CLOCK_TIME_IS_VALID (earliest) && running_time <= earliest;
  }
  turn.analyse = !turn.late && (!have_scores || interval <= 1
      || turn.index - last_analysed_ >= interval);
  if (turn.analyse) {
    counters_.analysed++;
    last_analysed_ = turn.index;
  } else {
    counters_.skipped++;
  }
  if (turn.late)
    counters_.late++;
  return turn;
}

}  // namespace wellmonitor
