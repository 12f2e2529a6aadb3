/* The element of a factory upstream of a pad. */

#include "upstream.h"

namespace wellpublish {

/* The first element made by `factory` inside `bin` (a reference), or NULL. */
static GstElement *
find_in_bin (GstBin * bin, const char *factory)
{
  GstElement *found = NULL;
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (bin, factory);
  GValue item = G_VALUE_INIT;
  if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    found = GST_ELEMENT (g_value_dup_object (&item));
    g_value_unset (&item);
  }
  gst_iterator_free (it);
  return found;
}

GstElement *
find_upstream (GstPad * sinkpad, const char *factory)
{
  GstPad *pad = GST_PAD (gst_object_ref (sinkpad));
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
    if (f && g_strcmp0 (GST_OBJECT_NAME (f), factory) == 0) {
      found = e;
      break;
    }
    if (GST_IS_BIN (e) && (found = find_in_bin (GST_BIN (e), factory))) {
      gst_object_unref (e);
      break;
    }
    pad = gst_element_get_static_pad (e, "sink");
    gst_object_unref (e);
  }
  if (pad)
    gst_object_unref (pad);
  return found;
}

std::string
upstream_string (GstPad * sinkpad, const char *factory, const char *property)
{
  GstElement *e = find_upstream (sinkpad, factory);
  if (!e)
    return "";
  std::string out;
  GParamSpec *spec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (e), property);
  if (spec && G_PARAM_SPEC_VALUE_TYPE (spec) == G_TYPE_STRING) {
    gchar *value = NULL;
    g_object_get (e, property, &value, NULL);
    out = value ? value : "";
    g_free (value);
  }
  gst_object_unref (e);
  return out;
}

}  // namespace wellpublish
