// The publisher behind wellpublish (plugin/wellpublish/publisher.h) with a scripted
// transport: messages leave in order, wait while the transport is away and
// follow in order once it is back, a full queue drops the oldest scores and
// never an alarm, queueing never waits for the transport, and the file
// transport writes JSON lines. Also the mqtt:// address parser. With a spool
// (spool.h): an alarm is on disk before it is sent and gone once delivered;
// what a stop leaves is sent first by the next publisher, with its delay; a
// SIGKILLed process loses none it queued.

#include "publisher.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using wellpublish::Message;
using wellpublish::Publisher;

namespace {

// What the scripted transport does; the test changes it while the worker runs.
struct Script {
  std::mutex m;
  std::condition_variable cv;
  bool up = true;              // open () succeeds, sends are taken
  bool drop_connection = false;  // the next poll reports the connection lost
  bool ack = true;             // poll acknowledges what was sent
  bool block_send = false;     // send waits until this is false again
  std::vector<std::string> wire;       // payloads as sent (resends included)
  std::vector<std::string> delivered;  // payloads acknowledged
  int opens = 0;
};

class ScriptedTransport : public wellpublish::Transport {
 public:
  explicit ScriptedTransport(Script& s) : s_(s) {}
  std::string describe() const override { return "the scripted transport"; }
  bool open(std::string& error) override {
    std::lock_guard<std::mutex> l(s_.m);
    s_.opens++;
    if (!s_.up) {
      error = "down";
      return false;
    }
    open_ = true;
    // like libmosquitto: what was in flight goes out again
    for (auto& [id, payload] : inflight_) s_.wire.push_back(payload);
    return true;
  }
  bool ready() const override { return open_; }
  long send(const Message& m, std::string& error) override {
    std::unique_lock<std::mutex> l(s_.m);
    s_.cv.wait(l, [&] { return !s_.block_send; });
    if (!s_.up) {
      error = "down";
      open_ = false;
      return -1;
    }
    s_.wire.push_back(m.payload);
    inflight_.push_back({next_, m.payload});
    return next_++;
  }
  size_t window() const override { return 3; }
  bool poll(int wake_fd, int timeout_ms, std::vector<long>& acked, std::string& error) override {
    {
      std::lock_guard<std::mutex> l(s_.m);
      if (s_.drop_connection || !s_.up) {
        s_.drop_connection = false;
        open_ = false;
        error = "lost";
        return false;
      }
      if (s_.ack) {
        for (auto& [id, payload] : inflight_) {
          acked.push_back(id);
          s_.delivered.push_back(payload);
        }
        inflight_.clear();
      }
      s_.cv.notify_all();
    }
    struct pollfd p = {wake_fd, POLLIN, 0};
    ::poll(&p, 1, std::min(timeout_ms, 20));
    return true;
  }
  void close(int) override { open_ = false; }

 private:
  Script& s_;
  bool open_ = false;
  long next_ = 1;
  std::vector<std::pair<long, std::string>> inflight_;
};

Message msg(const std::string& payload, bool droppable = false) {
  Message m;
  m.topic = "t";
  m.payload = payload;
  m.droppable = droppable;
  return m;
}

std::vector<std::string> delivered(Script& s) {
  std::lock_guard<std::mutex> l(s.m);
  return s.delivered;
}

struct Warnings {
  std::mutex m;
  std::vector<std::string> lines;
  int connects = 0, reconnects = 0;
  wellpublish::PublisherCallbacks callbacks() {
    wellpublish::PublisherCallbacks c;
    c.warning = [this](const std::string& w) {
      std::lock_guard<std::mutex> l(m);
      lines.push_back(w);
    };
    c.connected = [this](bool outage) {
      std::lock_guard<std::mutex> l(m);
      (outage ? reconnects : connects)++;
    };
    return c;
  }
};

}  // namespace

