/* wellpublish: wellmonitor's alarms and clears as JSON events, to MQTT or a
 * file.
 */

/**
 * SECTION:element-wellpublish
 * @title: wellpublish
 * @see_also: wellmonitor, welloverlay
 *
 * wellpublish sends the alarms out of the process. Downstream of wellmonitor
 * (directly, or after a tee or a queue: it reads only the well metas), it
 * follows each well's debounced alarm flag and publishes one JSON event when
 * a well goes into alarm and one when the alarm ends (a clear, with its
 * reason), with a JPEG snapshot of the well from that very frame, and the
 * camera's events, to an MQTT broker or a file of JSON lines. The video
 * passes untouched; a slow, absent or lost broker never holds it up, and an
 * alarm or a clear is never lost: undelivered, it waits on disk (the spool).
 * The events' fields, the topics and the messages:
 * docs/elements/wellpublish.md and docs/mqtt.md.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=table.mp4 ! decodebin ! videoconvert ! \
 *     wellmonitor wells=casting-table.wells.txt ! \
 *     wellpublish address=mqtt://localhost:1883 camera=table1 ! fakesink
 * ]| Publishes the alarms of a recording on wellmonitor/table1/events/WELL;
 * `mosquitto_sub -t 'wellmonitor/#' -v` shows them.
 */

#include "gstwellpublish.h"

#include "operator-events.h"
#include "session.h"
#include "video-formats.h"

#include <unistd.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_publish_debug);
#define GST_CAT_DEFAULT gst_well_publish_debug

typedef enum
{
  GST_WELL_PUBLISH_METHOD_MQTT,
  GST_WELL_PUBLISH_METHOD_FILE,
} GstWellPublishMethod;

#define DEFAULT_PROP_METHOD GST_WELL_PUBLISH_METHOD_MQTT
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

/* The read-write properties come first: their values are kept as GValues,
 * by id (see GstWellPublishPrivate). */
