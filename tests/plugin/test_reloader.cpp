// wellmonitor's reloader on its own (plugin/wellmonitor/reloader.h): a model or
// layout asked for while running is loaded on its own thread and handed over
// once; a file that cannot be used is refused, saying why, and the old one
// kept; and the checks the element makes when it starts.
#include "reloader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace wm = wellmonitor;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kModel = kSource + "/models/default.wmm";
const std::string kWells = kSource + "/pipelines/casting-table.wells.txt";
constexpr int kWaitMs = 60000;

struct Report {
  wm::ReloadKind kind = wm::ReloadKind::kModel;
  std::string path, why, kept;
  bool superseded = false;
  bool refused = false;
};

// A reloader started as the element starts it, recording what it reports.
class Reloader : public ::testing::Test {
 protected:
  void SetUp() override {
    wm::Reloader::Callbacks c;
    c.refused = [this](wm::ReloadKind kind, const std::string& path, const std::string& why,
                       const std::string& kept, bool superseded) {
      std::lock_guard<std::mutex> l(lock_);
      reports_.push_back({kind, path, why, kept, superseded, true});
    };
    c.loaded = [this](wm::ReloadKind kind, const std::string& path, bool superseded) {
      std::lock_guard<std::mutex> l(lock_);
      reports_.push_back({kind, path, "", "", superseded, false});
    };
    reloader_.set_callbacks(c);
    wm::ScorerOptions options;
    options.device = "cpu";
    options.threads = 1;
    reloader_.begin("start.wmm", "start.wells", options);
    dir_ = fs::temp_directory_path() / ("reloader-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    reloader_.stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::vector<Report> reports() {
    std::lock_guard<std::mutex> l(lock_);
    return reports_;
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }

  wm::Reloader reloader_;
  fs::path dir_;
  std::mutex lock_;
  std::vector<Report> reports_;
};

}  // namespace

TEST_F(Reloader, ALayoutAskedForIsLoadedAndHandedOverOnce) {
  reloader_.request(wm::ReloadKind::kWells, kWells);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  std::unique_ptr<wm::Scorer> scorer;
  std::unique_ptr<wm::WellLayout> layout;
  ASSERT_TRUE(reloader_.take(scorer, layout));
  EXPECT_EQ(scorer, nullptr);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(layout->origin, kWells);
  EXPECT_EQ(layout->wells.size(), 42u);
  EXPECT_FALSE(reloader_.take(scorer, layout)) << "handed over once";
  const auto r = reports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].refused);
  EXPECT_EQ(r[0].path, kWells);
  EXPECT_FALSE(r[0].superseded);
}

TEST_F(Reloader, ANewModelOpensOnTheDeviceTheElementStartedWith) {
  reloader_.request(wm::ReloadKind::kModel, kModel);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  std::unique_ptr<wm::Scorer> scorer;
  std::unique_ptr<wm::WellLayout> layout;
  ASSERT_TRUE(reloader_.take(scorer, layout));
  ASSERT_NE(scorer, nullptr);
  EXPECT_EQ(layout, nullptr);
  EXPECT_EQ(scorer->device_name(), "cpu");
  EXPECT_EQ(scorer->info().threads, 1);
  EXPECT_EQ(scorer->info().path, kModel);
}

TEST_F(Reloader, AMissingFileIsRefusedAndTheOldOneKept) {
  reloader_.request(wm::ReloadKind::kModel, "/nonexistent/new.wmm");
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  const auto r = reports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].refused);
  EXPECT_EQ(r[0].kind, wm::ReloadKind::kModel);
  EXPECT_EQ(r[0].path, "/nonexistent/new.wmm");
  EXPECT_EQ(r[0].why, "the file does not exist");
  EXPECT_EQ(r[0].kept, "start.wmm");
  EXPECT_FALSE(r[0].superseded);
  std::unique_ptr<wm::Scorer> scorer;
  std::unique_ptr<wm::WellLayout> layout;
  EXPECT_FALSE(reloader_.take(scorer, layout));
}

