// Networks trained elsewhere: a TorchScript file exported from Python
// (`torch.jit.trace(net, example).save(path)`), scored like a model file.
//
// What the network needs around it comes from a small JSON object, packed into
// the TorchScript archive as the extra file "wellmonitor.json"
// (`save(path, _extra_files={"wellmonitor.json": ...})`) or in a sidecar file
// beside it (`<path>.json`, or the path with its extension replaced by .json);
// a sidecar wins over the packed copy, so a threshold can change without a new
// export:
//   {"preprocess": {"width": 64, "height": 64, "color": "gray"},   // or "rgb"
//    "score": {"kind": "mse"},          // mse | l1 | hybrid (a, b) | probability
//    "threshold": 0.0123}
// The network takes a batch [N, C, H, W] of crops preprocessed as the model
// file's (PIL bilinear resize, values in [-1, 1], RGB order for colour) and
// returns the reconstruction [N, C, H, W] for a reconstruction score, or one
// spill logit per crop ([N] or [N, 1]) for `probability`.
//
// A TorchScript file holds code that LibTorch runs: load only files you trust.
#pragma once

#include <string>

namespace wellmonitor {

struct ModelFile;  // model_file.h, which loads TorchScript files through this one

// The architecture name a TorchScript network carries in a ModelFile.
constexpr const char* kTorchScriptArch = "torchscript";

// Whether `path` is a TorchScript archive (a zip file) rather than a .wmm.
bool is_torchscript_file(const std::string& path);

// Loads the network and its JSON, and checks the network's output on a test
// batch. Throws ModelFileError naming the file (and the sidecar) and the reason.
ModelFile load_torchscript(const std::string& path);

}  // namespace wellmonitor
