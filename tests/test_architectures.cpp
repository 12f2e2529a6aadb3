// The autoencoders: seed-ae is the reference network layer for layer; compact-ae
// is much cheaper; both map [N, C, H, W] to the same shape in [-1, 1].
#include "wellmonitor/architectures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace wm = wellmonitor;
namespace nn = torch::nn;

namespace {

// One line per leaf module, in registration order, with the options that matter.
std::vector<std::string> layer_signature(nn::Module& net) {
  std::vector<std::string> out;
  for (const auto& m : net.modules(/*include_self=*/false)) {
    if (!m->children().empty()) continue;
    std::ostringstream s;
    if (auto* c = m->as<nn::Conv2d>()) {
      const auto& o = c->options;
      s << "Conv2d " << o.in_channels() << "->" << o.out_channels() << " k" << (*o.kernel_size())[0] << " s"
        << (*o.stride())[0] << " p" << c10::get<torch::ExpandingArray<2>>(o.padding())->at(0);
    } else if (auto* t = m->as<nn::ConvTranspose2d>()) {
      const auto& o = t->options;
      s << "ConvTranspose2d " << o.in_channels() << "->" << o.out_channels() << " k" << (*o.kernel_size())[0] << " s"
        << (*o.stride())[0] << " p" << c10::get<torch::ExpandingArray<2>>(o.padding())->at(0);
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      s << "BatchNorm2d " << b->options.num_features();
    } else if (auto* l = m->as<nn::Linear>()) {
      s << "Linear " << l->options.in_features() << "->" << l->options.out_features();
    } else {
      s << m->name();
    }
    out.push_back(s.str());
  }
  return out;
}

}  // namespace

// The reference (the homework's autoencoder), grey 64x64, latent 512:
TEST(Architectures, SeedAeHasExactlyTheReferenceLayers) {
  auto net = wm::make_autoencoder("seed-ae", nlohmann::json::object(), 1, 64, 64);
  const std::vector<std::string> want = {
      "Conv2d 1->32 k3 s2 p1",  "BatchNorm2d 32", "torch::nn::ReLUImpl",
      "Conv2d 32->64 k3 s2 p1", "BatchNorm2d 64", "torch::nn::ReLUImpl",
      "Conv2d 64->128 k3 s2 p1", "BatchNorm2d 128", "torch::nn::ReLUImpl",
      "Linear 8192->512",       "Linear 512->8192",
      "ConvTranspose2d 128->64 k4 s2 p1", "BatchNorm2d 64", "torch::nn::ReLUImpl",
      "ConvTranspose2d 64->32 k4 s2 p1",  "BatchNorm2d 32", "torch::nn::ReLUImpl",
      "ConvTranspose2d 32->1 k4 s2 p1",   "torch::nn::TanhImpl"};
  EXPECT_EQ(layer_signature(*net), want);
}

// Parameters of seed-ae, by hand (weights + biases; BatchNorm: weight + bias):
//   Conv 1->32 k3:     1*32*9 + 32      =       320
//   BN 32:             2*32             =        64
//   Conv 32->64 k3:    32*64*9 + 64     =    18,496
//   BN 64:                                      128
//   Conv 64->128 k3:   64*128*9 + 128   =    73,856
//   BN 128:                                     256
//   Linear 8192->512:  8192*512 + 512   = 4,194,816
//   Linear 512->8192:  512*8192 + 8192  = 4,202,496
//   ConvT 128->64 k4:  128*64*16 + 64   =   131,136
//   BN 64:                                      128
//   ConvT 64->32 k4:   64*32*16 + 32    =    32,800
//   BN 32:                                       64
//   ConvT 32->1 k4:    32*1*16 + 1      =       513
//   total                               = 8,655,073
// (PyTorch's count for the same nn.Module in bench/reference_models.py is also 8,655,073.)
TEST(Architectures, SeedAeParameterCount) {
  auto net = wm::make_autoencoder("seed-ae", nlohmann::json::object(), 1, 64, 64);
  EXPECT_EQ(wm::parameter_count(*net), 8655073);
  // Buffers: 5 BatchNorms x (running_mean, running_var, num_batches_tracked).
  EXPECT_EQ(net->buffers().size(), 15u);
}

// compact-ae base=16, latent=64 by hand:
//   Conv 1->16: 160, BN 32, Conv 16->32: 4,640, BN 64, Conv 32->64: 18,496, BN 128,
//   Linear 4096->64: 262,208, Linear 64->4096: 266,240,
//   ConvT 64->32: 32,800, BN 64, ConvT 32->16: 8,208, BN 32, ConvT 16->1: 257  = 593,329
// base=4, latent=8 (the tests' tiny model): 21,637 (PyTorch agrees on both).
TEST(Architectures, CompactAeParameterCount) {
  auto net = wm::make_autoencoder("compact-ae", nlohmann::json::object(), 1, 64, 64);
  EXPECT_EQ(wm::parameter_count(*net), 593329);
  auto tiny = wm::make_autoencoder("compact-ae", {{"base", 4}, {"latent", 8}}, 1, 64, 64);
  EXPECT_EQ(wm::parameter_count(*tiny), 21637);
}

