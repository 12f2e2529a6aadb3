/* welloverlay's drawing: boxes, labels, the alarm banner, corner marks and
 * insets of the wells in alarm, the status line. */

#include "renderer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace wellmonitor {

/* the automatic sizes of the wells' labels and boxes: per 600 lines of
 * video (the replay's 960x600) */
static const double kAutoFontScalePer600 = 0.35;
static const double kAutoLineWidthPer600 = 1;
static const int kFont = cv::FONT_HERSHEY_SIMPLEX;
/* the rendered texts kept, in bytes of masks (a banner line at 1920x1200 is
 * about 0.25 MB with its chroma) */
static const size_t kSpriteCacheBytes = 32u << 20;

bool
OverlayRenderer::configure (const GstVideoInfo * info)
{
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT (info);
  double comp[kColours][4];

  for (int i = 0; i < kColours; i++)
    overlay_rgb_to_components (info, kOverlayRgb[i], comp[i]);

  planes_.clear ();
  if (GST_VIDEO_INFO_IS_RGB (info)) {
    /* one packed plane: colours in the format's byte order */
    Plane p;
    p.cv_type = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0) == 4 ? CV_8UC4 : CV_8UC3;
    const int n = CV_MAT_CN (p.cv_type);
    for (int i = 0; i < kColours; i++) {
      double v[4] = { 255, 255, 255, 255 };       /* x bytes: 255 too */
      for (int c = 0; c < 3; c++)
        v[GST_VIDEO_INFO_COMP_POFFSET (info, c)] = comp[i][c];
      p.colour[i] = cv::Scalar (v[0], v[1], v[2], n == 4 ? v[3] : 0);
    }
    if (n == 4)                 /* the byte R, G and B leave: alpha or x */
      p.alpha = 6 - GST_VIDEO_INFO_COMP_POFFSET (info, 0) -
          GST_VIDEO_INFO_COMP_POFFSET (info, 1) -
          GST_VIDEO_INFO_COMP_POFFSET (info, 2);
    planes_.push_back (p);
  } else {
    /* luma at full size, chroma at half size */
    Plane y;
    for (int i = 0; i < kColours; i++)
      y.colour[i] = cv::Scalar (comp[i][0]);
    planes_.push_back (y);
    if (format == GST_VIDEO_FORMAT_I420) {
      for (int c = 1; c <= 2; c++) {
        Plane p;
        p.plane = c;
        p.scale = 0.5;
        for (int i = 0; i < kColours; i++)
          p.colour[i] = cv::Scalar (comp[i][c]);
        planes_.push_back (p);
      }
    } else if (format == GST_VIDEO_FORMAT_NV12) {
      Plane p;
      p.plane = 1;
      p.scale = 0.5;
      p.cv_type = CV_8UC2;
      for (int i = 0; i < kColours; i++)
        p.colour[i] = cv::Scalar (comp[i][1], comp[i][2]);
      planes_.push_back (p);
    } else if (format != GST_VIDEO_FORMAT_GRAY8) {
      planes_.clear ();
      return false;
    }
  }
  for (Plane & p : planes_) {
    const int comp_index = p.plane;     /* plane i holds component i here */
    p.width = GST_VIDEO_INFO_COMP_WIDTH (info, comp_index);
    p.height = GST_VIDEO_INFO_COMP_HEIGHT (info, comp_index);
  }
  return true;
}

/* The sprite of `text` at this size, rendered on first use. The cache holds
 * the ids, the score labels seen, the banners and captions (which change
 * once a second while a well is in alarm) and the status line; it is emptied
 * when its masks pass kSpriteCacheBytes. */
