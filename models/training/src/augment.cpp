#include "wellmonitor/augment.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wellmonitor {

namespace {

double uniform(Rng& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
int uniform_int(Rng& rng, int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); }
bool chance(Rng& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

void check(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw std::invalid_argument("augmentations expect a non-empty 8-bit BGR crop");
}

// A point on the border of a w x h rectangle, `t` in [0, 4) walking around it.
cv::Point2f border_point(double t, int w, int h) {
  const int side = static_cast<int>(t) % 4;
  const double f = t - std::floor(t);
  switch (side) {
    case 0: return {static_cast<float>(f * w), 0.f};
    case 1: return {static_cast<float>(w - 1), static_cast<float>(f * h)};
    case 2: return {static_cast<float>((1 - f) * w), static_cast<float>(h - 1)};
    default: return {0.f, static_cast<float>((1 - f) * h)};
  }
}

// Smooth random field in [0, 1]: coarse noise upsampled with bicubic interpolation.
cv::Mat smooth_noise(int w, int h, Rng& rng) {
  const int cw = uniform_int(rng, 2, 5), ch = uniform_int(rng, 2, 4);
  cv::Mat coarse(ch, cw, CV_32F);
  for (int y = 0; y < ch; ++y)
    for (int x = 0; x < cw; ++x) coarse.at<float>(y, x) = static_cast<float>(uniform(rng, 0, 1));
  cv::Mat field;
  cv::resize(coarse, field, {w, h}, 0, 0, cv::INTER_CUBIC);
  return field;
}

// `layer` plus zero-mean Gaussian noise (a little texture), drawn from `rng`
// rather than OpenCV's global generator, so that a seed reproduces a crop.
cv::Mat with_noise(const cv::Mat& layer, double sigma, Rng& rng) {
  cv::RNG local(rng());
  cv::Mat noise(layer.size(), CV_32FC3), f, out;
  local.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  layer.convertTo(f, CV_32FC3);
  f += noise;
  f.convertTo(out, CV_8UC3);
  return out;
}

cv::Mat blend(const cv::Mat& base, const cv::Mat& overlay, const cv::Mat& alpha /*CV_32F [0,1]*/) {
  cv::Mat b, o, out;
  base.convertTo(b, CV_32FC3);
  overlay.convertTo(o, CV_32FC3);
  cv::Mat a3;
  cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, a3);
  out = b.mul(cv::Scalar::all(1.0) - a3) + o.mul(a3);
  out.convertTo(out, CV_8UC3);
  return out;
}

}  // namespace

std::string to_string(ShiftKind k) {
  switch (k) {
    case ShiftKind::Occluder: return "occluder";
    case ShiftKind::Box: return "box";
    case ShiftKind::Photometric: return "photometric";
  }
  return "?";
}

std::string to_string(SpillKind k) {
  switch (k) {
    case SpillKind::Blob: return "blob";
    case SpillKind::Blend: return "blend";
    case SpillKind::Smooth: return "smooth";
  }
  return "?";
}

