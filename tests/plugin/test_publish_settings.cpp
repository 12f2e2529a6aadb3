// wellpublish's settings (plugin/wellpublish/settings.h) without an element:
// what fails the start says what to fix in one line, of the right kind, and
// the transport made is the one the method and address name; the spool's
// folder by default and when named, and what the stop says is left.

#include "settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using wellpublish::SetupError;
using wellpublish::Settings;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("wellpublish-settings-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The SetupError that make_transport throws for `s` (fails the test if none).
SetupError setup_error(const Settings& s) {
  try {
    wellpublish::make_transport(s, 7);
  } catch (const SetupError& e) {
    return e;
  }
  ADD_FAILURE() << "make_transport accepted address '" << s.address << "'";
  return SetupError(SetupError::Kind::kSettings, "");
}

}  // namespace

TEST(PublishSettings, NoAddressSaysWhatToSet) {
  const SetupError e = setup_error(Settings());
  EXPECT_EQ(e.kind, SetupError::Kind::kSettings);
  EXPECT_NE(std::string(e.what()).find("set 'address' to mqtt://host:port"), std::string::npos) << e.what();
}

TEST(PublishSettings, ABadMqttAddressIsRefusedByName) {
  Settings s;
  s.address = "http://broker:1883";
  const SetupError e = setup_error(s);
  EXPECT_EQ(e.kind, SetupError::Kind::kSettings);
  EXPECT_EQ(std::string(e.what()).rfind("Bad address: ", 0), 0u) << e.what();
  EXPECT_NE(std::string(e.what()).find("http://broker:1883"), std::string::npos) << e.what();
}

TEST(PublishSettings, AnEventsFileThatCannotBeWrittenIsAnOpenWriteErrorNamingIt) {
  Settings s;
  s.file = true;
  s.address = "/nonexistent/dir/events.jsonl";
  const SetupError e = setup_error(s);
  EXPECT_EQ(e.kind, SetupError::Kind::kOpenWrite);
  EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/events.jsonl"), std::string::npos) << e.what();
}

TEST(PublishSettings, TheFrameFolderIsCreatedOrRefusedByName) {
  const fs::path dir = temp_dir("frames");
  Settings s;
  s.file = true;
  s.address = (dir / "events.jsonl").string();
  s.event.frame_dir = (dir / "a" / "b").string();
  auto t = wellpublish::make_transport(s, 7);
  EXPECT_TRUE(fs::is_directory(dir / "a" / "b"));
  EXPECT_EQ(t->describe(), "file " + s.address);

  std::ofstream(dir / "plain") << "x";
  s.event.frame_dir = (dir / "plain" / "frames").string();
  const SetupError e = setup_error(s);
  EXPECT_EQ(e.kind, SetupError::Kind::kOpenWrite);
  EXPECT_NE(std::string(e.what()).find(s.event.frame_dir), std::string::npos) << e.what();
  fs::remove_all(dir);
}

TEST(PublishSettings, AnMqttAddressMakesAClientOfThatBroker) {
  Settings s;
  s.address = "mqtts://op:pw@broker.plant";
  auto t = wellpublish::make_transport(s, 7);
  EXPECT_EQ(t->describe(), "the MQTT broker at mqtts://broker.plant:8883");
  EXPECT_FALSE(t->ready()) << "nothing is connected before the publisher opens it";
}

TEST(PublishSettings, TheDefaultClientIdNamesTheCameraAndTheProcess) {
  EXPECT_EQ(wellpublish::default_client_id("table1", 4242), "wellmonitor-table1-4242");
  EXPECT_EQ(wellpublish::default_client_id("hall 2/#", 7), "wellmonitor-hall_2__-7");
}

namespace {

wellpublish::Getenv env_of(const std::vector<std::pair<std::string, std::string>>& vars) {
  return [vars](const char* name) -> const char* {
    for (const auto& [k, v] : vars)
      if (k == name) return v.c_str();
    return nullptr;
  };
}

}  // namespace