enum
{
  PROP_0,
  PROP_METHOD,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_CAMERA,
  PROP_MQTT_QOS,
  PROP_QUEUE_SIZE,
  PROP_CLIENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD_FILE,
  PROP_TLS_CA_FILE,
  PROP_TLS_CERT_FILE,
  PROP_TLS_KEY_FILE,
  PROP_TLS_INSECURE,
  PROP_KEEPALIVE,
  PROP_SNAPSHOT,
  PROP_SNAPSHOT_MARGIN,
  PROP_SNAPSHOT_QUALITY,
  PROP_FRAME_DIR,
  PROP_PUBLISH_SCORES,
  PROP_DRAIN_TIMEOUT,
  PROP_SPOOL,
  PROP_SPOOL_MAX_SIZE,
  PROP_SPOOL_MAX_MESSAGES,
  PROP_STATS_INTERVAL,
  PROP_SNAPSHOT_WIDTH,
  PROP_COMMANDS,
  /* read-only: the publisher's counters */
  PROP_CONNECTED,
  PROP_DELIVERED,
  PROP_DROPPED,
  PROP_WAITING,
  PROP_SPOOLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GstStaticPadTemplate gst_well_publish_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

static GstStaticPadTemplate gst_well_publish_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

#define GST_TYPE_WELL_PUBLISH_METHOD (gst_well_publish_method_get_type ())
static GType
gst_well_publish_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_WELL_PUBLISH_METHOD_MQTT, "MQTT broker (address mqtt://host:port)",
        "mqtt"},
    {GST_WELL_PUBLISH_METHOD_FILE, "JSON lines appended to a file (address: "
          "its path)", "file"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstWellPublishMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* C++ state, new'ed in init and deleted in finalize. The properties' values
 * are under the object lock; the session lives from start to stop. */
struct GstWellPublishPrivate
{
  GValue props[N_PROPS] = { };  /* read-write properties, by id */
  std::unique_ptr<wellpublish::Session> session;
  wellpublish::PublisherStats last_stats;       /* kept after stop */
};

struct _GstWellPublish
{
  GstVideoFilter parent;
  GstWellPublishPrivate *priv;
};

#define gst_well_publish_parent_class parent_class
G_DEFINE_TYPE (GstWellPublish, gst_well_publish, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (wellpublish, "wellpublish", GST_RANK_NONE,
    GST_TYPE_WELL_PUBLISH);

static bool
is_read_write (guint prop_id)
{
  return prop_id > PROP_0 && prop_id < PROP_CONNECTED;
}

static std::string
str (const GValue * v)
{
  const gchar *s = g_value_get_string (v);
  return s ? s : "";
}

/* The properties as the publishing parts take them, copied under the lock. */
static wellpublish::Settings
read_settings (GstWellPublish * self)
{
  const GValue *v = self->priv->props;
  wellpublish::Settings s;
  GST_OBJECT_LOCK (self);
  s.file = g_value_get_enum (&v[PROP_METHOD]) == GST_WELL_PUBLISH_METHOD_FILE;
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
  GST_OBJECT_UNLOCK (self);
  return s;
}

/* ---------------------------------------------------------------- start/stop */

/* The wellmonitor upstream (through queues, tees and bins), or NULL. */
static GstElement *
find_monitor_upstream (GstWellPublish * self)
{
  GstPad *pad = GST_PAD (gst_object_ref (GST_BASE_TRANSFORM_SINK_PAD (self)));
  GstElement *found = NULL;
  for (int hops = 0; pad && !found && hops < 64; hops++) {
    GstPad *peer = gst_pad_get_peer (pad);
    gst_object_unref (pad);
    pad = NULL;
    if (!peer)
      break;
    if (GST_IS_PROXY_PAD (peer) && !GST_IS_GHOST_PAD (peer)) {
      /* inside a bin's ghost pad: go on from the ghost pad's target side */
      GstProxyPad *ghost = gst_proxy_pad_get_internal (GST_PROXY_PAD (peer));
      gst_object_unref (peer);
      peer = ghost ? GST_PAD (ghost) : NULL;
      if (!peer)
        break;
    }
    GstElement *e = gst_pad_get_parent_element (peer);
    gst_object_unref (peer);
    if (!e)
      break;
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_strcmp0 (GST_OBJECT_NAME (f), "wellmonitor") == 0) {
      found = e;
      break;
    }
    if (GST_IS_BIN (e)) {
      GstIterator *it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (e),
          "wellmonitor");
      GValue item = G_VALUE_INIT;
      if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
        found = GST_ELEMENT (g_value_dup_object (&item));
        g_value_unset (&item);
      }
      gst_iterator_free (it);
      if (found) {
        gst_object_unref (e);
        break;
      }
    }
    pad = gst_element_get_static_pad (e, "sink");
    gst_object_unref (e);
  }
  if (pad)
    gst_object_unref (pad);
  return found;
}

static std::string
upstream_model (GstWellPublish * self)
{
  GstElement *monitor = find_monitor_upstream (self);
  if (!monitor)
    return "";
  gchar *model = NULL;
  g_object_get (monitor, "model", &model, NULL);
  gst_object_unref (monitor);
  std::string out = model ? model : "";
  g_free (model);
  return out;
}

static void
post_setup_error (GstWellPublish * self, const wellpublish::SetupError & e)
{
  switch (e.kind) {
    case wellpublish::SetupError::Kind::kOpenWrite:
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("%s", e.what ()), (NULL));
      break;
    case wellpublish::SetupError::Kind::kBusy:
      GST_ELEMENT_ERROR (self, RESOURCE, BUSY, ("%s", e.what ()), (NULL));
      break;
    case wellpublish::SetupError::Kind::kOpenRead:
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", e.what ()), (NULL));
      break;
    default:
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", e.what ()), (NULL));
      break;
  }
}

