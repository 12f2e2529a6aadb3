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
#include "publish-properties.h"
#include "session.h"
#include "upstream.h"
#include "video-formats.h"

#include <unistd.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_publish_debug);
#define GST_CAT_DEFAULT gst_well_publish_debug

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

/* C++ state, new'ed in init and deleted in finalize. The properties' values
 * are under the object lock; the session lives from start to stop. */
struct GstWellPublishPrivate
{
  wellpublish::PublishProperties props;
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

/* The properties as the publishing parts take them, copied under the lock. */
static wellpublish::Settings
read_settings (GstWellPublish * self)
{
  GST_OBJECT_LOCK (self);
  wellpublish::Settings s = self->priv->props.settings ();
  GST_OBJECT_UNLOCK (self);
  return s;
}

/* ---------------------------------------------------------------- start/stop */

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
  reports.model = [self]() {
    return wellpublish::upstream_string (GST_BASE_TRANSFORM_SINK_PAD (self),
        "wellmonitor", "model");
  };
  reports.action = [self](const wellpublish::OperatorAction & a) {
    /* shelving is wellmonitor's to post ("wellmonitor-shelved") */
    const std::string text = wellpublish::operator_action_text (a);
    if (text.empty ())
      return;
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

/* A shelve event from downstream on its way up to wellmonitor (wellmonitor-run
 * shelving again the wells shelved before a restart): who and why are kept for
 * the state it leads to, as for a command of the topic's; it goes on up. */
static gboolean
gst_well_publish_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellPublish *self = GST_WELL_PUBLISH (trans);

  wellmonitor::ShelveRequest r;
  if (self->priv->session && wellmonitor::shelve_event_parse (event, r))
    self->priv->session->shelve_passing (r);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
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

  /* each with its doc block, in publish-properties.cpp */
  wellpublish::install_publish_properties (gobject_class);

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
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_well_publish_src_event);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_well_publish_transform_frame_ip);

  gst_type_mark_as_plugin_api (wellpublish::publish_method_get_type (), (GstPluginAPIFlags) 0);
}

static void
gst_well_publish_init (GstWellPublish * self)
{
  self->priv = new GstWellPublishPrivate ();

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

  delete self->priv;
  self->priv = NULL;

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_well_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellPublish *self = GST_WELL_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  const bool known = self->priv->props.set (prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
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
  const bool known = priv->props.get (prop_id, stats, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}