cv::Mat add_occluder(const cv::Mat& bgr, Rng& rng) {
  check(bgr);
  const int w = bgr.cols, h = bgr.rows;
  // Dark grey, black or brown, a little texture.
  const double shade = uniform(rng, 15, 90);
  cv::Scalar colour;
  switch (uniform_int(rng, 0, 2)) {
    case 0: colour = cv::Scalar(shade, shade, shade); break;                       // dark sleeve / glove
    case 1: colour = cv::Scalar(shade * 0.55, shade * 0.8, shade * 1.2); break;    // brown (BGR)
    default: colour = cv::Scalar(shade * 0.9, shade * 0.95, shade * 0.8); break;   // grey-green tool
  }
  const cv::Mat layer = with_noise(cv::Mat(bgr.size(), CV_8UC3, colour), 8, rng);
  cv::Mat mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
  const double start = uniform(rng, 0, 4);
  const cv::Point2f a = border_point(start, w, h);
  const cv::Point2f b = border_point(start + uniform(rng, 1.2, 2.8), w, h);
  const int kind = uniform_int(rng, 0, 2);
  if (kind == 0) {  // arm or sleeve: a thick band from an edge, often ending inside the crop
    const float reach = static_cast<float>(uniform(rng, 0.4, 1.0));
    const cv::Point2f end = a + (b - a) * reach;
    const int thick = std::max(3, static_cast<int>(uniform(rng, 0.25, 0.5) * std::min(w, h)));
    cv::line(mask, a, end, 255, thick, cv::LINE_AA);
    cv::circle(mask, end, thick / 2, 255, cv::FILLED, cv::LINE_AA);
  } else if (kind == 1) {  // hose: a curved line
    const cv::Point2f mid((a.x + b.x) / 2 + static_cast<float>(uniform(rng, -0.3, 0.3) * w),
                          (a.y + b.y) / 2 + static_cast<float>(uniform(rng, -0.3, 0.3) * h));
    std::vector<cv::Point> pts;
    for (int i = 0; i <= 16; ++i) {
      const float t = i / 16.f;
      const cv::Point2f p = (1 - t) * (1 - t) * a + 2 * (1 - t) * t * mid + t * t * b;
      pts.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
    }
    const int thick = std::max(2, static_cast<int>(uniform(rng, 0.1, 0.22) * std::min(w, h)));
    cv::polylines(mask, pts, false, 255, thick, cv::LINE_AA);
  } else {  // tool: a thin straight bar across
    const int thick = std::max(2, static_cast<int>(uniform(rng, 0.06, 0.14) * std::min(w, h)));
    cv::line(mask, a, b, 255, thick, cv::LINE_AA);
  }
  cv::Mat alpha;
  mask.convertTo(alpha, CV_32F, uniform(rng, 0.8, 1.0) / 255.0);
  return blend(bgr, layer, alpha);
}

cv::Mat jitter_box(const cv::Mat& bgr, Rng& rng) {
  check(bgr);
  const int w = bgr.cols, h = bgr.rows;
  const double scale = chance(rng, 0.65) ? uniform(rng, 1.10, 1.20) : uniform(rng, 0.80, 0.90);  // grown more often
  const double sw = w * scale * uniform(rng, 0.95, 1.05), sh = h * scale * uniform(rng, 0.95, 1.05);
  const double cx = w / 2.0 + uniform(rng, -0.15, 0.15) * w, cy = h / 2.0 + uniform(rng, -0.15, 0.15) * h;
  const int pad = static_cast<int>(std::ceil(std::max(w, h) * 0.5));
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, pad, pad, pad, pad, cv::BORDER_REFLECT_101);
  cv::Rect box(static_cast<int>(std::lround(cx - sw / 2)) + pad, static_cast<int>(std::lround(cy - sh / 2)) + pad,
               std::max(2, static_cast<int>(std::lround(sw))), std::max(2, static_cast<int>(std::lround(sh))));
  box &= cv::Rect(0, 0, padded.cols, padded.rows);
  cv::Mat out;
  cv::resize(padded(box), out, bgr.size(), 0, 0, cv::INTER_AREA);
  return out;
}

cv::Mat photometric(const cv::Mat& bgr, Rng& rng) {
  check(bgr);
  const double contrast = uniform(rng, 0.75, 1.3), brightness = uniform(rng, -25, 25);
  cv::Mat f;
  bgr.convertTo(f, CV_32FC3);
  const cv::Scalar mean = cv::mean(f);
  const cv::Scalar cast(uniform(rng, -8, 8), uniform(rng, -8, 8), uniform(rng, -8, 8));
  f = (f - mean) * contrast + mean + cv::Scalar::all(brightness) + cast;
  if (chance(rng, 0.4)) cv::GaussianBlur(f, f, {0, 0}, uniform(rng, 0.5, 1.2));
  cv::Mat out;
  f.convertTo(out, CV_8UC3);
  // Another camera or encoder: the crop compressed again (JPEG, quality 20-75).
  if (chance(rng, 0.5)) {
    std::vector<uchar> buf;
    cv::imencode(".jpg", out, buf, {cv::IMWRITE_JPEG_QUALITY, uniform_int(rng, 20, 75)});
    out = cv::imdecode(buf, cv::IMREAD_COLOR);
  }
  return out;
}

