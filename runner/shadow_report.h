// The acceptance report of a shadow run (wellmonitor-run shadow-report DIR):
// what a plant reads before it lets the monitor raise alarms. From the shadow
// folder (shadow.h): the runs' records (time watched, the model, threshold and
// decision rule in force), the alarms the monitor would have raised, a person's
// labels of their crops (wellmonitor-trainer review's export, '<crop> <0|1>', 1 =
// a real spill) and the spills the person saw and the monitor missed ('WELL TIME
// [note]'). Writes Markdown and JSON. No GStreamer here.
#pragma once

#include "shadow.h"

#include <map>
#include <string>
#include <vector>

namespace wellmonitor::run {

// A person's labels: crop file name -> true for a real spill. Lines
// '<file> <0|1>', '#' comments and blank lines skipped; throws
// std::runtime_error "SOURCE:LINE: ..." for any other line.
std::map<std::string, bool> parse_labels(const std::string& text, const std::string& source);

struct MissedSpill {
  std::string well, time, note;
  int line = 0;
};
// 'WELL TIME [note...]' per line; TIME is a clock time (2026-12-07T01:23:45,
// 01:23 or 01:23:45) or a position in a recording in seconds (754 or 754.2s).
// '#' comments and blank lines skipped. A well not among `wells` (when it is not
// empty) or a TIME of another form throws std::runtime_error "SOURCE:LINE: ...".
std::vector<MissedSpill> parse_missed(const std::string& text, const std::string& source,
                                      const std::vector<std::string>& wells);

struct ReportCriteria {
  double shift_hours = 8;           // an operator's shift
  double max_false_per_shift = 1;   // what the plant accepts
  double min_hours = -1;            // video to watch before a verdict; < 0: one shift
  double required_hours() const { return min_hours < 0 ? shift_hours : min_hours; }
};

struct AcceptanceReport {
  struct Row {
    ShadowAlarm alarm;
    int label = -1;     // -1: not labelled, 0: false alarm, 1: real spill
    double held = -1;   // the level its well held (shadow.h held_level); < 0: not known
  };
  // What a higher threshold would have kept: the labelled alarms whose held
  // level is over it.
  struct ThresholdOption {
    double threshold = 0;
    std::string what;        // "in force", "x 1.5", "between the levels"
    int false_left = 0;      // marked false, still raised
    int real_kept = 0;       // marked real, still raised
    int false_total = 0;     // marked false, with a level (the others are left out)
    int real_total = 0;      // marked real, with a level
  };
  struct Setting {  // one model, threshold, rule and colour matrix, and the runs that had it
    std::string model, threshold, rule, colour_matrix;
    int runs = 0;
    double watched_s = 0;
  };
  ReportCriteria criteria;
  std::string dir;
  int runs = 0, unfinished_runs = 0;
  std::string first_start, last_update;
  std::vector<std::string> cameras;
  double watched_s = 0;
  std::vector<Row> alarms;
  int marked_true = 0, marked_false = 0, unlabelled = 0;
  std::vector<MissedSpill> missed;
  std::vector<Setting> settings;
  std::vector<std::string> notes;  // labels of crops that are no alarm's, ...

  // The threshold in force (one setting throughout, alarms seen), else < 0.
  double threshold_in_force() const;
  // Labelled alarms with a known level: the lowest level of one marked real
  // and the highest of one marked false (< 0: none such).
  double lowest_real_level() const;
  double highest_false_level() const;
  int labelled_without_level() const;
  // In force, x 1.25, x 1.5, x 2 and, when every real spill held more than
  // every false alarm, the middle between them; empty without a threshold in
  // force or a labelled alarm with a level.
  std::vector<ThresholdOption> threshold_options() const;

  double shifts() const { return watched_s / 3600.0 / criteria.shift_hours; }
  double per_shift(double n) const { return shifts() > 0 ? n / shifts() : 0; }
  // spills caught out of those a person knows of (marked real + missed); -1: none known
  double detection() const;
  bool accepted() const;
  std::vector<std::string> verdict_reasons() const;  // why not, one line each
};

// `levels`: each alarm's held level by its id (DIR/levels.jsonl).
AcceptanceReport make_report(const std::string& dir, const std::vector<ShadowRun>& runs,
                             const std::vector<ShadowAlarm>& alarms, const std::map<std::string, bool>& labels,
                             const std::vector<MissedSpill>& missed, const ReportCriteria& criteria,
                             const std::map<std::string, double>& levels = {});

std::string report_markdown(const AcceptanceReport& r);
std::string report_json(const AcceptanceReport& r);

// wellmonitor-run shadow-report DIR [options]: reads the folder, writes
// DIR/acceptance-report.md and .json (or --out PREFIX.md/.json). Returns the
// exit status; `out` and `err` get what goes to stdout and stderr.
int run_shadow_report(const std::vector<std::string>& args, const std::string& name, std::string& out,
                      std::string& err);

}  // namespace wellmonitor::run
