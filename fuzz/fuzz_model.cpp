// libFuzzer harness: the model file reader (wellmonitor::load_model and
// read_model_metadata).
//
// Every input is read twice: as it is (the header, size and checksum checks),
// and with its checksums made to match (so that the fuzzer reaches the
// metadata, the tensor table and the weights behind them, as a crafted file
// would): the payload is everything between the metadata and the last 64
// bytes, the 64-character placeholder kPlaceholder in the metadata becomes the
// payload's SHA-256, and the footer becomes the SHA-256 of what precedes it.
// fuzz/make_seeds.py writes seeds in that form. Each read must either give a
// model that runs on a crop or be refused with one ModelFileError line naming
// the file.
#include "fuzz_common.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/model_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr char kPlaceholder[] = "FUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZ";
static_assert(sizeof(kPlaceholder) == 65, "a SHA-256 in hex");
constexpr size_t kHeader = 24, kFooter = 64;

// The input with its checksums made to match, or empty when it has no room for them.
std::string with_checksums(std::string file) {
  if (file.size() < kHeader + kFooter || std::memcmp(file.data(), "WELLMON", 8) != 0) return {};
  uint64_t meta = 0;
  std::memcpy(&meta, file.data() + 16, 8);
  if (meta > file.size() - kHeader - kFooter) return {};
  const size_t payload_at = kHeader + meta, payload_size = file.size() - kFooter - payload_at;
  const std::string payload_hash = wellmonitor::sha256_hex(file.data() + payload_at, payload_size);
  const size_t at = file.find(kPlaceholder, kHeader);
  if (at != std::string::npos && at + 64 <= payload_at) file.replace(at, 64, payload_hash);
  const size_t body = file.size() - kFooter;
  file.replace(body, kFooter, wellmonitor::sha256_hex(file.data(), body));
  return file;
}

void read_one(const std::string& bytes) {
  const std::string path =
      wellmonitor_fuzz::write_scratch("model.wmm", reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto refused = [&](const wellmonitor::ModelFileError& e) {
    const std::string what = e.what();
    wellmonitor_fuzz::check_one_line(what);
    if (what.rfind(path + ": ", 0) != 0) {
      std::fprintf(stderr, "model file error does not start with the file's name: %s\n", what.c_str());
      std::abort();
    }
  };
  try {
    (void)wellmonitor::read_model_metadata(path);
  } catch (const wellmonitor::ModelFileError& e) {
    refused(e);
  }
  try {
    wellmonitor::ModelFile model = wellmonitor::load_model(path);
    // A model that loads must run: one mid-grey crop through the network and
    // the score. (Finite weights can still overflow to an infinite score; the
    // element reports those as anomalies, so they are no finding here.)
    torch::NoGradGuard no_grad;
    const auto& pc = model.preprocess;
    const auto x = torch::zeros({1, pc.channels(), pc.height, pc.width});
    const auto scores = wellmonitor::score_batch(x, model.network->forward(x), model.score);
    if (scores.numel() != 1) {
      std::fprintf(stderr, "one crop gave %lld scores\n", static_cast<long long>(scores.numel()));
      std::abort();
    }
  } catch (const wellmonitor::ModelFileError& e) {
    refused(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  read_one(input);
  const std::string fixed = with_checksums(input);
  if (!fixed.empty()) read_one(fixed);
  return 0;
}