cv::Mat video_like(const cv::Mat& bgr, Rng& rng) {
  if (bgr.empty()) return bgr.clone();
  const int w = std::max(8, static_cast<int>(std::lround(bgr.cols * uniform(rng, 0.8, 1.2))));
  const int h = std::max(8, static_cast<int>(std::lround(bgr.rows * uniform(rng, 0.8, 1.2))));
  cv::Mat out;
  cv::resize(bgr, out, {w, h}, 0, 0, (w < bgr.cols || h < bgr.rows) ? cv::INTER_AREA : cv::INTER_LINEAR);
  out.convertTo(out, -1, uniform(rng, 0.96, 1.04), 0.0);
  std::vector<uchar> buf;
  cv::imencode(".jpg", out, buf, {cv::IMWRITE_JPEG_QUALITY, uniform_int(rng, 30, 90)});
  return cv::imdecode(buf, bgr.channels() == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
}

namespace {

// R'G'B' -> Y'CbCr (unscaled: Cb = (B - Y) / (2 - 2 Kb), Cr = (R - Y) / (2 - 2 Kr)) for luma weights kr, kb.
cv::Matx33d rgb_to_ycbcr(double kr, double kb) {
  const double kg = 1.0 - kr - kb;
  return {kr, kg, kb, -kr / (2 - 2 * kb), -kg / (2 - 2 * kb), 0.5, 0.5, -kg / (2 - 2 * kr), -kb / (2 - 2 * kr)};
}

}  // namespace

cv::Mat misread_colour_matrix(const cv::Mat& bgr, bool bt601_as_bt709) {
  if (bgr.empty() || bgr.channels() == 1) return bgr.clone();
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("misread_colour_matrix: an 8-bit BGR crop is needed");
  const cv::Matx33d m601 = rgb_to_ycbcr(0.299, 0.114), m709 = rgb_to_ycbcr(0.2126, 0.0722);
  const cv::Matx33d rgb = bt601_as_bt709 ? m709.inv() * m601 : m601.inv() * m709;
  // The same map on B, G, R order.
  cv::Matx33d b;
  const int order[3] = {2, 1, 0};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) b(i, j) = rgb(order[i], order[j]);
  cv::Mat f, out;
  bgr.convertTo(f, CV_64FC3);
  cv::transform(f, f, b);
  f.convertTo(out, CV_8UC3);  // rounds and saturates
  return out;
}

cv::Mat apply_shift(const cv::Mat& bgr, ShiftKind kind, Rng& rng) {
  switch (kind) {
    case ShiftKind::Occluder: return add_occluder(bgr, rng);
    case ShiftKind::Box: return jitter_box(bgr, rng);
    case ShiftKind::Photometric: return photometric(bgr, rng);
  }
  return bgr.clone();
}

cv::Mat random_shift(const cv::Mat& bgr, Rng& rng) { return random_shift(bgr, rng, ShiftSet{}); }

cv::Mat random_shift(const cv::Mat& bgr, Rng& rng, const ShiftSet& allowed) {
  if (allowed.none()) return bgr.clone();
  bool box = chance(rng, 0.5) && allowed.box, occ = chance(rng, 0.5) && allowed.occluder,
       photo = chance(rng, 0.5) && allowed.photometric;
  if (!box && !occ && !photo) {
    if (allowed.all()) {
      (uniform_int(rng, 0, 2) == 0 ? box : (uniform_int(rng, 0, 1) ? occ : photo)) = true;
    } else {
      std::vector<bool*> pick;
      if (allowed.box) pick.push_back(&box);
      if (allowed.occluder) pick.push_back(&occ);
      if (allowed.photometric) pick.push_back(&photo);
      *pick[static_cast<size_t>(uniform_int(rng, 0, static_cast<int>(pick.size()) - 1))] = true;
    }
  }
  cv::Mat out = bgr;
  if (box) out = jitter_box(out, rng);
  if (occ) out = add_occluder(out, rng);
  if (photo) out = photometric(out, rng);
  return out.data == bgr.data ? bgr.clone() : out;
}

