#include "shadow_report.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;
using nlohmann::json;

namespace wellmonitor::run {

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Calls `f(line, number)` for each line of `text` that is neither blank nor a '#' comment, trimmed.
template <typename F>
void for_each_line(const std::string& text, F f) {
  std::istringstream in(text);
  int n = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++n;
    const std::string line = trim(raw);
    if (!line.empty() && line[0] != '#') f(line, n);
  }
}

}  // namespace

std::map<std::string, bool> parse_labels(const std::string& text, const std::string& source) {
  std::map<std::string, bool> labels;
  for_each_line(text, [&](const std::string& line, int n) {
    const size_t sp = line.find_last_of(" \t");
    const std::string file = sp == std::string::npos ? "" : trim(line.substr(0, sp));
    const std::string value = sp == std::string::npos ? line : line.substr(sp + 1);
    if (file.empty() || (value != "0" && value != "1"))
      throw std::runtime_error(source + ":" + std::to_string(n) + ": expected '<crop file> <0|1>', got '" + line + "'");
    labels[fs::path(file).filename().string()] = value == "1";
  });
  return labels;
}

std::vector<MissedSpill> parse_missed(const std::string& text, const std::string& source,
                                      const std::vector<std::string>& wells) {
  static const std::regex clock(R"(^(\d{4}-\d{2}-\d{2}[T ])?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$)");
  static const std::regex seconds(R"(^\d+(\.\d+)?s?$)");
  std::vector<MissedSpill> out;
  for_each_line(text, [&](const std::string& line, int n) {
    std::istringstream words(line);
    MissedSpill m;
    m.line = n;
    words >> m.well >> m.time;
    std::getline(words, m.note);
    m.note = trim(m.note);
    const std::string where = source + ":" + std::to_string(n) + ": ";
    if (m.time.empty()) throw std::runtime_error(where + "expected 'WELL TIME [note]', got '" + line + "'");
    if (!std::regex_match(m.time, clock) && !std::regex_match(m.time, seconds))
      throw std::runtime_error(where + "time '" + m.time +
                               "' is neither a clock time (2026-12-07T01:23:45, 01:23:45) nor seconds into the "
                               "recording (754.2s)");
    if (!wells.empty() && std::find(wells.begin(), wells.end(), m.well) == wells.end())
      throw std::runtime_error(where + "well '" + m.well + "' is not in the layout (" + wells.front() + " ... " +
                               wells.back() + ")");
    out.push_back(m);
  });
  return out;
}

double AcceptanceReport::detection() const {
  const int known = marked_true + static_cast<int>(missed.size());
  return known > 0 ? static_cast<double>(marked_true) / known : -1;
}

std::vector<std::string> AcceptanceReport::verdict_reasons() const {
  std::vector<std::string> why;
  if (watched_s <= 0)
    why.push_back("no video time recorded (a run records its time every minute: one killed within its first "
                  "minute has none)");
  else if (watched_s < criteria.required_hours() * 3600)
    why.push_back("watched " + fixed(watched_s / 3600, 2) + " h, less than the " + fixed(criteria.required_hours(), 2) +
                  " h asked (--min-hours)");
  if (unlabelled > 0) why.push_back(std::to_string(unlabelled) + " alarm(s) not labelled yet");
  if (per_shift(marked_false) > criteria.max_false_per_shift)
    why.push_back(fixed(per_shift(marked_false), 2) + " false alarms per shift, more than " +
                  fixed(criteria.max_false_per_shift, 2));
  if (!missed.empty()) why.push_back(std::to_string(missed.size()) + " spill(s) missed");
  if (settings.size() > 1) why.push_back("the runs had " + std::to_string(settings.size()) + " different settings");
  return why;
}

bool AcceptanceReport::accepted() const { return verdict_reasons().empty(); }

double AcceptanceReport::threshold_in_force() const {
  if (settings.size() != 1 || alarms.empty()) return -1;
  return alarms.front().alarm.threshold;
}