TEST(PublishSettings, TheSpoolIsTheCamerasFolderUnderTheStateDirectoryByDefault) {
  Settings s;
  s.event.camera = "table 1";
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({{"STATE_DIRECTORY", "/var/lib/wellmonitor:/x"}, {"HOME", "/root"}})),
            "/var/lib/wellmonitor/table_1/spool")
      << "a systemd service's state directory";
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({{"XDG_STATE_HOME", "/home/op/.st"}, {"HOME", "/home/op"}})),
            "/home/op/.st/wellmonitor/table_1/spool");
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({{"XDG_STATE_HOME", "rel"}, {"HOME", "/home/op"}})),
            "/home/op/.local/state/wellmonitor/table_1/spool");
  s.event.camera = "..";
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({{"HOME", "/home/op"}})), "/home/op/.local/state/wellmonitor/_/spool");
  s.spool = "/srv/spool";
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({})), "/srv/spool");
  for (const char* none : {"", "none"}) {
    s.spool = none;
    EXPECT_EQ(wellpublish::spool_folder(s, env_of({})), "") << "'" << none << "'";
  }
  s.spool.reset();
  s.file = true;
  EXPECT_EQ(wellpublish::spool_folder(s, env_of({{"HOME", "/home/op"}})), "") << "an events file has none by default";
}

TEST(PublishSettings, ASpoolAnotherElementHoldsFailsTheStartAndOneThatCannotBeMadeIsAWarning) {
  const fs::path dir = temp_dir("spool");
  Settings s;
  s.event.camera = "table1";
  s.spool = (dir / "spool").string();
  std::string warning;
  auto first = wellpublish::open_spool(s, env_of({}), warning);
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(warning.empty()) << warning;
  try {
    wellpublish::open_spool(s, env_of({}), warning);
    ADD_FAILURE() << "two publishers on one spool";
  } catch (const SetupError& e) {
    EXPECT_EQ(e.kind, SetupError::Kind::kBusy);
    EXPECT_NE(std::string(e.what()).find("Cannot publish camera 'table1'"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "plain") << "x";
  s.spool = (dir / "plain" / "spool").string();
  EXPECT_EQ(wellpublish::open_spool(s, env_of({}), warning), nullptr);
  EXPECT_NE(warning.find("No spool: "), std::string::npos) << warning;
  EXPECT_NE(warning.find("memory only"), std::string::npos) << warning;
  fs::remove_all(dir);
}

TEST(PublishSettings, TheUndeliveredLineSaysHowManyToWhatAndWhereTheyWait) {
  EXPECT_EQ(wellpublish::undelivered_text(2, 2, "the MQTT broker at mqtt://b:1883", "/s"),
            "2 messages not delivered to the MQTT broker at mqtt://b:1883: they wait in the spool /s and the next "
            "start for this camera sends them first");
  EXPECT_EQ(wellpublish::undelivered_text(1, 0, "file e.jsonl", ""),
            "1 message not delivered to file e.jsonl: it is lost (no spool)");
  EXPECT_EQ(wellpublish::undelivered_text(3, 2, "x", "/s"), "3 messages not delivered to x: 2 wait in the spool /s, 1 is lost");
}

TEST(PublishSettings, ThePasswordComesFromTheFirstLineOfItsFileAndAnUnreadableOneFailsTheStart) {
  const fs::path dir = temp_dir("password");
  Settings s;
  s.address = "mqtt://op:inline@broker";
  s.password_file = (dir / "missing").string();
  const SetupError e = setup_error(s);
  EXPECT_EQ(e.kind, SetupError::Kind::kOpenRead);
  EXPECT_NE(std::string(e.what()).find(s.password_file), std::string::npos) << e.what();
  std::ofstream(dir / "secret") << "s3cret\r\nsecond line\n";
  s.password_file = (dir / "secret").string();
  EXPECT_NE(wellpublish::make_transport(s, 7), nullptr);  // what the broker receives: tests/plugin/test_wellpublish.cpp
  fs::remove_all(dir);
}