TEST_F(Reloader, ABrokenLayoutIsRefusedNamingTheLine) {
  const std::string bad = write("bad.wells", "reference 100 100\nwell a 0 0 10\n");
  reloader_.request(wm::ReloadKind::kWells, bad);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  const auto r = reports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].refused);
  EXPECT_EQ(r[0].kept, "start.wells");
  EXPECT_FALSE(r[0].why.empty());
  EXPECT_NE(r[0].why.find(":2"), std::string::npos) << "names the line: " << r[0].why;
}

TEST_F(Reloader, ALayoutWithoutWellsIsRefused) {
  const std::string empty = write("empty.wells", "reference 100 100\n");
  reloader_.request(wm::ReloadKind::kWells, empty);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  const auto r = reports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].refused);
  EXPECT_NE(r[0].why.find("no wells"), std::string::npos) << r[0].why;
  EXPECT_EQ(r[0].kept, "start.wells");
}

TEST_F(Reloader, ALayoutTheStreamRefusedIsNotKeptByALaterRefusal) {
  reloader_.request(wm::ReloadKind::kWells, kWells);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  std::unique_ptr<wm::Scorer> scorer;
  std::unique_ptr<wm::WellLayout> layout;
  ASSERT_TRUE(reloader_.take(scorer, layout));
  // its wells did not fit the stream: the element keeps start.wells
  reloader_.refuse_wells(kWells, "start.wells");
  reloader_.request(wm::ReloadKind::kWells, "");
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  const auto r = reports();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[1].refused);
  EXPECT_EQ(r[1].why, "no file given");
  EXPECT_EQ(r[1].kept, "start.wells");
}

TEST_F(Reloader, StopForgetsWhatWasLoadedAndNotTaken) {
  reloader_.request(wm::ReloadKind::kWells, kWells);
  ASSERT_TRUE(reloader_.wait_idle(kWaitMs));
  reloader_.stop();
  std::unique_ptr<wm::Scorer> scorer;
  std::unique_ptr<wm::WellLayout> layout;
  EXPECT_FALSE(reloader_.take(scorer, layout));
}

TEST(ReloaderOpen, SaysWhichPropertyIsMissingOrWhichFileIsAbsent) {
  wm::WellLayout layout;
  wm::OpenError e = wm::open_layout("", layout);
  EXPECT_EQ(e.kind, wm::OpenError::kNotFound);
  EXPECT_EQ(e.message, "No well layout: set the 'wells' property to a layout file.");
  e = wm::open_layout("/nonexistent/x.wells", layout);
  EXPECT_EQ(e.kind, wm::OpenError::kNotFound);
  EXPECT_EQ(e.message, "Well layout file '/nonexistent/x.wells' does not exist.");
  std::unique_ptr<wm::Scorer> scorer;
  e = wm::open_model("/nonexistent/m.wmm", {}, scorer);
  EXPECT_EQ(e.kind, wm::OpenError::kNotFound);
  EXPECT_EQ(e.message, "Model file '/nonexistent/m.wmm' does not exist.");
  EXPECT_NE(e.details.find("default.wmm"), std::string::npos) << "says where the default model is";
  EXPECT_EQ(scorer, nullptr);
}

TEST(ReloaderOpen, OpensTheLayoutAndTheModelTheElementStartsWith) {
  wm::WellLayout layout;
  EXPECT_EQ(wm::open_layout(kWells, layout).kind, wm::OpenError::kNone);
  EXPECT_EQ(layout.wells.size(), 42u);
  std::unique_ptr<wm::Scorer> scorer;
  wm::ScorerOptions options;
  options.device = "cpu";
  options.threads = 1;
  EXPECT_EQ(wm::open_model(kModel, options, scorer).kind, wm::OpenError::kNone);
  ASSERT_NE(scorer, nullptr);
  EXPECT_GT(scorer->threshold(), 0.0);
}