cv::Mat add_blob_spill(const cv::Mat& bgr, Rng& rng) {
  check(bgr);
  const int w = bgr.cols, h = bgr.rows;
  const double area = uniform(rng, 0.04, 0.12) * w * h;
  const double aspect = uniform(rng, 0.6, 1.8);
  const double ax = std::sqrt(area * aspect / CV_PI), ay = std::sqrt(area / aspect / CV_PI);
  const cv::Point centre(static_cast<int>(uniform(rng, 0.25, 0.75) * w), static_cast<int>(uniform(rng, 0.70, 0.95) * h));
  cv::Mat mask = cv::Mat::zeros(bgr.size(), CV_32F);
  cv::ellipse(mask, centre, cv::Size(std::max(1, static_cast<int>(ax)), std::max(1, static_cast<int>(ay))),
              uniform(rng, 0, 180), 0, 360, 1.0, cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(mask, mask, {0, 0}, uniform(rng, 0.6, 1.5));
  cv::Scalar colour = chance(rng, 0.5) ? cv::Scalar(uniform(rng, 170, 230), uniform(rng, 220, 255), uniform(rng, 235, 255))  // white-yellow
                                       : cv::Scalar(uniform(rng, 200, 255), uniform(rng, 150, 210), uniform(rng, 80, 150));  // bluish
  const cv::Mat layer = with_noise(cv::Mat(bgr.size(), CV_8UC3, colour), 14, rng);
  mask *= uniform(rng, 0.7, 1.0);
  return blend(bgr, layer, mask);
}

cv::Mat add_blend_spill(const cv::Mat& bgr, const cv::Mat& texture, Rng& rng) {
  check(bgr);
  const int w = bgr.cols, h = bgr.rows;
  cv::Mat tex;
  if (!texture.empty() && texture.type() == CV_8UC3) {
    cv::resize(texture, tex, bgr.size(), 0, 0, cv::INTER_LINEAR);
  } else {
    tex.create(bgr.size(), CV_8UC3);
    cv::RNG(rng()).fill(tex, cv::RNG::UNIFORM, 60, 255);
    cv::GaussianBlur(tex, tex, {0, 0}, 1.0);
  }
  cv::Mat field = smooth_noise(w, h, rng);
  const double cover = uniform(rng, 0.08, 0.30);
  std::vector<float> v(field.begin<float>(), field.end<float>());
  std::nth_element(v.begin(), v.begin() + static_cast<long>((1 - cover) * (v.size() - 1)), v.end());
  const float cut = v[static_cast<size_t>((1 - cover) * (v.size() - 1))];
  cv::Mat mask;
  cv::threshold(field, mask, cut, 1.0, cv::THRESH_BINARY);
  cv::GaussianBlur(mask, mask, {0, 0}, 0.7);
  mask *= uniform(rng, 0.5, 1.0);
  return blend(bgr, tex, mask);
}

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace

ShiftSet parse_shift_set(const std::string& list) {
  ShiftSet s{false, false, false};
  const auto items = split_list(list);
  if (items.size() == 1 && items[0] == "none") return s;
  if (items.empty()) throw std::invalid_argument("no shift kinds given (occluder, box, photometric or none)");
  for (const auto& item : items) {
    if (item == "occluder") s.occluder = true;
    else if (item == "box") s.box = true;
    else if (item == "photometric") s.photometric = true;
    else throw std::invalid_argument("unknown shift kind '" + item + "' (occluder, box, photometric or none)");
  }
  return s;
}

std::string to_string(const ShiftSet& s) {
  std::string out;
  for (auto [on, name] : {std::pair{s.occluder, "occluder"}, {s.box, "box"}, {s.photometric, "photometric"}})
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? "none" : out;
}

std::vector<SpillKind> parse_spill_kinds(const std::string& list) {
  std::vector<SpillKind> out;
  for (const auto& item : split_list(list)) {
    SpillKind k;
    if (item == "blob") k = SpillKind::Blob;
    else if (item == "blend") k = SpillKind::Blend;
    else if (item == "smooth") k = SpillKind::Smooth;
    else throw std::invalid_argument("unknown synthetic spill kind '" + item + "' (blob, blend or smooth)");
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  if (out.empty()) throw std::invalid_argument("no synthetic spill kinds given (blob, blend, smooth)");
  return out;
}

cv::Mat add_smooth_spill(const cv::Mat& bgr, Rng& rng) {
  check(bgr);
  const int w = bgr.cols, h = bgr.rows;
  cv::Mat f;
  bgr.convertTo(f, CV_32FC3);
  cv::GaussianBlur(f, f, {0, 0}, uniform(rng, 1.5, 3.5));
  const double grey = uniform(rng, 110, 170);
  const cv::Scalar bluish(grey + uniform(rng, 15, 40), grey + uniform(rng, 0, 15), grey - uniform(rng, 0, 20));  // BGR
  const double pull = uniform(rng, 0.25, 0.60);
  f = f * (1.0 - pull) + bluish * pull;
  cv::Mat smooth;
  f.convertTo(smooth, CV_8UC3);
  // The spill: a flat ellipse low in the crop, touching or crossing its bottom edge.
  // Up to a third of the ellipse may fall below the crop: draw it larger so that
  // 2-6 % of the crop stays covered. Never taller than 12 % of the crop.
  const double area = uniform(rng, 0.02, 0.06) * w * h * 1.4;
  const double ax = uniform(rng, 0.15, 0.3) * w, ay = std::clamp(area / (CV_PI * ax), 1.5, 0.12 * h);
  const cv::Point centre(static_cast<int>(uniform(rng, 0.2, 0.8) * w), static_cast<int>(uniform(rng, 0.82, 0.97) * h));
  cv::Mat mask = cv::Mat::zeros(bgr.size(), CV_32F);
  cv::ellipse(mask, centre, cv::Size(static_cast<int>(ax), static_cast<int>(std::ceil(ay))), uniform(rng, -15, 15), 0,
              360, 1.0, cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(mask, mask, {0, 0}, uniform(rng, 0.5, 1.0));
  cv::Scalar colour;
  switch (uniform_int(rng, 0, 2)) {
    case 0: colour = cv::Scalar(uniform(rng, 215, 255), uniform(rng, 225, 255), uniform(rng, 225, 255)); break;  // white
    case 1: colour = cv::Scalar(uniform(rng, 90, 160), uniform(rng, 210, 250), uniform(rng, 235, 255)); break;   // yellow
    default: colour = cv::Scalar(uniform(rng, 40, 110), uniform(rng, 120, 190), uniform(rng, 225, 255)); break;  // orange
  }
  const cv::Mat layer = with_noise(cv::Mat(bgr.size(), CV_8UC3, colour), 10, rng);
  mask *= uniform(rng, 0.85, 1.0);
  return blend(smooth, layer, mask);
}

cv::Mat apply_spill(const cv::Mat& bgr, SpillKind kind, const cv::Mat& texture, Rng& rng) {
  switch (kind) {
    case SpillKind::Blob: return add_blob_spill(bgr, rng);
    case SpillKind::Blend: return add_blend_spill(bgr, texture, rng);
    case SpillKind::Smooth: return add_smooth_spill(bgr, rng);
  }
  return bgr.clone();
}

}  // namespace wellmonitor