static gboolean
gst_well_publish_start (GstBaseTransform * trans)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);
  const wellpublish::Settings s = read_settings (self);

  wellpublish::SessionReports reports;
  reports.warning = [self](const std::string & what) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", what.c_str ()), (NULL));
  };
  reports.info = [self](const std::string & what) {
    GST_ELEMENT_INFO (self, RESOURCE, READ, ("%s", what.c_str ()), (NULL));
  };
  reports.connected = [self, address = s.address](bool outage) {
    GST_INFO_OBJECT (self, "%s %s", outage ? "reconnected to" : "connected to",
        address.c_str ());
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("wellpublish-connected",
                "address", G_TYPE_STRING, address.c_str (),
                "reconnected", G_TYPE_BOOLEAN, (gboolean) outage, NULL)));
  };
  reports.log = [self](const std::string & line) {
    GST_INFO_OBJECT (self, "%s", line.c_str ());
  };
  reports.shelve = [self](const wellmonitor::ShelveRequest & r) {
    /* upstream, to wellmonitor, which applies it before its next frame */
    return gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self),
        wellmonitor::shelve_event_new (r)) != FALSE;
  };
  reports.model = [self]() { return upstream_model (self); };
  reports.action = [self](const wellpublish::OperatorAction & a) {
    /* shelving is wellmonitor's to post ("wellmonitor-shelved") */
    if (a.kind != "acknowledged" && a.kind != "refused")
      return;
    std::string text = a.kind == "acknowledged" ? "ACKNOWLEDGED well=" +
        a.well + " event=" + a.event_id + " by=" + (a.by.empty ()? "?" : a.by)
        : "COMMAND REFUSED " + (a.command.empty ()? std::string ("?") :
        a.command) + " well=" + (a.well.empty ()? "?" : a.well) + ": " +
        a.error;
    if (!a.note.empty ())
      text += " note=\"" + a.note + "\"";
    if (a.kind == "refused")
      GST_WARNING_OBJECT (self, "%s", text.c_str ());
    else
      GST_INFO_OBJECT (self, "%s", text.c_str ());
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("wellpublish-operator",
                "kind", G_TYPE_STRING, a.kind.c_str (),
                "well", G_TYPE_STRING, a.well.c_str (),
                "event-id", G_TYPE_STRING, a.event_id.c_str (),
                "by", G_TYPE_STRING, a.by.c_str (),
                "note", G_TYPE_STRING, a.note.c_str (),
                "command", G_TYPE_STRING, a.command.c_str (),
                "error", G_TYPE_STRING, a.error.c_str (),
                "text", G_TYPE_STRING, text.c_str (), NULL)));
  };
  try {
    auto session = std::make_unique<wellpublish::Session> (s,
        (long) getpid (), g_getenv, std::move (reports));
    GST_OBJECT_LOCK (self);
    self->priv->session = std::move (session);
    GST_OBJECT_UNLOCK (self);
  } catch (const wellpublish::SetupError & e) {
    post_setup_error (self, e);
    return FALSE;
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot start publishing: %s.", e.what ()), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "publishing to %s", s.address.c_str ());
  return TRUE;
}

/* What is still in alarm ends (reason stopped); the rest is delivered while
 * the broker allows, then spooled; what is left is a WARNING whose details
 * structure is named "wellpublish-undelivered" (GST_ELEMENT_WARNING_WITH_DETAILS
 * would name it "details"). */
static gboolean
gst_well_publish_stop (GstBaseTransform * trans)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);
  GstWellPublishPrivate *priv = self->priv;

  if (!priv->session)
    return TRUE;
  const wellpublish::StopReport r = priv->session->stop (read_settings (self));
  if (r.left > 0) {
    GError *err = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
        "%s.", r.text.c_str ());
    GST_WARNING_OBJECT (self, "%s", err->message);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_warning_with_details (GST_OBJECT (self), err, NULL,
            gst_structure_new ("wellpublish-undelivered",
                "count", G_TYPE_UINT64, (guint64) r.left,
                "spool", G_TYPE_STRING, r.spool_dir.c_str (), NULL)));
    g_error_free (err);
  }
  GST_OBJECT_LOCK (self);
  priv->last_stats = priv->session->stats ();
  std::unique_ptr<wellpublish::Session> session = std::move (priv->session);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* The end of the stream, a flush and the camera events end alarms; they go in
 * order with the frames (the streaming thread). */
