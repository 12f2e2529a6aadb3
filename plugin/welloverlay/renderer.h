/* welloverlay's drawing, for a screen an operator reads from across a
 * control room, on a mapped video frame in the frame's own format (packed RGB
 * in its byte order; I420 and NV12 with luma at full and chroma at half
 * resolution, in the stream's colour matrix and range; GRAY8 as luma only):
 *
 *  - every well's box (green normal, amber over the threshold, red and thicker
 *    in alarm) and its id; its score only on request; a shelved well (out of
 *    use, masked by an operator) as a grey dashed box crossed corner to
 *    corner, never in an alarm's colour, banner or inset;
 *  - while wells are in alarm: a banner across the top whose letters are over
 *    6% of the frame's height, naming each well and how long it has been in
 *    alarm ("SPILL r1w4 12s, r2w9 3s"), corner marks around each such well (a
 *    cue of shape, for whoever cannot tell red from green) and an enlarged
 *    inset of each, captioned with its id;
 *  - a status line: "MONITOR HEALTHY" / "CAMERA LOST" / "CAMERA OBSCURED", the
 *    model and the number of wells, and of them shelved; a lost or obscured camera also gets an
 *    amber banner when no well is in alarm.
 * Every size follows the frame's height, times a scale the user sets.
 *
 * Text is rendered once into coverage masks (a sprite per text and size, with
 * a dark outline) and alpha-blended into frames from then on: rendering
 * antialiased text with OpenCV for ~84 labels on up to three planes costs
 * several ms a frame, blending cached masks a fraction of that.
 *
 * GStreamer's video library only (formats, frames); no element. */
#pragma once

#include "pixels.h"
#include "well-meta.h"

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <string>
#include <unordered_map>
#include <vector>

namespace wellmonitor {

/* What to draw: welloverlay's properties. */
struct OverlayStyle
{
  bool show_labels = true;      /* each well's id above its box */
  bool show_scores = false;     /* each well's score below its box */
  bool relative_scores = true;  /* scores as a percentage of the threshold */
  bool show_banner = true;      /* the alarm banner across the top */
  bool show_insets = true;      /* an enlarged view of each well in alarm */
  bool show_status = true;      /* the status line along the bottom */
  double scale = 1.0;           /* every automatic size times this */
  double font_scale = 0.0;      /* the wells' labels, OpenCV font scale; 0: automatic */
  int line_width = 0;           /* the boxes, pixels; 0: automatic */
};

/* What the overlay knows of the monitor beyond the wells. */
enum class CameraState { kOk, kLost, kObscured };

struct OverlayStatus
{
  CameraState camera = CameraState::kOk;
  std::string reason;           /* why the camera counts as lost ("no-frames", ...) */
  std::string since;            /* wall-clock time of the loss ("21:43:05"), or "" */
  std::string model;            /* the model's name; "" when not known */
};

/* The automatic sizes, as fractions of the frame's height (times the style's
 * scale): the banner's capital letters, the insets' and the status line's. */
constexpr double kBannerTextHeight = 0.064;
constexpr double kCaptionTextHeight = 0.034;
constexpr double kStatusTextHeight = 0.026;
constexpr double kInsetHeight = 0.22;
/* At most this many banner lines and insets; the rest are counted. */
constexpr size_t kMaxBannerLines = 2;
constexpr size_t kMaxInsets = 4;

/* "12s", "2m05s", "1h02m": how long a well has been in alarm. */
std::string overlay_duration_text (GstClockTime duration);

/* The banner's lines for `items` ("r1w4 12s", ...): "SPILL " and as many items
 * per line as fit in `width` pixels by `measure`, at most `max_lines` lines,
 * the last one ending in "+N more" when not all fit. */
std::vector<std::string> overlay_banner_lines (
    const std::vector<std::string> & items, int width, size_t max_lines,
    int (*measure) (const std::string & text, const void *data),
    const void *data);

class OverlayRenderer
{
public:
  /* Prepares for frames of `info`: per plane, how to wrap it and the colours
   * as its pixel values. False for a format it cannot draw on. */
  bool configure (const GstVideoInfo * info);

  /* Draws `wells` and `status` on `frame` (mapped writable, of the configured
   * format); `now` is the frame's time (running time, ns), from which the
   * renderer counts how long each well has been in alarm. Reorders `wells`
   * so that the wells in alarm are drawn last, on top. */
  void draw (GstVideoFrame * frame, std::vector<WellResult> & wells,
      const OverlayStyle & style, const OverlayStatus & status,
      GstClockTime now);

