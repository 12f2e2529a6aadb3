/* wellpublish's properties. */

#include "publish-properties.h"

#include <gst/gst.h>

#include <string>

namespace wellpublish {

#define DEFAULT_PROP_METHOD PUBLISH_METHOD_MQTT
#define DEFAULT_PROP_TOPIC "wellmonitor"
#define DEFAULT_PROP_CAMERA "camera"
#define DEFAULT_PROP_MQTT_QOS 1
#define DEFAULT_PROP_QUEUE_SIZE 1000
#define DEFAULT_PROP_TLS_INSECURE FALSE
#define DEFAULT_PROP_KEEPALIVE 30
#define DEFAULT_PROP_SNAPSHOT TRUE
#define DEFAULT_PROP_SNAPSHOT_MARGIN 0.5
#define DEFAULT_PROP_SNAPSHOT_QUALITY 90
#define DEFAULT_PROP_PUBLISH_SCORES FALSE
#define DEFAULT_PROP_DRAIN_TIMEOUT 5000
#define DEFAULT_PROP_SPOOL_MAX_SIZE (G_GUINT64_CONSTANT (64) << 20)
#define DEFAULT_PROP_SPOOL_MAX_MESSAGES 10000
#define DEFAULT_PROP_STATS_INTERVAL 10
#define DEFAULT_PROP_SNAPSHOT_WIDTH 640
#define DEFAULT_PROP_COMMANDS TRUE

#define RW_READY (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)
#define RO (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

GType
publish_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {PUBLISH_METHOD_MQTT, "MQTT broker (address mqtt://host:port)", "mqtt"},
    {PUBLISH_METHOD_FILE, "JSON lines appended to a file (address: "
          "its path)", "file"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstWellPublishMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The specs, made once: the class installs them, PublishProperties takes
 * their defaults (also where no class is, in the tests). */
static GParamSpec *const *
property_specs (void)
{
  static GParamSpec *p[N_PROPS] = { };
  static gsize made = 0;
  if (!g_once_init_enter (&made))
    return p;

  /**
   * GstWellPublish:method:
   *
   * "mqtt": a broker at #GstWellPublish:address; "file": one JSON object per
   * line, appended to the file at #GstWellPublish:address.
   */
  p[PROP_METHOD] = g_param_spec_enum ("method", "Method",
      "Where events go: an MQTT broker or a file of JSON lines",
      publish_method_get_type (), DEFAULT_PROP_METHOD, RW_READY);
  /**
   * GstWellPublish:address:
   *
   * Method mqtt: mqtt://[user[:password]@]host[:port] (port 1883), or
   * mqtts:// for TLS (port 8883). Method file: the file's path. Required.
   */
  p[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "mqtt://host:port (mqtts:// for TLS), or the file's path (required)",
      NULL, RW_READY);
  /**
   * GstWellPublish:topic:
   *
   * Events go to TOPIC/CAMERA/events/WELL, camera events to
   * TOPIC/CAMERA/camera, availability to TOPIC/CAMERA/status, scores to
   * TOPIC/CAMERA/scores; a site sets wellmonitor/SITE/LINE (docs/mqtt.md).
   */
  p[PROP_TOPIC] = g_param_spec_string ("topic", "Topic",
      "Topic prefix: events go to TOPIC/CAMERA/events/WELL",
      DEFAULT_PROP_TOPIC, RW_READY);
  /**
   * GstWellPublish:camera:
   *
   * The camera's id, in every event and topic (characters other than
   * letters, digits, '-', '_' and '.' become '_' in topics).
   */
  p[PROP_CAMERA] = g_param_spec_string ("camera", "Camera",
      "The camera's id, in every event and topic", DEFAULT_PROP_CAMERA,
      RW_READY);
  /**
   * GstWellPublish:mqtt-qos:
   *
   * 0 at most once (lost with the connection), 1 at least once, 2 exactly
   * once. (GstBaseTransform's qos is the element's own, as everywhere.)
   */
  p[PROP_MQTT_QOS] = g_param_spec_uint ("mqtt-qos", "MQTT QoS",
      "MQTT quality of service (0, 1 or 2)", 0, 2, DEFAULT_PROP_MQTT_QOS,
      RW_READY);
  /**
   * GstWellPublish:queue-size:
   *
   * When the queue is full the oldest scores message is dropped (counted in
   * #GstWellPublish:dropped); an alarm or a clear is never dropped: the queue
   * grows for them, with a warning.
   */
  p[PROP_QUEUE_SIZE] = g_param_spec_uint ("queue-size", "Queue size",
      "Messages that may wait for the broker", 1, G_MAXINT,
      DEFAULT_PROP_QUEUE_SIZE, RW_READY);
  /**
   * GstWellPublish:client-id:
   *
   * NULL: wellmonitor-CAMERA-PID.
   */
  p[PROP_CLIENT_ID] = g_param_spec_string ("client-id", "Client id",
      "MQTT client id (default wellmonitor-CAMERA-PID)",
      NULL, RW_READY);
  /**
   * GstWellPublish:username:
   *
   * Overrides the user name in #GstWellPublish:address.
   */
  p[PROP_USERNAME] = g_param_spec_string ("username", "User name",
      "MQTT user name (overrides the address's)", NULL, RW_READY);
  /**
   * GstWellPublish:password-file:
   *
   * Its first line is the password (overrides the address's): a secret stays
   * off command lines and out of readable properties (a systemd credential:
   * $CREDENTIALS_DIRECTORY/NAME). Read at the start.
   */
  p[PROP_PASSWORD_FILE] = g_param_spec_string ("password-file",
      "Password file", "File whose first line is the MQTT password", NULL,
      RW_READY);
  /**
   * GstWellPublish:tls-ca-file:
   *
   * Turns TLS on; mqtts:// without it uses the system's certificates.
   */
  p[PROP_TLS_CA_FILE] = g_param_spec_string ("tls-ca-file",
      "TLS CA file",
      "PEM file of the CA that signed the broker's certificate (TLS)",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-cert-file:
   *
   * For brokers that ask for one (with #GstWellPublish:tls-key-file and
   * #GstWellPublish:tls-ca-file).
   */
  p[PROP_TLS_CERT_FILE] = g_param_spec_string ("tls-cert-file",
      "TLS certificate file",
      "PEM client certificate, for brokers that ask for one",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-key-file:
   *
   * The private key of #GstWellPublish:tls-cert-file.
   */
  p[PROP_TLS_KEY_FILE] = g_param_spec_string ("tls-key-file",
      "TLS key file", "PEM private key of tls-cert-file",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-insecure:
   *
   * For tests only.
   */
  p[PROP_TLS_INSECURE] = g_param_spec_boolean ("tls-insecure",
      "TLS insecure",
      "Do not check that the broker's certificate names its host (tests only)",
      DEFAULT_PROP_TLS_INSECURE, RW_READY);
  /**
   * GstWellPublish:keepalive:
   *
   * The broker sends the last will ("offline") after 1.5 times this without
   * a word.
   */
  p[PROP_KEEPALIVE] = g_param_spec_uint ("keepalive", "Keep-alive",
      "Seconds between MQTT keep-alive pings", 5, 3600,
      DEFAULT_PROP_KEEPALIVE, RW_READY);
  /**
   * GstWellPublish:snapshot:
   *
   * The JPEG is taken from the frame of the event and put inline (base64).
   */
  p[PROP_SNAPSHOT] = g_param_spec_boolean ("snapshot", "Snapshot",
      "Put a JPEG of the well into each event", DEFAULT_PROP_SNAPSHOT,
      RW_PLAYING);
  /**
   * GstWellPublish:snapshot-margin:
   *
   * The snapshot shows the well widened on each side by this fraction of its
   * width and height (0 = the box alone), inside the frame.
   */
  p[PROP_SNAPSHOT_MARGIN] = g_param_spec_double ("snapshot-margin",
      "Snapshot margin",
      "Margin around the well in the snapshot, a fraction of its size",
      0.0, 10.0, DEFAULT_PROP_SNAPSHOT_MARGIN, RW_PLAYING);
  /**
   * GstWellPublish:snapshot-quality:
   *
   * 1-100.
   */
  p[PROP_SNAPSHOT_QUALITY] = g_param_spec_int ("snapshot-quality",
      "Snapshot quality", "JPEG quality of the snapshots and frames", 1, 100,
      DEFAULT_PROP_SNAPSHOT_QUALITY, RW_PLAYING);
  /**
   * GstWellPublish:frame-dir:
   *
   * Files CAMERA_WELL_MS_KIND.jpg, written before the event is sent; the
   * event's "frame_path" names it. NULL: no frames.
   */
  p[PROP_FRAME_DIR] = g_param_spec_string ("frame-dir",
      "Frame folder",
      "Also save each event's whole frame as a JPEG in this folder",
      NULL, RW_PLAYING);
  /**
   * GstWellPublish:publish-scores:
   *
   * On TOPIC/CAMERA/scores; these messages are dropped first when the queue
   * is full.
   */
  p[PROP_PUBLISH_SCORES] = g_param_spec_boolean ("publish-scores",
      "Publish scores",
      "Also publish every well's score on each analysed frame",
      DEFAULT_PROP_PUBLISH_SCORES, RW_PLAYING);
  /**
   * GstWellPublish:drain-timeout:
   *
   * Only while the broker is connected; what is left is logged as
   * undelivered.
   */
  p[PROP_DRAIN_TIMEOUT] = g_param_spec_uint ("drain-timeout",
      "Drain timeout",
      "Milliseconds to wait at stop for the queue to be delivered",
      0, 600000, DEFAULT_PROP_DRAIN_TIMEOUT, RW_PLAYING);
  /**
   * GstWellPublish:spool:
   *
   * Alarms, clears and camera events are written there (fsync'd) before they
   * are sent and removed once delivered; the next start sends what is left
   * first. NULL: STATE/CAMERA/spool for method mqtt (STATE: $STATE_DIRECTORY,
   * else $XDG_STATE_HOME/wellmonitor, else ~/.local/state/wellmonitor), none
   * for method file; "" or "none": none (memory only).
   */
  p[PROP_SPOOL] = g_param_spec_string ("spool", "Spool",
      "Folder where undelivered events wait on disk (none: memory only)",
      NULL, RW_READY);
  /**
   * GstWellPublish:spool-max-size:
   *
   * Past it the oldest scores go first; an alarm or a clear is never
   * dropped: the spool grows past it for them, with a warning.
   */
  p[PROP_SPOOL_MAX_SIZE] = g_param_spec_uint64 ("spool-max-size",
      "Spool maximum size", "Bytes the spool may hold", 0, G_MAXUINT64,
      DEFAULT_PROP_SPOOL_MAX_SIZE, RW_READY);
  /**
   * GstWellPublish:spool-max-messages:
   *
   * As #GstWellPublish:spool-max-size, in messages.
   */
  p[PROP_SPOOL_MAX_MESSAGES] = g_param_spec_uint ("spool-max-messages",
      "Spool maximum messages", "Messages the spool may hold", 1, G_MAXUINT,
      DEFAULT_PROP_SPOOL_MAX_MESSAGES, RW_READY);
  /**
   * GstWellPublish:connected:
   *
   * TRUE while the broker (or the file) accepts messages.
   */
  p[PROP_CONNECTED] = g_param_spec_boolean ("connected", "Connected",
      "TRUE while the broker (or file) accepts messages", FALSE, RO);
  /**
   * GstWellPublish:delivered:
   *
   * Acknowledged by the broker (QoS 1 and 2) or written, since the start.
   */
  p[PROP_DELIVERED] = g_param_spec_uint64 ("delivered", "Delivered",
      "Messages acknowledged by the broker (or written) since the start",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:dropped:
   *
   * Scores messages only: an alarm or a clear is never dropped.
   */
  p[PROP_DROPPED] = g_param_spec_uint64 ("dropped", "Dropped",
      "Scores messages dropped from a full queue since the start",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:waiting:
   *
   * Queued or sent, not yet acknowledged; after the stop, what was left.
   */
  p[PROP_WAITING] = g_param_spec_uint64 ("waiting", "Waiting",
      "Messages in the queue now (not yet acknowledged)",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:spooled:
   *
   * After the stop: those the next start sends first.
   */
  p[PROP_SPOOLED] = g_param_spec_uint64 ("spooled", "Spooled",
      "Messages waiting in the spool on disk now", 0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:stats-interval:
   *
   * Method mqtt: every this many seconds a retained stats message on
   * TOPIC/CAMERA/stats (frames in, analysed and late, their rates, the last
   * frame's time, the wells in alarm and shelved, model, threshold, uptime,
   * the queue); one at the start, the last at the stop. 0: none.
   */
  p[PROP_STATS_INTERVAL] = g_param_spec_uint ("stats-interval",
      "Stats interval", "Seconds between the retained stats messages (0: none)",
      0, 86400, DEFAULT_PROP_STATS_INTERVAL, RW_READY);
  /**
   * GstWellPublish:snapshot-width:
   *
   * Method mqtt: each alarm's picture, a binary JPEG of the well amid its
   * neighbours (marked), this many pixels wide, retained on
   * TOPIC/CAMERA/snapshot/WELL. 0: none.
   */
  p[PROP_SNAPSHOT_WIDTH] = g_param_spec_uint ("snapshot-width",
      "Snapshot width",
      "Width of the alarm picture on TOPIC/CAMERA/snapshot/WELL (0: none)",
      0, 4096, DEFAULT_PROP_SNAPSHOT_WIDTH, RW_PLAYING);
  /**
   * GstWellPublish:commands:
   *
   * Method mqtt: take operators' commands (shelve, unshelve, ack) on
   * TOPIC/CAMERA/command; shelving goes upstream to wellmonitor.
   */
  p[PROP_COMMANDS] = g_param_spec_boolean ("commands", "Commands",
      "Take shelve, unshelve and ack commands on TOPIC/CAMERA/command",
      DEFAULT_PROP_COMMANDS, RW_READY);
  for (guint id = PROP_0 + 1; id < N_PROPS; id++)
    g_param_spec_ref_sink (p[id]);
  g_once_init_leave (&made, 1);
  return p;
}

void
install_publish_properties (GObjectClass * klass)
{
  GParamSpec *const *specs = property_specs ();
  for (guint id = PROP_0 + 1; id < N_PROPS; id++)
    g_object_class_install_property (klass, id, specs[id]);
}

PublishProperties::PublishProperties ()
{
  GParamSpec *const *specs = property_specs ();
  for (guint id = PROP_0 + 1; is_read_write (id); id++) {
    g_value_init (&values_[id], G_PARAM_SPEC_VALUE_TYPE (specs[id]));
    g_param_value_set_default (specs[id], &values_[id]);
  }
}

PublishProperties::~PublishProperties ()
{
  for (guint id = PROP_0 + 1; is_read_write (id); id++)
    g_value_unset (&values_[id]);
}

bool
PublishProperties::set (guint id, const GValue * value)
{
  if (!is_read_write (id))
    return false;
  g_value_copy (value, &values_[id]);
  return true;
}

bool
PublishProperties::get (guint id, const PublisherStats & stats,
    GValue * value) const
{
  switch (id) {
    case PROP_CONNECTED:
      g_value_set_boolean (value, stats.connected);
      return true;
    case PROP_DELIVERED:
      g_value_set_uint64 (value, stats.delivered);
      return true;
    case PROP_DROPPED:
      g_value_set_uint64 (value, stats.dropped);
      return true;
    case PROP_WAITING:
      g_value_set_uint64 (value, stats.waiting);
      return true;
    case PROP_SPOOLED:
      g_value_set_uint64 (value, stats.spooled);
      return true;
    default:
      if (!is_read_write (id))
        return false;
      g_value_copy (&values_[id], value);
      return true;
  }
}

static std::string
str (const GValue * v)
{
  const gchar *s = g_value_get_string (v);
  return s ? s : "";
}

Settings
PublishProperties::settings () const
{
  const GValue *v = values_;
  Settings s;
  s.file = g_value_get_enum (&v[PROP_METHOD]) == PUBLISH_METHOD_FILE;
  s.address = str (&v[PROP_ADDRESS]);
  s.topic = str (&v[PROP_TOPIC]);
  s.qos = (int) g_value_get_uint (&v[PROP_MQTT_QOS]);
  s.queue_size = g_value_get_uint (&v[PROP_QUEUE_SIZE]);
  s.client_id = str (&v[PROP_CLIENT_ID]);
  s.username = str (&v[PROP_USERNAME]);
  s.password_file = str (&v[PROP_PASSWORD_FILE]);
  s.tls_ca_file = str (&v[PROP_TLS_CA_FILE]);
  s.tls_cert_file = str (&v[PROP_TLS_CERT_FILE]);
  s.tls_key_file = str (&v[PROP_TLS_KEY_FILE]);
  s.tls_insecure = g_value_get_boolean (&v[PROP_TLS_INSECURE]);
  s.keepalive = (int) g_value_get_uint (&v[PROP_KEEPALIVE]);
  s.event.camera = str (&v[PROP_CAMERA]);
  s.event.snapshot = g_value_get_boolean (&v[PROP_SNAPSHOT]);
  s.event.margin = g_value_get_double (&v[PROP_SNAPSHOT_MARGIN]);
  s.event.quality = g_value_get_int (&v[PROP_SNAPSHOT_QUALITY]);
  s.event.frame_dir = str (&v[PROP_FRAME_DIR]);
  s.publish_scores = g_value_get_boolean (&v[PROP_PUBLISH_SCORES]);
  s.drain_ms = (int) g_value_get_uint (&v[PROP_DRAIN_TIMEOUT]);
  if (const gchar * spool = g_value_get_string (&v[PROP_SPOOL]))
    s.spool = std::string (spool);
  s.spool_limits.max_bytes = g_value_get_uint64 (&v[PROP_SPOOL_MAX_SIZE]);
  s.spool_limits.max_messages = g_value_get_uint (&v[PROP_SPOOL_MAX_MESSAGES]);
  s.publish_state = !s.file;
  s.stats_interval_s = g_value_get_uint (&v[PROP_STATS_INTERVAL]);
  s.snapshot_width = (int) g_value_get_uint (&v[PROP_SNAPSHOT_WIDTH]);
  s.commands = g_value_get_boolean (&v[PROP_COMMANDS]);
  return s;
}

}  // namespace wellpublish
