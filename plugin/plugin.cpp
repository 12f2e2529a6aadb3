/* The wellmonitor plugin: registers its elements, nothing else. */
#include <gst/gst.h>

#include "gstwellmonitor.h"
#include "gstwelloverlay.h"
#include "gstwellpublish.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (wellmonitor, plugin);
  ret |= GST_ELEMENT_REGISTER (welloverlay, plugin);
  ret |= GST_ELEMENT_REGISTER (wellpublish, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    wellmonitor,
    "Spill monitoring of casting-table wells: per-well anomaly scores and alarms, their overlay, and their publication (MQTT, JSON lines)",
    plugin_init, VERSION, "Proprietary", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
