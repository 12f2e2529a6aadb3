// Shadow mode's parts without a pipeline (runner/shadow.h, runner/shadow_report.h):
// the folder check, the records, the time watched, which segments make a clip,
// a person's labels and missed spills, and the acceptance report's figures.

#include "shadow.h"
#include "shadow_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <tuple>

namespace fs = std::filesystem;
using namespace wellmonitor::run;

namespace {

constexpr int64_t kS = 1'000'000'000;

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("wellmonitor-shadow-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

ShadowAlarm alarm(const std::string& well, int64_t wall_ms, double score = 0.9) {
  ShadowAlarm a;
  a.well = well;
  a.camera = "table1";
  a.wall_ms = wall_ms;
  a.id = shadow_alarm_id(well, wall_ms);
  a.score = score;
  a.threshold = 0.1365;
  a.crop = "crops/" + a.id + ".png";
  a.snapshot = "snapshots/" + a.id + ".jpg";
  a.clip = "clips/" + a.id + ".ts";
  return a;
}

ShadowRun run_of(double hours, const std::string& alarm_frames = "5") {
  ShadowRun r;
  r.id = "r" + std::to_string(hours);
  r.camera = "table1";
  r.watched_s = hours * 3600;
  r.finished = true;
  r.model = "/usr/share/wellmonitor/default.wmm";
  r.threshold = 0.1365;
  r.monitor = {{"alarm-frames", alarm_frames}, {"clear-frames", "5"}, {"interval", "1"}, {"qos", "true"}};
  r.wells = {"r1w1", "r1w4", "r2w9"};
  r.colour_matrix = "the stream does not say its colour matrix: read as BT.601 (--colour-matrix auto)";
  return r;
}

std::string crop_of(const ShadowAlarm& a) { return fs::path(a.crop).filename().string(); }

}  // namespace

TEST(ShadowDir, AMissingOrUnwritableFolderIsOneLineAndAGoodOneGetsItsSubfolders) {
  const fs::path d = temp_dir("dir");
  EXPECT_EQ(prepare_shadow_dir((d / "nope").string()),
            "the shadow folder '" + (d / "nope").string() + "' does not exist (create it first)");
  std::ofstream(d / "file") << "x";
  EXPECT_EQ(prepare_shadow_dir((d / "file").string()), "the shadow folder '" + (d / "file").string() + "' is not a folder");
  EXPECT_EQ(prepare_shadow_dir(d.string()), "");
  for (const char* sub : {"crops", "snapshots", "clips", "runs"}) EXPECT_TRUE(fs::is_directory(d / sub)) << sub;
  if (::geteuid() != 0) {  // root writes anywhere
    fs::create_directories(d / "ro");
    ::chmod((d / "ro").c_str(), 0555);
    EXPECT_EQ(prepare_shadow_dir((d / "ro").string()), "cannot write into the shadow folder '" + (d / "ro").string() + "'");
  }
  fs::remove_all(d);
}

TEST(ShadowRecords, AnAlarmAndARunSurviveTheirFilesAndATornLineIsNoAlarm) {
  ShadowAlarm a = alarm("r2w9", 1796128988363);
  a.stream_time_s = 14.0;
  a.frame = 168;
  a.x = 10, a.y = 20, a.width = 50, a.height = 29;
  EXPECT_EQ(a.id.rfind("r2w9_", 0), 0u) << a.id;  // the review page groups by the part before '_'
  const std::string line = to_json_line(a);
  EXPECT_EQ(line.back(), '\n');
  const auto back = shadow_alarm_from_json(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, a.id);
  EXPECT_EQ(back->well, "r2w9");
  EXPECT_EQ(back->frame, 168u);
  EXPECT_DOUBLE_EQ(back->stream_time_s, 14.0);
  EXPECT_EQ(back->height, 29);
  EXPECT_EQ(back->crop, a.crop);
  EXPECT_FALSE(shadow_alarm_from_json(line.substr(0, line.size() / 2)));
  EXPECT_EQ(scores_csv_line(a), crop_of(a) + ",r2w9,0.900000\n");

  const ShadowRun r = run_of(2.5);
  const ShadowRun r2 = shadow_run_from_json(to_json(r), "x.json");
  EXPECT_DOUBLE_EQ(r2.watched_s, 9000);
  EXPECT_EQ(r2.monitor.at("alarm-frames"), "5");
  EXPECT_EQ(r2.wells.size(), 3u);
  EXPECT_EQ(r2.colour_matrix, r.colour_matrix);
  EXPECT_DOUBLE_EQ(r2.threshold, 0.1365);
  EXPECT_THROW(shadow_run_from_json("{}", "runs/x.json"), std::runtime_error);
}

TEST(WatchClock, CountsTheVideoBetweenFramesButNotAGapOrAJumpBack) {
  WatchClock w(2.0);
  for (int i = 0; i <= 12; ++i) w.frame(i * kS / 12);  // one second at 12 fps
  EXPECT_NEAR(w.watched_s(), 1.0, 1e-9);
  w.frame(60 * kS);  // a camera lost for a minute: nothing
  w.frame(60 * kS + kS / 2);
  EXPECT_NEAR(w.watched_s(), 1.5, 1e-9);
  w.frame(kS);  // a jump back (a seek): nothing
  w.frame(kS + kS / 4);
  EXPECT_NEAR(w.watched_s(), 1.75, 1e-9);
}

TEST(ClipPlanner, AClipIsTheSegmentsAroundTheAlarmOnceTheyAreClosed) {
  ClipPlanner p(2.0, 4.0);
  EXPECT_TRUE(p.segment_opened("s0", 0).empty());
  EXPECT_TRUE(p.segment_opened("s1", 3 * kS).empty());
  p.alarm("a", 4 * kS);  // wants 2 s to 8 s: s0 (0-3), s1 (3-6), s2 (6-9)
  EXPECT_TRUE(p.segment_opened("s2", 6 * kS).empty());
  const auto ready = p.segment_opened("s3", 9 * kS);  // s2 closed, 8 s is in it
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].alarm_id, "a");
  EXPECT_EQ(ready[0].segments, (std::vector<std::string>{"s0", "s1", "s2"}));
  // an alarm near the end of a run: its clip is made at the end with what there is
  p.alarm("b", 10 * kS);  // wants 8 s to 14 s: s2 (6-9), s3 (9-12), s4 (12-)
  EXPECT_TRUE(p.segment_opened("s4", 12 * kS).empty());
  const auto last = p.finish();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].segments, (std::vector<std::string>{"s2", "s3", "s4"}));
  EXPECT_TRUE(p.finish().empty());
}

