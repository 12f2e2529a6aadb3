// Anomaly scores: MSE and L1 on hand-made tensors, SSIM against hand-worked
// constant images and an independent double-precision implementation, and the
// hybrid score a*L1 + b*(1 - SSIM).
#include "wellmonitor/scores.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace wm = wellmonitor;

namespace {

wm::ScoreConfig config(wm::ScoreKind kind, double a = 1.0, double b = 1.0) {
  wm::ScoreConfig c;
  c.kind = kind;
  c.a = a;
  c.b = b;
  return c;
}

// SSIM written out in double precision with explicit loops: 11x11 Gaussian window
// (sigma 1.5, normalised), inputs mapped from [-1, 1] to [0, 1], C1 = 0.01^2,
// C2 = 0.03^2, population (co)variances, valid region only, mean over the map and
// then over channels. One sample [C, H, W].
double ssim_reference(const torch::Tensor& xs, const torch::Tensor& ys) {
  const auto x = ((xs.to(torch::kFloat64) + 1) * 0.5).contiguous();
  const auto y = ((ys.to(torch::kFloat64) + 1) * 0.5).contiguous();
  const int64_t C = x.size(0), H = x.size(1), W = x.size(2);
  const int k = 11;
  double g[11], gs = 0;
  for (int i = 0; i < k; ++i) gs += g[i] = std::exp(-((i - 5.0) * (i - 5.0)) / (2 * 1.5 * 1.5));
  for (double& v : g) v /= gs;
  const double c1 = 1e-4, c2 = 9e-4;
  auto xa = x.accessor<double, 3>();
  auto ya = y.accessor<double, 3>();
  double total = 0;
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    int64_t count = 0;
    for (int64_t i = 0; i + k <= H; ++i)
      for (int64_t j = 0; j + k <= W; ++j) {
        double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (int u = 0; u < k; ++u)
          for (int v = 0; v < k; ++v) {
            const double w = g[u] * g[v], a = xa[c][i + u][j + v], b = ya[c][i + u][j + v];
            mx += w * a, my += w * b, xx += w * a * a, yy += w * b * b, xy += w * a * b;
          }
        const double sx = xx - mx * mx, sy = yy - my * my, sxy = xy - mx * my;
        sum += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2));
        ++count;
      }
    total += sum / static_cast<double>(count);
  }
  return total / static_cast<double>(C);
}

}  // namespace