const OverlayRenderer::Sprite &
OverlayRenderer::sprite (const char *text, double scale, int thickness,
    bool shadow)
{
  char size[48];
  g_snprintf (size, sizeof (size), "|%.4f|%d|%d", scale, thickness,
      shadow ? 1 : 0);
  key_.assign (text);
  key_.append (size);
  auto it = sprites_.find (key_);
  if (it != sprites_.end ())
    return it->second;
  if (sprite_bytes_ > kSpriteCacheBytes) {
    sprites_.clear ();
    sprite_bytes_ = 0;
  }

  const int font = kFont;
  const int pad = shadow ? 2 : 1;
  int baseline = 0;
  const cv::Size ts = cv::getTextSize (text, font, scale, thickness, &baseline);
  Sprite sp;
  sp.origin = cv::Point (pad, pad + ts.height);
  const cv::Size canvas (ts.width + 2 * pad, ts.height + baseline + 2 * pad);
  sp.text = cv::Mat::zeros (canvas, CV_8UC1);
  cv::putText (sp.text, text, sp.origin, font, scale, cv::Scalar (255),
      thickness, cv::LINE_AA);
  if (shadow) {
    sp.shadow = cv::Mat::zeros (canvas, CV_8UC1);
    cv::putText (sp.shadow, text, sp.origin, font, scale, cv::Scalar (255),
        thickness + 2, cv::LINE_AA);
  }
  sprite_bytes_ += sp.text.total () + sp.shadow.total ();
  return sprites_.emplace (key_, std::move (sp)).first->second;
}

/* Text placed in frame pixels (origin: its baseline's left end), over a
 * dark outline when `shadow` is given so that it reads on any background. */
void
OverlayRenderer::put_text (cv::Mat & img, const char *text, cv::Point origin,
    double font_scale, double plane_scale, const cv::Scalar & colour,
    int thickness, const cv::Scalar * shadow)
{
  const int t = std::max (1, (int) std::lround (thickness * plane_scale));
  const Sprite & sp = sprite (text, font_scale * plane_scale, t,
      shadow != nullptr);
  const cv::Point at ((int) (origin.x * plane_scale) - sp.origin.x,
      (int) (origin.y * plane_scale) - sp.origin.y);
  if (shadow)
    overlay_blend (img, sp.shadow, at, *shadow);
  overlay_blend (img, sp.text, at, colour);
}

/* A rectangle given in frame pixels, on a plane of the given scale: the
 * plane's samples that cover its corners. */