TEST(ShadowLabels, TheReviewExportIsReadAndABadLineNamesItsPlace) {
  const auto labels = parse_labels(
      "# labels from wellmonitor review: <file> <0|1>, 1 = spill; 2 of 2 crops looked at\n"
      "r1w4_20261207-010203-004.png 1\n\nsub/r2w9_20261207-010204-005.png 0\n",
      "labels.txt");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_TRUE(labels.at("r1w4_20261207-010203-004.png"));
  EXPECT_FALSE(labels.at("r2w9_20261207-010204-005.png"));
  try {
    parse_labels("a.png 1\nb.png yes\n", "labels.txt");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "labels.txt:2: expected '<crop file> <0|1>', got 'b.png yes'");
  }
}

TEST(ShadowMissed, ClockTimesAndRecordingSecondsAreReadAndAWellOutsideTheLayoutIsRefused) {
  const std::vector<std::string> wells = {"r1w1", "r1w4", "r2w9"};
  const auto m = parse_missed(
      "# missed spills\nr1w4 2026-12-07T01:23:45 cracked at the rim\nr2w9 01:30\nr1w1 754.2s\n", "missed.txt", wells);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].well, "r1w4");
  EXPECT_EQ(m[0].time, "2026-12-07T01:23:45");
  EXPECT_EQ(m[0].note, "cracked at the rim");
  EXPECT_EQ(m[2].time, "754.2s");
  EXPECT_EQ(m[2].line, 4);
  const auto error_of = [&](const std::string& text) {
    try {
      parse_missed(text, "missed.txt", wells);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("r9w9 01:00\n"), "missed.txt:1: well 'r9w9' is not in the layout (r1w1 ... r2w9)");
  EXPECT_EQ(error_of("r1w4\n"), "missed.txt:1: expected 'WELL TIME [note]', got 'r1w4'");
  EXPECT_NE(error_of("r1w4 yesterday\n").find("missed.txt:1: time 'yesterday' is neither"), std::string::npos);
}

