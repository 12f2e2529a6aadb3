/* wellpublish's properties: their ids, their GParamSpecs (each with its doc
 * block), their values with the defaults, and the Settings the publishing
 * parts take from them, in one place, as monitor-properties.h does for
 * wellmonitor. The element installs them, holds one PublishProperties under
 * its object lock, and gives the publisher's counters for the read-only
 * ones. */
#pragma once

#include "publisher.h"
#include "settings.h"

#include <glib-object.h>

namespace wellpublish {

/* The read-write properties come first: their values are kept as GValues,
 * by id (PublishProperties). */
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

/* The values of the method property (GType GstWellPublishMethod). */
enum PublishMethod
{
  PUBLISH_METHOD_MQTT,
  PUBLISH_METHOD_FILE,
};

GType publish_method_get_type (void);

/* Installs the properties on wellpublish's class. */
void install_publish_properties (GObjectClass * klass);

/* The values of the read-write properties, each at its default until set. */
class PublishProperties
{
public:
  PublishProperties ();
  ~PublishProperties ();
  PublishProperties (const PublishProperties &) = delete;
  PublishProperties & operator= (const PublishProperties &) = delete;

  static bool is_read_write (guint id)
  {
    return id > PROP_0 && id < PROP_CONNECTED;
  }

  /* Sets property `id`; false when it is not a read-write one. */
  bool set (guint id, const GValue * value);
  /* Reads property `id`: a read-write one's value, a read-only one from
   * `stats`; false when `id` is none of them. */
  bool get (guint id, const PublisherStats & stats, GValue * value) const;

  /* What the publishing parts take: method mqtt publishes the retained
   * kinds (state, stats, snapshots) and takes commands, method file not. */
  Settings settings () const;

private:
  GValue values_[N_PROPS] = { };
};

}  // namespace wellpublish
