// libFuzzer harness: crop decoding (wellmonitor::decode_crop: the header size
// check, then OpenCV's decoders for PNG, JPEG and BMP).
//
// Any bytes must either decode into an 8-bit BGR image within kMaxCropSide or
// be refused with a reason.
#include "wellmonitor/dataset.h"

#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)wellmonitor::image_header_size(bytes);
  cv::Mat image;
  std::string why;
  if (!wellmonitor::decode_crop(bytes, image, why)) {
    if (why.empty() || !image.empty()) {
      std::fprintf(stderr, "refused crop without a reason, or with an image\n");
      std::abort();
    }
    return 0;
  }
  if (image.empty() || image.type() != CV_8UC3 || image.cols > wellmonitor::kMaxCropSide ||
      image.rows > wellmonitor::kMaxCropSide) {
    std::fprintf(stderr, "decoded crop is not 8-bit BGR within the limit: %dx%d type %d\n", image.cols, image.rows,
                 image.type());
    std::abort();
  }
  return 0;
}
