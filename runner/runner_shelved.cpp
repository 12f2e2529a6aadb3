// A camera's shelved wells across restarts (shelved_wells.h): read at the
// start and shelved again in wellmonitor, by whom and why, before the camera's
// first frames; every shelve and put-back the monitor reports written back.
#include "runner_internal.h"

#include "camera_id.h"
#include "operator-events.h"

#include <cstdio>
#include <filesystem>

namespace wellmonitor::run::detail {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

void Runner::restore_shelved() {
  // a camera's process only (live, or a file given a camera's id): the lock's rule
  if (!is_live(o_.mode) && o_.camera.empty()) return;
  const std::string& name = o_.name;
  const std::string where = is_live(o_.mode) ? "camera " + camera_ + ": " : "";
  shelved_ = std::make_unique<ShelvedWells>((std::filesystem::path(o_.state_dir) / shelved_file_name(camera_)).string());
  std::string error;
  if (!shelved_->load(error)) {
    // every well watched rather than a guess; the file kept for whoever looks
    std::error_code ec;
    std::filesystem::rename(shelved_->path(), shelved_->path() + ".damaged", ec);
    std::fprintf(stderr, "%s: warning: %s%s: no well is shelved; shelve again those that should be (the file is %s)\n",
                 name.c_str(), where.c_str(), error.c_str(),
                 ec ? "left as it was" : ("kept as " + shelved_->path() + ".damaged").c_str());
    return;
  }
  if (shelved_->wells().empty()) return;
  std::string list;
  for (const ShelvedWell& w : shelved_->wells()) {
    ShelveRequest r;
    r.well = w.well;
    r.shelved = true;
    r.by = w.by;
    r.note = w.note;
    r.since_us = utc_iso_to_us(w.since);  // the retained state keeps the first time
    // up from the sinks: through wellpublish (who and why, for the state it
    // publishes) to wellmonitor, which applies it before its next frame
    gst_element_send_event(pipeline_, shelve_event_new(r));
    list += (list.empty() ? "" : ", ") + w.well + " (by " + (w.by.empty() ? "?" : w.by) +
            (w.since.empty() ? "" : " since " + w.since) + (w.note.empty() ? "" : ": " + quoted(w.note)) + ")";
  }
  std::fprintf(stderr, "%s: %sstill shelved from before the restart: %s\n", name.c_str(), where.c_str(), list.c_str());
}

void Runner::keep_shelved(const GstStructure* s) {
  if (!shelved_) return;
  const gchar* well = gst_structure_get_string(s, "well");
  if (!well || !*well) return;
  gboolean shelved = TRUE;
  gst_structure_get_boolean(s, "shelved", &shelved);
  const gchar* by = gst_structure_get_string(s, "by");
  const gchar* note = gst_structure_get_string(s, "note");
  std::string error;
  if (!shelved_->record(well, shelved != FALSE, by ? by : "", note ? note : "", utc_now_iso(), error))
    std::fprintf(stderr, "%s: warning: the shelved wells will not outlast a restart: %s\n", o_.name.c_str(),
                 error.c_str());
}

}  // namespace wellmonitor::run::detail