static cv::Rect
on_plane (const cv::Rect & r, double scale)
{
  if (scale == 1.0)
    return r;
  const int x0 = (int) std::floor (r.x * scale);
  const int y0 = (int) std::floor (r.y * scale);
  const int x1 = (int) std::floor ((r.x + r.width - 1) * scale);
  const int y1 = (int) std::floor ((r.y + r.height - 1) * scale);
  return cv::Rect (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

static cv::Rect
box_of (const WellResult & w)
{
  return cv::Rect (w.x, w.y, w.width, w.height);
}


/* A point given in frame pixels, on a plane of the given scale. */
static cv::Point
on_plane (cv::Point p, double scale)
{
  return cv::Point ((int) std::floor (p.x * scale),
      (int) std::floor (p.y * scale));
}

/* A font scale and stroke width whose capital letters are `cap` pixels
 * tall. */
struct Font
{
  double scale = 1.0;
  int thickness = 1;
  int cap = 1;
};

static Font
font_for_cap (int cap)
{
  Font f;
  f.cap = std::max (6, cap);
  /* bold: strokes a tenth of the letters' height */
  f.thickness = std::max (1, (int) std::lround (f.cap / 10.0));
  /* OpenCV's Hershey fonts: cap height = 21 units * scale + the stroke */
  int baseline = 0;
  const int units = cv::getTextSize ("H", kFont, 1.0, 1, &baseline).height - 1;
  f.scale = std::max (0.1, (double) (f.cap - f.thickness / 2) / units);
  return f;
}

static int
text_width (const std::string & text, const void *font)
{
  const Font *f = static_cast<const Font *> (font);
  int baseline = 0;
  return cv::getTextSize (text, kFont, f->scale, f->thickness,
      &baseline).width;
}

std::string
overlay_duration_text (GstClockTime duration)
{
  const guint64 s = duration / GST_SECOND;
  char text[48];
  if (s < 60)
    g_snprintf (text, sizeof (text), "%" G_GUINT64_FORMAT "s", s);
  else if (s < 3600)
    g_snprintf (text, sizeof (text), "%" G_GUINT64_FORMAT "m%02us", s / 60,
        (unsigned) (s % 60));
  else
    g_snprintf (text, sizeof (text), "%" G_GUINT64_FORMAT "h%02um", s / 3600,
        (unsigned) (s % 3600 / 60));
  return text;
}

std::vector<std::string>
overlay_banner_lines (const std::vector<std::string> & items, int width,
    size_t max_lines, int (*measure) (const std::string &, const void *),
    const void *data)
{
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < items.size () && lines.size () < max_lines) {
    const bool last = lines.size () + 1 == max_lines;
    /* at least one item a line, even one too wide (it is clipped) */
    std::string line = (lines.empty ()? "SPILL " : "") + items[i];
    size_t j = i + 1;
    for (; j < items.size (); j++) {
      const std::string longer = line + ", " + items[j];
      const size_t rest = items.size () - j - 1;
      const std::string check = last && rest > 0 ?
          longer + " +" + std::to_string (rest) + " more" : longer;
      if (measure (check, data) > width)
        break;
      line = longer;
    }
    if (j < items.size ())
      line += last ? " +" + std::to_string (items.size () - j) + " more" : ",";
    lines.push_back (line);
    i = j;
  }
  return lines;
}

OverlayRenderer::Sizes
OverlayRenderer::sizes_for (int frame_height, const OverlayStyle & style) const
{
  Sizes z;
  const double scale = style.scale > 0.0 ? style.scale : 1.0;
  const double lines = frame_height / 600.0 * scale;
  z.label_scale = style.font_scale > 0.0 ? style.font_scale :
      std::max (0.25, kAutoFontScalePer600 * lines);
  z.line_width = style.line_width > 0 ? style.line_width :
      std::max (1, (int) std::lround (kAutoLineWidthPer600 * lines));
  z.alarm_width = 3 * z.line_width;
  const double h = frame_height * scale;
  const Font banner = font_for_cap ((int) std::ceil (kBannerTextHeight * h));
  z.banner_scale = banner.scale;
  z.banner_thickness = banner.thickness;
  z.banner_cap = banner.cap;
  const Font caption = font_for_cap ((int) std::ceil (kCaptionTextHeight * h));
  z.caption_scale = caption.scale;
  z.caption_thickness = caption.thickness;
  z.caption_cap = caption.cap;
  const Font status = font_for_cap ((int) std::ceil (kStatusTextHeight * h));
  z.status_scale = status.scale;
  z.status_thickness = status.thickness;
  z.status_cap = status.cap;
  z.inset_height = std::max (16, (int) std::lround (kInsetHeight * h));
  z.margin = std::max (2, (int) std::lround (0.01 * h));
  return z;
}

static std::string
alarm_key (const WellResult & w)
{
  return w.named ? w.id : "#" + std::to_string (w.index);
}

/* A shelved well: out of use, raises no alarm. */
static bool
shelved (const WellResult & w)
{
  return w.shelved;
}

/* In alarm as the overlay shows it: a shelved well never is. */
static bool
alarm_shown (const WellResult & w)
{
  return w.alarm && !w.shelved;
}

void
OverlayRenderer::update_alarm_times (const std::vector<WellResult> & wells,
    GstClockTime now)
{
  for (auto it = alarm_since_.begin (); it != alarm_since_.end ();) {
    bool still = false;
    for (const WellResult & w : wells)
      if (alarm_shown (w) && alarm_key (w) == it->first) {
        still = true;
        break;
      }
    it = still ? std::next (it) : alarm_since_.erase (it);
  }
  for (const WellResult & w : wells) {
    if (!alarm_shown (w))
      continue;
    auto it = alarm_since_.emplace (alarm_key (w), now).first;
    /* no time before, or time went back (a new segment): count from here */
    if (!GST_CLOCK_TIME_IS_VALID (it->second) ||
        (GST_CLOCK_TIME_IS_VALID (now) && now < it->second))
      it->second = now;
  }
}

/* A plate of text: `cap`-pixel letters in `font`, left-aligned at x with
 * padding, on a background `height` pixels tall from y. */
static void
set_plate_text (cv::Rect & rect, cv::Point & origin, const Font & font,
    int x, int y, int width, int height)
{
  rect = cv::Rect (x, y, width, height);
  /* the letters centred in the plate: the descenders take what is left */
  origin = cv::Point (x + font.cap / 3, y + (height + font.cap) / 2 -
      font.thickness / 2);
}

void
OverlayRenderer::lay_out_banner (const Sizes & z, const OverlayStatus & status,
    int frame_width, int top)
{
  Font font;
  font.scale = z.banner_scale;
  font.thickness = z.banner_thickness;
  font.cap = z.banner_cap;
  const int line_height = (int) std::lround (font.cap * 1.55);
  std::vector<std::string> lines;
  int background = kColourAlarm, foreground = kColourText;
  if (!items_.empty ()) {
    lines = overlay_banner_lines (items_, frame_width - 2 * (font.cap / 3),
        kMaxBannerLines, text_width, &font);
  } else if (status.camera != CameraState::kOk) {
    std::string line = status.camera == CameraState::kLost ? "CAMERA LOST" :
        "CAMERA OBSCURED";
    if (!status.since.empty ())
      line += " " + status.since;
    lines.push_back (line);
    background = kColourAnomaly;
    foreground = kColourShadow;
  }
  /* "CAMERA LOST" over the last frame hides that frame's banner */
  const int height = items_.empty () && status.camera == CameraState::kLost ?
      std::max (line_height, last_banner_bottom_ - top) : line_height;
  for (size_t i = 0; i < lines.size (); i++) {
    Plate plate;
    plate.text = lines[i];
    plate.font_scale = font.scale;
    plate.thickness = font.thickness;
    plate.background = background;
    plate.foreground = foreground;
    set_plate_text (plate.rect, plate.origin, font, 0,
        top + (int) i * line_height, frame_width, height);
    plates_.push_back (std::move (plate));
  }
}

size_t
OverlayRenderer::lay_out_insets_at (const Sizes & z, int frame_width,
    int frame_height, int y, const std::vector<WellResult> & wells)
{
  Font font;
  font.scale = z.caption_scale;
  font.thickness = z.caption_thickness;
  font.cap = z.caption_cap;
  const int caption_height = (int) std::lround (font.cap * 1.55);
  const int border = z.alarm_width;
  const int band = caption_height + z.inset_height + 2 * border;
  /* room kept around each well: its outline, corner marks and label */
  const int keep = 2 * z.alarm_width + 2 * z.caption_cap;
  const cv::Rect frame (0, 0, frame_width, frame_height);

  n_insets_ = 0;
  int x = z.margin;
  for (size_t i = 0; i < in_alarm_.size () && n_insets_ < kMaxInsets; i++) {
    const WellResult & w = *in_alarm_[i];
    const int context = (int) std::lround (0.6 * std::max (w.width,
            w.height));
    const cv::Rect source = cv::Rect (w.x - context, w.y - context,
        w.width + 2 * context, w.height + 2 * context) & frame;
    if (source.width < 2 || source.height < 2)
      continue;
    const int width = std::max (2, (int) std::lround ((double) z.inset_height *
            source.width / source.height));
    const int caption_width = text_width (items_[i], &font) + 2 * (font.cap / 3);
    const int slot = std::max (width + 2 * border, caption_width);
    const cv::Rect area (x, y, slot, band);
    if (x + slot > frame_width - z.margin || (area & frame) != area)
      break;
    /* never over a well: a second spill must stay in sight */
    bool covers = false;
    for (const WellResult & other : wells)
      covers |= (area & cv::Rect (other.x - keep, other.y - keep,
              other.width + 2 * keep, other.height + 2 * keep)).area () > 0;
    if (covers)
      break;
    if (insets_.size () <= n_insets_)
      insets_.resize (n_insets_ + 1);
    Inset & inset = insets_[n_insets_++];
    inset.source = source;
    inset.rect = cv::Rect (x + border, y + caption_height + border, width,
        z.inset_height);
    inset.caption.text = items_[i];
    inset.caption.font_scale = font.scale;
    inset.caption.thickness = font.thickness;
    set_plate_text (inset.caption.rect, inset.caption.origin, font, x, y,
        slot, caption_height);
    inset.pixels.resize (planes_.size ());
    x += slot + z.margin;
  }
  return n_insets_;
}

void
OverlayRenderer::lay_out_insets (const Sizes & z, int frame_width,
    int frame_height, int top, int bottom,
    const std::vector<WellResult> & wells)
{
  n_insets_ = 0;
  if (in_alarm_.empty ())
    return;
  const int caption_height = (int) std::lround (z.caption_cap * 1.55);
  const int band = caption_height + z.inset_height + 2 * z.alarm_width;
  const size_t wanted = std::min (in_alarm_.size (), kMaxInsets);
  /* along the bottom; under the banner when more fit there; none where they
   * would cover wells */
  const int low = bottom - z.margin - band, high = top + z.margin;
  const size_t at_bottom = low >= top ?
      lay_out_insets_at (z, frame_width, frame_height, low, wells) : 0;
  if (at_bottom >= wanted || high + band > bottom)
    return;
  const size_t at_top =
      lay_out_insets_at (z, frame_width, frame_height, high, wells);
  if (at_top <= at_bottom && at_bottom > 0)
    lay_out_insets_at (z, frame_width, frame_height, low, wells);
}

void
OverlayRenderer::draw_plate (cv::Mat & img, const Plane & p,
    const Plate & plate)
{
  cv::rectangle (img, on_plane (plate.rect, p.scale),
      p.colour[plate.background], cv::FILLED);
  put_text (img, plate.text.c_str (), plate.origin, plate.font_scale,
      p.scale, p.colour[plate.foreground], plate.thickness);
}

/* Four L-shaped corner marks on the corners of `r` (frame pixels). */
static void
corner_marks (cv::Mat & img, const cv::Rect & r, int arm, int thickness,
    const cv::Scalar & colour, double s)
{
  const int x[2] = { r.x, r.x + r.width - 1 };
  const int y[2] = { r.y, r.y + r.height - 1 };
  const int t = std::max (1, (int) std::lround (thickness * s));
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      const cv::Point corner (x[i], y[j]);
      const int dx = i == 0 ? arm : -arm, dy = j == 0 ? arm : -arm;
      cv::line (img, on_plane (corner, s), on_plane (corner + cv::Point (dx,
                  0), s), colour, t, cv::LINE_8);
      cv::line (img, on_plane (corner, s), on_plane (corner + cv::Point (0,
                  dy), s), colour, t, cv::LINE_8);
    }
}

