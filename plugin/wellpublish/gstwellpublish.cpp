/* wellpublish: wellmonitor's alarms and clears as JSON events, to MQTT or a
 * file.
 */

/**
 * SECTION:element-wellpublish
 * @title: wellpublish
 * @see_also: wellmonitor, welloverlay
 *
 * wellpublish sends the alarms out of the process. Placed downstream of
 * wellmonitor (directly, or after a tee or a queue: it reads only the
 * #GstVideoRegionOfInterestMeta of type "well" that wellmonitor attaches), it
 * follows each well's debounced "alarm" flag and publishes one JSON event
 * when a well goes into alarm and one when it clears, with a JPEG snapshot
 * of the well taken from that very frame. The video passes untouched.
 *
 * #GstWellPublish:method "mqtt" publishes to the broker at
 * #GstWellPublish:address (mqtt://[user[:password]@]host[:port], mqtts:// for
 * TLS) with libmosquitto, QoS #GstWellPublish:qos (1 by default), on the topic
 * "TOPIC/CAMERA/WELL" (#GstWellPublish:topic, #GstWellPublish:camera, the
 * well's id). It keeps an availability topic "TOPIC/CAMERA/status": "online"
 * (retained) once connected, "offline" (retained) when the element stops, and
 * the same "offline" as the connection's last will when the process dies or
 * the network goes. Method "file" appends each event to the file at
 * #GstWellPublish:address as one line (JSON lines).
 *
 * ## Nothing lost, nothing blocked
 *
 * Events are queued on the streaming thread and sent by a thread of the
 * element's own: a slow, absent or lost broker never holds up the video.
 * While the broker is away, events wait in a queue of
 * #GstWellPublish:queue-size messages and go out in order once it is back
 * (QoS 1 and 2 messages that were on their way are sent again by
 * libmosquitto, as MQTT requires). When the queue is full, the oldest scores
 * message (#GstWellPublish:publish-scores) is dropped and counted
 * (#GstWellPublish:dropped); an alarm or a clear is never dropped: the queue
 * grows past its size for them, with a warning. A broker that cannot be
 * reached, at the start or later, is a warning on the bus (once per outage),
 * never an error: the element keeps trying, every 0.5 s at first and every
 * 4 s at most. When the element stops it waits at most
 * #GstWellPublish:drain-timeout for the queue to empty while the broker is
 * connected; what is left is logged as undelivered.
 *
 * ## The event
 *
 * One JSON object (pipelines/wellmonitor-event.schema.json is its JSON
 * Schema):
 *
 * * "version" (1), "kind" ("alarm" or "clear"), "camera", "well" (the id).
 * * "event_id": the same for an alarm and its clear:
 *   "CAMERA:WELL:MS", MS the alarm's wall-clock time in ms since 1970.
 * * "seq": the element's message counter since it started, from 1 (scores
 *   messages count too, so a gap in an event stream is not a loss).
 * * "score", "threshold": the well's on this frame; "top_score": the highest
 *   score of the event so far (from the first frame over the threshold of the
 *   run that raised the alarm to this frame).
 * * "box": {"x", "y", "width", "height"}, the well in stream pixels.
 * * "time": the wall-clock time the frame reached the element, ISO 8601 UTC
 *   with milliseconds; "stream_time" (seconds), "stream_time_ns",
 *   "running_time_ns", "pts_ns" (null when unknown) and "frame" (the buffer's
 *   index since the element started).
 * * "snapshot" (with #GstWellPublish:snapshot): {"content_type": "image/jpeg",
 *   "box": the snapshot's box (the well widened by #GstWellPublish:snapshot-margin
 *   on each side, inside the frame), "width", "height", "data": base64}.
 * * "frame_path" (with #GstWellPublish:frame-dir): the whole frame as a JPEG
 *   file, written (and renamed into place) before the event is sent.
 *
 * With #GstWellPublish:publish-scores, every analysed frame also publishes
 * {"version", "kind": "scores", "camera", "seq", "time", the time fields,
 * "frame", "threshold", "scores": {WELL: score}} on "TOPIC/CAMERA/scores";
 * these are the messages a full queue drops first.
 *
 * A flush, and a buffer flagged DISCONT, forget the wells' state as
 * wellmonitor does: no clear is published for a well in alarm then.
 *
 * Messages: "wellpublish-connected" (element message) when the broker
 * accepts the connection, with "address" (string) and "reconnected"
 * (boolean, FALSE the first time).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=table.mp4 ! decodebin ! videoconvert ! \
 *     wellmonitor wells=casting-table.wells.txt ! \
 *     wellpublish address=mqtt://localhost:1883 camera=table1 ! fakesink
 * ]| Publishes the alarms of a recording on wellmonitor/table1/WELL;
 * `mosquitto_sub -t 'wellmonitor/#' -v` shows them.
 */