TEST(AcceptanceReport, CountsPerShiftTheLabelsTheMissedAndTheSettingsInForce) {
  // 16 h in two runs (two 8-h shifts); 5 alarms: 3 real, 1 false, 1 not labelled; 1 missed
  const std::vector<ShadowRun> runs = {run_of(10), run_of(6)};
  std::vector<ShadowAlarm> alarms;
  for (int i = 0; i < 5; ++i) alarms.push_back(alarm(i == 3 ? "r2w9" : "r1w4", 1796128988000 + i * 60000));
  const std::map<std::string, bool> labels = {{crop_of(alarms[0]), true},  {crop_of(alarms[1]), true},
                                              {crop_of(alarms[2]), true},  {crop_of(alarms[3]), false},
                                              {"r1w1_not-an-alarm.png", false}};
  const std::vector<MissedSpill> missed = {{"r1w1", "01:23:45", "", 1}};
  const AcceptanceReport r = make_report("DIR", runs, alarms, labels, missed, ReportCriteria{8, 1});
  EXPECT_DOUBLE_EQ(r.watched_s, 16 * 3600);
  EXPECT_DOUBLE_EQ(r.shifts(), 2);
  EXPECT_EQ(r.alarms.size(), 5u);
  EXPECT_DOUBLE_EQ(r.per_shift(r.alarms.size()), 2.5);
  EXPECT_EQ(r.marked_true, 3);
  EXPECT_EQ(r.marked_false, 1);
  EXPECT_EQ(r.unlabelled, 1);
  EXPECT_DOUBLE_EQ(r.per_shift(r.marked_false), 0.5);
  EXPECT_DOUBLE_EQ(r.detection(), 0.75);
  ASSERT_EQ(r.settings.size(), 1u);
  EXPECT_EQ(r.settings[0].threshold, "0.1365");
  EXPECT_EQ(r.settings[0].rule, "alarm-frames=5 clear-frames=5 interval=1");
  EXPECT_EQ(r.settings[0].runs, 2);
  EXPECT_EQ(r.settings[0].colour_matrix, run_of(1).colour_matrix);
  EXPECT_FALSE(r.accepted());
  EXPECT_EQ(r.verdict_reasons(), (std::vector<std::string>{"1 alarm(s) not labelled yet", "1 spill(s) missed"}));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "1 label(s) name no alarm's crop (left out)");
  // no clip was written in DIR: none is claimed
  EXPECT_TRUE(r.alarms[0].alarm.clip.empty());

  const auto j = nlohmann::json::parse(report_json(r));
  EXPECT_EQ(j["alarms"], 5);
  EXPECT_EQ(j["marked_false"], 1);
  EXPECT_EQ(j["missed"], 1);
  EXPECT_DOUBLE_EQ(j["false_per_shift"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["watched_hours"].get<double>(), 16);
  EXPECT_EQ(j["criteria"]["shift_hours"], 8.0);
  EXPECT_EQ(j["alarm_list"][3]["label"], "false");
  EXPECT_TRUE(j["alarm_list"][4]["label"].is_null());
  const std::string md = report_markdown(r);
  EXPECT_NE(md.find("**NOT ACCEPTED**: 1 alarm(s) not labelled yet; 1 spill(s) missed (criteria: at least 8.00 h watched,"), std::string::npos) << md;
  EXPECT_NE(md.find("| shift | 8.0 h (assumed; --shift-hours): 2.00 shift(s) watched |"), std::string::npos) << md;
  EXPECT_NE(md.find("| marked false by a person | 1 (0.50 per shift) |"), std::string::npos) << md;
  EXPECT_NE(md.find("- r1w1 at 01:23:45"), std::string::npos) << md;
  EXPECT_NE(md.find("| alarm-frames=5 clear-frames=5 interval=1 | the stream does not say its colour matrix: read as "
                    "BT.601 (--colour-matrix auto) | 2 |"),
            std::string::npos)
      << md;
  EXPECT_EQ(j["settings"][0]["colour_matrix"], run_of(1).colour_matrix);

  // all labelled, nothing missed, within the false alarms a plant accepts: accepted;
  // another rule in one of the runs: not (the figures mix two settings)
  const std::map<std::string, bool> all = {{crop_of(alarms[0]), true}, {crop_of(alarms[1]), true},
                                           {crop_of(alarms[2]), true}, {crop_of(alarms[3]), false},
                                           {crop_of(alarms[4]), true}};
  EXPECT_TRUE(make_report("DIR", runs, alarms, all, {}, ReportCriteria{8, 1}).accepted());
  // too little video for a verdict: a shift unless the plant asks for more or less
  const AcceptanceReport short_run = make_report("DIR", {run_of(6)}, alarms, all, {}, ReportCriteria{8, 10});
  EXPECT_EQ(short_run.verdict_reasons(), std::vector<std::string>{"watched 6.00 h, less than the 8.00 h asked (--min-hours)"});
  EXPECT_TRUE(make_report("DIR", {run_of(6)}, alarms, all, {}, ReportCriteria{8, 10, 4}).accepted());
  EXPECT_FALSE(make_report("DIR", runs, alarms, all, {}, ReportCriteria{8, 0.25}).accepted());
  const AcceptanceReport two = make_report("DIR", {run_of(10), run_of(6, "8")}, alarms, all, {}, ReportCriteria{});
  EXPECT_EQ(two.settings.size(), 2u);
  EXPECT_FALSE(two.accepted());
  // the same rule, the stream read with another matrix: two settings too
  ShadowRun said = run_of(6);
  said.colour_matrix = "the stream says its colour matrix: BT.709";
  EXPECT_EQ(make_report("DIR", {run_of(10), said}, alarms, all, {}, ReportCriteria{}).settings.size(), 2u);
}