/* The outline of `r` (frame pixels) in dashes `dash` long with gaps as long,
 * `thickness` 1-pixel outlines growing outwards. */
static void
dashed_rect (cv::Mat & img, const cv::Rect & r, int dash, int thickness,
    const cv::Scalar & colour, double s)
{
  for (int k = 0; k < thickness; k++) {
    const int x0 = r.x - k, y0 = r.y - k;
    const int x1 = r.x + r.width - 1 + k, y1 = r.y + r.height - 1 + k;
    for (int x = x0; x <= x1; x += 2 * dash) {
      const int e = std::min (x + dash - 1, x1);
      cv::line (img, on_plane (cv::Point (x, y0), s), on_plane (cv::Point (e,
                  y0), s), colour, 1, cv::LINE_8);
      cv::line (img, on_plane (cv::Point (x, y1), s), on_plane (cv::Point (e,
                  y1), s), colour, 1, cv::LINE_8);
    }
    for (int y = y0; y <= y1; y += 2 * dash) {
      const int e = std::min (y + dash - 1, y1);
      cv::line (img, on_plane (cv::Point (x0, y), s), on_plane (cv::Point (x0,
                  e), s), colour, 1, cv::LINE_8);
      cv::line (img, on_plane (cv::Point (x1, y), s), on_plane (cv::Point (x1,
                  e), s), colour, 1, cv::LINE_8);
    }
  }
}

