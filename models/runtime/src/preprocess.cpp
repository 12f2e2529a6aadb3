#include "wellmonitor/preprocess.h"

#include "wellmonitor/crop_preprocessor.h"
#include "wellmonitor/errors.h"

#include <opencv2/imgproc.hpp>

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

// One output sample's taps: first input index and fixed-point weights.
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

std::vector<Taps> bilinear_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;  // bilinear filter support is 1
  std::vector<Taps> taps(out_size);
  std::vector<double> w;
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
    taps[xx].first = xmin;
    taps[xx].weights.resize(xmax);
    for (int x = 0; x < xmax; ++x) {
      double k = ww != 0.0 ? w[x] / ww : 0.0;
      taps[xx].weights[x] = static_cast<int32_t>(k < 0 ? k * (1 << kPrecisionBits) - 0.5
                                                       : k * (1 << kPrecisionBits) + 0.5);
    }
  }
  return taps;
}

inline uint8_t clip8(int64_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Pillow's two passes with given taps: horizontal into `tmp` (skipped when the
// width stays), vertical into `dst` (skipped when the height stays). Returns
// the result: dst, tmp or src itself.
const cv::Mat& resample(const cv::Mat& src, int out_width, int out_height, const std::vector<Taps>& htaps,
                        const std::vector<Taps>& vtaps, cv::Mat& tmp_store, cv::Mat& dst) {
  const int cn = src.channels();
  const cv::Mat* tmp_p = &src;
  if (src.cols != out_width) {
    const auto& taps = htaps;
    cv::Mat& tmp = tmp_store;
    tmp.create(src.rows, out_width, src.type());
    for (int y = 0; y < src.rows; ++y) {
      const uint8_t* s = src.ptr<uint8_t>(y);
      uint8_t* d = tmp.ptr<uint8_t>(y);
      for (int x = 0; x < out_width; ++x) {
        const Taps& t = taps[x];
        for (int c = 0; c < cn; ++c) {
          int64_t acc = 1 << (kPrecisionBits - 1);
          for (size_t k = 0; k < t.weights.size(); ++k)
            acc += static_cast<int64_t>(s[(t.first + static_cast<int>(k)) * cn + c]) * t.weights[k];
          d[x * cn + c] = clip8(acc);
        }
      }
    }
    tmp_p = &tmp;
  }
  const cv::Mat& tmp = *tmp_p;
  if (tmp.rows == out_height) return tmp;
  const auto& taps = vtaps;
  dst.create(out_height, out_width, src.type());
  const int row_len = out_width * cn;
  for (int y = 0; y < out_height; ++y) {
    const Taps& t = taps[y];
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int i = 0; i < row_len; ++i) {
      int64_t acc = 1 << (kPrecisionBits - 1);
      for (size_t k = 0; k < t.weights.size(); ++k)
        acc += static_cast<int64_t>(tmp.ptr<uint8_t>(t.first + static_cast<int>(k))[i]) * t.weights[k];
      d[i] = clip8(acc);
    }
  }
  return dst;
}

void check_crop(const cv::Mat& crop) {
  if (crop.empty()) throw std::invalid_argument("empty crop");
  if (crop.depth() != CV_8U || (crop.channels() != 1 && crop.channels() != 3))
    throw std::invalid_argument("crop must be 8-bit BGR or grayscale");
}

// The crop in the network's colours (grey or RGB), in `store` unless the crop serves as it is.
const cv::Mat& network_colours(const cv::Mat& crop, const PreprocessConfig& config, cv::Mat& store) {
  if (config.color == ColorMode::Gray) {
    if (crop.channels() == 1) return crop;
    gray_pil_into(crop, store);
  } else {
    cv::cvtColor(crop, store, crop.channels() == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_BGR2RGB);
  }
  return store;
}

// The resized crop to floats in [-1, 1], CHW.
void to_floats(const cv::Mat& r, const PreprocessConfig& config, float* out) {
  const int cn = r.channels();
  const size_t plane = static_cast<size_t>(config.width) * config.height;
  for (int y = 0; y < r.rows; ++y) {
    const uint8_t* s = r.ptr<uint8_t>(y);
    for (int x = 0; x < r.cols; ++x)
      for (int c = 0; c < cn; ++c)
        // ToTensor (/255) then Normalize(0.5, 0.5), in the same float order as torchvision
        out[c * plane + static_cast<size_t>(y) * config.width + x] =
            (static_cast<float>(s[x * cn + c]) / 255.0f - 0.5f) / 0.5f;
  }
}

}  // namespace

cv::Mat resize_bilinear_pil(const cv::Mat& src, int out_width, int out_height) {
  if (src.empty() || src.depth() != CV_8U || (src.channels() != 1 && src.channels() != 3))
    throw std::invalid_argument("resize_bilinear_pil expects a non-empty 8-bit image with 1 or 3 channels");
  if (out_width <= 0 || out_height <= 0) throw std::invalid_argument("resize_bilinear_pil: bad output size");
  const std::vector<Taps> htaps = src.cols != out_width ? bilinear_taps(src.cols, out_width) : std::vector<Taps>{};
  const std::vector<Taps> vtaps = src.rows != out_height ? bilinear_taps(src.rows, out_height) : std::vector<Taps>{};
  cv::Mat tmp, dst;
  const cv::Mat& r = resample(src, out_width, out_height, htaps, vtaps, tmp, dst);
  return r.data == src.data ? src.clone() : r;
}

void preprocess_into(const cv::Mat& crop, const PreprocessConfig& config, float* out) {
  check_crop(crop);
  cv::Mat store;
  const cv::Mat& src = network_colours(crop, config, store);
  to_floats(resize_bilinear_pil(src, config.width, config.height), config, out);
}

struct CropPreprocessor::Prepared {
  std::vector<Taps> htaps, vtaps;
  cv::Mat colours, tmp, dst;
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
  const cv::Mat& src = network_colours(crop, config_, p->colours);
  to_floats(resample(src, config_.width, config_.height, p->htaps, p->vtaps, p->tmp, p->dst), config_, out);
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
