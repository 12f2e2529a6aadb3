#include "wellmonitor/inference_ops.h"

#include <ATen/Parallel.h>

namespace wellmonitor {

namespace {

// max with NaN winning, as max_pool2d's comparison (a NaN input is kept)
inline float max_nan(float a, float b) { return (a > b || a != a) ? a : b; }

}  // namespace

torch::Tensor max_pool2_relu(const torch::Tensor& x) {
  if (x.dim() != 4 || x.scalar_type() != torch::kFloat32 || !x.device().is_cpu() || x.requires_grad() ||
      !x.is_contiguous(torch::MemoryFormat::ChannelsLast) || x.size(2) < 2 || x.size(3) < 2)
    return torch::relu(torch::max_pool2d(x, 2));
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), ho = h / 2, wo = w / 2;
  torch::Tensor out = torch::empty({n, c, ho, wo}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, n * ho, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // one output row of one image
      const int64_t b = row / ho, y = row % ho;
      const float* r0 = src + (b * h + 2 * y) * w * c;
      const float* r1 = r0 + w * c;
      float* o = dst + row * wo * c;
      for (int64_t xx = 0; xx < wo; ++xx, r0 += 2 * c, r1 += 2 * c, o += c)
        for (int64_t k = 0; k < c; ++k) {
          const float m = max_nan(max_nan(r0[k], r0[c + k]), max_nan(r1[k], r1[c + k]));
          o[k] = m < 0.f ? 0.f : m;  // relu; NaN stays NaN
        }
    }
  });
  return out;
}

}  // namespace wellmonitor
