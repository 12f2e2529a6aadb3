// Where a model runs.
#pragma once

#include <torch/torch.h>

#include <string>

namespace wellmonitor {

// "auto" (CUDA when this build and this machine have it, else CPU), "cpu",
// "cuda" or "cuda:N". Throws DeviceError (errors.h) with a readable reason when
// CUDA is asked for and not available, or the name is unknown; the reason ends
// with `hint`, how the caller's user picks another device (the trainer's
// default names its --device option; the element names its property).
constexpr const char* kTrainerDeviceHint = "use --device cpu or auto";
constexpr const char* kElementDeviceHint = "set the element's device property to cpu or auto";
torch::Device resolve_device(const std::string& request, const std::string& hint = kTrainerDeviceHint);

// "cpu" or "cuda:N (device name)".
std::string describe_device(const torch::Device& device);

// Sets LibTorch's intra-op thread count (0 = leave the default) and returns the count in use.
int set_threads(int threads);

}  // namespace wellmonitor
