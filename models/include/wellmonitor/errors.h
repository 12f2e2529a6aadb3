// The errors a model user sees, and their text for the person who reads it.
// No LibTorch here: the GStreamer element includes this header.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

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

// e.what(), except for LibTorch's errors (c10::Error), whose what() carries
// the C++ backtrace of where they were raised: their message alone.
std::string error_text(const std::exception& e);

}  // namespace wellmonitor