double AcceptanceReport::lowest_real_level() const {
  double low = -1;
  for (const Row& row : alarms)
    if (row.label == 1 && row.held >= 0 && (low < 0 || row.held < low)) low = row.held;
  return low;
}

double AcceptanceReport::highest_false_level() const {
  double high = -1;
  for (const Row& row : alarms)
    if (row.label == 0 && row.held >= 0) high = std::max(high, row.held);
  return high;
}

int AcceptanceReport::labelled_without_level() const {
  int n = 0;
  for (const Row& row : alarms) n += row.label >= 0 && row.held < 0 ? 1 : 0;
  return n;
}

std::vector<AcceptanceReport::ThresholdOption> AcceptanceReport::threshold_options() const {
  std::vector<ThresholdOption> out;
  const double t = threshold_in_force();
  if (t <= 0 || (lowest_real_level() < 0 && highest_false_level() < 0)) return out;
  const auto option = [&](double threshold, const std::string& what) {
    ThresholdOption o{threshold, what, 0, 0, 0, 0};
    for (const Row& row : alarms) {
      if (row.held < 0) continue;  // no level: left out of every count
      if (row.label == 0) ++o.false_total;
      if (row.label == 1) ++o.real_total;
      if (row.held <= threshold) continue;  // an alarm needs the score over the threshold
      if (row.label == 0) ++o.false_left;
      if (row.label == 1) ++o.real_kept;
    }
    out.push_back(o);
  };
  option(t, "in force");
  for (const double k : {1.25, 1.5, 2.0}) option(t * k, "x " + fixed(k, 2));
  const double real = lowest_real_level(), falsely = highest_false_level();
  if (real >= 0 && falsely >= 0 && falsely < real && falsely >= t) option((real + falsely) / 2, "between the levels");
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.threshold < b.threshold; });
  return out;
}

AcceptanceReport make_report(const std::string& dir, const std::vector<ShadowRun>& runs,
                             const std::vector<ShadowAlarm>& alarms, const std::map<std::string, bool>& labels,
                             const std::vector<MissedSpill>& missed, const ReportCriteria& criteria,
                             const std::map<std::string, double>& levels) {
  AcceptanceReport r;
  r.criteria = criteria;
  r.dir = dir;
  std::set<std::string> cameras;
  for (const ShadowRun& run : runs) {
    ++r.runs;
    if (!run.finished) ++r.unfinished_runs;
    r.watched_s += run.watched_s;
    cameras.insert(run.camera);
    if (r.first_start.empty() || run.started < r.first_start) r.first_start = run.started;
    if (run.updated > r.last_update) r.last_update = run.updated;
    std::string rule;
    for (const auto& [k, v] : run.monitor)
      if (is_decision_setting(k) && k != "threshold") rule += (rule.empty() ? "" : " ") + k + "=" + v;
    const std::string threshold = run.threshold >= 0 ? fixed(run.threshold, 4) : "not seen";
    auto it = std::find_if(r.settings.begin(), r.settings.end(), [&](const AcceptanceReport::Setting& s) {
      return s.model == run.model && s.threshold == threshold && s.rule == rule && s.colour_matrix == run.colour_matrix;
    });
    if (it == r.settings.end())
      it = r.settings.insert(r.settings.end(), {run.model, threshold, rule, run.colour_matrix, 0, 0});
    ++it->runs;
    it->watched_s += run.watched_s;
  }
  r.cameras.assign(cameras.begin(), cameras.end());
  std::set<std::string> crops;
  for (const ShadowAlarm& a : alarms) {
    AcceptanceReport::Row row{a, -1, -1};
    if (const auto it = levels.find(a.id); it != levels.end()) row.held = it->second;
    // a clip is made once the recording around the alarm is closed: a run killed before has none
    if (!a.clip.empty() && !fs::exists(fs::path(dir) / a.clip)) row.alarm.clip.clear();
    const std::string crop = fs::path(a.crop).filename().string();
    crops.insert(crop);
    if (const auto it = labels.find(crop); it != labels.end()) row.label = it->second ? 1 : 0;
    (row.label == 1 ? r.marked_true : row.label == 0 ? r.marked_false : r.unlabelled)++;
    r.alarms.push_back(row);
  }
  std::sort(r.alarms.begin(), r.alarms.end(),
            [](const auto& a, const auto& b) { return a.alarm.wall_ms < b.alarm.wall_ms; });
  int strays = 0;
  for (const auto& [file, _] : labels) strays += crops.count(file) ? 0 : 1;
  if (strays > 0)
    r.notes.push_back(std::to_string(strays) + " label(s) name no alarm's crop (left out)");
  if (r.unfinished_runs > 0)
    r.notes.push_back(std::to_string(r.unfinished_runs) +
                      " run(s) did not finish cleanly (killed or still running): their time is counted up to their "
                      "last record, at most a minute short");
  r.missed = missed;
  return r;
}

