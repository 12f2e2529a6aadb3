// The autoencoders: seed-ae is the reference network layer for layer; compact-ae
// is much cheaper; both map [N, C, H, W] to the same shape in [-1, 1].
#include "wellmonitor/architectures.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/inference_ops.h"
#include "wellmonitor/scores.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
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

// A model file's tensor table is checked against the count an architecture
// calls for before its network is allocated: the count worked out from the
// params must be the built network's, for every architecture and shape.
TEST(Architectures, ExpectedParameterCountMatchesTheBuiltNetwork) {
  struct Case {
    const char* arch;
    nlohmann::json params;
    int channels, height, width;
  };
  const std::vector<Case> cases = {
      {"seed-ae", nlohmann::json::object(), 1, 64, 64},     {"seed-ae", {{"latent", 17}}, 3, 32, 48},
      {"compact-ae", nlohmann::json::object(), 1, 64, 64},  {"compact-ae", {{"base", 4}, {"latent", 8}}, 3, 48, 64},
      {"compact-ae", {{"base", 1}, {"latent", 1}}, 1, 8, 8}, {"spill-cnn", nlohmann::json::object(), 3, 64, 64},
      {"spill-cnn", {{"base", 3}}, 1, 40, 24}};
  for (const auto& c : cases) {
    auto net = wm::make_autoencoder(c.arch, c.params, c.channels, c.height, c.width);
    EXPECT_EQ(wm::expected_parameter_count(c.arch, c.params, c.channels, c.height, c.width),
              static_cast<double>(wm::parameter_count(*net)))
        << c.arch << " " << c.params.dump() << " " << c.channels << "x" << c.height << "x" << c.width;
  }
  // Absurd params are counted, not built: 1024x1024 colour, base 256, latent 8192
  // (two 16.8M x 8192 linear layers: 2.7e11 weights, a terabyte).
  EXPECT_GT(wm::expected_parameter_count("compact-ae", {{"base", 256}, {"latent", 8192}}, 3, 1024, 1024), 2.7e11);
  EXPECT_THROW(wm::expected_parameter_count("resnet-ae", nlohmann::json::object(), 1, 64, 64), std::invalid_argument);
  EXPECT_THROW(wm::expected_parameter_count("compact-ae", {{"base", "wide"}}, 1, 64, 64), std::invalid_argument);
}

// spill-cnn base 8, colour: four 3x3 convs (3->8->16->32->32), each with
// BatchNorm and ReLU, max-pool after the first three, then [mean, max] pooling
// and Linear 64->1.
//   convs: (3*8*9+8) + (8*16*9+16) + (16*32*9+32) + (32*32*9+32) = 224+1168+4640+9248 = 15,280
//   batch norms: 2*(8+16+32+32) = 176;  head: 64+1 = 65;  total 15,521
//   multiply-adds at 64x64: 4096*8*3*9 + 1024*16*8*9 + 256*32*16*9 + 64*32*32*9 + 64
//                         = 884,736 + 1,179,648 + 1,179,648 + 589,824 + 64 = 3,833,920
TEST(Architectures, SpillCnnLayersParametersAndMultiplyAdds) {
  auto net = wm::make_autoencoder("spill-cnn", nlohmann::json::object(), 3, 64, 64);
  EXPECT_TRUE(net->is_classifier());
  EXPECT_EQ(wm::parameter_count(*net), 15521);
  EXPECT_EQ(net->multiply_adds(), 3833920);
  const std::vector<std::string> expected = {
      "Conv2d 3->8 k3 s1 p1",   "BatchNorm2d 8",  "torch::nn::ReLUImpl", "torch::nn::MaxPool2dImpl",
      "Conv2d 8->16 k3 s1 p1",  "BatchNorm2d 16", "torch::nn::ReLUImpl", "torch::nn::MaxPool2dImpl",
      "Conv2d 16->32 k3 s1 p1", "BatchNorm2d 32", "torch::nn::ReLUImpl", "torch::nn::MaxPool2dImpl",
      "Conv2d 32->32 k3 s1 p1", "BatchNorm2d 32", "torch::nn::ReLUImpl", "Linear 64->1"};
  EXPECT_EQ(layer_signature(*net), expected);
  // The autoencoders are not classifiers.
  EXPECT_FALSE(wm::make_autoencoder("compact-ae", nlohmann::json::object(), 3, 64, 64)->is_classifier());
  // 48x48 grey, base 4: convs 40+296+1168+2320, norms 2*(4+8+16+16), head 33 -> 3,945;
  // multiply-adds 2304*4*1*9 + 576*8*4*9 + 144*16*8*9 + 36*16*16*9 + 32 = 82,944+165,888+165,888+82,944+32.
  auto small = wm::make_autoencoder("spill-cnn", {{"base", 4}}, 1, 48, 48);
  EXPECT_EQ(wm::parameter_count(*small), 3945);
  EXPECT_EQ(small->multiply_adds(), 497696);
}