#include "gstwellpublish.h"

#include "buffer-times.h"
#include "event.h"
#include "publisher.h"
#include "video-formats.h"
#include "well-meta.h"

#include "wellmonitor/alarm_lifecycle.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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
#define DEFAULT_PROP_ADDRESS NULL
#define DEFAULT_PROP_TOPIC "wellmonitor"
#define DEFAULT_PROP_CAMERA "camera"
#define DEFAULT_PROP_QOS 1
#define DEFAULT_PROP_QUEUE_SIZE 1000
#define DEFAULT_PROP_CLIENT_ID NULL
#define DEFAULT_PROP_USERNAME NULL
#define DEFAULT_PROP_PASSWORD NULL
#define DEFAULT_PROP_TLS_CA_FILE NULL
#define DEFAULT_PROP_TLS_CERT_FILE NULL
#define DEFAULT_PROP_TLS_KEY_FILE NULL
#define DEFAULT_PROP_TLS_INSECURE FALSE
#define DEFAULT_PROP_KEEPALIVE 30
#define DEFAULT_PROP_SNAPSHOT TRUE
#define DEFAULT_PROP_SNAPSHOT_MARGIN 0.5
#define DEFAULT_PROP_SNAPSHOT_QUALITY 90
#define DEFAULT_PROP_FRAME_DIR NULL
#define DEFAULT_PROP_PUBLISH_SCORES FALSE
#define DEFAULT_PROP_DRAIN_TIMEOUT 5000

enum
{
  PROP_0,
  PROP_METHOD,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_CAMERA,
  PROP_QOS,
  PROP_QUEUE_SIZE,
  PROP_CLIENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD,
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
  PROP_CONNECTED,
  PROP_DELIVERED,
  PROP_DROPPED,
  PROP_WAITING,
};

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

namespace {

/* Settings read once per frame under the object lock. */
struct FrameSettings
{
  std::string topic;
  int qos = DEFAULT_PROP_QOS;
  wellpublish::EventSettings event;
  bool publish_scores = DEFAULT_PROP_PUBLISH_SCORES;
};

}  // namespace

/* C++ state, new'ed in init and deleted in finalize. The publisher lives from
 * start to stop; the rest is touched by the streaming thread only. */
struct GstWellPublishPrivate
{
  std::unique_ptr<wellpublish::Publisher> publisher;
  wellpublish::PublisherStats last_stats;       /* kept after stop */
  wellmonitor::AlarmLifecycle alarms;           /* follows wellmonitor's */
  std::vector<wellmonitor::WellResult> metas;   /* of the current frame */
  guint64 frames = 0;
  guint64 seq = 0;
  std::string address;                          /* for messages */
};