namespace {

// "1.25", or "unknown" with no time watched
std::string per_shift_text(const AcceptanceReport& r, double n) {
  return r.shifts() > 0 ? fixed(r.per_shift(n), 2) : std::string("unknown");
}

}  // namespace

std::string report_markdown(const AcceptanceReport& r) {
  std::ostringstream m;
  const double hours = r.watched_s / 3600.0;
  m << "# Acceptance report: shadow run in " << r.dir << "\n\n";
  m << "**" << (r.accepted() ? "ACCEPTED" : "NOT ACCEPTED") << "**";
  if (!r.accepted()) {
    std::string why;
    for (const auto& w : r.verdict_reasons()) why += (why.empty() ? ": " : "; ") + w;
    m << why;
  }
  m << " (criteria: at least " << fixed(r.criteria.required_hours(), 2) << " h watched, at most "
    << fixed(r.criteria.max_false_per_shift, 2)
    << " false alarm(s) per shift, no missed spill, every alarm labelled, one setting throughout)\n\n";
  m << "| | |\n|---|---|\n";
  m << "| watched | " << fixed(hours, hours < 1 ? 4 : 2) << " h of video (" << fixed(r.watched_s / 60, 1) << " min) in "
    << r.runs << " run(s)"
    << (r.first_start.empty() ? "" : ", " + r.first_start + " to " + r.last_update) << " |\n";
  m << "| camera(s) | " << (r.cameras.empty() ? std::string("none") : [&] {
         std::string s;
         for (const auto& c : r.cameras) s += (s.empty() ? "" : ", ") + c;
         return s;
       }()) << " |\n";
  m << "| shift | " << fixed(r.criteria.shift_hours, 1) << " h (assumed; --shift-hours): " << fixed(r.shifts(), 2)
    << " shift(s) watched |\n";
  m << "| alarms it would have raised | " << r.alarms.size() << " (" << per_shift_text(r, r.alarms.size())
    << " per shift) |\n";
  m << "| marked real spill by a person | " << r.marked_true << " |\n";
  m << "| marked false by a person | " << r.marked_false << " (" << per_shift_text(r, r.marked_false)
    << " per shift) |\n";
  m << "| not labelled | " << r.unlabelled << " |\n";
  m << "| missed spills added by a person | " << r.missed.size() << " |\n";
  const double det = r.detection();
  m << "| spills caught | "
    << (det < 0 ? std::string("no spill known") : std::to_string(r.marked_true) + " of " +
                                                       std::to_string(r.marked_true + r.missed.size()))
    << " |\n\n";
  m << "## Model, threshold and decision rule in force\n\n| model | threshold | decision rule | colour matrix | runs | "
       "hours |\n|---|---|---|---|---|---|\n";
  for (const auto& s : r.settings)
    m << "| " << s.model << " | " << s.threshold << " | " << (s.rule.empty() ? "(element defaults)" : s.rule) << " | "
      << (s.colour_matrix.empty() ? "(not recorded)" : s.colour_matrix) << " | " << s.runs << " | "
      << fixed(s.watched_s / 3600.0, 2) << " |\n";
  m << "\n## Alarms\n\n| time | camera | well | score | label | crop | snapshot | clip |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : r.alarms) {
    const ShadowAlarm& a = row.alarm;
    m << "| " << iso_local(a.wall_ms)
      << (a.stream_time_s >= 0 ? " (video " + fixed(a.stream_time_s, 2) + " s)" : std::string()) << " | " << a.camera
      << " | " << a.well << " | " << fixed(a.score, 4) << " | "
      << (row.label == 1 ? "real spill" : row.label == 0 ? "false" : "not labelled") << " | " << a.crop << " | "
      << a.snapshot << " | " << (a.clip.empty() ? "none" : a.clip) << " |\n";
  }
  if (r.alarms.empty()) m << "| none | | | | | | | |\n";
  if (const auto options = r.threshold_options(); !options.empty()) {
    m << "\n## What a higher threshold would have kept\n\n"
         "Each alarm's held level: the highest score its well stayed over for the decision rule's alarm time. A "
         "threshold under it would still have raised the alarm (perhaps later); one at or over it, not. Only the "
         "alarms a person labelled count; a spill the monitor missed stays missed at any higher threshold.\n\n"
         "| threshold | false alarms left | per shift | real spills still alarmed |\n|---|---|---|---|\n";
    for (const auto& o : options)
      m << "| " << fixed(o.threshold, 4) << " (" << o.what << ") | " << o.false_left << " of " << o.false_total
        << " | " << per_shift_text(r, o.false_left) << " | " << o.real_kept << " of " << o.real_total << " |\n";
    const double real = r.lowest_real_level(), falsely = r.highest_false_level();
    m << "\n";
    if (real >= 0 && falsely >= 0 && falsely < real)
      m << "Every alarm marked real held at least " << fixed(real, 4) << ", every one marked false at most "
        << fixed(falsely, 4)
        << ": a threshold between them would have raised every real spill here and none of the false alarms. A "
           "spill weaker than these would be missed: decide it with more video and with whoever trains the model.\n";
    else if (real >= 0 && falsely >= 0)
      m << "The levels overlap: a real spill held " << fixed(real, 4) << ", a false alarm " << fixed(falsely, 4)
        << ": no threshold raises every real spill here without some false alarm.\n";
    else if (real >= 0)
      m << "The weakest real spill held " << fixed(real, 4) << ": a threshold at or over it would have missed it.\n";
    if (const int n = r.labelled_without_level(); n > 0)
      m << n << " labelled alarm(s) have no level (a run killed before they cleared, or recorded before levels "
                "were kept): left out of every count above.\n";
  } else if (r.settings.size() > 1 && r.marked_true + r.marked_false > 0) {
    m << "\n## What a higher threshold would have kept\n\nNot worked out: the runs had " << r.settings.size()
      << " different settings (above), and the levels are only comparable under one. Report each setting's runs from "
         "a folder of their own.\n";
  }
  m << "\n## Missed spills (added by a person)\n\n";
  if (r.missed.empty()) m << "None.\n";
  for (const auto& s : r.missed)
    m << "- " << s.well << " at " << s.time << (s.note.empty() ? "" : ": " + s.note) << "\n";
  if (!r.notes.empty()) {
    m << "\n## Notes\n\n";
    for (const auto& n : r.notes) m << "- " << n << "\n";
  }
  return m.str();
}

