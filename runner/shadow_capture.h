// Shadow mode's capture (shadow.h): watches what leaves wellmonitor and, on the
// frame where a well goes into alarm, keeps that frame. Off the streaming thread
// (one worker, in order) it writes the well's crop, the frame with the well
// marked, the alarm's record, and, once the recording's segments around it are
// closed, its clip; when the alarm clears, the level its well held (shadow.h). It keeps the run's record (time watched, model, threshold,
// the monitor's settings) current under DIR/runs/.
#pragma once

#include "options.h"
#include "shadow.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace wellmonitor::run {

class ShadowCapture {
 public:
  ShadowCapture(const RunOptions& o, std::string camera);
  ~ShadowCapture();
  ShadowCapture(const ShadowCapture&) = delete;
  ShadowCapture& operator=(const ShadowCapture&) = delete;

  // Watches `monitor`'s output; writes the run's first record. False with
  // `error` set when the record cannot be written.
  bool attach(GstElement* monitor, std::string& error);
  // On the main loop: a recording segment opened (splitmuxsink-fragment-opened).
  void segment_opened(const std::string& location, int64_t running_ns);
  // On the main loop, often: the run's record every minute.
  void tick(double now_s);
  // The pipeline has stopped: finishes the captures and clips, the last record.
  void finish();
  // On the main loop: how the stream's colour matrix is read, for the run's record.
  void set_colour_matrix(const std::string& line);
  uint64_t alarms() const { return alarms_.load(); }

 private:
  static GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  void frame(GstPad* pad, GstBuffer* buffer);
  void read_settings();
  void post(std::function<void()> job);
  void make_clip(const ClipPlanner::Clip& clip);
  void write_run(bool finished);

  const RunOptions& o_;
  ShadowPaths paths_;
  GstElement* monitor_ = nullptr;  // our ref
  GThreadPool* worker_ = nullptr;
  std::atomic<uint64_t> alarms_{0};
  uint64_t frames_ = 0;                   // streaming thread
  std::map<int, bool> in_alarm_;          // streaming thread: by the well's index
  std::unique_ptr<HeldLevels> levels_;    // streaming thread until finish(): each alarm's held level
  void keep_levels(std::vector<HeldLevels::Level> levels);
  std::mutex mutex_;                      // the rest
  ShadowRun run_;
  WatchClock watch_;
  ClipPlanner planner_;
  double next_record_ = 0;
};

}  // namespace wellmonitor::run
