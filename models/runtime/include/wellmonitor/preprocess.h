// Crop preprocessing shared by the trainer and the GStreamer element.
//
// One implementation serves both sides, so a crop scores the same wherever it
// is scored. The reference configuration (grayscale, 64x64) reproduces the
// reference Python pipeline: PIL `convert("L")`, torchvision `Resize((64, 64))`
// (PIL bilinear) and `Normalize(0.5, 0.5)`.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wellmonitor {

enum class ColorMode { Gray, Rgb };

std::string to_string(ColorMode mode);
ColorMode color_mode_from_string(const std::string& name);  // throws std::invalid_argument

struct PreprocessConfig {
  int width = 64;                     // network input width in pixels
  int height = 64;                    // network input height in pixels
  ColorMode color = ColorMode::Gray;  // reference: grayscale

  int channels() const { return color == ColorMode::Gray ? 1 : 3; }
  nlohmann::json to_json() const;
  static PreprocessConfig from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

// PIL's "L" conversion of an 8-bit BGR image (ITU-R 601-2 luma, PIL's rounding).
cv::Mat to_gray_pil(const cv::Mat& bgr);

// PIL-compatible bilinear resampling of an 8-bit image with 1 or 3 channels:
// separable, antialiased when shrinking, horizontal pass first with 8-bit
// rounding in between, exactly as Pillow's Resample.c does it.
cv::Mat resize_bilinear_pil(const cv::Mat& src, int out_width, int out_height);

// Converts one 8-bit crop (CV_8UC3 in BGR order, or CV_8UC1) of any size to the
// network's input and writes channels()*height*width floats in [-1, 1] (CHW,
// RGB order for colour) to `out`. Throws std::invalid_argument on an empty or
// unsupported image.
void preprocess_into(const cv::Mat& crop, const PreprocessConfig& config, float* out);

// One crop -> tensor [C, H, W].
torch::Tensor preprocess(const cv::Mat& crop, const PreprocessConfig& config);

// Many crops -> tensor [N, C, H, W].
torch::Tensor preprocess_batch(const std::vector<cv::Mat>& crops, const PreprocessConfig& config);

}  // namespace wellmonitor
