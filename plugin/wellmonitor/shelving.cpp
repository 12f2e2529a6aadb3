/* The wells an operator shelved, and their application to the alarms. */

#include "shelving.h"

#include <algorithm>

namespace wellmonitor {

std::vector<std::string>
parse_well_list (const std::string & text)
{
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&]() {
    if (!cur.empty () && std::find (out.begin (), out.end (), cur) == out.end ())
      out.push_back (cur);
    cur.clear ();
  };
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == ';' || c == '\n')
      flush ();
    else
      cur += c;
  }
  flush ();
  return out;
}

void
Shelving::set_list (const std::string & text)
{
  std::lock_guard<std::mutex> lock (mutex_);
  wells_ = parse_well_list (text);
  for (const std::string & w : wells_) {
    auto it = std::find_if (who_.begin (), who_.end (),
        [&](const auto & p) { return p.first == w; });
    if (it == who_.end ())
      who_.push_back ({w, {"property", ""}});
  }
  /* a well put back by the property was put back by it */
  for (auto & p : who_)
    if (std::find (wells_.begin (), wells_.end (), p.first) == wells_.end ())
      p.second = {"property", ""};
  reported_.clear ();
}

std::string
Shelving::list () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  std::string out;
  for (const std::string & w : wells_)
    out += (out.empty () ? "" : ",") + w;
  return out;
}

void
Shelving::request (const ShelveRequest & r)
{
  std::lock_guard<std::mutex> lock (mutex_);
  auto in = std::find (wells_.begin (), wells_.end (), r.well);
  if (r.shelved && in == wells_.end ())
    wells_.push_back (r.well);
  else if (!r.shelved && in != wells_.end ())
    wells_.erase (in);
  auto it = std::find_if (who_.begin (), who_.end (),
      [&](const auto & p) { return p.first == r.well; });
  const Who who { r.by, r.note };
  if (it == who_.end ())
    who_.push_back ({r.well, who});
  else
    it->second = who;
  reported_.erase (r.well);
  pending_.push_back (r);
}

ShelveOutcome
Shelving::apply (AlarmLifecycle & alarms)
{
  ShelveOutcome out;
  std::lock_guard<std::mutex> lock (mutex_);
  const auto change = [&](size_t i, bool want, const std::string & by,
      const std::string & note) {
    ShelveChange c;
    c.index = i;
    c.well = alarms.well (i).id;
    c.shelved = want;
    c.by = by;
    c.note = note;
    if (const AlarmChange * end = alarms.shelve (i, want))
      out.ends.push_back (*end);
    out.changes.push_back (std::move (c));
  };
  /* the requests in order (kept until the layout's wells are known) */
  if (alarms.size () > 0) {
    for (const ShelveRequest & r : pending_)
      for (size_t i = 0; i < alarms.size (); i++) {
        if (alarms.well (i).id != r.well)
          continue;
        if (alarms.well (i).shelved != r.shelved) {
          change (i, r.shelved, r.by, r.note);
        } else {
          /* asked again before the frame: one change, the last words */
          for (auto c = out.changes.rbegin (); c != out.changes.rend (); ++c)
            if (c->index == i) {
              c->by = r.by;
              c->note = r.note;
              break;
            }
        }
      }
    pending_.clear ();
  }
  /* then the list as it stands (the property) */
  for (size_t i = 0; i < alarms.size (); i++) {
    const WellAlarm & w = alarms.well (i);
    const bool want = std::find (wells_.begin (), wells_.end (), w.id) !=
        wells_.end ();
    if (want == w.shelved)
      continue;
    auto it = std::find_if (who_.begin (), who_.end (),
        [&](const auto & p) { return p.first == w.id; });
    change (i, want, it != who_.end ()? it->second.by : "",
        it != who_.end ()? it->second.note : "");
  }
  if (alarms.size () > 0) {
    for (const std::string & id : wells_) {
      bool found = false;
      for (size_t i = 0; i < alarms.size () && !found; i++)
        found = alarms.well (i).id == id;
      if (!found && reported_.insert (id).second)
        out.unknown.push_back (id);
    }
  }
  return out;
}

}  // namespace wellmonitor
