// wellmonitor-run --config FILE: more of the command line, read from a file
// (the service's per-camera /etc/wellmonitor/CAMERA.conf). Each line is split
// into words as a shell splits them: blanks separate words, '...' and "..."
// quote (a backslash escapes the next character outside single quotes), and a
// word starting with # comments out the rest of its line. The file's words
// stand where `--config FILE` stood, so a file is a command line laid out over
// lines, and what follows it on the command line overrides it:
//
//   rtsp rtsp://10.0.0.21:554/stream1     # the mode and the camera
//   --camera table1
//   --tcp --no-display
//
// No GStreamer here.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wellmonitor::run {

// The words of one line; nullopt with `error` set for an open quote.
std::optional<std::vector<std::string>> split_words(const std::string& line, std::string& error);

// `args` with every `--config FILE` (or `--config=FILE`) replaced by FILE's
// words. False with `error` set ("FILE:3: unterminated quote", "cannot read
// config file 'FILE'", a --config inside a config file).
bool expand_config_files(const std::vector<std::string>& args, std::vector<std::string>& out, std::string& error);

}  // namespace wellmonitor::run
