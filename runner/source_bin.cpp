#include "source_bin.h"

#include "pipeline_description.h"

namespace wellmonitor::run {

namespace {

bool is_video(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  bool video = false;
  if (caps && gst_caps_get_size(caps) > 0) {
    const gchar* name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    video = g_str_has_prefix(name, "video/");
  }
  if (caps) gst_caps_unref(caps);
  return video;
}

// decodebin exposed a pad: the first video one becomes the bin's output.
void on_decoded_pad(GstElement* /*decodebin*/, GstPad* pad, gpointer bin_ptr) {
  GstElement* bin = GST_ELEMENT(bin_ptr);
  if (!is_video(pad)) return;
  GstPad* ghost = gst_element_get_static_pad(bin, "src");
  if (!ghost) return;
  GstPad* target = gst_ghost_pad_get_target(GST_GHOST_PAD(ghost));
  if (!target) gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), pad);
  else gst_object_unref(target);
  gst_object_unref(ghost);
}

// rtspsrc's select-stream: video streams only (a camera's audio would have
// nowhere to go).
gboolean on_select_stream(GstElement* /*rtspsrc*/, guint /*num*/, GstCaps* caps, gpointer /*data*/) {
  if (!caps || gst_caps_get_size(caps) == 0) return TRUE;
  const gchar* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  return !media || g_str_equal(media, "video");
}

void watch_rtspsrc(const GValue* item, gpointer /*data*/) {
  GstElement* e = GST_ELEMENT(g_value_get_object(item));
  GstElementFactory* f = gst_element_get_factory(e);
  if (f && g_str_equal(GST_OBJECT_NAME(f), "rtspsrc"))
    g_signal_connect(e, "select-stream", G_CALLBACK(on_select_stream), nullptr);
}

}  // namespace

GstElement* make_source_bin(const std::string& description, const std::string& name, AssumedMatrix assumed,
                            std::string& error) {
  const std::string full = description + " ! decodebin name=" + kDecoderName;
  GError* err = nullptr;
  GstParseContext* ctx = gst_parse_context_new();
  GstElement* bin = gst_parse_bin_from_description_full(full.c_str(), FALSE, ctx, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  gchar** missing = gst_parse_context_get_missing_elements(ctx);
  gst_parse_context_free(ctx);
  if (!bin || err) {
    if (missing && missing[0])
      error = std::string("GStreamer element '") + missing[0] + "' not found";
    else
      error = std::string("cannot build the source '") + description + "': " + (err ? err->message : "unknown error");
    g_strfreev(missing);
    if (err) g_error_free(err);
    if (bin) gst_object_unref(bin);
    return nullptr;
  }
  g_strfreev(missing);
  gst_object_set_name(GST_OBJECT(bin), name.c_str());

  GstElement* decoder = gst_bin_get_by_name(GST_BIN(bin), kDecoderName);
  GstCaps* video = gst_caps_from_string("video/x-raw(ANY)");
  g_object_set(decoder, "caps", video, "expose-all-streams", FALSE, nullptr);
  gst_caps_unref(video);
  GstPad* ghost = gst_ghost_pad_new_no_target("src", GST_PAD_SRC);
  gst_element_add_pad(bin, ghost);
  g_signal_connect_object(decoder, "pad-added", G_CALLBACK(on_decoded_pad), bin, GConnectFlags(0));
  gst_object_unref(decoder);

  watch_colour_matrix(bin, assumed);

  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(bin));
  gst_iterator_foreach(it, watch_rtspsrc, nullptr);
  gst_iterator_free(it);
  return bin;
}

}  // namespace wellmonitor::run
