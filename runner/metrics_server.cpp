#include "metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace wellmonitor::run {

struct MetricsServer::Impl {
  Render render;
  MHD_Daemon* daemon = nullptr;

  static MHD_Result answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                           const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size,
                           void** /*con_cls*/) {
    auto* self = static_cast<Impl*>(cls);
    if (*upload_data_size != 0) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    unsigned status = MHD_HTTP_OK;
    std::string body;
    const char* type = "text/plain; charset=utf-8";
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
      status = MHD_HTTP_METHOD_NOT_ALLOWED;
      body = "only GET\n";
    } else if (std::strcmp(url, "/metrics") == 0) {
      try {
        body = self->render();
        type = "text/plain; version=0.0.4; charset=utf-8";
      } catch (const std::exception& e) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        body = std::string("cannot render the metrics: ") + e.what() + "\n";
      }
    } else {
      status = MHD_HTTP_NOT_FOUND;
      body = "wellmonitor-run: the metrics are at /metrics\n";
    }
    MHD_Response* response =
        MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    const MHD_Result r = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return r;
  }
};

std::unique_ptr<MetricsServer> MetricsServer::start(const std::string& address, int port, Render render,
                                                    std::string& error) {
  const std::string where = (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
                            std::to_string(port);
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    error = "--metrics-address must be an IPv4 or IPv6 address, got '" + address + "'";
    return nullptr;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = "cannot listen on " + where + ": " + std::strerror(errno);
    return nullptr;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 16) != 0) {
    error = "cannot listen on " + where + " for the metrics: " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  const int actual = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);

  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->impl_ = std::make_unique<Impl>();
  server->impl_->render = std::move(render);
  server->address_ = address;
  server->port_ = actual;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  server->impl_->daemon =
      MHD_start_daemon(flags, 0, nullptr, nullptr, &Impl::answer, server->impl_.get(), MHD_OPTION_LISTEN_SOCKET, fd,
                       MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_END);
  if (!server->impl_->daemon) {
    error = "cannot start the metrics endpoint on " + where;
    ::close(fd);
    return nullptr;
  }
  return server;
}

MetricsServer::~MetricsServer() {
  // (libmicrohttpd closes the listening socket it was given)
  if (impl_ && impl_->daemon) MHD_stop_daemon(impl_->daemon);
}

std::string MetricsServer::url() const {
  const std::string host = address_.find(':') != std::string::npos ? "[" + address_ + "]" : address_;
  return "http://" + host + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace wellmonitor::run