std::string report_json(const AcceptanceReport& r) {
  json alarms = json::array();
  for (const auto& row : r.alarms) {
    json a = json::parse(to_json_line(row.alarm));
    a["label"] = row.label == 1 ? json("spill") : row.label == 0 ? json("false") : json(nullptr);
    a["held_level"] = row.held >= 0 ? json(row.held) : json(nullptr);
    alarms.push_back(a);
  }
  json options = json::array();
  for (const auto& o : r.threshold_options())
    options.push_back(
        {{"threshold", o.threshold}, {"what", o.what}, {"false_left", o.false_left}, {"real_kept", o.real_kept},
         {"false_with_level", o.false_total}, {"real_with_level", o.real_total}});
  const auto level = [](double v) { return v >= 0 ? json(v) : json(nullptr); };
  json missed = json::array();
  for (const auto& s : r.missed) missed.push_back({{"well", s.well}, {"time", s.time}, {"note", s.note}});
  json settings = json::array();
  for (const auto& s : r.settings)
    settings.push_back({{"model", s.model}, {"threshold", s.threshold}, {"decision_rule", s.rule},
                        {"colour_matrix", s.colour_matrix}, {"runs", s.runs},
                        {"watched_hours", s.watched_s / 3600.0}});
  json j = {{"accepted", r.accepted()},
            {"reasons", r.verdict_reasons()},
            {"criteria",
             {{"shift_hours", r.criteria.shift_hours},
              {"max_false_per_shift", r.criteria.max_false_per_shift},
              {"min_hours", r.criteria.required_hours()}}},
            {"runs", r.runs},
            {"unfinished_runs", r.unfinished_runs},
            {"cameras", r.cameras},
            {"first_start", r.first_start},
            {"last_update", r.last_update},
            {"watched_hours", r.watched_s / 3600.0},
            {"shifts", r.shifts()},
            {"alarms", r.alarms.size()},
            {"alarms_per_shift", r.shifts() > 0 ? json(r.per_shift(r.alarms.size())) : json(nullptr)},
            {"marked_true", r.marked_true},
            {"marked_false", r.marked_false},
            {"false_per_shift", r.shifts() > 0 ? json(r.per_shift(r.marked_false)) : json(nullptr)},
            {"unlabelled", r.unlabelled},
            {"missed", r.missed.size()},
            {"detection", r.detection() < 0 ? json(nullptr) : json(r.detection())},
            {"settings", settings},
            {"threshold_options", options},
            {"lowest_real_level", level(r.lowest_real_level())},
            {"highest_false_level", level(r.highest_false_level())},
            {"alarm_list", alarms},
            {"missed_list", missed},
            {"notes", r.notes}};
  return j.dump(2) + "\n";
}

