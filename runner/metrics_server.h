// The metrics endpoint: GET /metrics answers Prometheus' text format from a
// page the caller renders on each request (libmicrohttpd, its own thread).
// One per process, bound to 127.0.0.1 unless told otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace wellmonitor::run {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  // Listens on address:port (port 0: any free one) and serves `render()` at
  // /metrics. Returns nullptr with `error` set ("cannot listen on
  // 127.0.0.1:9810: Address already in use") when it cannot.
  static std::unique_ptr<MetricsServer> start(const std::string& address, int port, Render render, std::string& error);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:9810/metrics"
  std::string url() const;

 private:
  MetricsServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
  int port_ = 0;
};

}  // namespace wellmonitor::run
