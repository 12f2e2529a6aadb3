// A camera's name where it is not given: the lock, the segment files and the
// CAMERA LOST/BACK lines need one for every source.
#pragma once

#include <string>

namespace wellmonitor::run {

// `camera` as a file-name stem: letters, digits, '.', '_' and '-' kept, every
// other character (slashes, spaces, ':', '@') as '_'; never empty, "." or "..".
std::string safe_file_stem(const std::string& camera);

// An RTSP URL without its user and password: rtsp://user:pw@host:554/a ->
// rtsp://host:554/a. Anything else unchanged.
std::string without_credentials(const std::string& url);

// The camera's name when --camera is not given: the URL without credentials for
// RTSP (rtsp://10.0.0.21:554/stream1 -> 10.0.0.21_554_stream1), the device's
// name for V4L2 (/dev/video2 -> video2), the description for a custom source.
std::string default_camera_name(const std::string& source);

}  // namespace wellmonitor::run
