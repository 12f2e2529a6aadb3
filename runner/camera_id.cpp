#include "camera_id.h"

namespace wellmonitor::run {

std::string safe_file_stem(const std::string& camera) {
  std::string s;
  for (const char c : camera) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
    s += keep ? c : '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

std::string without_credentials(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host = scheme + 3;
  const size_t path = url.find('/', host);
  const size_t at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

std::string default_camera_name(const std::string& source) {
  std::string s = without_credentials(source);
  const size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  if (s.rfind("/dev/", 0) == 0) s = s.substr(5);
  while (!s.empty() && s.back() == '/') s.pop_back();
  std::string out;
  for (const char c : s) out += (c == '/' || c == ':') ? '_' : c;
  return safe_file_stem(out);
}

}  // namespace wellmonitor::run
