// The service heartbeat's decision and cadence (runner/heartbeat.h), driven by
// hand with made-up times: sound while frames go through or the camera is
// being reconnected, stuck when a frame's push does not come back.

#include "heartbeat.h"

#include <gtest/gtest.h>

#include <string>

using namespace wellmonitor::run;

namespace {

HeartbeatInput up_at(double t) {
  HeartbeatInput in;
  in.now_s = t;
  in.camera = "table1";
  in.source = SourceState::kUp;
  in.frames_out = 100;
  return in;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Heartbeat, FramesGoingThroughAreSound) {
  HeartbeatInput in = up_at(100);
  in.busy_since_s = 99.96;  // a frame in the monitor for 40 ms
  in.wells_in_alarm = 2;
  const HeartbeatVerdict v = judge(in, HeartbeatSettings{20, 30});
  EXPECT_TRUE(v.sound);
  EXPECT_EQ(v.status, "monitoring camera table1; 2 wells in alarm");
}

TEST(Heartbeat, ACameraLostOrNotUpYetIsSoundAndReportedAsReconnecting) {
  HeartbeatInput lost = up_at(500);
  lost.source = SourceState::kLost;
  lost.reported_lost = true;
  lost.lost_reason = "no-frames";
  lost.down_since_s = 10;  // down for 490 s: an outage is reported, never a restart
  const HeartbeatVerdict v = judge(lost, HeartbeatSettings{20, 30});
  EXPECT_TRUE(v.sound);
  EXPECT_EQ(v.status, "camera table1 lost (no-frames); reconnecting");

  // the next attempt of the same outage
  lost.source = SourceState::kStarting;
  lost.reported_lost = true;
  EXPECT_EQ(judge(lost, HeartbeatSettings{}).status, "camera table1 lost (no-frames); reconnecting");

  HeartbeatInput waiting = up_at(300);
  waiting.source = SourceState::kStarting;
  waiting.frames_out = 0;
  EXPECT_TRUE(judge(waiting, HeartbeatSettings{}).sound);
  EXPECT_EQ(judge(waiting, HeartbeatSettings{}).status, "waiting for camera table1's first frame");
}

TEST(Heartbeat, APushThatDoesNotComeBackWithinTheHangTimeoutIsStuckWhateverTheSourceSays) {
  for (const SourceState state : {SourceState::kUp, SourceState::kLost, SourceState::kStarting}) {
    HeartbeatInput in = up_at(100);
    in.source = state;
    in.busy_since_s = 80.5;  // 19.5 s: still within 20
    EXPECT_TRUE(judge(in, HeartbeatSettings{20, 30}).sound) << to_string(state);
    in.busy_since_s = 79.5;  // 20.5 s
    const HeartbeatVerdict v = judge(in, HeartbeatSettings{20, 30});
    EXPECT_FALSE(v.sound) << to_string(state);
    EXPECT_EQ(v.status, "stuck: a frame of camera table1 has not come through the pipeline in 20 s (a streaming "
                        "thread hangs)");
  }
  // also while stopping: a stop that cannot get through is no reason to keep the process
  HeartbeatInput stopping = up_at(100);
  stopping.stopping = true;
  stopping.busy_since_s = 50;
  EXPECT_FALSE(judge(stopping, HeartbeatSettings{20, 30}).sound);
}

TEST(Heartbeat, ReadyOnceThenAWatchdogBeatEveryHalfPeriodAndStatusOnlyWhenItChanges) {
  Heartbeat hb(HeartbeatSettings{20, 4});  // WatchdogSec=4: a beat every 2 s
  HeartbeatInput in = up_at(0);
  in.source = SourceState::kStarting;
  in.frames_out = 0;
  EXPECT_EQ(hb.ready(in), "READY=1\nSTATUS=waiting for camera table1's first frame\nWATCHDOG=1\n");
  std::string sent;
  for (int i = 1; i <= 100; ++i) {  // 10 s in ticks of 0.1 s
    in.now_s = i * 0.1;
    if (i == 30) {
      in.source = SourceState::kUp;
      in.frames_out = 1;
    }
    sent += hb.tick(in).notify;
  }
  EXPECT_EQ(count(sent, "WATCHDOG=1"), 5) << sent;  // at 2, 4, 6, 8, 10 s
  EXPECT_EQ(count(sent, "STATUS="), 1) << sent;
  EXPECT_NE(sent.find("STATUS=monitoring camera table1; 0 wells in alarm\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("READY=1"), std::string::npos);
}

TEST(Heartbeat, AHungStreamingThreadStopsTheBeatsSaysSoOnceAndTheyResumeWhenItComesBack) {
  Heartbeat hb(HeartbeatSettings{3, 2});
  HeartbeatInput in = up_at(0);
  hb.ready(in);
  in.busy_since_s = 0.5;  // a push from 0.5 s on that does not return
  std::string sent, logs;
  for (int i = 1; i <= 100; ++i) {
    in.now_s = i * 0.1;
    const HeartbeatStep step = hb.tick(in);
    if (in.now_s > 3.6) {
      EXPECT_EQ(step.notify.find("WATCHDOG=1"), std::string::npos) << in.now_s;
    }
    sent += step.notify;
    logs += step.log;
  }
  EXPECT_EQ(count(sent, "WATCHDOG=1"), 3) << sent;  // 1, 2 and 3 s
  EXPECT_EQ(count(sent, "STATUS=stuck: "), 1) << sent;
  EXPECT_EQ(logs,
            "error: stuck: a frame of camera table1 has not come through the pipeline in 3 s (a streaming thread "
            "hangs); no more service heartbeats (systemd's watchdog restarts it)");
  in.busy_since_s.reset();
  in.now_s = 10.1;
  const HeartbeatStep back = hb.tick(in);
  EXPECT_TRUE(back.sound);
  EXPECT_NE(back.notify.find("WATCHDOG=1"), std::string::npos);
  EXPECT_EQ(back.log, "the pipeline moves again; the service heartbeat goes on");
}

TEST(Heartbeat, WithoutAWatchdogOnlyReadinessAndStatusAreSent) {
  Heartbeat hb(HeartbeatSettings{20, 0});
  HeartbeatInput in = up_at(0);
  EXPECT_EQ(hb.ready(in), "READY=1\nSTATUS=monitoring camera table1; 0 wells in alarm\n");
  in.now_s = 100;
  EXPECT_EQ(hb.tick(in).notify, "");
}

TEST(Heartbeat, StoppingIsSaidOnceAndTheBeatGoesOnWhileTheStopRuns) {
  Heartbeat hb(HeartbeatSettings{20, 2});
  HeartbeatInput in = up_at(0);
  hb.ready(in);
  EXPECT_EQ(hb.stopping("SIGTERM"), "STOPPING=1\nSTATUS=stopping: SIGTERM\n");
  EXPECT_EQ(hb.stopping("again"), "");
  in.stopping = true;
  in.now_s = 1.5;
  EXPECT_EQ(hb.tick(in).notify, "WATCHDOG=1\n");
}

TEST(Heartbeat, InShadowModeTheStatusSaysThatNoAlarmIsSent) {
  HeartbeatInput in = up_at(100);
  in.shadow = true;
  EXPECT_EQ(judge(in, HeartbeatSettings{}).status,
            "SHADOW MODE, no alarm sent: monitoring camera table1; 0 wells in alarm");
}