TEST(ShadowReportCommand, WritesMarkdownAndJsonAndRefusesAFolderWithoutARunInOneLine) {
  const fs::path d = temp_dir("report");
  std::string out, err;
  EXPECT_EQ(run_shadow_report({(d / "none").string()}, "wellmonitor-run", out, err), 2);
  EXPECT_EQ(err, "wellmonitor-run shadow-report: error: no shadow folder '" + (d / "none").string() + "'\n");
  err.clear();
  EXPECT_EQ(run_shadow_report({d.string()}, "wellmonitor-run", out, err), 2);
  EXPECT_NE(err.find("holds no shadow run"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  ASSERT_EQ(prepare_shadow_dir(d.string()), "");
  std::ofstream(d / "runs" / "r1.json") << to_json(run_of(4));
  const ShadowAlarm a = alarm("r1w4", 1796128988000);
  std::ofstream(d / "alarms.jsonl") << to_json_line(a) << "{\"torn";
  std::ofstream(d / "labels.txt") << crop_of(a) << " 0\n";
  std::ofstream(d / "missed.txt") << "r2w9 754s\n";
  out.clear();
  err.clear();
  ASSERT_EQ(run_shadow_report({d.string(), "--shift-hours", "12"}, "wellmonitor-run", out, err), 0) << err;
  const auto j = nlohmann::json::parse(std::ifstream(d / "acceptance-report.json"));
  EXPECT_EQ(j["alarms"], 1);
  EXPECT_EQ(j["marked_false"], 1);
  EXPECT_EQ(j["missed"], 1);
  EXPECT_DOUBLE_EQ(j["shifts"].get<double>(), 4.0 / 12);
  EXPECT_TRUE(fs::exists(d / "acceptance-report.md"));
  EXPECT_NE(out.find("wrote " + (d / "acceptance-report").string() + ".md"), std::string::npos) << out;

  std::ofstream(d / "missed.txt") << "r7w7 754s\n";
  err.clear();
  EXPECT_EQ(run_shadow_report({d.string()}, "wellmonitor-run", out, err), 1);
  EXPECT_EQ(err, "wellmonitor-run shadow-report: error: " + (d / "missed.txt").string() +
                     ":1: well 'r7w7' is not in the layout (r1w1 ... r2w9)\n");
  fs::remove_all(d);
}

// ------------------------------------------------- what a higher threshold keeps

// 12 frames a second, an alarm time of 0.75 s: a run of 9 frames (each stands
// for 1/12 s; the element allows a quarter of a frame).
TEST(HeldLevel, TheHighestScoreHeldForTheAlarmTimeCountedAsTheElementCounts) {
  const auto frames = [](const std::vector<double>& scores) {
    std::vector<std::pair<double, double>> f;
    for (size_t i = 0; i < scores.size(); ++i) f.emplace_back(10.0 + i / 12.0, scores[i]);
    return f;
  };
  std::vector<double> nine(20, 0.5);
  for (int i = 0; i < 5; ++i) nine[i] = 0.2;
  for (int i = 5; i < 14; ++i) nine[i] = 0.9;  // 9 frames at 0.9
  EXPECT_DOUBLE_EQ(held_level(frames(nine), 0.75), 0.9);
  std::vector<double> eight = nine;
  eight[13] = 0.5;  // 8 frames at 0.9: every run of 9 holds 0.5 at best
  EXPECT_DOUBLE_EQ(held_level(frames(eight), 0.75), 0.5);
  EXPECT_DOUBLE_EQ(held_level(frames(eight), 0.5), 0.9) << "0.5 s: 6 frames";
  EXPECT_DOUBLE_EQ(held_level(frames(eight), 0, 5), 0.9) << "alarm-frames=5";
  EXPECT_DOUBLE_EQ(held_level(frames(eight), 0, 9), 0.5) << "alarm-frames=9";
  EXPECT_DOUBLE_EQ(held_level(frames({0.7, 0.4, 0.8}), 0.75), 0.4) << "too few frames: the lowest";
  EXPECT_DOUBLE_EQ(held_level({}, 0.75), 0);
}

TEST(HeldLevel, EachAlarmGetsTheLevelOfItsWellFromTheAlarmTimeBeforeItUntilItClears) {
  HeldLevels levels(0.75, 0);
  std::vector<HeldLevels::Level> got;
  // well 3: normal for 5 s, then 0.6 for 1 s (the alarm raised at its 9th
  // frame), 0.95 for 0.5 s, cleared at 0.01; well 4 never alarms
  int frame = 0;
  const auto push = [&](int well, double score, bool alarm, const std::string& id = "") {
    if (auto l = levels.frame(well, frame / 12.0, score, alarm, id)) got.push_back(*l);
  };
  for (; frame < 60; ++frame) push(3, 0.01, false), push(4, 0.02, false);
  for (int i = 0; i < 12; ++i, ++frame) push(3, 0.6, i >= 8, i == 8 ? "A" : ""), push(4, 0.02, false);
  for (int i = 0; i < 6; ++i, ++frame) push(3, 0.95, true);
  EXPECT_TRUE(got.empty()) << "still in alarm";
  push(3, 0.01, false);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].alarm_id, "A");
  EXPECT_DOUBLE_EQ(got[0].held, 0.6) << "the 0.95 lasted 6 frames only";
  EXPECT_DOUBLE_EQ(got[0].peak, 0.95);
  // an alarm open when the run ends
  ++frame;
  for (int i = 0; i < 10; ++i, ++frame) push(4, 0.8, i >= 8, i == 8 ? "B" : "");
  const auto open = levels.finish();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].alarm_id, "B");
  EXPECT_DOUBLE_EQ(open[0].held, 0.8);
  // the record reads back; a torn line is none
  const auto back = held_level_from_json(to_json_line(got[0]));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->alarm_id, "A");
  EXPECT_DOUBLE_EQ(back->held, 0.6);
  EXPECT_FALSE(held_level_from_json("{\"id\": \"A\", \"he").has_value());
}

