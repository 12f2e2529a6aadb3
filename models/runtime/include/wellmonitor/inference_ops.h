// Inference kernels for what LibTorch's own CPU ops do at more cost than the
// networks here need. Each computes exactly what the torch ops it stands for
// compute (the same floats, NaN included) and falls back to them for tensors
// it does not handle.
#pragma once

#include <torch/torch.h>

namespace wellmonitor {

// relu(max_pool2d(x, 2)): 2x2 windows, stride 2, no padding, odd edges left
// out, of a 4-d tensor [N, C, H, W]. For a float CPU tensor in channels-last
// layout (how the Detector runs its networks) one pass over the input, split
// over LibTorch's intra-op threads; max_pool2d itself also writes the index
// of every maximum and ReLU makes one more pass. Any other tensor: the torch
// ops. A NaN in a window gives NaN, as in max_pool2d.
torch::Tensor max_pool2_relu(const torch::Tensor& x);

}  // namespace wellmonitor