// Multiply-adds per crop, by hand (64x64 grey; feature maps 32x32, 16x16, 8x8):
// seed-ae
//   encoder: 1024*32*1*9 + 256*64*32*9 + 64*128*64*9      =  9,732,096
//   linears: 2 * 8192 * 512                               =  8,388,608
//   decoder (each input pixel scatters a 4x4 kernel):
//            64*128*64*16 + 256*64*32*16 + 1024*32*1*16   = 17,301,504
//   total                                                 = 35,422,208
// compact-ae base 16, latent 64
//   encoder: 1024*16*9 + 256*32*16*9 + 64*64*32*9         =  2,506,752
//   linears: 2 * 4096 * 64                                =    524,288
//   decoder: 64*64*32*16 + 256*32*16*16 + 1024*16*1*16    =  4,456,448
//   total                                                 =  7,487,488   (4.7x fewer)
TEST(Architectures, MultiplyAdds) {
  auto seed = wm::make_autoencoder("seed-ae", nlohmann::json::object(), 1, 64, 64);
  auto compact = wm::make_autoencoder("compact-ae", nlohmann::json::object(), 1, 64, 64);
  EXPECT_EQ(seed->multiply_adds(), 35422208);
  EXPECT_EQ(compact->multiply_adds(), 7487488);
  EXPECT_LT(compact->multiply_adds() * 4, seed->multiply_adds());
  auto tiny = wm::make_autoencoder("compact-ae", {{"base", 4}, {"latent", 8}}, 1, 64, 64);
  EXPECT_LT(tiny->multiply_adds() * 50, seed->multiply_adds());
}

// Output shape equals input shape, for grey, colour and non-square inputs, and
// the Tanh keeps every value in [-1, 1] even for inputs far outside it.
TEST(Architectures, ShapeAndRange) {
  torch::manual_seed(0);
  struct Dims {
    std::string arch;
    int c, h, w;
  };
  for (const auto& d : std::vector<Dims>{{"seed-ae", 1, 64, 64}, {"seed-ae", 3, 64, 64}, {"compact-ae", 1, 64, 64},
                                         {"compact-ae", 3, 32, 48}, {"seed-ae", 1, 40, 24}}) {
    SCOPED_TRACE(d.arch + " " + std::to_string(d.c) + "x" + std::to_string(d.h) + "x" + std::to_string(d.w));
    auto net = wm::make_autoencoder(d.arch, nlohmann::json::object(), d.c, d.h, d.w);
    net->eval();
    torch::NoGradGuard ng;
    const auto x = torch::randn({3, d.c, d.h, d.w});
    auto y = net->forward(x);
    EXPECT_EQ(y.sizes(), x.sizes());
    EXPECT_GE(y.min().item<float>(), -1.0f);
    EXPECT_LE(y.max().item<float>(), 1.0f);
    // Blow up the last transposed conv's weights: its outputs go far beyond [-1, 1],
    // so only a final Tanh keeps the reconstruction in range (and saturates it).
    std::shared_ptr<nn::ConvTranspose2dImpl> last;
    for (const auto& m : net->modules(false))
      if (auto t = std::dynamic_pointer_cast<nn::ConvTranspose2dImpl>(m)) last = t;
    ASSERT_TRUE(last);
    last->weight.mul_(1000);
    y = net->forward(x);
    EXPECT_GE(y.min().item<float>(), -1.0f);
    EXPECT_LE(y.max().item<float>(), 1.0f);
    EXPECT_GT((y.abs() > 0.999).sum().item<int64_t>(), y.numel() / 4);
  }
}

TEST(Architectures, ResolvedParams) {
  nlohmann::json resolved;
  wm::make_autoencoder("compact-ae", {{"latent", 32}}, 1, 64, 64, &resolved);
  EXPECT_EQ(resolved, (nlohmann::json{{"base", 16}, {"latent", 32}}));
  wm::make_autoencoder("seed-ae", nlohmann::json::object(), 1, 64, 64, &resolved);
  EXPECT_EQ(resolved, (nlohmann::json{{"latent", 512}}));
  const auto names = wm::architecture_names();
  for (const char* n : {"seed-ae", "compact-ae"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(Architectures, UnknownArchThrows) {
  try {
    wm::make_autoencoder("resnet-ae", nlohmann::json::object(), 1, 64, 64);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("resnet-ae"), std::string::npos) << e.what();
  }
}

TEST(Architectures, BadParamsThrowInvalidArgument) {
  const nlohmann::json none = nlohmann::json::object();
  // Input dimensions: channels 1 or 3, sides positive multiples of 8.
  EXPECT_THROW(wm::make_autoencoder("seed-ae", none, 2, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("seed-ae", none, 1, 60, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("compact-ae", none, 1, 64, 0), std::invalid_argument);
  // compact-ae: base 1..256, latent 1..8192.
  EXPECT_THROW(wm::make_autoencoder("compact-ae", {{"base", 0}}, 1, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("compact-ae", {{"base", 300}}, 1, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("compact-ae", {{"latent", 0}}, 1, 64, 64), std::invalid_argument);
  // Wrong JSON types.
  EXPECT_THROW(wm::make_autoencoder("compact-ae", {{"base", "wide"}}, 1, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("seed-ae", {{"latent", "big"}}, 1, 64, 64), std::invalid_argument);
  // seed-ae: a bottleneck must have at least one unit.
  EXPECT_THROW(wm::make_autoencoder("seed-ae", {{"latent", 0}}, 1, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::make_autoencoder("seed-ae", {{"latent", -3}}, 1, 64, 64), std::invalid_argument);
}
