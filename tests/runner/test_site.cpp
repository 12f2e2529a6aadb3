// A site on Mosquitto, on loopback: two boxes' local brokers, each bridged to a
// central broker with the shipped bridge configuration
// (deploy/mosquitto/wellmonitor-bridge.conf), two monitors (wellmonitor-run
// over a short replay clip, one per box, each under its line's topic prefix),
// and one subscriber on the central broker that must receive every alarm and
// clear of both: while all is up, and across a restart of the central broker,
// while the local brokers queue for their bridges.

#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/replay_clip.h"
#include "support/script_environment.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::Broker;
using wellmonitor_test::ChildProcess;
using wellmonitor_test::Received;
using wellmonitor_test::Subscriber;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kRunner = wellmonitor_test::runner_path();
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("site", g_tmp));

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// The shipped bridge configuration for box `box`, pointed at the central
// broker on `central_port`; retries every second instead of backing off (so
// that the test waits seconds, not half a minute).
std::string bridge_conf(const std::string& box, int central_port) {
  std::ifstream in(kSource + "/deploy/mosquitto/wellmonitor-bridge.conf");
  std::string conf((std::istreambuf_iterator<char>(in)), {});
  conf = replace_all(conf, "BOX", box);
  conf = replace_all(conf, "address central-broker.plant.example:1883", "address 127.0.0.1:" + std::to_string(central_port));
  conf = replace_all(conf, "restart_timeout 2 30", "restart_timeout 1 1");
  return "\n" + conf;
}

// One monitor: the clip through wellmonitor-run, publishing to `port` under `prefix`.
struct Monitor {
  Monitor(std::string camera_id, std::string topic_prefix, int broker_port)
      : camera(std::move(camera_id)), prefix(std::move(topic_prefix)), port(broker_port) {}
  std::string camera, prefix;
  int port;
  ChildProcess process;
  bool start(const std::string& clip) {
    return process.start(kRunner, {"file", "--fast", "--no-display", "--threads", "1", "--interval", "2", "--camera",
                                   camera, "--mqtt", "mqtt://127.0.0.1:" + std::to_string(port), "--mqtt-topic",
                                   prefix, clip});
  }
  // Its ALARM and CLEAR lines, once it has finished with everything delivered.
  size_t finish() {
    const auto code = process.wait_exit(120000);
    EXPECT_TRUE(code.has_value()) << process.describe();
    EXPECT_EQ(code.value_or(-1), 0) << camera << process.describe();
    size_t lines = 0;
    for (const auto& l : process.out_lines())
      if (l.text.rfind("ALARM ", 0) == 0 || l.text.rfind("CLEAR ", 0) == 0) ++lines;
    return lines;
  }
};

// The distinct alarm/clear events of `camera` (by event_id and kind) among
// `got`, checking they came under its prefix.
std::set<std::string> events_of(const std::vector<Received>& got, const std::string& camera, const std::string& prefix) {
  std::set<std::string> ids;
  for (const auto& r : got) {
    const auto j = nlohmann::json::parse(r.payload, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("camera", "") != camera) continue;
    const std::string kind = j.value("kind", "");
    if (kind != "alarm" && kind != "clear") continue;
    EXPECT_EQ(r.topic.rfind(prefix + "/" + camera + "/", 0), 0u) << r.topic;
    ids.insert(j.value("event_id", "?") + "/" + kind);
  }
  return ids;
}

}  // namespace

TEST(Site, TheCentralBrokerGetsEveryEventOfTwoBridgedBoxesAlsoAcrossARestartOfTheCentralBroker) {
  if (!wellmonitor_test::mosquitto_binary()) GTEST_SKIP() << "no mosquitto (apt-get install mosquitto)";
  const std::string clip = wellmonitor_test::replay_clip(130, g_tmp);
  ASSERT_FALSE(clip.empty());
  const int central_port = wellmonitor_test::free_loopback_port();
  Broker central(g_tmp / "central", central_port);
  ASSERT_TRUE(central.start()) << central.log();
  const int port1 = wellmonitor_test::free_loopback_port();
  Broker box1(g_tmp / "box1", port1, bridge_conf("box1", central_port));
  ASSERT_TRUE(box1.start()) << box1.log();
  const int port2 = wellmonitor_test::free_loopback_port();
  Broker box2(g_tmp / "box2", port2, bridge_conf("box2", central_port));
  ASSERT_TRUE(box2.start()) << box2.log();

  // the site's consumer (a SCADA) on the central broker, with a persistent session
  Subscriber scada(central_port, "wellmonitor/#", "scada");
  ASSERT_TRUE(scada.wait_subscribed(10000));
  // both bridges up: their retained state says 1
  const auto bridges_up = [](const std::vector<Received>& got) {
    std::set<std::string> up;
    for (const auto& r : got)
      if (r.topic.find("/$bridge/") != std::string::npos && r.payload == "1") up.insert(r.topic);
    return up.size() == 2;
  };
  ASSERT_TRUE(scada.wait_for(bridges_up, 20000)) << box1.log() << box2.log();

  // 1. all up: two monitors at once, one per box
  Monitor a{"cam-a", "wellmonitor/plant1/line1", port1};
  Monitor b{"cam-b", "wellmonitor/plant1/line2", port2};
  ASSERT_TRUE(a.start(clip));
  ASSERT_TRUE(b.start(clip));
  const size_t lines_a = a.finish(), lines_b = b.finish();
  ASSERT_GE(lines_a, 2u) << a.process.describe();  // the clip's spill: an alarm and its clear
  ASSERT_GE(lines_b, 2u) << b.process.describe();
  const auto both = [&](const std::string& cam_a, size_t want_a, const std::string& cam_b, size_t want_b) {
    const std::string prefix_a = a.prefix, prefix_b = b.prefix;
    return [=](const std::vector<Received>& got) {
      return events_of(got, cam_a, prefix_a).size() >= want_a && events_of(got, cam_b, prefix_b).size() >= want_b;
    };
  };
  EXPECT_TRUE(scada.wait_for(both("cam-a", lines_a, "cam-b", lines_b), 20000));

  // 2. the central broker restarts: meanwhile the boxes' brokers queue for their bridges
  central.stop();
  Monitor a2{"cam-a2", a.prefix, port1};
  Monitor b2{"cam-b2", b.prefix, port2};
  ASSERT_TRUE(a2.start(clip));
  ASSERT_TRUE(b2.start(clip));
  const size_t lines_a2 = a2.finish(), lines_b2 = b2.finish();  // delivered to the boxes' brokers
  ASSERT_TRUE(central.start()) << central.log();
  EXPECT_TRUE(scada.wait_for(both("cam-a2", lines_a2, "cam-b2", lines_b2), 30000)) << central.log() << box1.log();

  const auto got = scada.received();
  EXPECT_EQ(events_of(got, "cam-a", a.prefix).size(), lines_a);
  EXPECT_EQ(events_of(got, "cam-b", b.prefix).size(), lines_b);
  EXPECT_EQ(events_of(got, "cam-a2", a.prefix).size(), lines_a2);
  EXPECT_EQ(events_of(got, "cam-b2", b.prefix).size(), lines_b2);
  std::cout << "central broker received " << lines_a << " + " << lines_b << " events live and " << lines_a2 << " + "
            << lines_b2 << " queued across its restart (" << got.size() << " messages in all)\n";
}
