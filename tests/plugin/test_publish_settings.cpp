// wellpublish's settings (plugin/wellpublish/settings.h) without an element:
// what fails the start says what to fix in one line, of the right kind, and
// the transport made is the one the method and address name.

#include "settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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
