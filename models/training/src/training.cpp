#include "wellmonitor/training.h"

#include "wellmonitor/dataset.h"
#include "wellmonitor/file_io.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace wellmonitor {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<torch::Tensor> snapshot(torch::nn::Module& net) {
  std::vector<torch::Tensor> out;
  for (const auto& p : net.parameters()) out.push_back(p.detach().clone());
  for (const auto& b : net.buffers()) out.push_back(b.detach().clone());
  return out;
}

void restore(torch::nn::Module& net, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : net.parameters()) p.copy_(state.at(i++));
  for (auto& b : net.buffers()) b.copy_(state.at(i++));
}

torch::Tensor history_tensor(const std::vector<double>& v) {
  return torch::tensor(v.empty() ? std::vector<double>{} : v, torch::kFloat64);
}

// A checkpoint is LibTorch's archive followed by kCheckpointMagic and the
// archive's SHA-256 in hex: a damaged file (one flipped byte) is refused
// instead of resuming from weights it no longer holds.
constexpr char kCheckpointMagic[8] = {'W', 'M', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kCheckpointTrailer = sizeof(kCheckpointMagic) + 64;

void write_checkpoint(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream buf;
  archive.save_to(buf);
  std::string bytes = buf.str();
  const std::string hash = sha256_hex(bytes.data(), bytes.size());
  bytes.append(kCheckpointMagic, sizeof(kCheckpointMagic));
  bytes += hash;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) throw std::runtime_error(path + ": cannot write the checkpoint (" + std::strerror(errno) + ")");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

// The archive of a checkpoint whose checksum matches; throws naming the file otherwise.
std::string read_checkpoint(const std::string& path) {
  std::string bytes, why;
  if (!read_regular_file(path, kMaxCheckpointBytes, bytes, why))
    throw std::runtime_error(path + ": cannot resume: " + why + "; delete it or train without --resume");
  const auto damaged = [&](const std::string& reason) {
    return std::runtime_error(path + ": cannot resume: the checkpoint is damaged or not a checkpoint (" + reason +
                              "); delete it or train without --resume");
  };
  if (bytes.size() < kCheckpointTrailer ||
      std::memcmp(bytes.data() + bytes.size() - kCheckpointTrailer, kCheckpointMagic, sizeof(kCheckpointMagic)) != 0)
    throw damaged("no checksum at its end");
  const size_t archive = bytes.size() - kCheckpointTrailer;
  if (sha256_hex(bytes.data(), archive) != bytes.substr(archive + sizeof(kCheckpointMagic)))
    throw damaged("checksum mismatch");
  bytes.resize(archive);
  return bytes;
}

namespace {

std::vector<double> history_vector(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

double reconstruction_loss(AutoencoderImpl& net, const torch::Tensor& data, const torch::Device& device,
                           int64_t batch_size) {
  torch::InferenceMode guard;
  const bool was_training = net.is_training();
  net.eval();
  double sum = 0.0;
  for (int64_t i = 0; i < data.size(0); i += batch_size) {
    auto x = data.slice(0, i, std::min(i + batch_size, data.size(0))).to(device);
    sum += torch::mse_loss(net.forward(x), x, torch::Reduction::Sum).item<double>() / (x.numel() / x.size(0));
  }
  net.train(was_training);
  return data.size(0) ? sum / static_cast<double>(data.size(0)) : 0.0;
}

TrainResult train_loop(torch::nn::Module& net, int64_t n, const BatchLoss& batch_loss,
                       const std::function<double()>& validation_loss, const TrainOptions& o,
                       const torch::Device& device) {
  if (n == 0) throw std::invalid_argument("no training crops");
  if (o.batch_size < 1 || o.epochs < 1) throw std::invalid_argument("epochs and batch size must be positive");
  torch::optim::Adam optimizer(net.parameters(), torch::optim::AdamOptions(o.learning_rate));
  TrainResult r;
  std::vector<torch::Tensor> best = snapshot(net);
  r.best_val_loss = std::numeric_limits<double>::infinity();
  int bad_epochs = 0;
  int start_epoch = 1;

  if (!o.checkpoint.empty()) {
    // Left behind by a run killed while it wrote a checkpoint; never read.
    std::error_code ec;
    std::filesystem::remove(o.checkpoint + ".tmp", ec);
  }
  if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
    torch::serialize::InputArchive in;
    c10::IValue fp;
    bool has_fingerprint = false;
    const std::string archive = read_checkpoint(o.checkpoint);
    try {
      std::istringstream stream(archive);
      in.load_from(stream, device);
      has_fingerprint = in.try_read("fingerprint", fp) && fp.isString();
    } catch (const std::exception&) {
      throw std::runtime_error(o.checkpoint + ": cannot resume: the checkpoint is damaged or not a checkpoint; "
                               "delete it or train without --resume");
    }
    if (!has_fingerprint || fp.toStringRef() != o.fingerprint)
      throw std::runtime_error(o.checkpoint + ": checkpoint belongs to another run (different data or settings); "
                               "delete it or train without --resume");
    try {
      torch::serialize::InputArchive model_in, opt_in, best_in;
      in.read("model", model_in);
      net.load(model_in);
      in.read("optimizer", opt_in);
      optimizer.load(opt_in);
      in.read("best", best_in);
      // Each entry is read into a fresh tensor: reading into a filled one
      // overwrites it in place.
      auto read = [](torch::serialize::InputArchive& a, const std::string& key) {
        torch::Tensor v;
        a.read(key, v);
        return v;
      };
      for (size_t i = 0; i < best.size(); ++i) best[i] = read(best_in, std::to_string(i)).to(device);
      r.resumed_from = static_cast<int>(read(in, "epoch").item<int64_t>());
      start_epoch = r.resumed_from + 1;
      r.best_epoch = static_cast<int>(read(in, "best_epoch").item<int64_t>());
      bad_epochs = static_cast<int>(read(in, "bad_epochs").item<int64_t>());
      r.train_loss = history_vector(read(in, "train_loss"));
      r.val_loss = history_vector(read(in, "val_loss"));
      r.best_val_loss = r.best_epoch > 0 ? r.val_loss.at(r.best_epoch - 1) : r.best_val_loss;
      r.epochs_run = r.resumed_from;
    } catch (const std::exception&) {
      throw std::runtime_error(o.checkpoint + ": cannot resume: the checkpoint is damaged (its entries do not read "
                               "back); delete it or train without --resume");
    }
  }

  // A loss that is no longer a finite number: the weights are lost, and going
  // on would only write them into the checkpoint, so stop and keep the last one.
  auto diverged = [&](int epoch, const std::string& where, double value) {
    std::string msg = "training diverged: the loss is " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                      " in epoch " + std::to_string(epoch) + " (" + where + "); lower --lr";
    if (!o.checkpoint.empty() && std::filesystem::exists(o.checkpoint))
      msg += "; the checkpoint " + o.checkpoint + " keeps the last good epoch";
    return std::runtime_error(msg);
  };
  const int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  int64_t crops_seen = 0;
  const auto t0 = Clock::now();
  for (int epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    if (o.patience > 0 && bad_epochs >= o.patience) break;
    net.train();
    // Shuffling depends only on (seed, epoch), so a resumed run sees the same order.
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    auto perm = torch::from_blob(order.data(), {n}, torch::kInt64).clone();
    double loss_sum = 0.0;
    int64_t count = 0;
    for (int64_t b = 0; b < batches; ++b) {
      auto idx = perm.slice(0, b * o.batch_size, std::min((b + 1) * o.batch_size, n));
      optimizer.zero_grad();
      auto [loss, batch_n] = batch_loss(idx, o.seed * 7919ULL + static_cast<uint64_t>(epoch) * 100003ULL + b);
      const double batch_value = loss.item<double>();
      if (!std::isfinite(batch_value)) throw diverged(epoch, "batch " + std::to_string(b + 1), batch_value);
      loss.backward();
      optimizer.step();
      loss_sum += batch_value * static_cast<double>(batch_n);
      count += batch_n;
      crops_seen += batch_n;
      if (o.on_batch) o.on_batch(epoch, b + 1, batches, loss_sum / static_cast<double>(count));
    }
    const double train_loss = loss_sum / static_cast<double>(count);
    const double val_loss = validation_loss ? validation_loss() : train_loss;
    if (!std::isfinite(val_loss)) throw diverged(epoch, "validation", val_loss);
    r.train_loss.push_back(train_loss);
    r.val_loss.push_back(val_loss);
    r.epochs_run = epoch;
    const bool improved = val_loss < r.best_val_loss - o.min_delta;
    if (improved) {
      r.best_val_loss = val_loss;
      r.best_epoch = epoch;
      best = snapshot(net);
      bad_epochs = 0;
    } else {
      ++bad_epochs;
    }
    if (!o.checkpoint.empty()) {
      torch::serialize::OutputArchive out, model_out, opt_out, best_out;
      out.write("fingerprint", c10::IValue(o.fingerprint));
      net.save(model_out);
      out.write("model", model_out);
      optimizer.save(opt_out);
      out.write("optimizer", opt_out);
      for (size_t i = 0; i < best.size(); ++i) best_out.write(std::to_string(i), best[i]);
      out.write("best", best_out);
      out.write("epoch", torch::tensor(static_cast<int64_t>(epoch)));
      out.write("best_epoch", torch::tensor(static_cast<int64_t>(r.best_epoch)));
      out.write("bad_epochs", torch::tensor(static_cast<int64_t>(bad_epochs)));
      out.write("train_loss", history_tensor(r.train_loss));
      out.write("val_loss", history_tensor(r.val_loss));
      write_checkpoint(out, o.checkpoint);
    }
    if (o.on_epoch) o.on_epoch(epoch, train_loss, val_loss, improved);
  }
  r.stopped_early = r.epochs_run < o.epochs;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.crops_per_second = r.seconds > 0 ? static_cast<double>(crops_seen) / r.seconds : 0.0;
  if (r.best_epoch > 0) restore(net, best);
  net.eval();
  return r;
}

torch::Tensor flip_and_light(const torch::Tensor& batch, uint64_t seed, bool flip, bool light) {
  const int64_t n = batch.size(0);
  if (n == 0 || (!flip && !light)) return batch;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<uint8_t> mirror(static_cast<size_t>(n));
  std::vector<float> contrast(static_cast<size_t>(n), 1.f), shift(static_cast<size_t>(n), 0.f);
  for (int64_t i = 0; i < n; ++i) {
    mirror[static_cast<size_t>(i)] = flip && u(rng) < 0.5f;
    if (light) {
      contrast[static_cast<size_t>(i)] = 0.8f + 0.4f * u(rng);
      shift[static_cast<size_t>(i)] = 0.2f * u(rng) - 0.1f;
    }
  }
  torch::NoGradGuard no_grad;
  auto x = batch.clone();
  if (flip) {
    auto m = torch::from_blob(mirror.data(), {n}, torch::kUInt8).to(torch::kBool).to(x.device());
    auto idx = m.nonzero().view({-1});
    if (idx.numel()) x.index_copy_(0, idx, x.index_select(0, idx).flip({3}));
  }
  if (light) {
    auto c = torch::from_blob(contrast.data(), {n, 1, 1, 1}, torch::kFloat32).to(x.device());
    auto b = torch::from_blob(shift.data(), {n, 1, 1, 1}, torch::kFloat32).to(x.device());
    auto mean = x.mean({1, 2, 3}, true);
    x = ((x - mean) * c + mean + b).clamp(-1.0, 1.0);
  }
  return x;
}

TrainResult train_autoencoder(AutoencoderImpl& net, const torch::Tensor& train, const torch::Tensor& val,
                              const TrainOptions& o, const torch::Device& device) {
  net.to(device);
  BatchLoss step = [&](const torch::Tensor& idx, uint64_t seed) {
    auto x = train.index_select(0, idx);
    if (o.augment) x = o.augment(x, idx, seed);
    x = x.to(device);
    return std::make_pair(torch::mse_loss(net.forward(x), x), x.size(0));
  };
  std::function<double()> val_loss;
  if (val.size(0)) val_loss = [&] { return reconstruction_loss(net, val, device); };
  return train_loop(net, train.size(0), step, val_loss, o, device);
}

TrainResult train_classifier(AutoencoderImpl& net, int64_t n, const LabelledBatch& make_batch,
                             const torch::Tensor& val_x, const torch::Tensor& val_y, const TrainOptions& o,
                             const torch::Device& device) {
  net.to(device);
  BatchLoss step = [&](const torch::Tensor& idx, uint64_t seed) {
    auto [x, y] = make_batch(idx, seed);
    x = x.to(device);
    y = y.to(device, torch::kFloat32);
    return std::make_pair(torch::binary_cross_entropy_with_logits(net.forward(x).view({-1}), y), x.size(0));
  };
  std::function<double()> val_loss;
  if (val_x.size(0)) {
    val_loss = [&] {
      torch::InferenceMode guard;
      net.eval();
      double sum = 0.0;
      for (int64_t i = 0; i < val_x.size(0); i += 256) {
        auto x = val_x.slice(0, i, std::min<int64_t>(i + 256, val_x.size(0))).to(device);
        auto y = val_y.slice(0, i, std::min<int64_t>(i + 256, val_y.size(0))).to(device, torch::kFloat32);
        sum += torch::binary_cross_entropy_with_logits(net.forward(x).view({-1}), y, {}, {}, torch::Reduction::Sum)
                   .item<double>();
      }
      net.train();
      return sum / static_cast<double>(val_x.size(0));
    };
  }
  return train_loop(net, n, step, val_loss, o, device);
}

}  // namespace wellmonitor
