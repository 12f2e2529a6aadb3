// wellpublish's spool (plugin/wellpublish/spool.h) without a pipeline: what is
// put is on disk, whole, until removed, and the next Spool on the folder (the
// next process) reads it back in order; ids grow across processes; the bounds
// drop the oldest scores first and never an alarm or a clear; one user of a
// folder at a time, even when the other is a process that was SIGKILLed;
// a file that is not a message is set aside, never sent.

#include "spool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using wellpublish::Spool;
using wellpublish::SpoolBusy;
using wellpublish::SpoolLimits;
using wellpublish::SpoolPut;
using wellpublish::SpoolRecord;

namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("wellpublish-spool-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name()) / "spool";
    fs::remove_all(dir_.parent_path());
  }
  void TearDown() override { fs::remove_all(dir_.parent_path()); }

  static SpoolRecord record(Spool& s, const std::string& payload, bool droppable = false) {
    SpoolRecord r;
    r.id = s.next_id();
    r.topic = "wellmonitor/cam/" + payload;
    r.payload = payload;
    r.qos = 1;
    r.droppable = droppable;
    r.time_us = 1796128988363000 + static_cast<int64_t>(r.id);
    return r;
  }
  static std::vector<std::string> payloads(const std::vector<SpoolRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.payload);
    return out;
  }
  size_t files(const std::string& ext) const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += e.path().extension() == ext;
    return n;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(SpoolTest, WhatIsPutStaysUntilRemovedAndTheNextSpoolReadsItBackInOrder) {
  {
    Spool s(dir_.string(), SpoolLimits());
    EXPECT_TRUE(s.take_left().empty());
    for (const char* p : {"alarm-r1w4", "clear-r1w4", "alarm-r2w9"}) s.put(record(s, p));
    EXPECT_EQ(s.count(), 3u);
    EXPECT_EQ(files(".msg"), 3u) << "on disk before put returns";
    EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::others_all, fs::perms::none);
  }
  uint64_t second = 0;
  {
    Spool s(dir_.string(), SpoolLimits());
    const std::vector<SpoolRecord> left = s.take_left();
    ASSERT_EQ(payloads(left), (std::vector<std::string>{"alarm-r1w4", "clear-r1w4", "alarm-r2w9"}));
    EXPECT_EQ(left[0].topic, "wellmonitor/cam/alarm-r1w4");
    EXPECT_EQ(left[0].qos, 1);
    EXPECT_FALSE(left[0].droppable);
    EXPECT_EQ(left[2].time_us, 1796128988363000 + static_cast<int64_t>(left[2].id));
    EXPECT_TRUE(s.take_left().empty()) << "given once";
    second = left[1].id;
    s.remove(second);  // delivered
    s.remove(second);  // twice: nothing
    EXPECT_EQ(s.count(), 2u);
  }
  Spool s(dir_.string(), SpoolLimits());
  EXPECT_EQ(payloads(s.take_left()), (std::vector<std::string>{"alarm-r1w4", "alarm-r2w9"}));
}

TEST_F(SpoolTest, IdsKeepGrowingInTheNextProcess) {
  uint64_t last = 0;
  {
    Spool s(dir_.string(), SpoolLimits());
    for (int i = 0; i < 3; ++i) {
      const SpoolRecord r = record(s, "m" + std::to_string(i));
      EXPECT_GT(r.id, last);
      last = r.id;
      s.put(r);
    }
  }
  Spool s(dir_.string(), SpoolLimits());
  EXPECT_GT(s.next_id(), last) << "a new message sorts after the ones left";
}

TEST_F(SpoolTest, AFullSpoolDropsTheOldestScoresFirstAndNeverAnAlarmOrAClear) {
  SpoolLimits limits;
  limits.max_messages = 3;
  Spool s(dir_.string(), limits);
  const SpoolRecord s1 = record(s, "s1", true), a1 = record(s, "a1"), s2 = record(s, "s2", true);
  for (const auto& r : {s1, a1, s2}) EXPECT_TRUE(s.put(r).dropped.empty());
  SpoolPut p = s.put(record(s, "c1"));  // full: s1 goes
  EXPECT_EQ(p.dropped, std::vector<uint64_t>{s1.id});
  p = s.put(record(s, "a2"));  // full: s2 goes
  EXPECT_EQ(p.dropped, std::vector<uint64_t>{s2.id});
  const SpoolRecord s3 = record(s, "s3", true);
  p = s.put(s3);  // full of alarms and clears: the new score goes
  EXPECT_EQ(p.dropped, std::vector<uint64_t>{s3.id});
  EXPECT_FALSE(p.over_limits);
  p = s.put(record(s, "c2"));  // nothing to drop: past the bound, said so
  EXPECT_TRUE(p.dropped.empty());
  EXPECT_TRUE(p.over_limits);
  EXPECT_EQ(s.count(), 4u);

  // a bound in bytes works the same way
  SpoolLimits small;
  small.max_bytes = s.bytes();
  fs::path other = dir_.parent_path() / "bytes";
  Spool b(other.string(), small);
  b.put(record(b, "score", true));
  p = b.put(record(b, "alarm"));
  EXPECT_EQ(p.dropped.size(), 0u) << "room enough";
  small.max_bytes = 1;
  Spool tiny((dir_.parent_path() / "tiny").string(), small);
  const SpoolRecord old_score = record(tiny, "score", true);
  tiny.put(old_score);  // itself over the bound and droppable: not kept
  EXPECT_EQ(tiny.count(), 0u);
  p = tiny.put(record(tiny, "alarm"));
  EXPECT_TRUE(p.over_limits);
  EXPECT_EQ(tiny.count(), 1u);
}

TEST_F(SpoolTest, OneUserAtATimeAndASigkilledOneFreesTheFolder) {
  {
    Spool first(dir_.string(), SpoolLimits());
    try {
      Spool second(dir_.string(), SpoolLimits());
      ADD_FAILURE() << "two spools on one folder";
    } catch (const SpoolBusy& e) {
      EXPECT_EQ(e.holder, ::getpid());
      EXPECT_NE(std::string(e.what()).find("in use by another element of this process"), std::string::npos)
          << e.what();
    }
  }
  // another process holds it, then dies without a word
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    Spool s(dir_.string(), SpoolLimits());
    s.put(record(s, "alarm-of-the-dead"));
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  try {
    Spool busy(dir_.string(), SpoolLimits());
    ADD_FAILURE() << "the folder of a live process was taken";
  } catch (const SpoolBusy& e) {
    EXPECT_EQ(e.holder, child);
    EXPECT_NE(std::string(e.what()).find("process " + std::to_string(child)), std::string::npos) << e.what();
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  Spool s(dir_.string(), SpoolLimits());
  EXPECT_EQ(payloads(s.take_left()), std::vector<std::string>{"alarm-of-the-dead"});
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(SpoolTest, AFileThatIsNotAWholeMessageIsSetAsideNeverSent) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "00000000000000000007.msg") << "half a mess";
  std::ofstream(dir_ / "00000000000000000009.msg.tmp") << "never renamed into place";
  Spool s(dir_.string(), SpoolLimits());
  EXPECT_TRUE(s.take_left().empty());
  EXPECT_EQ(s.unreadable(), 1u);
  EXPECT_TRUE(fs::exists(dir_ / "00000000000000000007.msg.bad"));
  EXPECT_FALSE(fs::exists(dir_ / "00000000000000000009.msg.tmp"));
  EXPECT_GT(s.next_id(), 7u);
}
