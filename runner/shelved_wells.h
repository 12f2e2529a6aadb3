// The wells an operator shelved, kept across restarts: a file per camera in the
// state directory (JSON), written on every shelve and put-back the monitor
// reports, read when the runner starts so that a well shelved before a restart
// (a crash, the watchdog, a reboot) stays shelved, by whom and why. A damaged
// file shelves nothing: every well is watched and the runner says so.
#pragma once

#include <string>
#include <vector>

namespace wellmonitor::run {

struct ShelvedWell {
  std::string well;
  std::string by;
  std::string note;
  std::string since;  // when it was shelved, UTC, ISO 8601
};

// The file's name for a camera id: safe_file_stem(camera) + ".shelved.json".
std::string shelved_file_name(const std::string& camera);

class ShelvedWells {
 public:
  explicit ShelvedWells(std::string path) : path_(std::move(path)) {}

  // Reads the file: a missing file is no well shelved. A damaged one (not the
  // JSON written here) returns false with `error` saying what is wrong, and no
  // well is shelved.
  bool load(std::string& error);

  // A well shelved (`shelved`) or put back at `now` (ISO 8601), and the file
  // written again (a new file renamed over the old: a crash leaves one or the
  // other). Shelving a shelved well again keeps its `since` and takes the new
  // `by` and `note`. False with `error` when the file cannot be written.
  bool record(const std::string& well, bool shelved, const std::string& by, const std::string& note,
              const std::string& now, std::string& error);

  const std::vector<ShelvedWell>& wells() const { return wells_; }
  const std::string& path() const { return path_; }

 private:
  bool save(std::string& error) const;

  std::string path_;
  std::vector<ShelvedWell> wells_;  // in the order they were shelved
};

// Now, UTC, as "2026-12-07T06:48:41Z".
std::string utc_now_iso();
// "2026-12-07T06:48:41Z" as microseconds since 1970; 0 for any other text.
long long utc_iso_to_us(const std::string& iso);

}  // namespace wellmonitor::run
