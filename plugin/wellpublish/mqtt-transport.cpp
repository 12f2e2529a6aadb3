/* The MQTT transport of wellpublish: Debian's libmosquitto, driven by the
 * publisher's worker thread alone through libmosquitto's external-loop calls
 * (mosquitto_socket, mosquitto_loop_read/write/misc), so that the worker can
 * also wait on its wake-up descriptor. */

#include "publisher.h"

#include <mosquitto.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace wellpublish {

namespace {

std::string
mosquitto_error (int rc)
{
  if (rc == MOSQ_ERR_ERRNO)
    return std::strerror (errno);
  return mosquitto_strerror (rc);
}

class MqttTransport : public Transport
{
public:
  explicit MqttTransport (const MqttOptions & o) : o_ (o)
  {
    static std::once_flag init;
    std::call_once (init, [] { mosquitto_lib_init (); });

    m_ = mosquitto_new (o_.client_id.empty () ? nullptr : o_.client_id.c_str (),
        true, this);
    if (!m_)
      throw std::runtime_error (std::string ("cannot make an MQTT client: ") +
          std::strerror (errno));
    mosquitto_int_option (m_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    int rc;
    if (!o_.address.username.empty ()) {
      rc = mosquitto_username_pw_set (m_, o_.address.username.c_str (),
          o_.address.password.empty () ? nullptr : o_.address.password.c_str ());
      if (rc != MOSQ_ERR_SUCCESS)
        fail ("user name", rc);
    }
    if (o_.address.tls || !o_.tls_ca_file.empty ()) {
      if (o_.tls_ca_file.empty ()) {
        rc = mosquitto_int_option (m_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
        if (rc != MOSQ_ERR_SUCCESS)
          fail ("TLS with the system's certificates", rc);
      } else {
        rc = mosquitto_tls_set (m_, o_.tls_ca_file.c_str (), nullptr,
            o_.tls_cert_file.empty () ? nullptr : o_.tls_cert_file.c_str (),
            o_.tls_key_file.empty () ? nullptr : o_.tls_key_file.c_str (),
            nullptr);
        if (rc != MOSQ_ERR_SUCCESS)
          fail ("TLS files (CA " + o_.tls_ca_file + ")", rc);
      }
      if (o_.tls_insecure)
        mosquitto_tls_insecure_set (m_, true);
    }
    if (!o_.status_topic.empty ()) {
      rc = mosquitto_will_set (m_, o_.status_topic.c_str (), 7, "offline",
          o_.qos, true);
      if (rc != MOSQ_ERR_SUCCESS)
        fail ("last will on " + o_.status_topic, rc);
    }
    mosquitto_connect_callback_set (m_, on_connect);
    mosquitto_disconnect_callback_set (m_, on_disconnect);
    mosquitto_publish_callback_set (m_, on_publish);
    mosquitto_message_callback_set (m_, on_message);
  }

  ~MqttTransport () override
  {
    mosquitto_destroy (m_);
  }

  std::string describe () const override
  {
    return std::string ("the MQTT broker at ") + (o_.address.tls ? "mqtts://" :
        "mqtt://") + o_.address.host + ":" + std::to_string (o_.address.port);
  }

  bool open (std::string & error) override
  {
    ready_ = false;
    lost_ = false;
    lost_reason_.clear ();
    /* blocking: resolves and connects, then CONNECT goes out; the broker's
     * answer arrives through poll () */
    const int rc = mosquitto_connect (m_, o_.address.host.c_str (),
        o_.address.port, o_.keepalive);
    if (rc != MOSQ_ERR_SUCCESS) {
      error = mosquitto_error (rc);
      return false;
    }
    return true;
  }

  bool ready () const override { return ready_ && !lost_; }

  long send (const Message & m, std::string & error) override
  {
    int mid = 0;
    const int rc = mosquitto_publish (m_, &mid, m.topic.c_str (),
        (int) m.payload.size (), m.payload.data (), m.qos, m.retain);
    if (rc == MOSQ_ERR_SUCCESS)
      return mid;
    error = mosquitto_error (rc);
    /* a QoS 1 or 2 message is in libmosquitto's queue whatever the socket
     * said; it goes out again when the connection is back */
    const bool taken = m.qos > 0 && (rc == MOSQ_ERR_NO_CONN
        || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO);
    lost_ = true;
    lost_reason_ = error;
    return taken ? mid : -1;
  }

  size_t window () const override { return 20; }  /* libmosquitto's in-flight default */

  bool poll (int wake_fd, int timeout_ms, std::vector<long> &acked,
      std::string & error) override
  {
    if (!lost_) {
      const int sock = mosquitto_socket (m_);
      if (sock < 0) {
        lost_ = true;
        if (lost_reason_.empty ())
          lost_reason_ = "connection closed";
      } else {
        struct pollfd p[2] = {
          { sock, (short) (POLLIN | (mosquitto_want_write (m_) ? POLLOUT : 0)), 0 },
          { wake_fd, POLLIN, 0 },
        };
        ::poll (p, 2, timeout_ms);
        int rc = MOSQ_ERR_SUCCESS;
        if (p[0].revents & (POLLIN | POLLERR | POLLHUP))
          rc = mosquitto_loop_read (m_, 1);
        if (rc == MOSQ_ERR_SUCCESS && (p[0].revents & POLLOUT))
          rc = mosquitto_loop_write (m_, 1);
        if (rc == MOSQ_ERR_SUCCESS)
          rc = mosquitto_loop_misc (m_);
        if (rc != MOSQ_ERR_SUCCESS && !lost_) {
          lost_ = true;
          lost_reason_ = mosquitto_error (rc);
        }
      }
    }
    acked.insert (acked.end (), acked_.begin (), acked_.end ());
    acked_.clear ();
    if (lost_) {
      error = lost_reason_.empty ()? "connection lost" : lost_reason_;
      ready_ = false;
      return false;
    }
    return true;
  }

  void close (int timeout_ms) override
  {
    if (ready () && !o_.status_topic.empty ()) {
      /* a clean goodbye: the will is not sent then, so say offline */
      int mid = 0;
      if (mosquitto_publish (m_, &mid, o_.status_topic.c_str (), 7, "offline",
              o_.qos, true) == MOSQ_ERR_SUCCESS) {
        status_mid_ = mid;
        status_acked_ = false;
        std::vector<long> ignored;
        std::string error;
        for (int waited = 0; waited < timeout_ms && !status_acked_
            && poll (-1, 50, ignored, error); waited += 50) {
        }
      }
    }
    mosquitto_disconnect (m_);
    std::vector<long> ignored;
    std::string error;
    for (int i = 0; i < 4 && mosquitto_socket (m_) >= 0
        && poll (-1, 10, ignored, error); i++) {
    }
    ready_ = false;
  }

private:
  [[noreturn]] void fail (const std::string & what, int rc)
  {
    const std::string msg = "MQTT " + what + ": " + mosquitto_error (rc);
    mosquitto_destroy (m_);
    m_ = nullptr;
    throw std::runtime_error (msg);
  }

  static void on_connect (struct mosquitto *, void *obj, int rc)
  {
    auto *self = static_cast<MqttTransport *> (obj);
    if (rc != 0) {
      self->lost_ = true;
      self->lost_reason_ = std::string ("the broker refused the connection: ") +
          mosquitto_connack_string (rc);
      return;
    }
    self->ready_ = true;
    /* a clean session: the subscription is made again at each connection */
    if (!self->o_.command_topic.empty ())
      mosquitto_subscribe (self->m_, nullptr, self->o_.command_topic.c_str (),
          1);
    if (!self->o_.status_topic.empty ()) {
      int mid = 0;
      if (mosquitto_publish (self->m_, &mid, self->o_.status_topic.c_str (), 6,
              "online", self->o_.qos, true) == MOSQ_ERR_SUCCESS)
        self->status_mid_ = mid;
    }
  }

  static void on_message (struct mosquitto *, void *obj,
      const struct mosquitto_message *msg)
  {
    auto *self = static_cast<MqttTransport *> (obj);
    if (self->o_.on_command && msg->topic == self->o_.command_topic)
      self->o_.on_command (std::string (static_cast<const char *> (msg->payload),
              msg->payloadlen > 0 ? (size_t) msg->payloadlen : 0), msg->retain);
  }

  static void on_disconnect (struct mosquitto *, void *obj, int rc)
  {
    auto *self = static_cast<MqttTransport *> (obj);
    self->ready_ = false;
    if (rc != 0 && !self->lost_) {
      self->lost_ = true;
      self->lost_reason_ = "connection lost";
    }
  }

  static void on_publish (struct mosquitto *, void *obj, int mid)
  {
    auto *self = static_cast<MqttTransport *> (obj);
    if (mid == self->status_mid_) {
      self->status_acked_ = true;
      return;
    }
    self->acked_.push_back (mid);
  }

  MqttOptions o_;
  struct mosquitto *m_ = nullptr;
  bool ready_ = false;
  bool lost_ = false;
  std::string lost_reason_;
  std::vector<long> acked_;
  int status_mid_ = -1;
  bool status_acked_ = false;
};

}  // namespace

std::unique_ptr<Transport>
make_mqtt_transport (const MqttOptions & options)
{
  return std::make_unique<MqttTransport> (options);
}

}  // namespace wellpublish