struct _GstWellPublish
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  GstWellPublishMethod method;
  gchar *address;
  gchar *topic;
  gchar *camera;
  guint qos;
  guint queue_size;
  gchar *client_id;
  gchar *username;
  gchar *password;
  gchar *tls_ca_file;
  gchar *tls_cert_file;
  gchar *tls_key_file;
  gboolean tls_insecure;
  guint keepalive;
  gboolean snapshot;
  gdouble snapshot_margin;
  gint snapshot_quality;
  gchar *frame_dir;
  gboolean publish_scores;
  guint drain_timeout;

  GstWellPublishPrivate *priv;
};

#define gst_well_publish_parent_class parent_class
G_DEFINE_TYPE (GstWellPublish, gst_well_publish, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (wellpublish, "wellpublish", GST_RANK_NONE,
    GST_TYPE_WELL_PUBLISH);

static void gst_well_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_well_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_well_publish_finalize (GObject * object);

static std::string
str (const gchar * s)
{
  return s ? s : "";
}

/* ---------------------------------------------------------------- start/stop */

static gboolean
gst_well_publish_start (GstBaseTransform * trans)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);
  GstWellPublishPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  const GstWellPublishMethod method = self->method;
  const std::string address = str (self->address);
  const std::string topic = str (self->topic);
  const std::string camera = str (self->camera);
  const int qos = (int) self->qos;
  const size_t queue_size = self->queue_size;
  std::string client_id = str (self->client_id);
  const std::string username = str (self->username);
  const std::string password = str (self->password);
  wellpublish::MqttOptions mqtt;
  mqtt.tls_ca_file = str (self->tls_ca_file);
  mqtt.tls_cert_file = str (self->tls_cert_file);
  mqtt.tls_key_file = str (self->tls_key_file);
  mqtt.tls_insecure = self->tls_insecure;
  mqtt.keepalive = (int) self->keepalive;
  const std::string frame_dir = str (self->frame_dir);
  GST_OBJECT_UNLOCK (self);

  priv->alarms = wellmonitor::AlarmLifecycle ();
  priv->frames = 0;
  priv->seq = 0;

  if (address.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No address: set 'address' to mqtt://host:port (method mqtt) or to "
            "a file (method file)."), ("address property is not set"));
    return FALSE;
  }
  if (!frame_dir.empty () && g_mkdir_with_parents (frame_dir.c_str (), 0755) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot create the frame folder '%s': %s.", frame_dir.c_str (),
            g_strerror (errno)), (NULL));
    return FALSE;
  }

  std::unique_ptr<wellpublish::Transport> transport;
  try {
    if (method == GST_WELL_PUBLISH_METHOD_FILE) {
      /* a local file that cannot be written is a mistake to show now */
      FILE *f = fopen (address.c_str (), "a");
      if (!f) {
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
            ("Cannot write the events file '%s': %s.", address.c_str (),
                g_strerror (errno)), (NULL));
        return FALSE;
      }
      fclose (f);
      transport = wellpublish::make_file_transport (address);
    } else {
      mqtt.address = wellpublish::parse_mqtt_address (address);
      if (!username.empty ())
        mqtt.address.username = username;
      if (!password.empty ())
        mqtt.address.password = password;
      mqtt.qos = qos;
      mqtt.status_topic = wellpublish::camera_topic (topic, camera, "status");
      if (client_id.empty ())
        client_id = "wellmonitor-" + wellpublish::safe_name (camera) + "-" +
            std::to_string ((long) getpid ());
      mqtt.client_id = client_id;
      transport = wellpublish::make_mqtt_transport (mqtt);
    }
  } catch (const std::invalid_argument & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Bad address: %s.", e.what ()), (NULL));
    return FALSE;
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot set up publishing to '%s': %s.", address.c_str (), e.what ()),
        (NULL));
    return FALSE;
  }

  priv->address = address;
  wellpublish::PublisherCallbacks callbacks;
  callbacks.warning = [self](const std::string & what) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", what.c_str ()), (NULL));
  };
  callbacks.connected = [self, address](bool outage) {
    GST_INFO_OBJECT (self, "%s %s", outage ? "reconnected to" : "connected to",
        address.c_str ());
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("wellpublish-connected",
                "address", G_TYPE_STRING, address.c_str (),
                "reconnected", G_TYPE_BOOLEAN, (gboolean) outage, NULL)));
  };
  try {
    auto publisher = std::make_unique<wellpublish::Publisher> (
        std::move (transport), queue_size, std::move (callbacks));
    publisher->start ();
    GST_OBJECT_LOCK (self);
    priv->publisher = std::move (publisher);
    GST_OBJECT_UNLOCK (self);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot start publishing: %s.", e.what ()), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "publishing to %s", address.c_str ());
  return TRUE;
}

