// wellmonitor-run as a service: the per-camera config file (--config), the
// passwords from files and systemd credentials, and the service's options.

#include "parse_environment.h"

#include "config_file.h"
#include "options.h"
#include "pipeline_description.h"
#include "secrets.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace wellmonitor::run;
namespace fs = std::filesystem;

namespace {

using wellmonitor_test::Env;

// The runner's command line under its own name.
ParseResult cli(const std::vector<std::string>& args, const Env& env = Env()) {
  return wellmonitor_test::parse(args, env, "wellmonitor-run");
}

class Scratch {
 public:
  Scratch() {
    std::string t = "/tmp/wellmonitor-service-options-XXXXXX";
    dir_ = mkdtemp(t.data()) ? t : "";
  }
  ~Scratch() { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, fs::perms perms = fs::perms::owner_read |
                                                                                            fs::perms::owner_write) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    fs::permissions(path, perms);
    return path;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace

TEST(ConfigFile, LinesSplitAsAShellSplitsThemWithQuotesEscapesAndComments) {
  std::string error;
  EXPECT_EQ(*split_words("  --camera table1   # the first table", error),
            (std::vector<std::string>{"--camera", "table1"}));
  EXPECT_EQ(*split_words(R"(--source-pipeline 'videotestsrc is-live=true ! video/x-raw,width=960' x)", error),
            (std::vector<std::string>{"--source-pipeline", "videotestsrc is-live=true ! video/x-raw,width=960", "x"}));
  EXPECT_EQ(*split_words(R"(--log "/var/log/well monitor/a.log" a\ b c#d)", error),
            (std::vector<std::string>{"--log", "/var/log/well monitor/a.log", "a b", "c#d"}));
  EXPECT_EQ(*split_words(R"("" '#')", error), (std::vector<std::string>{"", "#"}));
  EXPECT_TRUE(split_words("# all comment", error)->empty());
  EXPECT_FALSE(split_words("--camera 'table1", error));
  EXPECT_EQ(error, "unterminated single quote");
}

TEST(ConfigFile, TheFilesWordsStandWhereConfigStoodAndLaterOptionsOverrideThem) {
  Scratch s;
  const std::string conf = s.write("table1.conf",
                                   "# camera table1\n"
                                   "rtsp rtsp://10.0.0.21:554/stream1\n"
                                   "--camera table1\n"
                                   "--tcp --no-display\n"
                                   "--latency 400\n"
                                   "--mqtt mqtt://127.0.0.1:1883\n"
                                   "--mqtt-topic wellmonitor/plant1/line2\n"
                                   "--metrics-port 9810\n");
  const ParseResult r = cli({"--config", conf, "--latency", "900"});
  ASSERT_TRUE(r.options) << r.err;
  const RunOptions& o = *r.options;
  EXPECT_EQ(o.mode, Mode::kRtsp);
  EXPECT_EQ(o.input, "rtsp://10.0.0.21:554/stream1");
  EXPECT_EQ(o.camera, "table1");
  EXPECT_TRUE(o.tcp);
  EXPECT_FALSE(o.display);
  EXPECT_EQ(o.latency_ms, 900);
  EXPECT_EQ(o.metrics_port, 9810);
  EXPECT_EQ(o.metrics_address, "127.0.0.1");
  EXPECT_EQ(o.mqtt_topic, "wellmonitor/plant1/line2");
  EXPECT_NE(downstream_description(o, PipelinePlan()).find(
                "wellpublish name=publish method=mqtt address=\"mqtt://127.0.0.1:1883\" camera=\"table1\" "
                "topic=\"wellmonitor/plant1/line2\""),
            std::string::npos)
      << downstream_description(o, PipelinePlan());
  // --config=FILE, after the mode
  const std::string opts = s.write("opts.conf", "--camera t2 --no-display\n");
  const ParseResult r2 = cli({"rtsp", "--config=" + opts, "rtsp://cam/x"});
  ASSERT_TRUE(r2.options) << r2.err;
  EXPECT_EQ(r2.options->camera, "t2");
}

TEST(ConfigFile, ABadFileIsOneLineNamingItAndTheLine) {
  Scratch s;
  const std::string bad = s.write("bad.conf", "rtsp rtsp://cam/x\n--camera 'open\n");
  EXPECT_EQ(cli({"--config", bad}).err, "wellmonitor-run: error: " + bad + ":2: unterminated single quote\n");
  EXPECT_EQ(cli({"--config", bad}).exit_code, 2);
  EXPECT_EQ(cli({"--config", s.dir() + "/none.conf"}).err,
            "wellmonitor-run: error: cannot read config file '" + s.dir() + "/none.conf'\n");
  const std::string nested = s.write("nested.conf", "--config other.conf\n");
  EXPECT_EQ(cli({"--config", nested}).err,
            "wellmonitor-run: error: " + nested + ":1: --config inside a config file\n");
  EXPECT_EQ(cli({"--config"}).err, "wellmonitor-run: error: --config needs a FILE\n");
}

TEST(ServiceOptions, MetricsHangTimeoutAndTopicAreCheckedWithOneLineEach) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"rtsp", "--metrics-port", "70000", "rtsp://cam/x"}, "--metrics-port must be a port number (0-65535), got '70000'"},
      {{"rtsp", "--metrics-address", "example.org", "rtsp://cam/x"},
       "--metrics-address must be an IPv4 or IPv6 address, got 'example.org'"},
      {{"rtsp", "--hang-timeout", "0", "rtsp://cam/x"}, "--hang-timeout must be a number of seconds > 0, got '0'"},
      {{"rtsp", "--mqtt-topic", "wellmonitor/a", "rtsp://cam/x"}, "--mqtt-topic goes with --mqtt URL"},
      {{"rtsp", "--mqtt", "mqtt://b", "--mqtt-topic", "wellmonitor/#", "rtsp://cam/x"},
       "--mqtt-topic must be a topic prefix such as wellmonitor/plant1/line2 (no +, #, or empty levels), got "
       "'wellmonitor/#'"},
      {{"rtsp", "--mqtt-password-file", "/nonexistent", "rtsp://cam/x"}, "--mqtt-password-file goes with --mqtt URL"},
      {{"rtsp", "--mqtt", "mqtt://op@b", "--mqtt-password-file", "/nonexistent", "rtsp://cam/x"},
       "--mqtt-password-file: cannot read the password file '/nonexistent'"},
  };
  for (const auto& [args, err] : cases) {
    const ParseResult r = cli(args);
    EXPECT_FALSE(r.options) << err;
    EXPECT_EQ(r.exit_code, 2) << err;
    EXPECT_EQ(r.err, "wellmonitor-run: error: " + err + "\n");
  }
  const ParseResult ok = cli({"live", "--metrics-port", "0", "--metrics-address", "::1", "--hang-timeout", "2.5",
                                "--source-pipeline", "videotestsrc is-live=true"});
  ASSERT_TRUE(ok.options) << ok.err;
  EXPECT_EQ(ok.options->metrics_port, 0);
  EXPECT_EQ(ok.options->metrics_address, "::1");
  EXPECT_DOUBLE_EQ(ok.options->hang_timeout_s, 2.5);
  EXPECT_EQ(cli({"live", "--source-pipeline", "x"}).options->metrics_port, -1);
}

