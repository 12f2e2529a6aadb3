/* wellpublish's pictures and files. */

#include "frame-writer.h"

#include "well-crops.h"

#include <glib/gstdio.h>
#include <opencv2/imgcodecs.hpp>

#include <cerrno>
#include <stdexcept>

namespace wellpublish {

cv::Mat
frame_to_bgr (const GstVideoFrame * frame, const cv::Rect & box)
{
  WellCrops crops;
  crops.configure (&frame->info, { box });
  return crops.extract (frame)[0].clone ();
}

std::vector<uchar>
encode_jpeg (const cv::Mat & image, int quality)
{
  std::vector<uchar> out;
  if (!cv::imencode (".jpg", image, out, { cv::IMWRITE_JPEG_QUALITY, quality }))
    throw std::runtime_error ("JPEG encoding failed");
  return out;
}

void
write_file_atomically (const std::string & path,
    const std::vector<uchar> & data)
{
  const std::string tmp = path + ".part";
  GError *err = nullptr;
  if (!g_file_set_contents (tmp.c_str (), (const gchar *) data.data (),
          (gssize) data.size (), &err)) {
    std::string what = err ? err->message : "cannot write";
    g_clear_error (&err);
    throw std::runtime_error (what);
  }
  if (g_rename (tmp.c_str (), path.c_str ()) != 0) {
    g_unlink (tmp.c_str ());
    throw std::runtime_error (path + ": " + g_strerror (errno));
  }
}

void
write_frame_jpeg (const std::string & path, GstBuffer * buffer,
    const GstVideoInfo & info_in, int quality)
{
  GstVideoFrame vf;
  GstVideoInfo info = info_in;
  if (!gst_video_frame_map (&vf, &info, buffer, GST_MAP_READ))
    throw std::runtime_error ("cannot map the frame");
  cv::Mat whole;
  try {
    whole = frame_to_bgr (&vf, cv::Rect (0, 0, GST_VIDEO_INFO_WIDTH (&info),
            GST_VIDEO_INFO_HEIGHT (&info)));
  } catch (...) {
    gst_video_frame_unmap (&vf);
    throw;
  }
  gst_video_frame_unmap (&vf);
  write_file_atomically (path, encode_jpeg (whole, quality));
}

}  // namespace wellpublish