static gboolean
gst_well_publish_stop (GstBaseTransform * trans)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);
  GstWellPublishPrivate *priv = self->priv;

  GST_OBJECT_LOCK (self);
  std::unique_ptr<wellpublish::Publisher> publisher = std::move (priv->publisher);
  const int drain = (int) self->drain_timeout;
  GST_OBJECT_UNLOCK (self);
  if (publisher) {
    const size_t left = publisher->stop (drain);
    if (left > 0)
      GST_WARNING_OBJECT (self, "stopping with %zu messages undelivered to %s",
          left, priv->address.c_str ());
    GST_OBJECT_LOCK (self);
    priv->last_stats = publisher->stats ();
    GST_OBJECT_UNLOCK (self);
  }
  /* no clear is published for a well still in alarm (see end_all) */
  priv->alarms.end_all (wellmonitor::AlarmEnd::kStopped);
  priv->alarms = wellmonitor::AlarmLifecycle ();
  return TRUE;
}

static gboolean
gst_well_publish_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    /* wellmonitor forgets its alarms on a flush: so do we, without clears */
    self->priv->alarms.end_all (wellmonitor::AlarmEnd::kFlush);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ----------------------------------------------------------- per-frame work */

/* Queues the event of `change` (an alarm or its end) for the well `w`. */
static void
queue_event (GstWellPublish * self, GstVideoFrame * frame,
    const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & change,
    const FrameSettings & s, gint64 wall_us,
    const wellmonitor::BufferTimes & times, guint64 index)
{
  GstWellPublishPrivate *priv = self->priv;
  std::shared_ptr<wellpublish::EventData> e = wellpublish::capture_event (frame,
      w, change, s.event, ++priv->seq, wall_us, times, index);

  wellpublish::Message m;
  m.topic = wellpublish::camera_topic (s.topic, s.event.camera,
      wellpublish::safe_name (w.id));
  m.qos = s.qos;
  m.prepare = [e](wellpublish::Message & msg) {
    msg.payload = wellpublish::render_event (*e);
  };
  if (change.alarm)
    GST_INFO_OBJECT (self, "alarm at well %s, frame %" G_GUINT64_FORMAT
        " (event %s)", w.id.c_str (), index, change.event_id.c_str ());
  else
    GST_INFO_OBJECT (self, "clear at well %s, frame %" G_GUINT64_FORMAT,
        w.id.c_str (), index);
  priv->publisher->queue (std::move (m));
}

/* The wells of the buffer as the publisher counts them: with an index (a
 * meta of a negative id is no well of a layout) and an id. */
static bool
read_wells (GstBuffer * buffer, std::vector<wellmonitor::WellResult> & wells)
{
  wellmonitor::well_meta_read (buffer, wells);
  wells.erase (std::remove_if (wells.begin (), wells.end (),
          [](const wellmonitor::WellResult & w) { return w.index < 0; }),
      wells.end ());
  for (wellmonitor::WellResult & w : wells)
    if (!w.named)
      w.id = std::to_string (w.index);
  return !wells.empty ();
}

