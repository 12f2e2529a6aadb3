// No alarm is ever lost, tried from outside as a plant runs the monitor: a real
// Mosquitto on loopback that is down during the spills, file.sh (wellmonitor-run)
// stopped by SIGTERM in one case and SIGKILLed in the other, the broker back, and
// the monitor started again for the same camera on the same spool. A subscriber
// with a persistent session on the broker must receive every alarm and clear the
// first run printed, in order, each marked with how late it is (delay_s), and
// any repeat only with the same event_id.

#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/replay_clip.h"
#include "support/script_environment.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;
using wellmonitor_test::Broker;
using wellmonitor_test::ChildProcess;
using wellmonitor_test::Received;
using wellmonitor_test::Subscriber;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("no-alarm-lost", g_tmp));

#define REQUIRE_BROKER()                                                                               \
  do {                                                                                                 \
    if (!wellmonitor_test::mosquitto_binary())                                                         \
      GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto): broker tests skipped"; \
  } while (0)

std::string clip(int frames) { return wellmonitor_test::replay_clip(frames, g_tmp); }

// Every second frame analysed: the spill still alarms (5 analysed frames over
// the threshold), in half the time.
bool start_file_sh(ChildProcess& p, int port, const fs::path& spool, const std::string& video) {
  return p.start("/bin/bash", {kSource + "/pipelines/file.sh", "--fast", "--no-display", "--threads", "1", "--interval",
                               "2", "--mqtt", "mqtt://127.0.0.1:" + std::to_string(port), "--camera", "table1",
                               "--spool", spool.string(), video});
}

// "alarm r1w4", "clear r1w4", ... from the runner's ALARM and CLEAR lines.
std::vector<std::string> printed(const ChildProcess& p) {
  std::vector<std::string> out;
  for (const auto& l : p.out_lines()) {
    if (l.text.rfind("ALARM well=", 0) != 0 && l.text.rfind("CLEAR well=", 0) != 0) continue;
    const std::string well = l.text.substr(11, l.text.find(' ', 11) - 11);
    out.push_back((l.text[0] == 'A' ? "alarm " : "clear ") + well);
  }
  return out;
}

size_t spooled_files(const fs::path& spool) {
  size_t n = 0;
  if (fs::is_directory(spool))
    for (const auto& e : fs::directory_iterator(spool)) n += e.path().extension() == ".msg";
  return n;
}

// The events that arrived, each (event_id, kind) once, in the order of first
// arrival; a repeat must be the same event (fails the test otherwise).
std::vector<json> first_of_each(const std::vector<Received>& got) {
  std::vector<json> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const Received& r : got) {
    const json e = json::parse(r.payload, nullptr, false);
    if (!e.is_object() || !e.contains("event_id")) continue;  // status, camera
    if (e["kind"] != "alarm" && e["kind"] != "clear") continue;  // a well's state, an operator's action
    const std::pair<std::string, std::string> key(e["event_id"].get<std::string>(), e["kind"].get<std::string>());
    if (seen.insert(key).second) out.push_back(e);
  }
  return out;
}

std::vector<std::string> kinds_and_wells(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const json& e : events) out.push_back(e["kind"].get<std::string>() + " " + e["well"].get<std::string>());
  return out;
}

// The broker with a subscriber whose session it has saved (autosave every
// second), then stopped: what is published while it is away waits nowhere but
// in the monitor.
struct DownBroker {
  int port = wellmonitor_test::free_loopback_port();
  Broker broker;
  std::unique_ptr<Subscriber> sub;
  explicit DownBroker(const std::string& name) : broker(g_tmp / name, port) {}
  ::testing::AssertionResult take_subscriber_then_stop() {
    if (!broker.start()) return ::testing::AssertionFailure() << broker.log();
    sub = std::make_unique<Subscriber>(port, "wellmonitor/#", "scada-" + std::to_string(port));
    if (!sub->wait_subscribed(5000)) return ::testing::AssertionFailure() << "no subscription";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    broker.kill();
    return ::testing::AssertionSuccess();
  }
  // The first run, on the replay's first 230 frames, once it printed the
  // clear of its first spill (r1w4): the alarm and the clear are queued.
  ::testing::AssertionResult run_until_the_first_clear(ChildProcess& first, const fs::path& spool) {
    if (!start_file_sh(first, port, spool, clip(230))) return ::testing::AssertionFailure() << "no file.sh";
    if (!first.wait_line("^CLEAR well=r1w4 ", 120000)) return ::testing::AssertionFailure() << first.describe();
    return ::testing::AssertionSuccess();
  }
};

