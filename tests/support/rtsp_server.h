// A real RTSP server on loopback (gst-rtsp-server through Python:
// tests/support/rtsp_server.py), started, killed, frozen and restarted by a test.
// Each client gets the video from its start at rtsp://127.0.0.1:PORT/replay.
#pragma once

#include "child_process.h"
#include "subprocess.h"

#include <signal.h>

#include <memory>
#include <string>

namespace wellmonitor_test {

// Empty when gst-rtsp-server can be used from Python, else why not.
inline std::string rtsp_server_missing(const std::string& scratch) {
  const ProcessResult probe = run_process(
      "/usr/bin/python3", {"-c", "import gi; gi.require_version('GstRtspServer', '1.0')"}, scratch);
  if (probe.exit_code == 0) return "";
  return "no gst-rtsp-server for Python (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0): " + probe.err;
}

class RtspServer {
 public:
  RtspServer(std::string video, int port) : video_(std::move(video)), port_(port) {}

  // Starts it and waits until it listens.
  bool start() {
    process_ = std::make_unique<ChildProcess>();
    const std::string script = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/support/rtsp_server.py";
    return process_->start("/usr/bin/python3", {script, video_, std::to_string(port_)}) &&
           process_->wait_line("^ready$", 15000).has_value();
  }
  void kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_exit(5000);
    process_.reset();
  }
  // SIGSTOP: the connections stay open, nothing is sent.
  void freeze() { process_->signal(SIGSTOP); }
  void thaw() { process_->signal(SIGCONT); }

  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/replay"; }
  std::string log() const { return process_ ? process_->describe() : ""; }

 private:
  std::string video_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace wellmonitor_test