// One logit per crop for square and non-square inputs; the forward pass equals
// the same computation written with functional ops on the network's own weights
// (eval mode: batch norm with running statistics).
TEST(Architectures, SpillCnnForwardMatchesFunctionalComputation) {
  torch::manual_seed(3);
  for (auto [h, w] : {std::pair{64, 64}, {32, 64}, {48, 48}}) {
    auto net = wm::make_autoencoder("spill-cnn", nlohmann::json::object(), 3, h, w);
    // Non-trivial running statistics, as after training.
    for (auto& b : net->buffers()) {
      if (b.dtype() != torch::kFloat32) continue;
      torch::NoGradGuard ng;
      b.uniform_(0.5, 1.5);
    }
    net->eval();
    const auto x = torch::rand({5, 3, h, w}) * 2 - 1;
    torch::NoGradGuard ng;
    const auto y = net->forward(x);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{5})) << h << "x" << w;

    auto params = net->named_parameters();
    auto bufs = net->named_buffers();
    auto t = x;
    const int conv_at[4] = {0, 4, 8, 12};
    for (int i = 0; i < 4; ++i) {
      const std::string c = "features." + std::to_string(conv_at[i]), b = "features." + std::to_string(conv_at[i] + 1);
      t = torch::conv2d(t, params[c + ".weight"], params[c + ".bias"], 1, 1);
      t = (t - bufs[b + ".running_mean"].view({1, -1, 1, 1})) /
              torch::sqrt(bufs[b + ".running_var"].view({1, -1, 1, 1}) + 1e-5) * params[b + ".weight"].view({1, -1, 1, 1}) +
          params[b + ".bias"].view({1, -1, 1, 1});
      t = torch::relu(t);
      if (i < 3) t = torch::max_pool2d(t, 2);
    }
    const auto pooled = torch::cat({t.mean({2, 3}), t.amax({2, 3})}, 1);
    const auto expected = torch::matmul(pooled, params["head.weight"].t()).view({-1}) + params["head.bias"];
    EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-5)) << h << "x" << w << "\n" << y << "\n" << expected;
  }
}

// Global max pooling: a bright spot anywhere moves the logit; the mean alone would
// dilute a spot of a few pixels. A net whose head reads only the max half sees the
// spot wherever it is.
TEST(Architectures, SpillCnnSeesASmallSpotAnywhere) {
  torch::manual_seed(5);
  auto net = wm::make_autoencoder("spill-cnn", nlohmann::json::object(), 3, 64, 64);
  net->eval();
  torch::NoGradGuard ng;
  const auto base = torch::full({1, 3, 64, 64}, -0.5);
  const double logit0 = net->forward(base).item<double>();
  std::vector<double> moved;
  for (auto [y, x] : {std::pair{4, 4}, {30, 50}, {58, 20}}) {
    auto spot = base.clone();
    spot.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(y, y + 4), torch::indexing::Slice(x, x + 4)}, 1.0);
    moved.push_back(std::abs(net->forward(spot).item<double>() - logit0));
  }
  for (double m : moved) EXPECT_GT(m, 1e-4);
}

// ====================================================================== inference network

namespace {

// A model file of `arch` with random weights and BatchNorm statistics far from
// the identity, so that folding has something to fold.
wm::ModelFile random_model(const std::string& arch, wm::ColorMode color) {
  wm::ModelFile m;
  m.arch = arch;
  m.preprocess.color = color;
  if (arch == "spill-cnn") m.score = wm::ScoreConfig::from_name("probability");
  m.build_network();
  torch::NoGradGuard no_grad;
  for (const auto& mod : m.network->modules(/*include_self=*/false)) {
    if (auto* bn = mod->as<nn::BatchNorm2d>()) {
      bn->running_mean.normal_(0.0, 0.3);
      bn->running_var.uniform_(0.3, 3.0);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0.0, 0.2);
    }
  }
  m.network->eval();
  return m;
}

}  // namespace