namespace {

const char* const kHelp = R"(Usage: NAME shadow-report DIR [options]

Writes the acceptance report of a shadow run (NAME MODE --shadow DIR ...): hours
of video watched, the alarms the monitor would have raised and how many per
shift, how many a person marked false and real, the spills the person added as
missed, and the model, threshold and decision rule in force; ACCEPTED when at
least --min-hours of video were watched, no alarm is left unlabelled, no spill
was missed, the false alarms per shift are within --max-false-per-shift and one
setting was in force throughout; and, from each alarm's held level (the highest
score its well stayed over for the rule's alarm time), how many real spills and
false alarms a higher threshold would have kept. Writes DIR/acceptance-report.md
and .json and prints the Markdown.

Label the alarms first: wellmonitor-trainer review --images DIR/crops
--scores DIR/crops/scores.csv --out DIR/review.html, mark each crop, Export, and
save the export as DIR/labels.txt. Spills the monitor missed go in DIR/missed.txt,
one per line: WELL TIME [note], TIME a clock time (2026-12-07T01:23:45 or
01:23:45) or seconds into the recording (754.2s).

Options:
  --labels FILE             the review's export (default DIR/labels.txt; none: every
                            alarm unlabelled)
  --missed FILE             the missed spills (default DIR/missed.txt, when there)
  --shift-hours H           an operator's shift, for the per-shift figures (default 8)
  --max-false-per-shift X   false alarms per shift the plant accepts (default 1)
  --min-hours H             hours of video to watch before a verdict (default: one shift)
  --out PREFIX              write PREFIX.md and PREFIX.json instead
  -h, --help                this help
)";

std::string with_name(std::string s, const std::string& name) {
  for (size_t at = s.find("NAME"); at != std::string::npos; at = s.find("NAME", at)) s.replace(at, 4, name);
  return s;
}

}  // namespace