// x = [1, 0, -1, 0.5], reconstruction 0:
//   MSE = (1 + 0 + 1 + 0.25) / 4 = 0.5625, L1 = (1 + 0 + 1 + 0.5) / 4 = 0.625.
// Second sample: 0.5 everywhere vs -0.5 everywhere: MSE 1, L1 1.
TEST(Scores, MseAndL1PerSample) {
  auto x = torch::tensor({1.0f, 0.0f, -1.0f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}).view({2, 1, 2, 2});
  auto r = torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, -0.5f, -0.5f, -0.5f, -0.5f}).view({2, 1, 2, 2});
  const auto mse = wm::score_batch(x, r, config(wm::ScoreKind::Mse));
  const auto l1 = wm::score_batch(x, r, config(wm::ScoreKind::L1));
  ASSERT_EQ(mse.sizes(), (std::vector<int64_t>{2}));
  EXPECT_FLOAT_EQ(mse[0].item<float>(), 0.5625f);
  EXPECT_FLOAT_EQ(mse[1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(l1[0].item<float>(), 0.625f);
  EXPECT_FLOAT_EQ(l1[1].item<float>(), 1.0f);
  // Identical input and reconstruction: 0.
  EXPECT_FLOAT_EQ(wm::score_batch(x, x, config(wm::ScoreKind::Mse)).abs().max().item<float>(), 0.0f);
}

// Channels count in the mean: 3x2x2 ones vs a reconstruction that misses channel 0
// (zeros there): 4 of 12 values differ by 1 -> MSE = L1 = 4/12.
TEST(Scores, MeanOverChannels) {
  auto x = torch::ones({1, 3, 2, 2});
  auto r = torch::ones({1, 3, 2, 2});
  r.index_put_({0, 0}, 0.0);
  EXPECT_NEAR(wm::score_batch(x, r, config(wm::ScoreKind::Mse)).item<float>(), 1.0 / 3.0, 1e-7);
  EXPECT_NEAR(wm::score_batch(x, r, config(wm::ScoreKind::L1)).item<float>(), 1.0 / 3.0, 1e-7);
}

// Constant images (no variance: the structure term is C2/C2 = 1):
//   SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1)
//   x = -1 (-> 0), y = 1 (-> 1):    C1 / (1 + C1) = 1e-4 / 1.0001 = 9.9990e-5
//   x = 0 (-> 0.5), y = 1 (-> 1):   (1 + 1e-4) / (1.25 + 1e-4) = 0.800016
//   x = y: 1
TEST(Scores, SsimOfConstantImagesByHand) {
  const auto lo = torch::full({1, 1, 64, 64}, -1.0f), hi = torch::full({1, 1, 64, 64}, 1.0f),
             mid = torch::zeros({1, 1, 64, 64});
  EXPECT_NEAR(wm::ssim(lo, hi).item<float>(), 1e-4 / 1.0001, 1e-6);
  EXPECT_NEAR(wm::ssim(mid, hi).item<float>(), 1.0001 / 1.2501, 1e-5);
  EXPECT_NEAR(wm::ssim(mid, mid).item<float>(), 1.0, 1e-6);
}

TEST(Scores, SsimIdenticalIsOneAndNegatedIsLow) {
  torch::manual_seed(3);
  const auto x = torch::rand({2, 1, 64, 64}) * 2 - 1;
  const auto same = wm::ssim(x, x);
  ASSERT_EQ(same.sizes(), (std::vector<int64_t>{2}));
  EXPECT_NEAR(same[0].item<float>(), 1.0f, 1e-5);
  EXPECT_NEAR(same[1].item<float>(), 1.0f, 1e-5);
  // -x: every local correlation is -1 and the means mirror around 0.5, so SSIM is near -1.
  const auto neg = wm::ssim(x, -x);
  EXPECT_LT(neg[0].item<float>(), -0.5f);
  EXPECT_LT(neg[1].item<float>(), -0.5f);
  // Symmetric.
  const auto y = torch::rand({2, 1, 64, 64}) * 2 - 1;
  EXPECT_TRUE(torch::allclose(wm::ssim(x, y), wm::ssim(y, x), 1e-6, 1e-6));
}

// The library's SSIM equals the explicit double-precision one on random colour data
// (two channels differ, so averaging over channels is checked too).
TEST(Scores, SsimMatchesIndependentImplementation) {
  torch::manual_seed(5);
  const auto x = torch::rand({2, 3, 24, 20}) * 2 - 1;
  const auto y = (x + 0.3 * torch::randn({2, 3, 24, 20})).clamp(-1, 1);
  const auto got = wm::ssim(x, y);
  for (int64_t n = 0; n < 2; ++n) {
    const double want = ssim_reference(x[n], y[n]);
    EXPECT_NEAR(got[n].item<double>(), want, 1e-5) << "sample " << n;
    EXPECT_GT(want, 0.0);  // a noisy copy: clearly similar, clearly not identical
    EXPECT_LT(want, 0.95);
  }
}

// hybrid = a * L1 + b * (1 - SSIM), per sample, for any a and b.
TEST(Scores, HybridIsWeightedL1PlusSsimLoss) {
  torch::manual_seed(7);
  const auto x = torch::rand({3, 1, 32, 32}) * 2 - 1;
  const auto r = (x + 0.2 * torch::randn({3, 1, 32, 32})).clamp(-1, 1);
  const auto l1 = wm::score_batch(x, r, config(wm::ScoreKind::L1));
  const auto s = wm::ssim(x, r);
  for (auto [a, b] : std::vector<std::pair<double, double>>{{0.5, 0.5}, {0.3, 0.7}, {1.0, 0.0}, {0.0, 2.0}}) {
    const auto h = wm::score_batch(x, r, config(wm::ScoreKind::Hybrid, a, b));
    ASSERT_EQ(h.sizes(), (std::vector<int64_t>{3}));
    for (int64_t i = 0; i < 3; ++i)
      EXPECT_NEAR(h[i].item<double>(), a * l1[i].item<double>() + b * (1.0 - s[i].item<double>()), 1e-6)
          << "a=" << a << " b=" << b << " sample " << i;
  }
  // Perfect reconstruction: L1 0 and SSIM 1, so hybrid 0.
  EXPECT_NEAR(wm::score_batch(x, x, config(wm::ScoreKind::Hybrid, 0.5, 0.5)).abs().max().item<float>(), 0.0f, 1e-5);
}

TEST(Scores, ConfigNamesAndJson) {
  EXPECT_EQ(wm::ScoreConfig::from_name("mse").kind, wm::ScoreKind::Mse);
  EXPECT_EQ(wm::ScoreConfig::from_name("l1").kind, wm::ScoreKind::L1);
  const auto h = wm::ScoreConfig::from_name("hybrid");
  EXPECT_EQ(h.kind, wm::ScoreKind::Hybrid);
  EXPECT_DOUBLE_EQ(h.a, 0.5);  // the trainer's documented hybrid: 0.5*L1 + 0.5*(1-SSIM)
  EXPECT_DOUBLE_EQ(h.b, 0.5);
  EXPECT_THROW(wm::ScoreConfig::from_name("psnr"), std::invalid_argument);

  const auto cfg = config(wm::ScoreKind::Hybrid, 0.25, 0.75);
  const auto back = wm::ScoreConfig::from_json(cfg.to_json());
  EXPECT_EQ(back.kind, wm::ScoreKind::Hybrid);
  EXPECT_DOUBLE_EQ(back.a, 0.25);
  EXPECT_DOUBLE_EQ(back.b, 0.75);
  EXPECT_EQ(wm::ScoreConfig::from_json(config(wm::ScoreKind::L1).to_json()).kind, wm::ScoreKind::L1);
  EXPECT_EQ(wm::score_names(), (std::vector<std::string>{"mse", "l1", "hybrid"}));
}

// The test-time mirror is written only when on, read back, and anything but
// "mirror" or "none" is refused.
TEST(Scores, MirrorInTheJson) {
  auto c = wm::ScoreConfig::from_name("probability");
  EXPECT_FALSE(c.to_json().contains("test_time"));
  c.mirror = true;
  const auto j = c.to_json();
  EXPECT_EQ(j.at("test_time"), "mirror");
  EXPECT_TRUE(wm::ScoreConfig::from_json(j).mirror);
  EXPECT_FALSE(wm::ScoreConfig::from_json({{"kind", "probability"}, {"test_time", "none"}}).mirror);
  EXPECT_THROW(wm::ScoreConfig::from_json({{"kind", "probability"}, {"test_time", "rotate"}}), std::invalid_argument);
  EXPECT_THROW(wm::ScoreConfig::from_json({{"kind", "probability"}, {"test_time", 1}}), std::invalid_argument);
  c.mirror_above = 0.02;
  EXPECT_DOUBLE_EQ(wm::ScoreConfig::from_json(c.to_json()).mirror_above, 0.02);
  EXPECT_THROW(wm::ScoreConfig::from_json({{"kind", "probability"}, {"test_time", "mirror"}, {"mirror_above", -1}}),
               std::invalid_argument);
}

TEST(Scores, ShapeMismatchThrows) {
  EXPECT_THROW(wm::score_batch(torch::zeros({1, 1, 8, 8}), torch::zeros({1, 1, 8, 4}), config(wm::ScoreKind::Mse)),
               std::invalid_argument);
}

// The classifier's score is the sigmoid of its logit, in double precision:
// logit 0 -> 1/2, ln 3 -> 3/4, -ln 3 -> 1/4, 20 -> 1 - 2.06e-9.
TEST(Scores, ProbabilityIsSigmoidOfLogit) {
  const auto logits = torch::tensor({0.0, std::log(3.0), -std::log(3.0), 20.0}, torch::kFloat32);
  const auto s = wm::score_batch(torch::zeros({4, 3, 8, 8}), logits, config(wm::ScoreKind::Probability));
  ASSERT_EQ(s.dtype(), torch::kFloat64);
  ASSERT_EQ(s.size(0), 4);
  EXPECT_NEAR(s[0].item<double>(), 0.5, 1e-7);
  EXPECT_NEAR(s[1].item<double>(), 0.75, 1e-7);
  EXPECT_NEAR(s[2].item<double>(), 0.25, 1e-7);
  EXPECT_NEAR(s[3].item<double>(), 1.0 - 2.0611536e-9, 1e-9);
  EXPECT_EQ(wm::ScoreConfig::from_name("probability").kind, wm::ScoreKind::Probability);
  EXPECT_EQ(wm::ScoreConfig::from_json(config(wm::ScoreKind::Probability).to_json()).kind,
            wm::ScoreKind::Probability);
}

// A reconstruction handed to the probability score (an autoencoder paired with a
// classifier's score) is an error, not a batch of N*C*H*W "probabilities".
TEST(Scores, ProbabilityNeedsOneLogitPerCrop) {
  EXPECT_THROW(wm::score_batch(torch::zeros({2, 1, 8, 8}), torch::zeros({2, 1, 8, 8}),
                               config(wm::ScoreKind::Probability)),
               std::invalid_argument);
}