// The Detector scores with its own copy of the network, BatchNorm folded into
// the convolutions, channels-last, with the inference kernels: for every
// architecture, grey and colour,
// its outputs and scores are the model file's network's within 1e-5, and the
// copy has no BatchNorm left.
TEST(InferenceNetwork, FoldedAndChannelsLastScoresEqualTheUnfoldedNetworkForEveryArchitecture) {
  torch::manual_seed(7);
  for (const auto& arch : wm::architecture_names()) {
    for (const auto color : {wm::ColorMode::Gray, wm::ColorMode::Rgb}) {
      SCOPED_TRACE(arch + " " + wm::to_string(color));
      const wm::ModelFile m = random_model(arch, color);
      const torch::Tensor x = torch::rand({6, m.preprocess.channels(), 64, 64}) * 2 - 1;
      torch::Tensor expected_out, expected_score;
      {
        torch::InferenceMode guard;
        expected_out = m.network->forward(x);
        expected_score = wm::score_batch(x, expected_out, m.score).to(torch::kFloat64);
      }
      ASSERT_GT(wm::batchnorm_count(*m.network), 0);
      for (const auto& options : {wm::InferenceOptions{false, false, false}, wm::InferenceOptions{true, false, false},
                                  wm::InferenceOptions{false, true, false}, wm::InferenceOptions{false, false, true},
                                  wm::InferenceOptions{}}) {
        SCOPED_TRACE("fold " + std::to_string(options.fold_batchnorm) + " channels-last " +
                     std::to_string(options.channels_last) + " inference kernels " +
                     std::to_string(options.inference_kernels));
        wm::Detector det(m, torch::kCPU, options);
        EXPECT_EQ(wm::batchnorm_count(det.inference_network()) == 0, options.fold_batchnorm);
        const torch::Tensor out = det.reconstruct(x);
        const torch::Tensor score = det.score_tensor(x);
        ASSERT_EQ(out.sizes(), expected_out.sizes());
        EXPECT_LT((out - expected_out).abs().max().item<double>(), 1e-5 * std::max(1.0, expected_out.abs().max().item<double>()));
        EXPECT_LT((score - expected_score).abs().max().item<double>(), 1e-5);
      }
      EXPECT_GT(wm::batchnorm_count(*m.network), 0) << "the model file's network was folded too";
    }
  }
}

// relu(max_pool2d(x, 2)) in one pass equals torch's two ops exactly: channels-last
// (the kernel) and not (torch's ops), odd sizes, NaN and infinities kept.
TEST(InferenceKernels, MaxPool2ReluEqualsTorchsMaxPoolThenReluExactly) {
  torch::manual_seed(3);
  torch::InferenceMode guard;
  for (const auto& shape : {std::vector<int64_t>{42, 8, 64, 64}, {3, 16, 33, 31}, {1, 12, 2, 2}, {2, 5, 7, 9}}) {
    torch::Tensor x = torch::randn(shape);
    x.view(-1)[5] = std::numeric_limits<float>::quiet_NaN();
    x.view(-1)[17] = std::numeric_limits<float>::infinity();
    x.view(-1)[40] = -std::numeric_limits<float>::infinity();
    const torch::Tensor expected = torch::relu(torch::max_pool2d(x, 2));
    for (const auto format : {torch::MemoryFormat::ChannelsLast, torch::MemoryFormat::Contiguous}) {
      const torch::Tensor got = wm::max_pool2_relu(x.contiguous(format));
      ASSERT_EQ(got.sizes(), expected.sizes());
      EXPECT_TRUE(torch::equal(torch::isnan(got), torch::isnan(expected)));
      EXPECT_TRUE(torch::equal(torch::nan_to_num(got, 0.0), torch::nan_to_num(expected, 0.0)));
      EXPECT_TRUE(torch::isnan(got).any().item<bool>());
      if (format == torch::MemoryFormat::ChannelsLast) {
        EXPECT_TRUE(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
      }
    }
  }
  // threads split the batch; the result does not change
  const torch::Tensor x = torch::randn({42, 8, 64, 64}).contiguous(torch::MemoryFormat::ChannelsLast);
  const int before = torch::get_num_threads();
  torch::set_num_threads(2);
  const torch::Tensor two = wm::max_pool2_relu(x);
  torch::set_num_threads(1);
  EXPECT_TRUE(torch::equal(two, wm::max_pool2_relu(x)));
  torch::set_num_threads(before);
}