static GstFlowReturn
gst_well_publish_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellPublish *self = GST_WELL_PUBLISH (filter);
  GstWellPublishPrivate *priv = self->priv;
  FrameSettings s;

  GST_OBJECT_LOCK (self);
  s.topic = str (self->topic);
  s.event.camera = str (self->camera);
  s.qos = (int) self->qos;
  s.event.snapshot = self->snapshot;
  s.event.margin = self->snapshot_margin;
  s.event.quality = self->snapshot_quality;
  s.event.frame_dir = str (self->frame_dir);
  s.publish_scores = self->publish_scores;
  GST_OBJECT_UNLOCK (self);

  if (!priv->publisher)
    return GST_FLOW_OK;

  const guint64 index = priv->frames++;
  const gint64 wall_us = g_get_real_time ();
  if (GST_BUFFER_IS_DISCONT (frame->buffer) && index > 0) {
    /* as wellmonitor: the alarms start again, no clear */
    priv->alarms.end_all (wellmonitor::AlarmEnd::kGap);
  }

  try {
    if (!read_wells (frame->buffer, priv->metas))
      return GST_FLOW_OK;

    const wellmonitor::BufferTimes times = wellmonitor::buffer_times (
        &GST_BASE_TRANSFORM (self)->segment, GST_BUFFER_PTS (frame->buffer));
    wellmonitor::AlarmTime when;
    when.wall_us = wall_us;
    when.running_ns = times.running_time;
    priv->alarms.set_scope (s.event.camera);

    bool analysed = false;
    for (const wellmonitor::WellResult & w : priv->metas) {
      if (w.index >= 4096)
        continue;
      analysed = analysed || w.analysed;
      const wellmonitor::AlarmChange *change = priv->alarms.follow (
          (size_t) w.index, w.id, w.score, w.anomaly, w.alarm, when);
      if (change)
        queue_event (self, frame, w, *change, s, wall_us, times, index);
    }

    if (s.publish_scores && analysed) {
      wellpublish::Message m;
      m.topic = wellpublish::camera_topic (s.topic, s.event.camera, "scores");
      m.qos = s.qos;
      m.droppable = true;
      m.payload = wellpublish::render_scores (s.event.camera, ++priv->seq,
          wall_us, times, index, priv->metas);
      priv->publisher->queue (std::move (m));
    }
  } catch (const std::exception & e) {
    /* publishing never ends the pipeline */
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Could not publish the wells of frame %" G_GUINT64_FORMAT ".", index),
        ("%s", e.what ()));
  } catch (...) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Could not publish the wells of frame %" G_GUINT64_FORMAT ".", index),
        ("unknown exception"));
  }
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------------- class */