// Starts the broker again and the monitor for the same camera on a clip with
// no spill; expects it to deliver what the first run left and end well.
void restart_and_expect_everything(DownBroker& b, const fs::path& spool, const std::vector<std::string>& expected) {
  // down a second more, as a restart takes: every event then waited at least
  // that long (on a quick machine the kill, restart and delivery of the last
  // one took 0.98 s, under the mark checked below)
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(b.broker.start()) << b.broker.log();
  ChildProcess second;
  ASSERT_TRUE(start_file_sh(second, b.port, spool, clip(12)));
  const auto code = second.wait_exit(120000);
  ASSERT_TRUE(code.has_value()) << second.describe();
  EXPECT_EQ(*code, 0) << second.describe();
  ASSERT_TRUE(b.sub->wait_for([&](const std::vector<Received>& g) { return first_of_each(g).size() >= expected.size(); },
                              20000))
      << "received " << b.sub->received().size() << " messages\n" << second.describe();
  const std::vector<json> events = first_of_each(b.sub->received());
  EXPECT_EQ(kinds_and_wells(events), expected) << "every alarm and clear, in order";
  for (const json& e : events) {
    ASSERT_TRUE(e.contains("delay_s")) << e.dump().substr(0, 300);
    EXPECT_GE(e["delay_s"].get<double>(), 1.0) << "marked late: " << e.dump().substr(0, 300);
  }
  EXPECT_EQ(spooled_files(spool), 0u) << "delivered, so gone from the spool";
}

}  // namespace

TEST(NoAlarmLost, SpillsWhileTheBrokerIsDownArriveAfterASigtermAndARestart) {
  REQUIRE_BROKER();
  DownBroker b("broker-term");
  ASSERT_TRUE(b.take_subscriber_then_stop());
  const fs::path spool = g_tmp / "spool-term";
  ChildProcess first;
  ASSERT_TRUE(b.run_until_the_first_clear(first, spool));
  first.signal(SIGTERM);  // as systemd stops a service: the stream ends cleanly
  const auto code = first.wait_exit(60000);
  ASSERT_TRUE(code.has_value()) << first.describe();
  EXPECT_EQ(*code, 3) << "events left undelivered\n" << first.describe();
  EXPECT_NE(first.err().find("not delivered to mqtt://127.0.0.1:" + std::to_string(b.port)), std::string::npos)
      << first.describe();
  EXPECT_NE(first.err().find(spool.string()), std::string::npos) << "names where they wait\n" << first.describe();
  const std::vector<std::string> expected = printed(first);
  ASSERT_GE(expected.size(), 2u) << first.describe();
  EXPECT_EQ(spooled_files(spool), expected.size());
  restart_and_expect_everything(b, spool, expected);
}

TEST(NoAlarmLost, SpillsWhileTheBrokerIsDownArriveAfterASigkillAndARestart) {
  REQUIRE_BROKER();
  DownBroker b("broker-kill");
  ASSERT_TRUE(b.take_subscriber_then_stop());
  const fs::path spool = g_tmp / "spool-kill";
  ChildProcess first;
  ASSERT_TRUE(b.run_until_the_first_clear(first, spool));
  // an event is on disk within milliseconds of its frame: wait for the clear's
  for (int i = 0; i < 500 && spooled_files(spool) < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  first.signal_group(SIGKILL);  // no goodbye: no EOS, no stop, no destructor
  ASSERT_TRUE(first.wait_exit(10000).has_value());
  const size_t on_disk = spooled_files(spool);
  const std::vector<std::string> all = printed(first);
  ASSERT_GE(on_disk, 2u);
  ASSERT_GE(all.size(), on_disk);
  // what the kill left on disk: the first on_disk events the run printed
  restart_and_expect_everything(b, spool, std::vector<std::string>(all.begin(), all.begin() + on_disk));
}