  /* Darkens the whole frame to `keep` of its brightness (a picture that is
   * no longer live). */
  void dim (GstVideoFrame * frame, double keep);

  /* Forgets when the wells went into alarm (a flush, a lost camera). */
  void reset_alarm_times () { alarm_since_.clear (); }

  size_t planes () const { return planes_.size (); }
  /* The wells in alarm on the last frame drawn, as the banner and the insets
   * name them ("r1w4 12s"), in layout order. */
  const std::vector<std::string> & alarm_items () const { return items_; }
  /* The status line of the last frame drawn ("" with show_status off). */
  const std::string & status_text () const { return status_text_; }
  /* Texts rendered and kept (ids, scores, banners at their sizes). */
  size_t sprites () const { return sprites_.size (); }

private:
  /* How to draw on one plane of the negotiated format. */
  struct Plane
  {
    int plane = 0;
    int cv_type = CV_8UC1;
    double scale = 1.0;         /* plane size / frame size */
    int alpha = -1;             /* packed 4-byte formats: the alpha (or x) byte */
    int width = 0;
    int height = 0;
    cv::Scalar colour[kColours];        /* pixel values on this plane */
  };

  /* One piece of text as coverage masks (text and its dark outline). */
  struct Sprite
  {
    cv::Mat text;               /* CV_8UC1 coverage 0..255 */
    cv::Mat shadow;             /* empty when drawn without an outline */
    cv::Point origin;           /* the baseline's left end inside the masks */
  };

  /* A line of text on a plate: the banner's lines, the insets' captions. */
  struct Plate
  {
    cv::Rect rect;              /* frame pixels */
    std::string text;
    cv::Point origin;           /* the text's baseline, frame pixels */
    double font_scale = 1.0;
    int thickness = 1;
    int background = kColourAlarm;
    int foreground = kColourText;
  };

  /* An enlarged view of a well in alarm. */
  struct Inset
  {
    cv::Rect source;            /* around the well, frame pixels */
    cv::Rect rect;              /* where it is shown, frame pixels */
    std::vector<cv::Mat> pixels;        /* per plane, the enlarged source */
    Plate caption;              /* its id and time, above it */
  };

  /* The frame's sizes, from its height and the style. */
  struct Sizes
  {
    double label_scale = 0.35;
    int line_width = 1;
    int alarm_width = 3;
    double banner_scale = 1.0;
    int banner_thickness = 2;
    int banner_cap = 20;
    double caption_scale = 1.0;
    int caption_thickness = 1;
    int caption_cap = 10;
    double status_scale = 1.0;
    int status_thickness = 1;
    int status_cap = 10;
    int inset_height = 0;
    int margin = 2;
  };

  const Sprite & sprite (const char *text, double scale, int thickness,
      bool shadow);
  void put_text (cv::Mat & img, const char *text, cv::Point origin,
      double font_scale, double plane_scale, const cv::Scalar & colour,
      int thickness, const cv::Scalar * shadow = nullptr);
  Sizes sizes_for (int frame_height, const OverlayStyle & style) const;
  void update_alarm_times (const std::vector<WellResult> & wells,
      GstClockTime now);
  void lay_out_banner (const Sizes & z, const OverlayStatus & status,
      int frame_width, int top);
  void lay_out_insets (const Sizes & z, int frame_width, int frame_height,
      int top, int bottom, const std::vector<WellResult> & wells);
  size_t lay_out_insets_at (const Sizes & z, int frame_width,
      int frame_height, int y, const std::vector<WellResult> & wells);
  void draw_plate (cv::Mat & img, const Plane & p, const Plate & plate);
  void draw_well (cv::Mat & img, const Plane & p, const WellResult & w,
      const Sizes & z, const OverlayStyle & style, int top, int frame_height);

  std::vector<Plane> planes_;
  std::unordered_map<std::string, Sprite> sprites_;
  size_t sprite_bytes_ = 0;
  /* when each well (by id) went into alarm, in the frames' time */
  std::unordered_map<std::string, GstClockTime> alarm_since_;
  /* per-frame layout and scratch that keep their capacity */
  std::vector<const WellResult *> in_alarm_;
  std::vector<std::string> items_;
  std::vector<Plate> plates_;
  std::vector<Inset> insets_;
  size_t n_insets_ = 0;         /* insets_ in use on this frame */
  int last_banner_bottom_ = 0;  /* the last frame's banner, frame rows */
  std::string status_text_;
  std::string key_;
  char label_[128] = "";
};

}  // namespace wellmonitor
