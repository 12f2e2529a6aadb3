// libFuzzer harness: the wellmonitor element's frame path (caps, set_info,
// the wells' crops in every format, scoring, metas and messages).
//
// Each input drives one element from start to teardown in a GstHarness: caps
// (one of the element's formats, a format it refuses, or a caps string from
// the input) at a random size, random properties, then up to four buffers
// whose sizes are right, short or long and whose bytes come from the input.
// The element must refuse what it cannot take (an error, a flow return),
// never crash, read out of bounds or hang. The element is registered
// statically (its sources are linked in, instrumented), with the source
// tree's default model and a three-well layout.
#include "fuzz_common.h"
#include "gstwellmonitor.h"
#include "wellmonitor/version.h"

#include <fuzzer/FuzzedDataProvider.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

namespace {

std::string g_layout;

const char* const kFormats[] = {"BGR",  "BGRx", "BGRA", "RGB",  "RGBx", "RGBA",
                                "GRAY8", "I420", "NV12", "YUY2", "GRAY16_LE"};

GstCaps* make_caps(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0) {
    const std::string text = in.ConsumeRandomLengthString(256);
    GstCaps* caps = gst_caps_from_string(text.c_str());
    if (caps && (gst_caps_is_empty(caps) || !gst_caps_is_fixed(caps))) {
      gst_caps_unref(caps);
      caps = nullptr;
    }
    return caps;
  }
  const char* format = kFormats[in.ConsumeIntegralInRange<size_t>(0, std::size(kFormats) - 1)];
  const int width = in.ConsumeIntegralInRange<int>(1, 200);
  const int height = in.ConsumeIntegralInRange<int>(1, 200);
  const int fps = in.ConsumeIntegralInRange<int>(0, 60);
  return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, format, "width", G_TYPE_INT, width, "height",
                             G_TYPE_INT, height, "framerate", GST_TYPE_FRACTION, fps, 1, nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string& dir = wellmonitor_fuzz::scratch_dir();
  // No plugins but the element itself; the registry in the scratch folder.
  g_setenv("GST_PLUGIN_SYSTEM_PATH", dir.c_str(), TRUE);
  g_setenv("GST_PLUGIN_PATH", dir.c_str(), TRUE);
  g_setenv("GST_REGISTRY", (dir + "/registry.bin").c_str(), TRUE);
  g_setenv("GST_REGISTRY_FORK", "no", TRUE);
  gst_init(nullptr, nullptr);
  if (!GST_ELEMENT_REGISTER(wellmonitor, nullptr)) return 1;
  const std::string layout = "reference 64 48\nwell a 0 0 16 16\nwell b 20 10 30 30\nwell c 60 44 4 4\n";
  g_layout = wellmonitor_fuzz::write_scratch("fuzz.wells", reinterpret_cast<const uint8_t*>(layout.data()),
                                             layout.size());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  GstElement* element = gst_element_factory_make("wellmonitor", nullptr);
  if (!element) return 0;
  g_object_set(element, "model", WELLMONITOR_SOURCE_MODEL, "wells", g_layout.c_str(), "device", "cpu", "threads", 1,
               "post-scores", in.ConsumeBool(), "interval", in.ConsumeIntegralInRange<guint>(1, 3), "alarm-frames",
               in.ConsumeIntegralInRange<guint>(1, 3), "clear-frames", in.ConsumeIntegralInRange<guint>(1, 3),
               "threshold", in.ConsumeBool() ? -1.0 : in.ConsumeFloatingPointInRange<double>(0.0, 2.0), nullptr);
  GstHarness* h = gst_harness_new_with_element(element, "sink", "src");
  gst_object_unref(element);

  GstCaps* caps = make_caps(in);
  GstVideoInfo info;
  gsize frame_size = 64;
  if (caps) {
    if (gst_video_info_from_caps(&info, caps)) frame_size = GST_VIDEO_INFO_SIZE(&info);
    gst_harness_set_src_caps(h, caps);
  }
  const int buffers = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < buffers && in.remaining_bytes() > 0; ++i) {
    gsize n = frame_size;
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: n = frame_size ? frame_size - 1 : 0; break;           // one byte short
      case 1: n = in.ConsumeIntegralInRange<gsize>(0, frame_size); break;  // short
      case 2: n = frame_size + in.ConsumeIntegralInRange<gsize>(1, 64); break;  // long
      default: break;  // exact
    }
    const std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(n);
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, n, nullptr);
    gst_buffer_fill(buf, 0, bytes.data(), bytes.size());
    if (bytes.size() < n) gst_buffer_memset(buf, bytes.size(), 0x80, n - bytes.size());
    GST_BUFFER_PTS(buf) = i * 40 * GST_MSECOND;
    if (in.ConsumeBool()) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    if (gst_harness_push(h, buf) != GST_FLOW_OK) break;
    if (GstBuffer* out = gst_harness_try_pull(h)) gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
  return 0;
}