void
OverlayRenderer::draw_well (cv::Mat & img, const Plane & p,
    const WellResult & w, const Sizes & z, const OverlayStyle & style,
    int top, int frame_height)
{
  const double s = p.scale;
  const cv::Rect box = box_of (w);
  const bool alarm = alarm_shown (w);
  const int colour = shelved (w) ? kColourShelved : alarm ? kColourAlarm :
      w.anomaly ? kColourAnomaly : kColourNormal;
  const cv::Scalar & c = p.colour[colour];
  const int thickness = alarm ? z.alarm_width : z.line_width;
  if (shelved (w)) {
    /* out of use: grey, dashed and crossed, a shape as well as a colour */
    dashed_rect (img, box, std::max (3, 3 * z.line_width), thickness, c, s);
    cv::line (img, on_plane (box.tl (), s), on_plane (box.br () -
            cv::Point (1, 1), s), c, std::max (1, (int) std::lround (thickness
                * s)), cv::LINE_8);
    cv::line (img, on_plane (cv::Point (box.x + box.width - 1, box.y), s),
        on_plane (cv::Point (box.x, box.y + box.height - 1), s), c,
        std::max (1, (int) std::lround (thickness * s)), cv::LINE_8);
  } else {
    /* 1-pixel outlines growing outwards: the well itself stays visible */
    for (int k = 0; k < thickness; k++)
      cv::rectangle (img, on_plane (cv::Rect (box.x - k, box.y - k,
                  box.width + 2 * k, box.height + 2 * k), s), c, 1,
          cv::LINE_8);
  }
  /* what is drawn around the well: the labels go outside it */
  cv::Rect extent (box.x - thickness, box.y - thickness,
      box.width + 2 * thickness, box.height + 2 * thickness);

  if (alarm) {
    /* corner marks around the outline, white over black: a shape that
     * stands out whatever the colours look like to the viewer */
    const int mark = std::max (2, 3 * z.line_width);
    const int gap = std::max (thickness + mark, (int) std::lround (0.3 *
            std::min (box.width, box.height)));
    const cv::Rect r (box.x - gap, box.y - gap, box.width + 2 * gap,
        box.height + 2 * gap);
    const int arm = std::max (4, (int) std::lround (0.35 * std::min (r.width,
                r.height)));
    corner_marks (img, r, arm, mark + 2, p.colour[kColourShadow], s);
    corner_marks (img, r, arm, mark, p.colour[kColourText], s);
    extent = cv::Rect (r.x - mark, r.y - mark, r.width + 2 * mark,
        r.height + 2 * mark);
  }

  if (style.show_labels && w.named) {
    if (alarm) {
      /* white on red, larger: the id where the eye lands */
      Font font;
      font.scale = z.label_scale * 1.5;
      font.thickness = std::max (1, (int) std::lround (font.scale * 1.5));
      int baseline = 0;
      font.cap = cv::getTextSize ("H", kFont, font.scale, font.thickness,
          &baseline).height;
      const int height = (int) std::lround (font.cap * 1.6);
      const int width = text_width (w.id, &font) + 2 * (font.cap / 3);
      int y = extent.y - height;
      if (y < top)
        y = extent.y + extent.height;   /* no room above: below */
      Plate plate;
      plate.text = w.id;
      plate.font_scale = font.scale;
      plate.thickness = font.thickness;
      set_plate_text (plate.rect, plate.origin, font,
          box.x + (box.width - width) / 2, y, width, height);
      draw_plate (img, p, plate);
      if (y > box.y)
        extent.height += height;
      else {
        extent.y -= height;
        extent.height += height;
      }
    } else {
      int baseline = 0;
      const cv::Size ts = cv::getTextSize (w.id, kFont, z.label_scale, 1,
          &baseline);
      int y = extent.y - 2;
      if (y - ts.height < top)
        y = box.y + ts.height + 2;      /* no room above: inside */
      put_text (img, w.id.c_str (), cv::Point (box.x + (box.width -
                  ts.width) / 2, y), z.label_scale, s, c, 1,
          &p.colour[kColourShadow]);
    }
  }

  if (style.show_scores) {
    if (style.relative_scores && w.threshold > 0.0) {
      /* rounded away from 100% so that the text agrees with the colour */
      const double pc = 100.0 * w.score / w.threshold;
      g_snprintf (label_, sizeof (label_), "%.0f%%",
          w.anomaly ? std::ceil (pc) : std::floor (pc));
    } else {
      g_snprintf (label_, sizeof (label_), "%.3g", w.score);
    }
    int baseline = 0;
    const cv::Size ts = cv::getTextSize (label_, kFont, z.label_scale, 1,
        &baseline);
    int y = extent.y + extent.height + 1 + ts.height;
    if (y + baseline > frame_height)
      y = box.y + box.height - 3;       /* no room below: inside */
    put_text (img, label_, cv::Point (box.x + (box.width - ts.width) / 2, y),
        z.label_scale, s, c, 1, &p.colour[kColourShadow]);
  }
}

