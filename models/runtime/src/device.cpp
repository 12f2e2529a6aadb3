#include "wellmonitor/device.h"

#include "wellmonitor/errors.h"

#include <stdexcept>

namespace wellmonitor {

torch::Device resolve_device(const std::string& request, const std::string& hint) {
  const bool cuda = torch::cuda::is_available();
  if (request.empty() || request == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (request == "cpu") return torch::Device(torch::kCPU);
  if (request.rfind("cuda", 0) == 0) {
    if (!cuda)
      throw DeviceError("device '" + request +
                               "' requested, but CUDA is not available (this build's LibTorch has no CUDA "
                               "or no GPU is visible); " + hint);
    int index = 0;
    if (request.size() > 4) {
      if (request[4] != ':') throw DeviceError("unknown device '" + printable(request) + "' (expected auto, cpu, cuda or cuda:N)");
      try {
        index = std::stoi(request.substr(5));
      } catch (const std::exception&) {
        throw DeviceError("unknown device '" + printable(request) + "' (expected auto, cpu, cuda or cuda:N)");
      }
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
      throw DeviceError("device '" + printable(request) + "': no such GPU (" + std::to_string(torch::cuda::device_count()) + " visible)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw DeviceError("unknown device '" + printable(request) + "' (expected auto, cpu, cuda or cuda:N)");
}

std::string describe_device(const torch::Device& device) {
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return "cpu";
}

int set_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
  return torch::get_num_threads();
}

}  // namespace wellmonitor
