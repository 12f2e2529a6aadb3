// A plain HTTP/1.0 GET on loopback, for the tests that read an endpoint
// (the runner's metrics, Prometheus' API): the status code and the body.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <string>

namespace wellmonitor_test {

struct HttpAnswer {
  int status = 0;      // 0: no answer
  std::string head;    // the status line and headers
  std::string body;
};

inline HttpAnswer http_get(int port, const std::string& path) {
  HttpAnswer a;
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::write(s, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(s);
    return a;
  }
  std::string all;
  char buf[8192];
  for (ssize_t n; (n = ::read(s, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(s);
  const size_t end = all.find("\r\n\r\n");
  if (all.rfind("HTTP/", 0) != 0 || end == std::string::npos) return a;
  a.head = all.substr(0, end);
  a.body = all.substr(end + 4);
  a.status = std::stoi(all.substr(all.find(' ') + 1, 3));
  return a;
}

// `text` with everything but unreserved characters %-encoded, for a query.
inline std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace wellmonitor_test
