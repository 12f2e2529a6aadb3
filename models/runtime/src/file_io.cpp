#include "wellmonitor/file_io.h"

#include <glib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wellmonitor {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

bool check_stat(const struct stat& st, uint64_t max_bytes, std::string& why) {
  if (!S_ISREG(st.st_mode)) {
    why = std::string("not a regular file (") + kind_of(st.st_mode) + ")";
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    why = "file is " + describe_size(static_cast<uint64_t>(st.st_size)) + ", over the " + describe_size(max_bytes) +
          " limit";
    return false;
  }
  return true;
}

}  // namespace

std::string describe_size(uint64_t bytes) {
  constexpr uint64_t kMiB = 1ull << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

void skip_utf8_bom(std::string& text) {
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
}

bool read_regular_file(const std::string& path, uint64_t max_bytes, std::string& out, std::string& why) {
  out.clear();
  // stat before open: opening a FIFO without a writer would block.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::string("cannot open (") + std::strerror(errno) + ")";
    return false;
  }
  if (!check_stat(st, max_bytes, why)) return false;
  // O_NONBLOCK: the path may have been swapped for a FIFO since the stat.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("cannot open (") + std::strerror(errno) + ")";
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0) {
    why = std::string("cannot read (") + std::strerror(errno) + ")";
    return false;
  }
  if (!check_stat(st, max_bytes, why)) return false;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::string("cannot read (") + std::strerror(errno) + ")";
      out.clear();
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {  // grew while being read
      why = "file is over the " + describe_size(max_bytes) + " limit";
      out.clear();
      return false;
    }
  }
  return true;
}

std::string sha256_hex(const void* data, size_t size) {
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, static_cast<const guchar*>(data), size);
  std::string out(hex);
  g_free(hex);
  return out;
}

}  // namespace wellmonitor
