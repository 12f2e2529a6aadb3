// The errors a model user sees, and their text for the person who reads it.
// No LibTorch here: the GStreamer element includes this header.
#pragma once

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wellmonitor {

// Any problem reading or writing a model file; what() names the file and the reason.
class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device that cannot be used (CUDA asked for where there is none, an unknown name).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The most bytes of one piece of input (an id, a name, a field) that an error
// message quotes, and the most bytes of a whole message.
constexpr size_t kMaxQuotedBytes = 256;
constexpr size_t kMaxErrorBytes = 4096;

// `text` as an error message may quote it: valid UTF-8 stays as it is, while
// control characters and bytes that are no UTF-8 become escapes (\n, \t, \r,
// \xNN), so a message stays one readable line whatever a file holds; past
// `max_bytes` of input it is cut and says how long it was:
// "aaaa...aaa... (1048576 bytes)".
std::string printable(std::string_view text, size_t max_bytes = kMaxQuotedBytes);

// A number as a message writes it: "-5", "0.0125", "593329", "1e+300".
std::string message_number(double v);

// e.what(), except for LibTorch's errors (c10::Error), whose what() carries
// the C++ backtrace of where they were raised: their message alone. Passed
// through printable() with kMaxErrorBytes, so it is one line.
std::string error_text(const std::exception& e);

}  // namespace wellmonitor