TEST(Secrets, APasswordFileIsReadWithoutItsNewlineAndAWorldReadableOneIsSaid) {
  Scratch s;
  std::string error, warning;
  EXPECT_EQ(*read_secret_file(s.write("pw", "s3cret pass\n"), error, &warning), "s3cret pass");
  EXPECT_EQ(warning, "");
  const std::string open_file = s.write("open", "pw", fs::perms::owner_read | fs::perms::others_read);
  EXPECT_EQ(*read_secret_file(open_file, error, &warning), "pw");
  EXPECT_EQ(warning, "the password file '" + open_file + "' is readable by every user (chmod 600 it)");
  const std::string empty = s.write("empty", "\n");
  EXPECT_FALSE(read_secret_file(empty, error));
  EXPECT_EQ(error, "the password file '" + empty + "' is empty");
  EXPECT_FALSE(read_secret_file(s.write("big", std::string(5000, 'x')), error));
}

TEST(Secrets, TheBrokersPasswordComesFromItsFileOrTheServicesCredentialNeverTheCommandLine) {
  Scratch s;
  const std::string pw = s.write("mqtt.pw", "s3cret\n");
  const ParseResult r = cli({"rtsp", "--mqtt", "mqtt://op@10.0.0.5:1883", "--mqtt-password-file", pw, "rtsp://cam/x"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->mqtt_password_file, pw);
  // the password is nowhere in the pipeline's description (nor in ps)
  const std::string desc = launch_description(*r.options, PipelinePlan());
  EXPECT_EQ(desc.find("s3cret"), std::string::npos) << desc;
  EXPECT_EQ(desc.find("password"), std::string::npos) << desc;

  // systemd's LoadCredential=mqtt-password:...: $CREDENTIALS_DIRECTORY/mqtt-password
  Env service;
  service.vars["CREDENTIALS_DIRECTORY"] = s.dir();
  s.write("mqtt-password", "from-systemd\n");
  const ParseResult cred = cli({"rtsp", "--mqtt", "mqtt://op@b", "rtsp://cam/x"}, service);
  ASSERT_TRUE(cred.options) << cred.err;
  EXPECT_EQ(cred.options->mqtt_password_file, s.dir() + "/mqtt-password");
  // a blank credential (the unit's SetCredential=mqtt-password:\n default) is none
  s.write("mqtt-password", "\n");
  EXPECT_EQ(cli({"rtsp", "--mqtt", "mqtt://b", "rtsp://cam/x"}, service).options->mqtt_password_file, "");

  // a password typed on the command line is said to be visible
  const ParseResult typed = cli({"rtsp", "--mqtt", "mqtt://op:typed@b", "rtsp://cam/x"});
  ASSERT_TRUE(typed.options) << typed.err;
  bool warned = false;
  for (const auto& n : typed.notes)
    if (n == "wellmonitor-run: warning: the password in 'mqtt://b' is visible to every user of this machine (ps); "
             "put it in a file (--mqtt-password-file) or in the service's config file")
      warned = true;
  EXPECT_TRUE(warned) << testing::PrintToString(typed.notes);
  // ...and not when it comes from a config file
  const std::string conf = s.write("c.conf", "rtsp --mqtt mqtt://op:typed@b rtsp://cam/x\n");
  for (const auto& n : cli({"--config", conf}).notes) EXPECT_EQ(n.find("visible"), std::string::npos) << n;
}

TEST(Secrets, TheCamerasPasswordFileTakesTheUserOutOfTheUrlForRtspsrc) {
  Scratch s;
  const std::string pw = s.write("cam.pw", "campw\n");
  const ParseResult r = cli({"rtsp", "--rtsp-password-file", pw, "rtsp://admin@10.0.0.21:554/stream1"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->rtsp_user, "admin");
  EXPECT_EQ(r.options->input, "rtsp://10.0.0.21:554/stream1");
  EXPECT_EQ(r.options->camera_name(), "10.0.0.21_554_stream1");
  EXPECT_EQ(launch_description(*r.options, PipelinePlan()).find("campw"), std::string::npos);
  EXPECT_EQ(cli({"rtsp", "--rtsp-password-file", pw, "rtsp://10.0.0.21/x"}).err,
            "wellmonitor-run: error: a camera password file needs the camera's user in the URL: rtsp://USER@10.0.0.21/x\n");
  EXPECT_EQ(cli({"rtsp", "--rtsp-password-file", pw, "rtsp://a:b@10.0.0.21/x"}).err,
            "wellmonitor-run: error: the rtsp URL has a password and a password file is given: keep the file\n");
  EXPECT_EQ(cli({"live", "--rtsp-password-file", pw, "--source-pipeline", "x"}).err,
            "wellmonitor-run: error: --rtsp-password-file goes with rtsp URL\n");
  std::string user, rest;
  split_url_user("rtsp://u@h:1/p@x", user, rest);
  EXPECT_EQ(user, "u");
  EXPECT_EQ(rest, "rtsp://h:1/p@x");
  EXPECT_TRUE(url_has_password("mqtt://a:b@h"));
  EXPECT_FALSE(url_has_password("mqtt://a@h:1883"));
}
