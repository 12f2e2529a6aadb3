#include "wellmonitor/preprocess.h"

#include "wellmonitor/crop_preprocessor.h"
#include "wellmonitor/errors.h"


#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wellmonitor {

std::string to_string(ColorMode mode) { return mode == ColorMode::Gray ? "gray" : "rgb"; }

ColorMode color_mode_from_string(const std::string& name) {
  if (name == "gray" || name == "grey" || name == "L") return ColorMode::Gray;
  if (name == "rgb" || name == "color" || name == "colour") return ColorMode::Rgb;
  throw std::invalid_argument("unknown colour mode '" + printable(name) + "' (expected gray or rgb)");
}

nlohmann::json PreprocessConfig::to_json() const {
  return {{"width", width},
          {"height", height},
          {"color", to_string(color)},
          {"resize", "bilinear-pil"},
          {"normalize", {{"mean", 0.5}, {"std", 0.5}}}};
}

PreprocessConfig PreprocessConfig::from_json(const nlohmann::json& j) {
  PreprocessConfig c;
  c.width = j.at("width").get<int>();
  c.height = j.at("height").get<int>();
  c.color = color_mode_from_string(j.at("color").get<std::string>());
  if (c.width < 8 || c.height < 8 || c.width > 1024 || c.height > 1024)
    throw std::invalid_argument("input size out of range");
  if (j.contains("resize") && j["resize"] != "bilinear-pil")
    throw std::invalid_argument("unsupported resize method " + j["resize"].dump());
  return c;
}

namespace {

// PIL's "L" of `bgr` into `gray` (allocated when its size differs).
void gray_pil_into(const cv::Mat& bgr, cv::Mat& gray) {
  gray.create(bgr.rows, bgr.cols, CV_8UC1);
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* s = bgr.ptr<uint8_t>(y);
    uint8_t* d = gray.ptr<uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x, s += 3) {
      // Pillow's L24: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
      d[x] = static_cast<uint8_t>((s[2] * 19595u + s[1] * 38470u + s[0] * 7471u + 0x8000u) >> 16);
    }
  }
}

}  // namespace

cv::Mat to_gray_pil(const cv::Mat& bgr) {
  if (bgr.type() != CV_8UC3) throw std::invalid_argument("to_gray_pil expects an 8-bit BGR image");
  cv::Mat gray;
  gray_pil_into(bgr, gray);
  return gray;
}

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's fixed point for 8-bit images

// The taps of one pass: for output sample i, `count` fixed-point weights
// weights[i * count ...] on the input samples first[i] .. first[i] + count - 1.
// Every sample has the same count (the largest); a shorter one is padded with
// zero weights, moved to lie inside the input, which adds exactly nothing.
struct Taps {
  int count = 0;
  std::vector<int> first;
  std::vector<int32_t> weights;
};

Taps bilinear_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;  // bilinear filter support is 1
  std::vector<int> xmins(out_size);
  std::vector<std::vector<int32_t>> ks(out_size);
  std::vector<double> w;
  int count = 1;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    w.assign(xmax, 0.0);
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double t = std::fabs((x + xmin - center + 0.5) / filterscale);
      w[x] = t < 1.0 ? 1.0 - t : 0.0;
      ww += w[x];
    }
    xmins[xx] = xmin;
    ks[xx].resize(xmax);
    for (int x = 0; x < xmax; ++x) {
      double k = ww != 0.0 ? w[x] / ww : 0.0;
      ks[xx][x] = static_cast<int32_t>(k < 0 ? k * (1 << kPrecisionBits) - 0.5 : k * (1 << kPrecisionBits) + 0.5);
    }
    count = std::max(count, xmax);
  }
  count = std::min(count, in_size);
  Taps taps;
  taps.count = count;
  taps.first.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * count, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const int first = std::min(xmins[xx], in_size - count);  // the padding stays inside the input
    taps.first[xx] = first;
    for (size_t x = 0; x < ks[xx].size(); ++x) taps.weights[static_cast<size_t>(xx) * count + (xmins[xx] - first) + x] = ks[xx][x];
  }
  return taps;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// The horizontal pass over every row, for CN channels (1 or 3) and N taps