TEST(Publisher, DeliversEveryMessageInOrder) {
  Script s;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 100, w.callbacks());
  p.start();
  std::vector<std::string> expect;
  for (int i = 0; i < 40; ++i) {
    expect.push_back("m" + std::to_string(i));
    p.queue(msg(expect.back()));
  }
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_EQ(delivered(s), expect);
  EXPECT_EQ(p.stop(1000), 0u);
  EXPECT_EQ(p.stats().delivered, 40u);
  EXPECT_TRUE(w.lines.empty());
  EXPECT_EQ(w.connects, 1);
}

TEST(Publisher, MessagesWaitWhileTheTransportIsAwayAndFollowInOrder) {
  Script s;
  s.up = false;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 100, w.callbacks());
  p.start();
  for (int i = 0; i < 5; ++i) p.queue(msg("a" + std::to_string(i)));
  // the worker tried and failed: one warning naming the transport, nothing sent
  for (int i = 0; i < 200 && w.lines.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(w.lines.size(), 1u);
  EXPECT_NE(w.lines[0].find("the scripted transport"), std::string::npos) << w.lines[0];
  EXPECT_TRUE(delivered(s).empty());
  EXPECT_EQ(p.stats().waiting, 5u);
  {
    std::lock_guard<std::mutex> l(s.m);
    s.up = true;
  }
  for (int i = 5; i < 8; ++i) p.queue(msg("a" + std::to_string(i)));
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_EQ(delivered(s), (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"}));
  EXPECT_EQ(w.lines.size(), 1u) << "one warning per outage";
  p.stop(1000);
}

TEST(Publisher, AConnectionLostWithMessagesInFlightDeliversEachOnceInOrder) {
  Script s;
  s.ack = false;  // sent, never acknowledged on this connection
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 100, w.callbacks());
  p.start();
  for (int i = 0; i < 3; ++i) p.queue(msg("b" + std::to_string(i)));
  for (int i = 0; i < 500; ++i) {
    std::lock_guard<std::mutex> l(s.m);
    if (s.wire.size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard<std::mutex> l(s.m);
    ASSERT_EQ(s.wire.size(), 3u);
    s.drop_connection = true;
    s.ack = true;
  }
  p.queue(msg("b3"));
  ASSERT_TRUE(p.wait_empty(10000));
  // the transport resent the three in flight; the publisher sent b3 after them, once
  EXPECT_EQ(delivered(s), (std::vector<std::string>{"b0", "b1", "b2", "b3"}));
  EXPECT_EQ(w.reconnects, 1);
  p.stop(1000);
}

TEST(Publisher, AFullQueueDropsTheOldestScoresAndNeverAnAlarm) {
  Script s;
  s.up = false;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 4, w.callbacks());
  p.start();
  p.queue(msg("s1", true));
  p.queue(msg("alarm1"));
  p.queue(msg("s2", true));
  p.queue(msg("s3", true));
  p.queue(msg("clear1"));  // full: s1 goes
  p.queue(msg("s4", true));  // full: s2 goes
  p.queue(msg("alarm2"));  // full: s3 goes
  p.queue(msg("alarm3"));  // full: s4 goes
  p.queue(msg("s5", true));  // full of alarms and clears: the new score goes
  p.queue(msg("clear3"));  // nothing to drop: the queue grows, with a warning
  EXPECT_EQ(p.stats().dropped, 5u);
  EXPECT_EQ(p.stats().waiting, 5u);
  {
    std::lock_guard<std::mutex> l(s.m);
    s.up = true;
  }
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_EQ(delivered(s), (std::vector<std::string>{"alarm1", "clear1", "alarm2", "alarm3", "clear3"}));
  bool grew = false;
  for (const auto& l : w.lines) grew = grew || l.find("grows past") != std::string::npos;
  EXPECT_TRUE(grew);
  p.stop(1000);
}

TEST(Publisher, QueueingNeverWaitsForTheTransport) {
  Script s;
  s.block_send = true;  // the transport hangs in send
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 1000, w.callbacks());
  p.start();
  p.queue(msg("first"));
  // the worker is now stuck in send; queueing goes on regardless
  for (int i = 0; i < 100; ++i) p.queue(msg("m" + std::to_string(i), true));
  EXPECT_EQ(p.stats().queued, 101u);
  {
    std::lock_guard<std::mutex> l(s.m);
    s.block_send = false;
  }
  s.cv.notify_all();
  ASSERT_TRUE(p.wait_empty(20000));
  EXPECT_EQ(delivered(s).size(), 101u);
  p.stop(1000);
}