TEST(AcceptanceReport, SaysWhatAHigherThresholdWouldHaveKeptFromTheLabelledAlarmsLevels) {
  std::vector<ShadowAlarm> alarms;
  const double held[] = {0.9, 0.6, 0.2, 0.3, 0.5};  // real, real, false, false, not labelled
  std::map<std::string, bool> labels;
  std::map<std::string, double> levels;
  for (int i = 0; i < 5; ++i) {
    alarms.push_back(alarm("r1w4", 1796128988000 + i * 60000));
    levels[alarms.back().id] = held[i];
    if (i < 4) labels[crop_of(alarms.back())] = i < 2;
  }
  const AcceptanceReport r = make_report("DIR", {run_of(8)}, alarms, labels, {}, ReportCriteria{8, 1}, levels);
  EXPECT_DOUBLE_EQ(r.threshold_in_force(), 0.1365);
  EXPECT_DOUBLE_EQ(r.lowest_real_level(), 0.6);
  EXPECT_DOUBLE_EQ(r.highest_false_level(), 0.3);
  const auto options = r.threshold_options();
  ASSERT_EQ(options.size(), 5u);
  const std::vector<std::tuple<double, std::string, int, int>> expected = {
      {0.1365, "in force", 2, 2}, {0.170625, "x 1.25", 2, 2}, {0.20475, "x 1.50", 1, 2},
      {0.273, "x 2.00", 1, 2},    {0.45, "between the levels", 0, 2}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(options[i].threshold, std::get<0>(expected[i]), 1e-9) << i;
    EXPECT_EQ(options[i].what, std::get<1>(expected[i]));
    EXPECT_EQ(options[i].false_left, std::get<2>(expected[i])) << options[i].what;
    EXPECT_EQ(options[i].real_kept, std::get<3>(expected[i])) << options[i].what;
  }
  const std::string md = report_markdown(r);
  EXPECT_NE(md.find("| 0.4500 (between the levels) | 0 of 2 | 0.00 | 2 of 2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("Every alarm marked real held at least 0.6000, every one marked false at most 0.3000"),
            std::string::npos)
      << md;
  const nlohmann::json j = nlohmann::json::parse(report_json(r));
  EXPECT_EQ(j["threshold_options"].size(), 5u);
  EXPECT_DOUBLE_EQ(j["lowest_real_level"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(j["alarm_list"][4]["held_level"].get<double>(), 0.5);

  // a false alarm over a real spill: the levels overlap, no separating threshold
  levels[alarms[3].id] = 0.7;
  const AcceptanceReport overlap = make_report("DIR", {run_of(8)}, alarms, labels, {}, ReportCriteria{8, 1}, levels);
  EXPECT_EQ(overlap.threshold_options().size(), 4u);
  EXPECT_NE(report_markdown(overlap).find("The levels overlap"), std::string::npos);
  // only real spills labelled: the weakest one's level
  std::map<std::string, bool> real_only = {{crop_of(alarms[0]), true}, {crop_of(alarms[1]), true}};
  EXPECT_NE(report_markdown(make_report("DIR", {run_of(8)}, alarms, real_only, {}, ReportCriteria{8, 1}, levels))
                .find("The weakest real spill held 0.6000: a threshold at or over it would have missed it."),
            std::string::npos);
  // a real spill whose run was killed before it cleared: no level, out of every count
  std::map<std::string, double> partial = levels;
  partial.erase(alarms[1].id);
  const AcceptanceReport killed = make_report("DIR", {run_of(8)}, alarms, labels, {}, ReportCriteria{8, 1}, partial);
  EXPECT_EQ(killed.threshold_options().front().real_kept, 1);
  EXPECT_EQ(killed.threshold_options().front().real_total, 1);
  const std::string killed_md = report_markdown(killed);
  EXPECT_NE(killed_md.find("| 0.1365 (in force) | 2 of 2 | 2.00 | 1 of 1 |"), std::string::npos) << killed_md;
  EXPECT_NE(killed_md.find("1 labelled alarm(s) have no level"), std::string::npos);
  // two settings: said, not silently left out
  const AcceptanceReport two = make_report("DIR", {run_of(8), run_of(8, "8")}, alarms, labels, {}, ReportCriteria{8, 1},
                                           levels);
  EXPECT_TRUE(two.threshold_options().empty());
  EXPECT_NE(report_markdown(two).find("Not worked out: the runs had 2 different settings"), std::string::npos);
  // a run killed within its first minute: no time recorded, said so, rates unknown
  ShadowRun brief = run_of(0);
  brief.finished = false;
  const AcceptanceReport none = make_report("DIR", {brief}, alarms, labels, {}, ReportCriteria{8, 1, 0}, levels);
  EXPECT_EQ(none.verdict_reasons().front(),
            "no video time recorded (a run records its time every minute: one killed within its first minute has none)");
  EXPECT_NE(report_markdown(none).find("| alarms it would have raised | 5 (unknown per shift) |"), std::string::npos)
      << report_markdown(none);
  EXPECT_TRUE(nlohmann::json::parse(report_json(none))["alarms_per_shift"].is_null());
  // no levels recorded (an older shadow folder): no such section
  EXPECT_TRUE(make_report("DIR", {run_of(8)}, alarms, labels, {}, ReportCriteria{8, 1}).threshold_options().empty());
}