// (N > 0: known when compiled, so the loops unroll; 0: taps.count).
// Sums fit in 32 bits: weights add up to 2^22 and samples are at most 255.
template <int CN, int N>
void resample_rows(const cv::Mat& src, const Taps& taps, cv::Mat& dst) {
  const int out_width = dst.cols, n = N > 0 ? N : taps.count;
  for (int y = 0; y < src.rows; ++y) {
    const uint8_t* s = src.ptr<uint8_t>(y);
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int x = 0; x < out_width; ++x) {
      const int32_t* w = taps.weights.data() + static_cast<size_t>(x) * n;
      const uint8_t* p = s + taps.first[x] * CN;
      int32_t acc[CN];
      for (int c = 0; c < CN; ++c) acc[c] = 1 << (kPrecisionBits - 1);
      for (int k = 0; k < n; ++k)
        for (int c = 0; c < CN; ++c) acc[c] += p[k * CN + c] * w[k];
      for (int c = 0; c < CN; ++c) d[x * CN + c] = clip8(acc[c]);
    }
  }
}

template <int CN>
void resample_rows(const cv::Mat& src, const Taps& taps, cv::Mat& dst) {
  switch (taps.count) {  // shrinking a well's crop to 64 px takes 2-5 taps
    case 2: return resample_rows<CN, 2>(src, taps, dst);
    case 3: return resample_rows<CN, 3>(src, taps, dst);
    case 4: return resample_rows<CN, 4>(src, taps, dst);
    case 5: return resample_rows<CN, 5>(src, taps, dst);
    default: return resample_rows<CN, 0>(src, taps, dst);
  }
}

// Pillow's two passes with given taps: horizontal into `tmp` (skipped when the
// width stays), vertical into `dst` (skipped when the height stays). Returns
// the result: dst, tmp or src itself. `acc` is scratch for one output row.
const cv::Mat& resample(const cv::Mat& src, int out_width, int out_height, const Taps& htaps, const Taps& vtaps,
                        cv::Mat& tmp_store, cv::Mat& dst, std::vector<int32_t>& acc) {
  const int cn = src.channels();
  const cv::Mat* tmp_p = &src;
  if (src.cols != out_width) {
    tmp_store.create(src.rows, out_width, src.type());
    if (cn == 3)
      resample_rows<3>(src, htaps, tmp_store);
    else
      resample_rows<1>(src, htaps, tmp_store);
    tmp_p = &tmp_store;
  }
  const cv::Mat& tmp = *tmp_p;
  if (tmp.rows == out_height) return tmp;
  dst.create(out_height, out_width, src.type());
  const int row_len = out_width * cn, n = vtaps.count;
  acc.resize(row_len);
  int32_t* a = acc.data();
  for (int y = 0; y < out_height; ++y) {
    const int32_t* w = vtaps.weights.data() + static_cast<size_t>(y) * n;
    std::fill(a, a + row_len, 1 << (kPrecisionBits - 1));
    for (int k = 0; k < n; ++k) {
      const uint8_t* row = tmp.ptr<uint8_t>(vtaps.first[y] + k);
      const int32_t wk = w[k];
      for (int i = 0; i < row_len; ++i) a[i] += row[i] * wk;
    }
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int i = 0; i < row_len; ++i) d[i] = clip8(a[i]);
  }
  return dst;
}

void check_crop(const cv::Mat& crop) {
  if (crop.empty()) throw std::invalid_argument("empty crop");
  if (crop.depth() != CV_8U || (crop.channels() != 1 && crop.channels() != 3))
    throw std::invalid_argument("crop must be 8-bit BGR or grayscale");
}

// The crop as the image to resample: grey for a grey model (PIL's "L", in
// `store` unless the crop is grey already), else the crop itself (BGR or grey;
// to_floats puts its channels in the network's RGB order).
const cv::Mat& resample_input(const cv::Mat& crop, const PreprocessConfig& config, cv::Mat& store) {
  if (config.color == ColorMode::Gray && crop.channels() == 3) {
    gray_pil_into(crop, store);
    return store;
  }
  return crop;
}

// ToTensor (/255) then Normalize(0.5, 0.5) of every 8-bit value, in the same
// float operations as torchvision.
struct UnitTable {
  float v[256];
  UnitTable() {
    for (int i = 0; i < 256; ++i) v[i] = (static_cast<float>(i) / 255.0f - 0.5f) / 0.5f;
  }
};