static gboolean
gst_well_publish_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);

  if (self->priv->session) {
    try {
      self->priv->session->event (event, read_settings (self),
          g_get_real_time ());
    } catch (const std::exception & e) {
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Could not publish the end of the alarms."), ("%s", e.what ()));
    }
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ----------------------------------------------------------- per-frame work */

static GstFlowReturn
gst_well_publish_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellPublish *self = GST_WELL_PUBLISH (filter);
  wellpublish::Session *session = self->priv->session.get ();

  if (!session)
    return GST_FLOW_OK;
  const guint64 index = session->frames ();
  try {
    session->frame (frame, &GST_BASE_TRANSFORM (self)->segment,
        read_settings (self), g_get_real_time ());
  } catch (const std::exception & e) {
    /* publishing never ends the pipeline */
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Could not publish the wells of frame %" G_GUINT64_FORMAT ".", index),
        ("%s", e.what ()));
  }
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------------- class */

#define RW_READY (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)
#define RO (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void gst_well_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_well_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_well_publish_finalize (GObject * object);
static void
gst_well_publish_class_init (GstWellPublishClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_well_publish_debug, "wellpublish", 0,
      "publishes wellmonitor's alarms");

  gobject_class->set_property = gst_well_publish_set_property;
  gobject_class->get_property = gst_well_publish_get_property;
  gobject_class->finalize = gst_well_publish_finalize;

  /**
   * GstWellPublish:method:
   *
   * "mqtt": a broker at #GstWellPublish:address; "file": one JSON object per
   * line, appended to the file at #GstWellPublish:address.
   */
  properties[PROP_METHOD] = g_param_spec_enum ("method", "Method",
      "Where events go: an MQTT broker or a file of JSON lines",
      GST_TYPE_WELL_PUBLISH_METHOD, DEFAULT_PROP_METHOD, RW_READY);
  /**
   * GstWellPublish:address:
   *
   * Method mqtt: mqtt://[user[:password]@]host[:port] (port 1883), or
   * mqtts:// for TLS (port 8883). Method file: the file's path. Required.
   */
  properties[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "mqtt://host:port (mqtts:// for TLS), or the file's path (required)",
      NULL, RW_READY);
  /**
   * GstWellPublish:topic:
   *
   * Events go to TOPIC/CAMERA/events/WELL, camera events to
   * TOPIC/CAMERA/camera, availability to TOPIC/CAMERA/status, scores to
   * TOPIC/CAMERA/scores; a site sets wellmonitor/SITE/LINE (docs/mqtt.md).
   */
  properties[PROP_TOPIC] = g_param_spec_string ("topic", "Topic",
      "Topic prefix: events go to TOPIC/CAMERA/events/WELL",
      DEFAULT_PROP_TOPIC, RW_READY);
  /**
   * GstWellPublish:camera:
   *
   * The camera's id, in every event and topic (characters other than
   * letters, digits, '-', '_' and '.' become '_' in topics).
   */
  properties[PROP_CAMERA] = g_param_spec_string ("camera", "Camera",
      "The camera's id, in every event and topic", DEFAULT_PROP_CAMERA,
      RW_READY);
  /**
   * GstWellPublish:mqtt-qos:
   *
   * 0 at most once (lost with the connection), 1 at least once, 2 exactly
   * once. (GstBaseTransform's qos is the element's own, as everywhere.)
   */
  properties[PROP_MQTT_QOS] = g_param_spec_uint ("mqtt-qos", "MQTT QoS",
      "MQTT quality of service (0, 1 or 2)", 0, 2, DEFAULT_PROP_MQTT_QOS,
      RW_READY);
  /**
   * GstWellPublish:queue-size:
   *
   * When the queue is full the oldest scores message is dropped (counted in
   * #GstWellPublish:dropped); an alarm or a clear is never dropped: the queue
   * grows for them, with a warning.
   */
  properties[PROP_QUEUE_SIZE] = g_param_spec_uint ("queue-size", "Queue size",
      "Messages that may wait for the broker", 1, G_MAXINT,
      DEFAULT_PROP_QUEUE_SIZE, RW_READY);
  /**
   * GstWellPublish:client-id:
   *
   * NULL: wellmonitor-CAMERA-PID.
   */
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", "Client id",
      "MQTT client id (default wellmonitor-CAMERA-PID)",
      NULL, RW_READY);
  /**
   * GstWellPublish:username:
   *
   * Overrides the user name in #GstWellPublish:address.
   */
  properties[PROP_USERNAME] = g_param_spec_string ("username", "User name",
      "MQTT user name (overrides the address's)", NULL, RW_READY);
  /**
   * GstWellPublish:password-file:
   *
   * Its first line is the password (overrides the address's): a secret stays
   * off command lines and out of readable properties (a systemd credential:
   * $CREDENTIALS_DIRECTORY/NAME). Read at the start.
   */
  properties[PROP_PASSWORD_FILE] = g_param_spec_string ("password-file",
      "Password file", "File whose first line is the MQTT password", NULL,
      RW_READY);
  /**
   * GstWellPublish:tls-ca-file:
   *
   * Turns TLS on; mqtts:// without it uses the system's certificates.
   */
  properties[PROP_TLS_CA_FILE] = g_param_spec_string ("tls-ca-file",
      "TLS CA file",
      "PEM file of the CA that signed the broker's certificate (TLS)",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-cert-file:
   *
   * For brokers that ask for one (with #GstWellPublish:tls-key-file and
   * #GstWellPublish:tls-ca-file).
   */
  properties[PROP_TLS_CERT_FILE] = g_param_spec_string ("tls-cert-file",
      "TLS certificate file",
      "PEM client certificate, for brokers that ask for one",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-key-file:
   *
   * The private key of #GstWellPublish:tls-cert-file.
   */
  properties[PROP_TLS_KEY_FILE] = g_param_spec_string ("tls-key-file",
      "TLS key file", "PEM private key of tls-cert-file",
      NULL, RW_READY);
  /**
   * GstWellPublish:tls-insecure:
   *
   * For tests only.
   */
  properties[PROP_TLS_INSECURE] = g_param_spec_boolean ("tls-insecure",
      "TLS insecure",
      "Do not check that the broker's certificate names its host (tests only)",
      DEFAULT_PROP_TLS_INSECURE, RW_READY);
  /**
   * GstWellPublish:keepalive:
   *
   * The broker sends the last will ("offline") after 1.5 times this without
   * a word.
   */
  properties[PROP_KEEPALIVE] = g_param_spec_uint ("keepalive", "Keep-alive",
      "Seconds between MQTT keep-alive pings", 5, 3600,
      DEFAULT_PROP_KEEPALIVE, RW_READY);
  /**
   * GstWellPublish:snapshot:
   *
   * The JPEG is taken from the frame of the event and put inline (base64).
   */
  properties[PROP_SNAPSHOT] = g_param_spec_boolean ("snapshot", "Snapshot",
      "Put a JPEG of the well into each event", DEFAULT_PROP_SNAPSHOT,
      RW_PLAYING);
  /**
   * GstWellPublish:snapshot-margin:
   *
   * The snapshot shows the well widened on each side by this fraction of its
   * width and height (0 = the box alone), inside the frame.
   */
  properties[PROP_SNAPSHOT_MARGIN] = g_param_spec_double ("snapshot-margin",
      "Snapshot margin",
      "Margin around the well in the snapshot, a fraction of its size",
      0.0, 10.0, DEFAULT_PROP_SNAPSHOT_MARGIN, RW_PLAYING);
  /**
   * GstWellPublish:snapshot-quality:
   *
   * 1-100.
   */
  properties[PROP_SNAPSHOT_QUALITY] = g_param_spec_int ("snapshot-quality",
      "Snapshot quality", "JPEG quality of the snapshots and frames", 1, 100,
      DEFAULT_PROP_SNAPSHOT_QUALITY, RW_PLAYING);
  /**
   * GstWellPublish:frame-dir:
   *
   * Files CAMERA_WELL_MS_KIND.jpg, written before the event is sent; the
   * event's "frame_path" names it. NULL: no frames.
   */
  properties[PROP_FRAME_DIR] = g_param_spec_string ("frame-dir",
      "Frame folder",
      "Also save each event's whole frame as a JPEG in this folder",
      NULL, RW_PLAYING);
  /**
   * GstWellPublish:publish-scores:
   *
   * On TOPIC/CAMERA/scores; these messages are dropped first when the queue
   * is full.
   */
  properties[PROP_PUBLISH_SCORES] = g_param_spec_boolean ("publish-scores",
      "Publish scores",
      "Also publish every well's score on each analysed frame",
      DEFAULT_PROP_PUBLISH_SCORES, RW_PLAYING);
  /**
   * GstWellPublish:drain-timeout:
   *
   * Only while the broker is connected; what is left is logged as
   * undelivered.
   */
  properties[PROP_DRAIN_TIMEOUT] = g_param_spec_uint ("drain-timeout",
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
  properties[PROP_SPOOL] = g_param_spec_string ("spool", "Spool",
      "Folder where undelivered events wait on disk (none: memory only)",
      NULL, RW_READY);
  /**
   * GstWellPublish:spool-max-size:
   *
   * Past it the oldest scores go first; an alarm or a clear is never
   * dropped: the spool grows past it for them, with a warning.
   */
  properties[PROP_SPOOL_MAX_SIZE] = g_param_spec_uint64 ("spool-max-size",
      "Spool maximum size", "Bytes the spool may hold", 0, G_MAXUINT64,
      DEFAULT_PROP_SPOOL_MAX_SIZE, RW_READY);
  /**
   * GstWellPublish:spool-max-messages:
   *
   * As #GstWellPublish:spool-max-size, in messages.
   */
  properties[PROP_SPOOL_MAX_MESSAGES] = g_param_spec_uint ("spool-max-messages",
      "Spool maximum messages", "Messages the spool may hold", 1, G_MAXUINT,
      DEFAULT_PROP_SPOOL_MAX_MESSAGES, RW_READY);
  /**
   * GstWellPublish:connected:
   *
   * TRUE while the broker (or the file) accepts messages.
   */
  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", "Connected",
      "TRUE while the broker (or file) accepts messages", FALSE, RO);
  /**
   * GstWellPublish:delivered:
   *
   * Acknowledged by the broker (QoS 1 and 2) or written, since the start.
   */
  properties[PROP_DELIVERED] = g_param_spec_uint64 ("delivered", "Delivered",
      "Messages acknowledged by the broker (or written) since the start",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:dropped:
   *
   * Scores messages only: an alarm or a clear is never dropped.
   */
  properties[PROP_DROPPED] = g_param_spec_uint64 ("dropped", "Dropped",
      "Scores messages dropped from a full queue since the start",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:waiting:
   *
   * Queued or sent, not yet acknowledged; after the stop, what was left.
   */
  properties[PROP_WAITING] = g_param_spec_uint64 ("waiting", "Waiting",
      "Messages in the queue now (not yet acknowledged)",
      0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:spooled:
   *
   * After the stop: those the next start sends first.
   */
  properties[PROP_SPOOLED] = g_param_spec_uint64 ("spooled", "Spooled",
      "Messages waiting in the spool on disk now", 0, G_MAXUINT64, 0, RO);
  /**
   * GstWellPublish:stats-interval:
   *
   * Method mqtt: every this many seconds a retained stats message on
   * TOPIC/CAMERA/stats (frames in, analysed and late, their rates, the last
   * frame's time, the wells in alarm and shelved, model, threshold, uptime,
   * the queue); one at the start, the last at the stop. 0: none.
   */
  properties[PROP_STATS_INTERVAL] = g_param_spec_uint ("stats-interval",
      "Stats interval", "Seconds between the retained stats messages (0: none)",
      0, 86400, DEFAULT_PROP_STATS_INTERVAL, RW_READY);
  /**
   * GstWellPublish:snapshot-width:
   *
   * Method mqtt: each alarm's picture, a binary JPEG of the well amid its
   * neighbours (marked), this many pixels wide, retained on
   * TOPIC/CAMERA/snapshot/WELL. 0: none.
   */
  properties[PROP_SNAPSHOT_WIDTH] = g_param_spec_uint ("snapshot-width",
      "Snapshot width",
      "Width of the alarm picture on TOPIC/CAMERA/snapshot/WELL (0: none)",
      0, 4096, DEFAULT_PROP_SNAPSHOT_WIDTH, RW_PLAYING);
  /**
   * GstWellPublish:commands:
   *
   * Method mqtt: take operators' commands (shelve, unshelve, ack) on
   * TOPIC/CAMERA/command; shelving goes upstream to wellmonitor.
   */
  properties[PROP_COMMANDS] = g_param_spec_boolean ("commands", "Commands",
      "Take shelve, unshelve and ack commands on TOPIC/CAMERA/command",
      DEFAULT_PROP_COMMANDS, RW_READY);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class,
      "Well alarm publisher",
      "Filter/Network/Video",
      "Publishes wellmonitor's alarms and clears as JSON events with a "
      "snapshot of the well, to an MQTT broker or a file",
      "wellmonitor project");

  gst_element_class_add_static_pad_template (element_class,
      &gst_well_publish_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_well_publish_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_well_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_well_publish_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_well_publish_sink_event);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_well_publish_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_WELL_PUBLISH_METHOD, (GstPluginAPIFlags) 0);
}

static void
gst_well_publish_init (GstWellPublish * self)
{
  self->priv = new GstWellPublishPrivate ();
  for (guint id = PROP_0 + 1; is_read_write (id); id++) {
    GValue *v = &self->priv->props[id];
    g_value_init (v, G_PARAM_SPEC_VALUE_TYPE (properties[id]));
    g_param_value_set_default (properties[id], v);
  }

  /* reads only: the buffers pass untouched and are never made writable;
   * none is dropped for being late (GstVideoFilter turns QoS on) */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_well_publish_finalize (GObject * object)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  for (guint id = PROP_0 + 1; is_read_write (id); id++)
    g_value_unset (&self->priv->props[id]);
  delete self->priv;
  self->priv = NULL;

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_well_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  if (!is_read_write (prop_id)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  g_value_copy (value, &self->priv->props[prop_id]);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_well_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);
  GstWellPublishPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  const wellpublish::PublisherStats stats = priv->session ?
      priv->session->stats () : priv->last_stats;
  switch (prop_id) {
    case PROP_CONNECTED:
      g_value_set_boolean (value, stats.connected);
      break;
    case PROP_DELIVERED:
      g_value_set_uint64 (value, stats.delivered);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, stats.dropped);
      break;
    case PROP_WAITING:
      g_value_set_uint64 (value, stats.waiting);
      break;
    case PROP_SPOOLED:
      g_value_set_uint64 (value, stats.spooled);
      break;
    default:
      if (is_read_write (prop_id))
        g_value_copy (&priv->props[prop_id], value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
