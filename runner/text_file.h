// Writing a small text file whole: the runner's records (a shadow run's,
// the shelved wells) are rewritten while it runs, and a reader or a crash must
// find the old file or the new one, never half of either.
#pragma once

#include <string>

namespace wellmonitor::run {

// Writes `text` to PATH.new and renames it over `path`. False, with `error`
// naming the file and why ("cannot write PATH.new (No such file or directory)"),
// when it could not; the temporary file is then removed.
bool write_whole(const std::string& path, const std::string& text, std::string& error);

}  // namespace wellmonitor::run