int run_shadow_report(const std::vector<std::string>& args, const std::string& name, std::string& out,
                      std::string& err) {
  CLI::App app{"", name + " shadow-report"};
  app.set_help_flag();
  bool help = false;
  std::string dir, labels_path, missed_path, prefix;
  ReportCriteria criteria;
  app.add_flag("-h,--help", help);
  app.add_option("dir", dir);
  app.add_option("--labels", labels_path);
  app.add_option("--missed", missed_path);
  app.add_option("--shift-hours", criteria.shift_hours);
  app.add_option("--max-false-per-shift", criteria.max_false_per_shift);
  app.add_option("--min-hours", criteria.min_hours);
  app.add_option("--out", prefix);
  const std::string me = name + " shadow-report";
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    err = me + ": error: " + e.what() + " (see --help)\n";
    return 2;
  }
  if (help) {
    out = with_name(kHelp, name);
    return 0;
  }
  const auto fail = [&](const std::string& line, int code) {
    err = me + ": error: " + line + "\n";
    return code;
  };
  if (dir.empty()) return fail("give the shadow folder (see --help)", 2);
  if (!(criteria.shift_hours > 0) || !std::isfinite(criteria.shift_hours))
    return fail("--shift-hours must be a number of hours > 0", 2);
  if (!(criteria.max_false_per_shift >= 0)) return fail("--max-false-per-shift must be a number >= 0", 2);
  if (criteria.min_hours < 0 && criteria.min_hours != -1) return fail("--min-hours must be a number of hours >= 0", 2);
  const ShadowPaths paths(dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail("no shadow folder '" + dir + "'", 2);
  if (!fs::is_directory(paths.runs, ec))
    return fail("'" + dir + "' holds no shadow run (no runs/ folder): run NAME MODE --shadow " + dir + " first", 2);
  try {
    std::vector<ShadowRun> runs;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(paths.runs))
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) runs.push_back(shadow_run_from_json(read_text(f), f));
    if (runs.empty()) return fail("'" + dir + "' holds no shadow run yet (runs/ is empty)", 2);
    std::vector<ShadowAlarm> alarms;
    if (fs::exists(paths.alarms)) {
      std::istringstream in(read_text(paths.alarms));
      for (std::string line; std::getline(in, line);)
        if (const auto a = shadow_alarm_from_json(line)) alarms.push_back(*a);
    }
    std::map<std::string, double> levels;
    if (fs::exists(paths.levels)) {
      std::istringstream in(read_text(paths.levels));
      for (std::string line; std::getline(in, line);)
        if (const auto l = held_level_from_json(line)) levels[l->alarm_id] = l->held;
    }
    std::map<std::string, bool> labels;
    if (labels_path.empty() && fs::exists(paths.labels)) labels_path = paths.labels;
    if (!labels_path.empty() && labels_path != "none") labels = parse_labels(read_text(labels_path), labels_path);
    std::vector<std::string> wells;
    for (const auto& r : runs)
      for (const auto& w : r.wells)
        if (std::find(wells.begin(), wells.end(), w) == wells.end()) wells.push_back(w);
    std::vector<MissedSpill> missed;
    if (missed_path.empty() && fs::exists(paths.missed)) missed_path = paths.missed;
    if (!missed_path.empty()) missed = parse_missed(read_text(missed_path), missed_path, wells);

    const AcceptanceReport report = make_report(dir, runs, alarms, labels, missed, criteria, levels);
    if (prefix.empty()) prefix = dir + "/acceptance-report";
    const std::string md = report_markdown(report);
    for (const auto& [path, text] : {std::pair<std::string, std::string>{prefix + ".md", md},
                                     {prefix + ".json", report_json(report)}}) {
      std::ofstream f(path);
      if (!(f << text) || !f.flush()) return fail("cannot write '" + path + "'", 1);
    }
    out = md + "\nwrote " + prefix + ".md and " + prefix + ".json\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}

}  // namespace wellmonitor::run