TEST(Publisher, PrepareRunsOnTheWorkerBeforeTheFirstSend) {
  Script s;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks());
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{false};
  Message m = msg("");
  m.prepare = [&](Message& x) {
    other_thread = std::this_thread::get_id() != caller;
    x.payload = "rendered";
  };
  p.start();
  p.queue(std::move(m));
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_TRUE(other_thread);
  EXPECT_EQ(delivered(s), std::vector<std::string>{"rendered"});
  p.stop(1000);
}

TEST(Publisher, StopWithTheTransportAwayReturnsAtOnceWithTheCountLeft) {
  Script s;
  s.up = false;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks());
  p.start();
  p.queue(msg("x"));
  p.queue(msg("y"));
  EXPECT_EQ(p.stop(60000), 2u);  // no wait for a transport that is not there
}

TEST(Publisher, TheFileTransportAppendsOneLinePerMessage) {
  const fs::path path = fs::temp_directory_path() / ("wellpublish-" + std::to_string(::getpid()) + ".jsonl");
  fs::remove(path);
  {
    Warnings w;
    Publisher p(wellpublish::make_file_transport(path.string()), 10, w.callbacks());
    p.start();
    p.queue(msg("{\"a\":1}"));
    p.queue(msg("{\"b\":2}"));
    ASSERT_TRUE(p.wait_empty(10000));
    EXPECT_EQ(p.stop(1000), 0u);
  }
  std::ifstream f(path);
  std::string l1, l2, l3;
  std::getline(f, l1);
  std::getline(f, l2);
  EXPECT_EQ(l1, "{\"a\":1}");
  EXPECT_EQ(l2, "{\"b\":2}");
  EXPECT_FALSE(std::getline(f, l3));
  fs::remove(path);
}