// The resized image (BGR or grey) to floats in [-1, 1], CHW, in the network's
// channels: grey as it is; for an RGB network BGR reordered, grey repeated.
void to_floats(const cv::Mat& r, const PreprocessConfig& config, float* out) {
  static const UnitTable unit;
  const int cn = r.channels();
  const size_t plane = static_cast<size_t>(config.width) * config.height;
  for (int y = 0; y < r.rows; ++y) {
    const uint8_t* s = r.ptr<uint8_t>(y);
    float* o = out + static_cast<size_t>(y) * config.width;
    if (cn == 3) {
      for (int x = 0; x < r.cols; ++x) {
        o[x] = unit.v[s[3 * x + 2]];
        o[plane + x] = unit.v[s[3 * x + 1]];
        o[2 * plane + x] = unit.v[s[3 * x]];
      }
    } else {
      for (int x = 0; x < r.cols; ++x) o[x] = unit.v[s[x]];
      for (int c = 1; c < config.channels(); ++c) std::copy(o, o + r.cols, o + c * plane);
    }
  }
}

}  // namespace

cv::Mat resize_bilinear_pil(const cv::Mat& src, int out_width, int out_height) {
  if (src.empty() || src.depth() != CV_8U || (src.channels() != 1 && src.channels() != 3))
    throw std::invalid_argument("resize_bilinear_pil expects a non-empty 8-bit image with 1 or 3 channels");
  if (out_width <= 0 || out_height <= 0) throw std::invalid_argument("resize_bilinear_pil: bad output size");
  const Taps htaps = src.cols != out_width ? bilinear_taps(src.cols, out_width) : Taps{};
  const Taps vtaps = src.rows != out_height ? bilinear_taps(src.rows, out_height) : Taps{};
  cv::Mat tmp, dst;
  std::vector<int32_t> acc;
  const cv::Mat& r = resample(src, out_width, out_height, htaps, vtaps, tmp, dst, acc);
  return r.data == src.data ? src.clone() : r;
}

void preprocess_into(const cv::Mat& crop, const PreprocessConfig& config, float* out) {
  check_crop(crop);
  cv::Mat store;
  const cv::Mat& src = resample_input(crop, config, store);
  to_floats(resize_bilinear_pil(src, config.width, config.height), config, out);
}

struct CropPreprocessor::Prepared {
  Taps htaps, vtaps;
  cv::Mat colours, tmp, dst;
  std::vector<int32_t> acc;
};

CropPreprocessor::CropPreprocessor(const PreprocessConfig& config) : config_(config) {}
CropPreprocessor::~CropPreprocessor() = default;

void CropPreprocessor::run(const cv::Mat& crop, float* out) {
  check_crop(crop);
  auto& p = cache_[{{crop.cols, crop.rows}, crop.channels()}];
  if (!p) {
    p = std::make_unique<Prepared>();
    if (crop.cols != config_.width) p->htaps = bilinear_taps(crop.cols, config_.width);
    if (crop.rows != config_.height) p->vtaps = bilinear_taps(crop.rows, config_.height);
  }
  const cv::Mat& src = resample_input(crop, config_, p->colours);
  to_floats(resample(src, config_.width, config_.height, p->htaps, p->vtaps, p->tmp, p->dst, p->acc), config_, out);
}

torch::Tensor preprocess(const cv::Mat& crop, const PreprocessConfig& config) {
  auto t = torch::empty({config.channels(), config.height, config.width}, torch::kFloat32);
  preprocess_into(crop, config, t.data_ptr<float>());
  return t;
}

torch::Tensor preprocess_batch(const std::vector<cv::Mat>& crops, const PreprocessConfig& config) {
  auto t = torch::empty({static_cast<int64_t>(crops.size()), config.channels(), config.height, config.width},
                        torch::kFloat32);
  const int64_t stride = t.size(1) * t.size(2) * t.size(3);
  float* base = t.data_ptr<float>();
  for (size_t i = 0; i < crops.size(); ++i) preprocess_into(crops[i], config, base + i * stride);
  return t;
}

}  // namespace wellmonitor
