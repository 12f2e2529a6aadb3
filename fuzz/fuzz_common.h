// Helpers shared by the libFuzzer harnesses (fuzz/README.md).
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace wellmonitor_fuzz {

// A private folder for the files a harness writes, made once per process and
// removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/wellmonitor-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    static std::string removed = tmpl;
    std::atexit([] { std::system(("rm -rf '" + removed + "'").c_str()); });
    return tmpl;
  }();
  return dir;
}

// Writes `bytes` to scratch_dir()/name and returns the path.
inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

// An error message must be one line: a newline inside it is a finding.
inline void check_one_line(const std::string& message) {
  if (message.find('\n') != std::string::npos) {
    std::fprintf(stderr, "error message is not one line: %s\n", message.c_str());
    std::abort();
  }
}

}  // namespace wellmonitor_fuzz
