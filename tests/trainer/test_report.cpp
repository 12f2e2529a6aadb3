// `--report FILE.html` writes one self-contained page that a browser renders.
//
// `train --report` and `stress --report` (a tiny autoencoder on the fixture crops: reconstructions
// and error maps in its tiles) and `evaluate --report` (the shipped classifier
// at a threshold that makes false alarms) each write a page; headless Chromium
// (Debian's chromium) loads it with no network, runs its scripts and dumps the
// DOM: every section (loss curve, score distributions, ROC, PR, rates, worst
// false alarms, worst misses) says it rendered, and a screenshot is not blank.

#include "support/chromium.h"
#include "support/subprocess.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using wellmonitor_test::read_all;
using wellmonitor_test::run_process;

namespace {

const std::string kData = WELLMONITOR_TEST_DATA;
const std::string kSource = WELLMONITOR_SOURCE_DIR;
using wellmonitor_test::kChromium;
const std::vector<std::string> kSections = {"loss", "scores", "roc", "pr", "rates", "alarms", "misses"};

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is missing (Debian: chromium)";
    if (!fs::exists("/usr/share/javascript/chart.js/chart.min.js"))
      GTEST_SKIP() << "Chart.js is missing (Debian: libjs-chart.js)";
    dir_ = fs::temp_directory_path() / ("wellmonitor-report-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  wellmonitor_test::ProcessResult trainer(const std::vector<std::string>& args) {
    return run_process(WELLMONITOR_TRAINER, args, dir_.string());
  }
  // The DOM after the page's scripts ran, in headless Chromium with no network.
  std::string render(const std::string& page, const std::string& screenshot) {
    const auto dom = wellmonitor_test::run_headless_chromium({"--virtual-time-budget=10000", "--dump-dom", "file://" + page},
                                                              dir_.string());
    EXPECT_EQ(dom.exit_code, 0) << dom.err;
    const auto shot = wellmonitor_test::run_headless_chromium(
        {"--virtual-time-budget=10000", "--hide-scrollbars", "--window-size=1100,2400", "--screenshot=" + screenshot,
         "file://" + page},
        dir_.string());
    EXPECT_EQ(shot.exit_code, 0) << shot.err;
    return dom.out;
  }
  void expect_rendered(const std::string& page) {
    const std::string html = read_all(page);
    ASSERT_FALSE(html.empty()) << page;
    // Self-contained: nothing loaded from elsewhere.
    EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)"))) << page;
    const std::string png = (dir_ / "shot.png").string();
    const std::string dom = render(page, png);
    for (const auto& id : kSections)
      EXPECT_NE(dom.find("<section id=\"" + id + "\" data-rendered=\"yes\">"), std::string::npos)
          << "section " << id << " did not render";
    EXPECT_NE(dom.find("<body data-rendered=\"yes\">"), std::string::npos) << "the page's script did not finish";
    EXPECT_EQ(dom.find("data-error="), std::string::npos) << "a script error";
    const cv::Mat shot = cv::imread(png, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(shot.empty()) << png;
    cv::Scalar mean, sd;
    cv::meanStdDev(shot, mean, sd);
    EXPECT_GT(sd[0], 10.0) << "blank screenshot";
  }
  fs::path dir_;
};

TEST_F(Report, TrainWritesAReportWithReconstructionsThatRendersEverySection) {
  const std::string page = (dir_ / "train.html").string();
  const auto r = trainer({"train", "--normal", kData + "/crops/normal", "--anomalies", kData + "/crops/spill", "--out",
                          (dir_ / "m.wmm").string(), "--arch", "compact-ae", "--arch-param", "base=4", "--arch-param",
                          "latent=8", "--epochs", "3", "--threads", "1", "--device", "cpu", "-q", "--report", page});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_rendered(page);
  const std::string html = read_all(page);
  // Three rendered epochs, and tiles with reconstruction and error map.
  EXPECT_NE(html.find("\"train\":[{\"x\":1,"), std::string::npos);
  EXPECT_NE(html.find("title=\"error map\""), std::string::npos);
  EXPECT_NE(html.find("<td>test</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>calibration</td>"), std::string::npos);
}

TEST_F(Report, StressWritesAReportOfItsPartsThatRendersEverySection) {
  const std::string model = (dir_ / "s.wmm").string(), page = (dir_ / "stress.html").string();
  auto r = trainer({"train", "--normal", kData + "/crops/normal", "--anomalies", kData + "/crops/spill", "--out", model,
                    "--arch", "compact-ae", "--arch-param", "base=4", "--arch-param", "latent=8", "--epochs", "2",
                    "--threads", "1", "--device", "cpu", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = trainer({"stress", "--model", model, "--normal", kData + "/crops/normal", "--anomalies", kData + "/crops/spill",
               "--seeds", "1", "--threads", "1", "-q", "--report", page});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_rendered(page);
  const std::string html = read_all(page);
  for (const char* part : {"held-out normals", "shifted normals", "real spills", "blob spills", "blend spills", "smooth spills"})
    EXPECT_NE(html.find(std::string("<td>") + part + "</td>"), std::string::npos) << part;
}

TEST_F(Report, EvaluateWritesAReportWithTheWorstFalseAlarmsThatRendersEverySection) {
  const std::string page = (dir_ / "evaluate.html").string();
  const auto r = trainer({"evaluate", "--model", kSource + "/models/default.wmm", "--images", kData + "/crops/eval",
                          "--labels", kData + "/crops/labels.txt", "--threshold", "1e-7", "-q", "--report", page});  // every normal a false alarm
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_rendered(page);
  const std::string html = read_all(page);
  EXPECT_NE(html.find("<figure><img src=\"data:image/png;base64,"), std::string::npos);  // false-alarm tiles
  EXPECT_NE(html.find("<td>well 23</td>"), std::string::npos);  // per well
}

}  // namespace
