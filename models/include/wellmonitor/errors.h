// The text of an error for the person who reads it.
#pragma once

#include <exception>
#include <string>

namespace wellmonitor {

// e.what(), except for LibTorch's errors (c10::Error), whose what() carries
// the C++ backtrace of where they were raised: their message alone.
std::string error_text(const std::exception& e);

}  // namespace wellmonitor