#define RW_READY (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)
#define RO (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

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
   * Where events go: "mqtt" (a broker at #GstWellPublish:address) or "file"
   * (one JSON object per line, appended to the file at
   * #GstWellPublish:address).
   */
  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method",
          "Where events go: an MQTT broker or a file of JSON lines",
          GST_TYPE_WELL_PUBLISH_METHOD, DEFAULT_PROP_METHOD, RW_READY));
  /**
   * GstWellPublish:address:
   *
   * Method mqtt: mqtt://[user[:password]@]host[:port] (port 1883), or
   * mqtts:// for TLS (port 8883). Method file: the file's path. Required.
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "mqtt://host:port (mqtts:// for TLS), or the file's path (required)",
          DEFAULT_PROP_ADDRESS, RW_READY));
  /**
   * GstWellPublish:topic:
   *
   * Topic prefix: events go to TOPIC/CAMERA/WELL, availability to
   * TOPIC/CAMERA/status ("online"/"offline", retained), scores to
   * TOPIC/CAMERA/scores.
   */
  g_object_class_install_property (gobject_class, PROP_TOPIC,
      g_param_spec_string ("topic", "Topic",
          "Topic prefix: events go to TOPIC/CAMERA/WELL",
          DEFAULT_PROP_TOPIC, RW_READY));
  /**
   * GstWellPublish:camera:
   *
   * The camera's id, in every event and topic (characters other than
   * letters, digits, '-', '_' and '.' become '_' in topics).
   */
  g_object_class_install_property (gobject_class, PROP_CAMERA,
      g_param_spec_string ("camera", "Camera",
          "The camera's id, in every event and topic",
          DEFAULT_PROP_CAMERA, RW_READY));
  /**
   * GstWellPublish:qos:
   *
   * MQTT quality of service: 0 at most once (lost with the connection), 1 at
   * least once, 2 exactly once.
   */
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_uint ("qos", "QoS",
          "MQTT quality of service (0, 1 or 2)",
          0, 2, DEFAULT_PROP_QOS, RW_READY));
  /**
   * GstWellPublish:queue-size:
   *
   * Messages that may wait for the broker. When the queue is full the oldest
   * scores message is dropped (counted in #GstWellPublish:dropped); alarms
   * and clears are never dropped: the queue grows for them, with a warning.
   */
  g_object_class_install_property (gobject_class, PROP_QUEUE_SIZE,
      g_param_spec_uint ("queue-size", "Queue size",
          "Messages that may wait for the broker",
          1, G_MAXINT, DEFAULT_PROP_QUEUE_SIZE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_CLIENT_ID,
      g_param_spec_string ("client-id", "Client id",
          "MQTT client id (default wellmonitor-CAMERA-PID)",
          DEFAULT_PROP_CLIENT_ID, RW_READY));
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "MQTT user name (overrides the address's)", DEFAULT_PROP_USERNAME,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "MQTT password (overrides the address's)", DEFAULT_PROP_PASSWORD,
          RW_READY));
  /**
   * GstWellPublish:tls-ca-file:
   *
   * PEM file of the certificate authority that signed the broker's
   * certificate; turns TLS on (mqtts:// without it: the system's
   * certificates).
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the CA that signed the broker's certificate (TLS)",
          DEFAULT_PROP_TLS_CA_FILE, RW_READY));
  /**
   * GstWellPublish:tls-cert-file:
   *
   * PEM client certificate, for brokers that ask for one (with
   * #GstWellPublish:tls-key-file and #GstWellPublish:tls-ca-file).
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CERT_FILE,
      g_param_spec_string ("tls-cert-file", "TLS certificate file",
          "PEM client certificate, for brokers that ask for one",
          DEFAULT_PROP_TLS_CERT_FILE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "PEM private key of tls-cert-file", DEFAULT_PROP_TLS_KEY_FILE,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_INSECURE,
      g_param_spec_boolean ("tls-insecure", "TLS insecure",
          "Do not check that the broker's certificate names its host (tests "
          "only)", DEFAULT_PROP_TLS_INSECURE, RW_READY));
  /**
   * GstWellPublish:keepalive:
   *
   * Seconds between MQTT keep-alive pings; the broker sends the last will
   * ("offline") after 1.5 times this without a word.
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE,
      g_param_spec_uint ("keepalive", "Keep-alive",
          "Seconds between MQTT keep-alive pings",
          5, 3600, DEFAULT_PROP_KEEPALIVE, RW_READY));
  /**
   * GstWellPublish:snapshot:
   *
   * Put a JPEG of the well, from the frame of the event, into each event
   * (inline, base64).
   */
  g_object_class_install_property (gobject_class, PROP_SNAPSHOT,
      g_param_spec_boolean ("snapshot", "Snapshot",
          "Put a JPEG of the well into each event",
          DEFAULT_PROP_SNAPSHOT, RW_PLAYING));
  /**
   * GstWellPublish:snapshot-margin:
   *
   * The snapshot shows the well widened on each side by this fraction of its
   * width and height (0 = the box alone), inside the frame.
   */
  g_object_class_install_property (gobject_class, PROP_SNAPSHOT_MARGIN,
      g_param_spec_double ("snapshot-margin", "Snapshot margin",
          "Margin around the well in the snapshot, a fraction of its size",
          0.0, 10.0, DEFAULT_PROP_SNAPSHOT_MARGIN, RW_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SNAPSHOT_QUALITY,
      g_param_spec_int ("snapshot-quality", "Snapshot quality",
          "JPEG quality of the snapshots and frames", 1, 100,
          DEFAULT_PROP_SNAPSHOT_QUALITY, RW_PLAYING));
  /**
   * GstWellPublish:frame-dir:
   *
   * Also save each event's whole frame as a JPEG in this folder
   * (CAMERA_WELL_MS_KIND.jpg), written before the event is sent; its path is
   * the event's "frame_path". NULL: no frames.
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_DIR,
      g_param_spec_string ("frame-dir", "Frame folder",
          "Also save each event's whole frame as a JPEG in this folder",
          DEFAULT_PROP_FRAME_DIR, RW_PLAYING));
  /**
   * GstWellPublish:publish-scores:
   *
   * Also publish every well's score on each analysed frame
   * (TOPIC/CAMERA/scores); these messages are dropped first when the queue is
   * full.
   */
  g_object_class_install_property (gobject_class, PROP_PUBLISH_SCORES,
      g_param_spec_boolean ("publish-scores", "Publish scores",
          "Also publish every well's score on each analysed frame",
          DEFAULT_PROP_PUBLISH_SCORES, RW_PLAYING));
  /**
   * GstWellPublish:drain-timeout:
   *
   * When the element stops with the broker connected, wait at most this many
   * ms for the queue to be delivered; what is left is logged as undelivered.
   */
  g_object_class_install_property (gobject_class, PROP_DRAIN_TIMEOUT,
      g_param_spec_uint ("drain-timeout", "Drain timeout",
          "Milliseconds to wait at stop for the queue to be delivered",
          0, 600000, DEFAULT_PROP_DRAIN_TIMEOUT, RW_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
          "TRUE while the broker (or file) accepts messages", FALSE, RO));
  g_object_class_install_property (gobject_class, PROP_DELIVERED,
      g_param_spec_uint64 ("delivered", "Delivered",
          "Messages acknowledged by the broker (or written) since the start",
          0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "Scores messages dropped from a full queue since the start",
          0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_WAITING,
      g_param_spec_uint64 ("waiting", "Waiting",
          "Messages in the queue now (not yet acknowledged)",
          0, G_MAXUINT64, 0, RO));

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
  self->method = DEFAULT_PROP_METHOD;
  self->address = g_strdup (DEFAULT_PROP_ADDRESS);
  self->topic = g_strdup (DEFAULT_PROP_TOPIC);
  self->camera = g_strdup (DEFAULT_PROP_CAMERA);
  self->qos = DEFAULT_PROP_QOS;
  self->queue_size = DEFAULT_PROP_QUEUE_SIZE;
  self->client_id = g_strdup (DEFAULT_PROP_CLIENT_ID);
  self->username = g_strdup (DEFAULT_PROP_USERNAME);
  self->password = g_strdup (DEFAULT_PROP_PASSWORD);
  self->tls_ca_file = g_strdup (DEFAULT_PROP_TLS_CA_FILE);
  self->tls_cert_file = g_strdup (DEFAULT_PROP_TLS_CERT_FILE);
  self->tls_key_file = g_strdup (DEFAULT_PROP_TLS_KEY_FILE);
  self->tls_insecure = DEFAULT_PROP_TLS_INSECURE;
  self->keepalive = DEFAULT_PROP_KEEPALIVE;
  self->snapshot = DEFAULT_PROP_SNAPSHOT;
  self->snapshot_margin = DEFAULT_PROP_SNAPSHOT_MARGIN;
  self->snapshot_quality = DEFAULT_PROP_SNAPSHOT_QUALITY;
  self->frame_dir = g_strdup (DEFAULT_PROP_FRAME_DIR);
  self->publish_scores = DEFAULT_PROP_PUBLISH_SCORES;
  self->drain_timeout = DEFAULT_PROP_DRAIN_TIMEOUT;
  self->priv = new GstWellPublishPrivate ();

  /* reads only: the buffers pass untouched and are never made writable */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_well_publish_finalize (GObject * object)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  delete self->priv;
  self->priv = NULL;
  g_free (self->address);
  g_free (self->topic);
  g_free (self->camera);
  g_free (self->client_id);
  g_free (self->username);
  g_free (self->password);
  g_free (self->tls_ca_file);
  g_free (self->tls_cert_file);
  g_free (self->tls_key_file);
  g_free (self->frame_dir);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
set_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
gst_well_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      self->method = (GstWellPublishMethod) g_value_get_enum (value);
      break;
    case PROP_ADDRESS:
      set_string (&self->address, value);
      break;
    case PROP_TOPIC:
      set_string (&self->topic, value);
      break;
    case PROP_CAMERA:
      set_string (&self->camera, value);
      break;
    case PROP_QOS:
      self->qos = g_value_get_uint (value);
      break;
    case PROP_QUEUE_SIZE:
      self->queue_size = g_value_get_uint (value);
      break;
    case PROP_CLIENT_ID:
      set_string (&self->client_id, value);
      break;
    case PROP_USERNAME:
      set_string (&self->username, value);
      break;
    case PROP_PASSWORD:
      set_string (&self->password, value);
      break;
    case PROP_TLS_CA_FILE:
      set_string (&self->tls_ca_file, value);
      break;
    case PROP_TLS_CERT_FILE:
      set_string (&self->tls_cert_file, value);
      break;
    case PROP_TLS_KEY_FILE:
      set_string (&self->tls_key_file, value);
      break;
    case PROP_TLS_INSECURE:
      self->tls_insecure = g_value_get_boolean (value);
      break;
    case PROP_KEEPALIVE:
      self->keepalive = g_value_get_uint (value);
      break;
    case PROP_SNAPSHOT:
      self->snapshot = g_value_get_boolean (value);
      break;
    case PROP_SNAPSHOT_MARGIN:
      self->snapshot_margin = g_value_get_double (value);
      break;
    case PROP_SNAPSHOT_QUALITY:
      self->snapshot_quality = g_value_get_int (value);
      break;
    case PROP_FRAME_DIR:
      set_string (&self->frame_dir, value);
      break;
    case PROP_PUBLISH_SCORES:
      self->publish_scores = g_value_get_boolean (value);
      break;
    case PROP_DRAIN_TIMEOUT:
      self->drain_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_well_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  const wellpublish::PublisherStats stats = self->priv->publisher ?
      self->priv->publisher->stats () : self->priv->last_stats;
  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, self->method);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_CAMERA:
      g_value_set_string (value, self->camera);
      break;
    case PROP_QOS:
      g_value_set_uint (value, self->qos);
      break;
    case PROP_QUEUE_SIZE:
      g_value_set_uint (value, self->queue_size);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_CERT_FILE:
      g_value_set_string (value, self->tls_cert_file);
      break;
    case PROP_TLS_KEY_FILE:
      g_value_set_string (value, self->tls_key_file);
      break;
    case PROP_TLS_INSECURE:
      g_value_set_boolean (value, self->tls_insecure);
      break;
    case PROP_KEEPALIVE:
      g_value_set_uint (value, self->keepalive);
      break;
    case PROP_SNAPSHOT:
      g_value_set_boolean (value, self->snapshot);
      break;
    case PROP_SNAPSHOT_MARGIN:
      g_value_set_double (value, self->snapshot_margin);
      break;
    case PROP_SNAPSHOT_QUALITY:
      g_value_set_int (value, self->snapshot_quality);
      break;
    case PROP_FRAME_DIR:
      g_value_set_string (value, self->frame_dir);
      break;
    case PROP_PUBLISH_SCORES:
      g_value_set_boolean (value, self->publish_scores);
      break;
    case PROP_DRAIN_TIMEOUT:
      g_value_set_uint (value, self->drain_timeout);
      break;
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
