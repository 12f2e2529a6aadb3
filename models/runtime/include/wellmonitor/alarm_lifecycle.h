// The life of each well's alarm: when it starts and when it ends (the decision
// over time), its identity (the event id), its highest score, and why it
// ended. One part for both elements: wellmonitor decides from the scores
// (decide), wellpublish follows that decision as the buffers' metas carry it
// (follow); both end alarms the same way (end_all). A change to when or how an
// alarm starts or ends is made here, once.
//
// The decision is the Debouncer's (debouncer.h, AlarmRule): a well goes into
// alarm once its score, or its mean over the last `smoothing_seconds`, has
// stayed over the threshold for `alarm_seconds` of the frames' timestamps, and
// clears once it has stayed at or under `clear_ratio` x the threshold for
// `clear_seconds` (or after `alarm_frames` / `clear_frames` analysed frames,
// the older rule). Where the next rules go: a change to the decision into
// AlarmRule and the Debouncer; an end for every alarm (camera lost, stopped)
// through end_all() and AlarmEnd; shelving a well or acknowledging an alarm
// into WellAlarm.
//
// Every alarm (event id) gets exactly one end: a clear (kNormal) from the
// decision, or an end with a reason from end_all(). A gap in the frames
// (frames lost upstream, a buffer flagged DISCONT) is no end: gap() restarts
// the runs and leaves each alarm open, so that a well still spilling after a
// gap is neither alarmed again nor left open.
//
// Pure state: no LibTorch, no GStreamer, no clock of its own (the caller says
// when each frame arrived).
#pragma once

#include "wellmonitor/debouncer.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace wellmonitor {

// Why an alarm ended: the `reason` of a clear message or event.
enum class AlarmEnd {
  kNormal,          // the well was seen normal again (a clear)
  kFlush,           // a flush (a flushing seek): the frames before say nothing of the ones after
  kGap,             // not an end any more: a gap in the frames is gap(); kept for callers that still end with it
  kStopped,         // the stream ended (EOS) or the element stopped
  kLayoutChanged,   // a new well layout replaced the wells
  kCameraLost,      // the camera stopped sending frames
  kCameraObscured,  // the camera shows nothing usable (covered, fogged, dark)
  kShelved,         // an operator shelved (masked) the well
};

// "normal", "flush", "gap", "stopped", "reconfigured", "camera-lost",
// "camera-obscured", "shelved".
const char* alarm_end_name(AlarmEnd reason);

// When the frame that is decided on arrived.
struct AlarmTime {
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  int64_t wall_us = 0;          // wall-clock time, microseconds since 1970 (event ids)
  uint64_t running_ns = kNone;  // the buffer's running time, when known (the rule's clock)
  uint64_t period_ns = kNone;   // time between two analysed frames at the stream's rate, when known
};

// What the lifecycle knows of one well.
struct WellAlarm {
  std::string id;              // the well's id from the layout
  double score = 0.0;          // last analysed score
  bool anomaly = false;        // last analysed score > threshold, or not a finite number
  bool alarm = false;          // in alarm
  // The highest score of the run over the threshold that is going on, and of
  // the alarm once raised (-infinity when neither is going on).
  double top_score = -std::numeric_limits<double>::infinity();
  std::string event_id;        // the alarm in progress: "<scope>:<well>:<ms>", else empty
  int64_t since_wall_us = 0;   // when the alarm in progress started
  uint64_t since_running_ns = AlarmTime::kNone;
  // Shelved (masked) by an operator: it raises no alarm until unshelved.
  bool shelved = false;
};

// An alarm that started or ended on a frame.
struct AlarmChange {
  size_t well = 0;                       // index in layout order
  bool alarm = false;                    // true: it started; false: it ended
  AlarmEnd reason = AlarmEnd::kNormal;   // why it ended (ends only)
  std::string event_id;                  // the alarm's, the same on its start and its end
  double score = 0.0;                    // the well's score on that frame
  double top_score = 0.0;                // the alarm's highest score so far
};

class AlarmLifecycle {
 public:
  // The wells, in layout order, none in alarm.
  void set_wells(const std::vector<std::string>& ids);
  // What event ids start with: "<scope>:<well>:<ms>" (wellpublish: the camera).
  void set_scope(const std::string& scope) { scope_ = scope; }

  // One analysed frame's scores, one per well in layout order: decides which
  // wells start or end an alarm. Returns those changes in layout order (valid
  // until the next call). Throws std::invalid_argument when the number of
  // scores is not the number of wells.
  const std::vector<AlarmChange>& decide(const std::vector<double>& scores, double threshold, const AlarmRule& rule,
                                         const AlarmTime& time);

  // A decision made upstream, for one well (wellpublish, from wellmonitor's
  // metas): well `index`, named `id`, is or is not in alarm on this frame.
  // A well whose id changed at that index (a new layout) starts afresh,
  // without an end. Returns the change, or nullptr (valid until the next call).
  // `shelved`: the well is shelved upstream; an alarm that ends because it
  // was shelved ends with reason kShelved.
  const AlarmChange* follow(size_t index, const std::string& id, double score, bool anomaly, bool alarm,
                            const AlarmTime& time, bool shelved = false);

  // Shelves (masks) well `index` or puts it back. A shelved well raises no
  // alarm; an alarm in progress on it ends now, with reason kShelved (the
  // change returned, or nullptr). Unshelved, the decision goes on from the
  // scores: a well still over the threshold alarms on its next frame. A
  // shelved well stays shelved across end_all().
  const AlarmChange* shelve(size_t index, bool shelved);

  // Ends every alarm in progress with `reason` and forgets every well's runs
  // and scores (the camera lost, the stream stopped, a new layout, a flush).
  // Returns the ends, in layout order, for the caller to report: each is its
  // alarm's one end. A well still spilling afterwards is a new alarm.
  const std::vector<AlarmChange>& end_all(AlarmEnd reason);

  // Frames were lost before the next one (dropped upstream, a buffer flagged
  // DISCONT): every well's runs over or under the threshold and its smoothing
  // window start again, and every alarm stays open, with its id, until the
  // well is seen normal for the rule's clear time or end_all() ends it. No
  // change is reported.
  void gap();

  size_t size() const { return wells_.size(); }
  const WellAlarm& well(size_t i) const { return wells_.at(i); }
  const std::vector<WellAlarm>& wells() const { return wells_; }

 private:
  // The one place a well's alarm starts or ends: its new state on a frame.
  void track(size_t i, double score, bool anomaly, bool alarm, const AlarmTime& time);
  void end(size_t i, AlarmEnd reason);

  Debouncer rule_;
  std::vector<WellAlarm> wells_;
  std::vector<AlarmChange> changes_;
  std::string scope_;
};

}  // namespace wellmonitor
