#include "text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace wellmonitor::run {

bool write_whole(const std::string& path, const std::string& text, std::string& error) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".new";
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (!(out << text) || !out.flush()) {
      error = "cannot write " + tmp + " (" + std::strerror(errno) + ")";
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    error = "cannot write " + path + " (" + ec.message() + ")";
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace wellmonitor::run
