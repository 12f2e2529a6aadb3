#include "secrets.h"

#include <sys/stat.h>

#include <fstream>

namespace wellmonitor::run {

namespace {

constexpr std::streamsize kMaxSecretBytes = 4096;

// Where the user part of "scheme://userinfo@host..." is: [begin, at) with `at`
// the '@'; false when the URL has none.
bool userinfo_span(const std::string& url, size_t& begin, size_t& at) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  begin = scheme + 3;
  const size_t host_end = url.find_first_of("/?#", begin);
  at = url.rfind('@', host_end == std::string::npos ? std::string::npos : host_end);
  return at != std::string::npos && at >= begin;
}

}  // namespace

std::string credential_path(const std::string& name, const std::function<const char*(const char*)>& getenv) {
  const char* dir = getenv("CREDENTIALS_DIRECTORY");
  if (!dir || !*dir) return "";
  const std::string path = std::string(dir) + "/" + name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  if (st.st_size > kMaxSecretBytes) return path;  // (the reader says what is wrong with it)
  // blank (the unit's SetCredential= default): none
  std::ifstream in(path, std::ios::binary);
  for (char c; in.get(c);)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') return path;
  return "";
}

std::optional<std::string> read_secret_file(const std::string& path, std::string& error, std::string* warning) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "cannot read the password file '" + path + "'";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the password file '" + path + "' (permission denied?)";
    return std::nullopt;
  }
  std::string secret(static_cast<size_t>(kMaxSecretBytes) + 1, '\0');
  in.read(secret.data(), kMaxSecretBytes + 1);
  secret.resize(static_cast<size_t>(in.gcount()));
  if (secret.size() > static_cast<size_t>(kMaxSecretBytes)) {
    error = "the password file '" + path + "' is over 4 KiB: not a password";
    return std::nullopt;
  }
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    error = "the password file '" + path + "' is empty";
    return std::nullopt;
  }
  if (warning && (st.st_mode & S_IROTH))
    *warning = "the password file '" + path + "' is readable by every user (chmod 600 it)";
  return secret;
}

bool url_has_password(const std::string& url) {
  size_t begin = 0, at = 0;
  return userinfo_span(url, begin, at) && url.substr(begin, at - begin).find(':') != std::string::npos;
}

void split_url_user(const std::string& url, std::string& user, std::string& rest) {
  size_t begin = 0, at = 0;
  if (!userinfo_span(url, begin, at)) {
    user.clear();
    rest = url;
    return;
  }
  user = url.substr(begin, at - begin);
  rest = url.substr(0, begin) + url.substr(at + 1);
}

}  // namespace wellmonitor::run