TEST(Publisher, MqttAddressesAreParsedOrRefusedByName) {
  auto a = wellpublish::parse_mqtt_address("mqtt://broker.plant:1884");
  EXPECT_EQ(a.host, "broker.plant");
  EXPECT_EQ(a.port, 1884);
  EXPECT_FALSE(a.tls);
  a = wellpublish::parse_mqtt_address("mqtts://op:s3cr:et@10.0.0.5/");
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.port, 8883);
  EXPECT_EQ(a.username, "op");
  EXPECT_EQ(a.password, "s3cr:et");
  EXPECT_EQ(a.host, "10.0.0.5");
  a = wellpublish::parse_mqtt_address("mqtt://[::1]:1999");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 1999);
  EXPECT_EQ(wellpublish::parse_mqtt_address("mqtt://localhost").port, 1883);
  for (const char* bad : {"http://x", "mqtt://", "mqtt://h:0", "mqtt://h:99999", "mqtt://h:ab", "mqtt://h/topic"}) {
    try {
      wellpublish::parse_mqtt_address(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// ---- with a spool ----

namespace {

fs::path spool_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("wellpublish-pub-spool-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  return d;
}

std::unique_ptr<wellpublish::Spool> open_spool(const fs::path& dir) {
  return std::make_unique<wellpublish::Spool>(dir.string(), wellpublish::SpoolLimits());
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Message event(const std::string& payload, int64_t time_us) {
  Message m = msg(payload);
  m.time_us = time_us;
  return m;
}

size_t files_in(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".msg";
  return n;
}

}  // namespace

TEST(Publisher, WithASpoolAnAlarmIsOnDiskBeforeItIsSentAndGoneOnceDelivered) {
  const fs::path dir = spool_dir("ondisk");
  Script s;
  s.block_send = true;  // hold the first send until the disk is looked at
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks(), open_spool(dir));
  p.start();
  p.queue(msg("alarm"));
  p.queue(msg("score", true));
  for (int i = 0; i < 500 && p.stats().spooled < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(p.stats().spooled, 1u);
  EXPECT_EQ(files_in(dir), 1u) << "the alarm is on disk, the score is not";
  {
    std::lock_guard<std::mutex> l(s.m);
    EXPECT_TRUE(s.wire.empty()) << "nothing sent yet";
    s.block_send = false;
  }
  s.cv.notify_all();
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_EQ(delivered(s), (std::vector<std::string>{"alarm", "score"}));
  EXPECT_EQ(p.stats().spooled, 0u);
  EXPECT_EQ(files_in(dir), 0u);
  EXPECT_EQ(p.stop(1000), 0u);
  fs::remove_all(dir);
}

TEST(Publisher, WhatIsLeftAtTheStopIsSentFirstByTheNextPublisherWithItsDelay) {
  const fs::path dir = spool_dir("next");
  const int64_t ten_s_ago = now_us() - 10'000'000;
  {
    Script s;
    s.up = false;  // the broker is away for the whole run
    Warnings w;
    Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks(), open_spool(dir));
    p.start();
    p.queue(event("alarm", ten_s_ago));
    p.queue(msg("score", true));
    p.queue(event("clear", ten_s_ago + 1'000'000));
    EXPECT_EQ(p.stop(60000), 3u);
    EXPECT_EQ(p.stats().spooled, 3u) << "the score too, within the bounds";
    EXPECT_EQ(p.spool_dir(), dir.string());
  }
  Script s;
  Warnings w;
  std::vector<double> delays;
  wellpublish::PublisherCallbacks c = w.callbacks();
  c.stamp = [&](const std::string& payload, double delay_s) {
    delays.push_back(delay_s);
    return payload + "+" + std::to_string(static_cast<int>(delay_s));
  };
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, std::move(c), open_spool(dir));
  p.start();
  EXPECT_EQ(p.stats().replayed, 3u);
  p.queue(event("new", now_us()));
  ASSERT_TRUE(p.wait_empty(10000));
  const std::vector<std::string> got = delivered(s);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "alarm+10");
  EXPECT_EQ(got[1], "score") << "no time, no delay";
  EXPECT_EQ(got[2], "clear+9");
  EXPECT_EQ(got[3], "new+0");
  EXPECT_EQ(p.stop(1000), 0u);
  EXPECT_EQ(files_in(dir), 0u);
  fs::remove_all(dir);
}

TEST(Publisher, TheRetainedPresentIsNeverSpooledAndNotLeftAtTheStop) {
  const fs::path dir = spool_dir("transient");
  Script s;
  s.up = false;  // the broker is away for the whole run
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks(), open_spool(dir));
  p.start();
  Message state = msg("state r1w4 alarm");
  state.transient = true;  // a well's state: the next start says it anew
  Message stats = msg("stats", true);
  stats.transient = true;
  p.queue(std::move(state));
  p.queue(msg("alarm"));
  p.queue(std::move(stats));
  EXPECT_EQ(p.stop(60000), 1u) << "only the alarm is left undelivered";
  EXPECT_EQ(p.stats().spooled, 1u);
  EXPECT_EQ(files_in(dir), 1u);
  fs::remove_all(dir);
}

TEST(Publisher, ASigkilledProcessLosesNoAlarmItQueued) {
  const fs::path dir = spool_dir("killed");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    Script s;
    s.up = false;
    Publisher p(std::make_unique<ScriptedTransport>(s), 10, {}, open_spool(dir));
    p.start();
    p.queue(msg("alarm"));
    p.queue(msg("clear"));
    while (p.stats().spooled < 2) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    (void)!::write(ready[1], "x", 1);
    ::pause();  // SIGKILLed here: no stop, no destructor
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);

  Script s;
  Warnings w;
  Publisher p(std::make_unique<ScriptedTransport>(s), 10, w.callbacks(), open_spool(dir));
  p.start();
  ASSERT_TRUE(p.wait_empty(10000));
  EXPECT_EQ(delivered(s), (std::vector<std::string>{"alarm", "clear"}));
  p.stop(1000);
  fs::remove_all(dir);
}
