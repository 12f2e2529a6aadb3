// Reading the small files the product takes from users (model files, well
// layouts, labels files): regular files only, and never more than a cap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wellmonitor {

// Caps on what a reader takes in; a larger file is refused before it is read.
constexpr uint64_t kMaxModelFileBytes = 256ull << 20;  // 256 MiB
constexpr uint64_t kMaxLayoutFileBytes = 1ull << 20;   // 1 MiB
constexpr uint64_t kMaxLabelsFileBytes = 64ull << 20;  // 64 MiB

// Reads the whole of `path` into `out`. Returns false with `why` (a reason
// without the path, e.g. "not a regular file (a directory)", "file is 300000000
// bytes, over the 256 MiB limit", "cannot open (No such file or directory)") when the
// path is no regular file, is larger than `max_bytes` or cannot be read. Never
// blocks on a FIFO or a device and never reads more than `max_bytes` + 1 bytes.
bool read_regular_file(const std::string& path, uint64_t max_bytes, std::string& out, std::string& why);

// "256 MiB" for whole mebibytes, else "12345 bytes": a size for messages.
std::string describe_size(uint64_t bytes);

// The SHA-256 of `size` bytes at `data`, as 64 lower-case hex digits.
std::string sha256_hex(const void* data, size_t size);

// Drops a UTF-8 byte order mark (EF BB BF) at the start of `text`.
void skip_utf8_bom(std::string& text);

}  // namespace wellmonitor
