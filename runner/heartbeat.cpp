#include "heartbeat.h"

#include <cstdio>

namespace wellmonitor::run {

std::string count_of(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

}  // namespace

HeartbeatVerdict judge(const HeartbeatInput& in, const HeartbeatSettings& settings) {
  HeartbeatVerdict v;
  const std::string& cam = in.camera;
  if (in.busy_since_s && in.now_s - *in.busy_since_s > settings.hang_timeout_s) {
    // Whatever the source does, nothing gets through: every new source's
    // frames wait behind the one that does not come back.
    v.sound = false;
    v.status = "stuck: a frame of camera " + cam + " has not come through the pipeline in " +
               seconds_text(settings.hang_timeout_s) + " (a streaming thread hangs)";
    return v;
  }
  if (in.stopping) {
    v.status = "stopping camera " + cam;
    return v;
  }
  const std::string alarms = count_of(in.wells_in_alarm, "well", "wells") + " in alarm";
  const std::string lost =
      "camera " + cam + " lost (" + (in.lost_reason.empty() ? "error" : in.lost_reason) + "); reconnecting";
  switch (in.source) {
    case SourceState::kStarting:
      // (a retry of a lost camera is still the same outage)
      v.status = in.reported_lost    ? lost
                 : in.frames_out == 0 ? "waiting for camera " + cam + "'s first frame"
                                      : "camera " + cam + " reconnecting; " + alarms;
      break;
    case SourceState::kUp:
      v.status = (in.live ? "monitoring camera " : "analysing ") + cam + "; " + alarms;
      break;
    case SourceState::kLost:
      v.status = lost;
      break;
    case SourceState::kFinished:
      v.status = "the video of " + cam + " has ended; finishing";
      break;
    case SourceState::kFailed:
      v.status = "the source of " + cam + " failed; stopping";
      break;
  }
  if (in.shadow) v.status = "SHADOW MODE, no alarm sent: " + v.status;
  return v;
}

std::string Heartbeat::status_line(const std::string& status) {
  if (status == last_status_) return "";
  last_status_ = status;
  return "STATUS=" + status + "\n";
}

std::string Heartbeat::ready(const HeartbeatInput& in) {
  ready_ = true;
  std::string s = "READY=1\n" + status_line(judge(in, settings_).status);
  if (settings_.watchdog_s > 0) {
    s += "WATCHDOG=1\n";
    last_beat_s_ = in.now_s;
  }
  return s;
}

HeartbeatStep Heartbeat::tick(const HeartbeatInput& in) {
  HeartbeatStep step;
  const HeartbeatVerdict v = judge(in, settings_);
  step.sound = v.sound;
  if (v.sound != sound_) {
    step.log = v.sound ? "the pipeline moves again; the service heartbeat goes on"
                       : "error: " + v.status + "; no more service heartbeats (systemd's watchdog restarts it)";
    sound_ = v.sound;
  }
  if (!ready_) return step;
  std::string s = stopping_ ? std::string() : status_line(v.status);
  // (a millisecond early is on time: the ticks' times are not exact)
  if (v.sound && settings_.watchdog_s > 0 && in.now_s - last_beat_s_ >= settings_.watchdog_s / 2 - 1e-3) {
    s += "WATCHDOG=1\n";
    last_beat_s_ = in.now_s;
  }
  step.notify = s;
  return step;
}

std::string Heartbeat::stopping(const std::string& why) {
  if (stopping_) return "";
  stopping_ = true;
  last_status_ = "stopping: " + why;
  return "STOPPING=1\nSTATUS=" + last_status_ + "\n";
}

}  // namespace wellmonitor::run
