#include "shelved_wells.h"

#include "camera_id.h"
#include "text_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace wellmonitor::run {

namespace fs = std::filesystem;
using nlohmann::json;

std::string shelved_file_name(const std::string& camera) { return safe_file_stem(camera) + ".shelved.json"; }

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

long long utc_iso_to_us(const std::string& iso) {
  std::tm tm{};
  const char* end = strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return 0;
  const std::time_t t = timegm(&tm);
  return t > 0 ? static_cast<long long>(t) * 1000000 : 0;
}

bool ShelvedWells::load(std::string& error) {
  wells_.clear();
  std::ifstream in(path_);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path_, ec)) return true;  // nothing shelved yet
    error = path_ + ": cannot be read (" + std::strerror(errno) + ")";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<ShelvedWell> read;
  try {
    const json j = json::parse(text.str());
    if (!j.is_object() || !j.contains("shelved") || !j.at("shelved").is_array())
      throw std::runtime_error("no \"shelved\" list");
    for (const json& w : j.at("shelved")) {
      if (!w.is_object() || !w.contains("well") || !w.at("well").is_string() || w.at("well").get<std::string>().empty())
        throw std::runtime_error("an entry without a \"well\"");
      ShelvedWell s;
      s.well = w.at("well").get<std::string>();
      s.by = w.value("by", "");
      s.note = w.value("note", "");
      s.since = w.value("since", "");
      if (std::none_of(read.begin(), read.end(), [&](const ShelvedWell& r) { return r.well == s.well; }))
        read.push_back(s);
    }
  } catch (const std::exception& e) {
    // the library's "[json.exception.parse_error.101] " is for programmers
    std::string what = e.what();
    if (const size_t k = what.find("] "); !what.empty() && what.front() == '[' && k != std::string::npos)
      what = what.substr(k + 2);
    error = path_ + " is damaged (" + what + ")";
    return false;
  }
  wells_ = std::move(read);
  return true;
}

bool ShelvedWells::record(const std::string& well, bool shelved, const std::string& by, const std::string& note,
                          const std::string& now, std::string& error) {
  const auto it = std::find_if(wells_.begin(), wells_.end(), [&](const ShelvedWell& w) { return w.well == well; });
  if (shelved) {
    if (it == wells_.end())
      wells_.push_back({well, by, note, now});
    else
      it->by = by, it->note = note;
  } else {
    if (it == wells_.end()) return true;  // not shelved: nothing to write
    wells_.erase(it);
  }
  return save(error);
}

bool ShelvedWells::save(std::string& error) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ShelvedWell& w : wells_)
    list.push_back({{"well", w.well}, {"by", w.by}, {"note", w.note}, {"since", w.since}});
  const nlohmann::ordered_json j = {{"shelved", list}};
  return write_whole(path_, j.dump(2) + "\n", error);
}

}  // namespace wellmonitor::run
