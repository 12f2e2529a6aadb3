/* Which wells an operator has shelved (masked): wellmonitor's shelved-wells
 * property sets the whole list, a wellmonitor-shelve event
 * (operator-events.h, sent up by wellpublish from an MQTT command) shelves or
 * puts back one well. Both may come from any thread; the streaming thread
 * applies what changed to the wells' alarm lifecycle before each frame, so
 * that a shelved well raises no alarm and an alarm in progress on it ends
 * (reason "shelved"). No element here: tests drive it without a pipeline. */
#pragma once

#include "operator-events.h"

#include "wellmonitor/alarm_lifecycle.h"

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace wellmonitor {

/* The property's id in wellmonitor, apart from monitor-properties.h's. */
inline constexpr guint kPropShelvedWells = 100;

/* One change applied to a well. */
struct ShelveChange
{
  size_t index = 0;             /* the well, in layout order */
  std::string well;
  bool shelved = true;
  std::string by;               /* "property" when set through the property */
  std::string note;
};

/* What apply () did on a frame. */
struct ShelveOutcome
{
  std::vector<ShelveChange> changes;    /* shelved or put back, layout order */
  std::vector<AlarmChange> ends;        /* alarms ended because shelved */
  std::vector<std::string> unknown;     /* ids no well of the layout has (once each) */
};

/* "r1w4, r2w9" -> {"r1w4", "r2w9"}: ids separated by commas or spaces, in
 * order, without repeats. */
std::vector<std::string> parse_well_list (const std::string & text);

class Shelving
{
public:
  /* The property: the wells shelved from now on, the list replaced. */
  void set_list (const std::string & text);
  /* The property's value: the shelved wells, comma-separated, in the order
   * they were shelved. */
  std::string list () const;
  /* One well shelved or put back (an operator's command). */
  void request (const ShelveRequest & r);

  /* The streaming thread, before a frame: brings each well of `alarms` to
   * what was asked (shelving ends its alarm, reason kShelved). Cheap when
   * nothing changed. */
  ShelveOutcome apply (AlarmLifecycle & alarms);

private:
  struct Who
  {
    std::string by, note;
  };

  mutable std::mutex mutex_;
  std::vector<std::string> wells_;      /* shelved, in order */
  std::vector<std::pair<std::string, Who>> who_;       /* the last request per well */
  std::set<std::string> reported_;      /* unknown ids already reported */
  /* requests since the last apply (), in order: each one that changes its
   * well is applied and said, also when a later one undoes it (a shelve
   * and a put-back between two frames are two changes, not none) */
  std::vector<ShelveRequest> pending_;
};

}  // namespace wellmonitor
