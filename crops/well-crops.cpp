/* The wells' crops of a mapped video frame, for wellmonitor and wellmonitor-trainer extract. */

#include "well-crops.h"

#include <algorithm>
#include <stdexcept>
#include <string>

/* Pixels of frame around each box that its conversion also reads, so that a
 * converter that interpolates chroma (linear upsampling reaches one chroma
 * sample, two pixels, away) reads the same samples for the box's border
 * pixels as in a conversion of the whole frame. */
#define CONTEXT_PIXELS 4

static int
align_down (int v, int a)
{
  return v / a * a;
}

static int
align_up (int v, int a)
{
  return (v + a - 1) / a * a;
}

WellCrops::~WellCrops ()
{
  clear ();
}

void
WellCrops::clear ()
{
  for (Converted & c : converted_) {
    if (c.convert)
      gst_video_converter_free (c.convert);
  }
  converted_.clear ();
  crops_.clear ();
  boxes_.clear ();
  format_ = GST_VIDEO_FORMAT_UNKNOWN;
}

void
WellCrops::configure (const GstVideoInfo * info,
    const std::vector<cv::Rect> & boxes)
{
  clear ();
  format_ = GST_VIDEO_INFO_FORMAT (info);
  boxes_ = boxes;
  crops_.assign (boxes.size (), cv::Mat ());
  if (format_ == GST_VIDEO_FORMAT_BGR || format_ == GST_VIDEO_FORMAT_GRAY8)
    return;                     /* cropped in place */

  const GstVideoFormatInfo *finfo = info->finfo;
  const bool nv12 = format_ == GST_VIDEO_FORMAT_NV12;
  /* a view must start on a chroma sample */
  int align_x = 1, align_y = 1, context = 0;
  if (GST_VIDEO_FORMAT_INFO_IS_YUV (finfo)) {
    align_x = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
    align_y = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
    if (align_x > 1 || align_y > 1)
      context = CONTEXT_PIXELS;
    /* interlaced: each field's chroma rows alternate too */
    if (GST_VIDEO_INFO_IS_INTERLACED (info))
      align_y *= 2;
  }

  converted_.resize (boxes.size ());
  for (size_t i = 0; i < boxes.size (); i++) {
    const cv::Rect & b = boxes[i];
    Converted & c = converted_[i];
    const int x0 = std::max (0, align_down (b.x - context, align_x));
    const int y0 = std::max (0, align_down (b.y - context, align_y));
    const int x1 = std::min (GST_VIDEO_INFO_WIDTH (info),
        align_up (b.x + b.width + context, align_x));
    const int y1 = std::min (GST_VIDEO_INFO_HEIGHT (info),
        align_up (b.y + b.height + context, align_y));
    c.area = cv::Rect (x0, y0, x1 - x0, y1 - y0);

    /* the stream's layout and colorimetry at the view's size (the strides
     * are the mapped frame's, set on each frame) */
    c.in = *info;
    if (!gst_video_info_set_format (&c.in,
            nv12 ? GST_VIDEO_FORMAT_I420 : format_, c.area.width, c.area.height))
      throw std::runtime_error ("cannot lay out a well's view");
    c.in.colorimetry = info->colorimetry;
    c.in.chroma_site = info->chroma_site;
    c.in.fps_n = info->fps_n;
    c.in.fps_d = info->fps_d;
    c.in.par_n = info->par_n;
    c.in.par_d = info->par_d;
    c.in.interlace_mode = info->interlace_mode;
    c.in.flags = info->flags;
    if (nv12) {
      /* Y stays in the frame; U and V come apart into two planes */
      const int cw = (c.area.width + 1) / 2, ch = (c.area.height + 1) / 2;
      c.chroma.create (2 * ch, cw, CV_8UC1);
      c.in.stride[1] = c.in.stride[2] = (gint) c.chroma.step[0];
    }

    GstVideoInfo out;
    gst_video_info_set_format (&out, GST_VIDEO_FORMAT_BGR, c.area.width,
        c.area.height);
    out.fps_n = info->fps_n;
    out.fps_d = info->fps_d;
    out.par_n = info->par_n;
    out.par_d = info->par_d;
    out.interlace_mode = info->interlace_mode;
    out.flags = info->flags;
    c.convert = gst_video_converter_new (&c.in, &out,
        gst_structure_new ("wellmonitor-crop",
            GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1, NULL));
    if (!c.convert)
      throw std::runtime_error (std::string ("GStreamer cannot convert ") +
          gst_video_format_to_string (format_) + " to BGR");
    c.bgr.create (c.area.height, c.area.width, CV_8UC3);
    crops_[i] = c.bgr (cv::Rect (b.x - x0, b.y - y0, b.width, b.height));
  }
}

const std::vector<cv::Mat> &
WellCrops::extract (const GstVideoFrame * frame)
{
  if (converted_.empty ()) {
    const int type = format_ == GST_VIDEO_FORMAT_GRAY8 ? CV_8UC1 : CV_8UC3;
    const cv::Mat whole (GST_VIDEO_FRAME_HEIGHT (frame),
        GST_VIDEO_FRAME_WIDTH (frame), type,
        GST_VIDEO_FRAME_PLANE_DATA (frame, 0),
        (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
    for (size_t i = 0; i < boxes_.size (); i++)
      crops_[i] = whole (boxes_[i]);
    return crops_;
  }

  const GstVideoFormatInfo *finfo = frame->info.finfo;
  for (Converted & c : converted_) {
    GstVideoFrame src = *frame;
    src.info = c.in;
    GstVideoFrame dst = GstVideoFrame ();
    gst_video_info_set_format (&dst.info, GST_VIDEO_FORMAT_BGR,
        c.area.width, c.area.height);
    dst.info.stride[0] = (gint) c.bgr.step[0];
    dst.data[0] = c.bgr.data;
    dst.buffer = frame->buffer;

    if (format_ == GST_VIDEO_FORMAT_NV12) {
      const int cw = c.chroma.cols, ch = c.chroma.rows / 2;
      const guint8 *uv = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 1)
          + (size_t) (c.area.y / 2) * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1)
          + (size_t) (c.area.x / 2) * 2;
      for (int y = 0; y < ch; y++) {
        const guint8 *s = uv + (size_t) y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 1);
        guint8 *u = c.chroma.ptr < guint8 > (y);
        guint8 *v = c.chroma.ptr < guint8 > (ch + y);
        for (int x = 0; x < cw; x++) {
          u[x] = s[2 * x];
          v[x] = s[2 * x + 1];
        }
      }
      src.info.stride[0] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
      src.data[0] = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 0)
          + (size_t) c.area.y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0)
          + c.area.x;
      src.data[1] = c.chroma.ptr < guint8 > (0);
      src.data[2] = c.chroma.ptr < guint8 > (ch);
    } else {
      /* each plane from the view's corner: its first component's position */
      for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame); p++) {
        gint comp[GST_VIDEO_MAX_COMPONENTS];
        gst_video_format_info_component (finfo, p, comp);
        const gint k = comp[0];
        src.info.stride[p] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
        src.data[p] = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, p)
            + (size_t) GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_H_SUB (finfo,
                k), c.area.y) * GST_VIDEO_FRAME_PLANE_STRIDE (frame, p)
            + (size_t) GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_W_SUB (finfo,
                k), c.area.x) * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, k);
      }
    }
    gst_video_converter_frame (c.convert, &src, &dst);
  }
  return crops_;
}