void
OverlayRenderer::draw (GstVideoFrame * frame, std::vector<WellResult> & wells,
    const OverlayStyle & style, const OverlayStatus & status,
    GstClockTime now)
{
  const int frame_width = GST_VIDEO_FRAME_WIDTH (frame);
  const int frame_height = GST_VIDEO_FRAME_HEIGHT (frame);
  const Sizes z = sizes_for (frame_height, style);

  /* normal wells first, so that alarms are drawn on top */
  std::stable_sort (wells.begin (), wells.end (),
      [](const WellResult & a, const WellResult & b) {
        auto rank =[](const WellResult & w) {
          return shelved (w) ? 0 : alarm_shown (w) ? 3 : w.anomaly ? 2 : 1;
        };
        return rank (a) < rank (b);
      });
  update_alarm_times (wells, now);

  /* the wells in alarm, in layout order, each with how long it has been in
   * alarm */
  in_alarm_.clear ();
  items_.clear ();
  for (const WellResult & w : wells)
    if (alarm_shown (w))
      in_alarm_.push_back (&w);
  std::stable_sort (in_alarm_.begin (), in_alarm_.end (),
      [](const WellResult * a, const WellResult * b) {
        return a->index < b->index;
      });
  for (const WellResult * a : in_alarm_) {
    const WellResult & w = *a;
    std::string item = w.named ? w.id : "?";
    const auto since = alarm_since_.find (alarm_key (w));
    if (GST_CLOCK_TIME_IS_VALID (now) && since != alarm_since_.end () &&
        GST_CLOCK_TIME_IS_VALID (since->second))
      item += " " + overlay_duration_text (now - since->second);
    items_.push_back (std::move (item));
  }

  /* the status line: along the bottom, or along the top when wells reach
   * into the bottom strip and leave the top one free */
  cv::Rect status_rect;
  status_text_.clear ();
  if (style.show_status) {
    int wells_top = frame_height, wells_bottom = 0;
    for (const WellResult & w : wells) {
      wells_top = std::min (wells_top, w.y);
      wells_bottom = std::max (wells_bottom, w.y + w.height);
    }
    const int height = (int) std::lround (z.status_cap * 1.9);
    const bool at_top = wells_bottom > frame_height - height &&
        wells_top >= height;
    status_rect = cv::Rect (0, at_top ? 0 : frame_height - height,
        frame_width, height);
    status_text_ = status.camera == CameraState::kLost ? "CAMERA LOST" :
        status.camera == CameraState::kObscured ? "CAMERA OBSCURED" :
        "MONITOR HEALTHY";
    if (status.camera != CameraState::kOk && !status.since.empty ())
      status_text_ += " since " + status.since;
    if (status.camera == CameraState::kLost && !status.reason.empty ()) {
      std::string reason = status.reason;
      std::replace (reason.begin (), reason.end (), '-', ' ');
      status_text_ += " (" + reason + ")";
    }
    if (!status.model.empty ())
      status_text_ += "   model " + status.model;
    if (!wells.empty ())
      status_text_ += "   " + std::to_string (wells.size ()) + " wells";
    const size_t n_shelved = std::count_if (wells.begin (), wells.end (),
        shelved);
    if (n_shelved > 0)
      status_text_ += ", " + std::to_string (n_shelved) + " shelved";
  }
  const bool status_on_top = !status_rect.empty () && status_rect.y == 0;
  const int top = status_on_top ? status_rect.height : 0;
  const int bottom = !status_rect.empty () && !status_on_top ?
      status_rect.y : frame_height;

  plates_.clear ();
  if (style.show_banner)
    lay_out_banner (z, status, frame_width, top);
  const int below_banner = plates_.empty ()? top : plates_.back ().rect.y +
      plates_.back ().rect.height;
  last_banner_bottom_ = below_banner;
  n_insets_ = 0;
  if (style.show_insets)
    lay_out_insets (z, frame_width, frame_height, below_banner, bottom, wells);

  Font status_font;
  status_font.scale = z.status_scale;
  status_font.thickness = z.status_thickness;
  status_font.cap = z.status_cap;
  const bool warning = status.camera != CameraState::kOk;

  for (size_t pi = 0; pi < planes_.size (); pi++) {
    const Plane & p = planes_[pi];
    cv::Mat img (p.height, p.width, p.cv_type,
        GST_VIDEO_FRAME_PLANE_DATA (frame, p.plane),
        (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p.plane));
    const double s = p.scale;

    /* the insets' pictures, taken before anything is drawn on the wells */
    for (size_t i = 0; i < n_insets_; i++) {
      Inset & inset = insets_[i];
      const cv::Rect to = on_plane (inset.rect, s);
      cv::resize (img (on_plane (inset.source, s)), inset.pixels[pi],
          to.size (), 0, 0, cv::INTER_LINEAR);
    }

    for (const WellResult & w : wells)
      draw_well (img, p, w, z, style, below_banner, frame_height);

    for (size_t i = 0; i < n_insets_; i++) {
      const Inset & inset = insets_[i];
      inset.pixels[pi].copyTo (img (on_plane (inset.rect, s)));
      for (int k = 1; k <= z.alarm_width; k++)
        cv::rectangle (img, on_plane (cv::Rect (inset.rect.x - k,
                    inset.rect.y - k, inset.rect.width + 2 * k,
                    inset.rect.height + 2 * k), s), p.colour[kColourAlarm], 1,
            cv::LINE_8);
      draw_plate (img, p, inset.caption);
    }

    for (const Plate & plate : plates_)
      draw_plate (img, p, plate);

    if (!status_rect.empty ()) {
      cv::rectangle (img, on_plane (status_rect, s),
          p.colour[warning ? kColourAnomaly : kColourPanel], cv::FILLED);
      /* a square lamp: green when healthy, dark on amber otherwise */
      const int lamp = status_font.cap;
      const cv::Rect lamp_rect (status_font.cap / 2, status_rect.y +
          (status_rect.height - lamp) / 2, lamp, lamp);
      cv::rectangle (img, on_plane (lamp_rect, s),
          p.colour[warning ? kColourShadow : kColourNormal], cv::FILLED);
      cv::Rect rect;
      cv::Point origin;
      set_plate_text (rect, origin, status_font, lamp_rect.x + lamp,
          status_rect.y, status_rect.width, status_rect.height);
      put_text (img, status_text_.c_str (), origin, status_font.scale, s,
          p.colour[warning ? kColourShadow : kColourText],
          status_font.thickness);
    }
  }
}

void
OverlayRenderer::dim (GstVideoFrame * frame, double keep)
{
  for (const Plane & p : planes_) {
    cv::Mat img (p.height, p.width, p.cv_type,
        GST_VIDEO_FRAME_PLANE_DATA (frame, p.plane),
        (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p.plane));
    /* towards black: v' = black + (v - black) * keep, alpha untouched */
    cv::Scalar gain = cv::Scalar::all (keep);
    cv::Scalar offset = p.colour[kColourShadow] * (1.0 - keep);
    if (p.alpha >= 0) {
      gain[p.alpha] = 1.0;
      offset[p.alpha] = 0.0;
    }
    cv::multiply (img, gain, img);
    cv::add (img, offset, img);
  }
}

}  // namespace wellmonitor
