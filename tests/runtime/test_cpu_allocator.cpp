// The caching CPU allocator for LibTorch (models/include/wellmonitor/cpu_allocator.h):
// freed blocks come back from their size class, the cache stays under its
// bound, every block is aligned as c10's are, concurrent use keeps exact
// counts, and a network run again and again takes nothing new from the system.
#include "wellmonitor/cpu_allocator.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/scorer.h"

#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

namespace wm = wellmonitor;
namespace fs = std::filesystem;

namespace {

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % wm::CachingCpuAllocator::kAlignment == 0; }

TEST(CachingCpuAllocator, SizeClassesRoundUpByAtMostAQuarterToWholeAlignments) {
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(1), 64u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(64), 64u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(65), 128u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(1000), 1024u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(1024), 1024u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(1025), 1280u);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(5 << 20), 5u << 20);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class((5 << 20) + 1), 6u << 20);
  EXPECT_EQ(wm::CachingCpuAllocator::size_class(42 * 8 * 64 * 64 * 4), 6u << 20);  // the first activation of a frame
  for (size_t n = 1; n < (size_t{1} << 26); n = n * 3 / 2 + 1) {
    const size_t c = wm::CachingCpuAllocator::size_class(n);
    EXPECT_GE(c, n);
    EXPECT_EQ(c % wm::CachingCpuAllocator::kAlignment, 0u) << n;
    if (n > 256) {
      EXPECT_LE(c, n + n / 4) << n;
    }
  }
}

TEST(CachingCpuAllocator, AFreedBlockIsHandedOutAgainForARequestOfItsSizeClass) {
  wm::CachingCpuAllocator a;
  void* first = nullptr;
  {
    c10::DataPtr p = a.allocate(100000);
    first = p.get();
    std::memset(p.get(), 1, 100000);
  }
  EXPECT_EQ(a.stats().cached_bytes, wm::CachingCpuAllocator::size_class(100000));
  {
    c10::DataPtr p = a.allocate(99000);  // the same class
    EXPECT_EQ(p.get(), first);
    c10::DataPtr q = a.allocate(99000);  // the class is empty now: a new block
    EXPECT_NE(q.get(), first);
    c10::DataPtr r = a.allocate(300000);  // another class
    EXPECT_NE(r.get(), first);
  }
  const wm::CpuAllocatorStats s = a.stats();
  EXPECT_EQ(s.allocations, 4u);
  EXPECT_EQ(s.reused, 1u);
  EXPECT_EQ(s.system_allocations, 3u);
  EXPECT_EQ(s.system_frees, 0u);
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.cached_bytes, 2 * wm::CachingCpuAllocator::size_class(100000) + wm::CachingCpuAllocator::size_class(300000));
  a.release_cached();
  EXPECT_EQ(a.stats().cached_bytes, 0u);
  EXPECT_EQ(a.stats().system_frees, 3u);
}

TEST(CachingCpuAllocator, EveryBlockIsAlignedTo64BytesAndZeroBytesGiveNull) {
  wm::CachingCpuAllocator a;
  std::vector<c10::DataPtr> blocks;
  for (size_t n : {1, 3, 17, 63, 64, 65, 100, 1000, 4097, 100000, 1 << 20, (1 << 22) + 5}) {
    blocks.push_back(a.allocate(n));
    EXPECT_TRUE(aligned(blocks.back().get())) << n;
    EXPECT_EQ(blocks.back().get(), blocks.back().get_context()) << n;  // the raw interface holds
    std::memset(blocks.back().get(), 0xab, n);
  }
  blocks.clear();
  for (size_t n : {1, 65, 4097, 1 << 20}) {  // reused blocks too
    c10::DataPtr p = a.allocate(n);
    EXPECT_TRUE(aligned(p.get())) << n;
  }
  EXPECT_GT(a.stats().reused, 0u);
  c10::DataPtr none = a.allocate(0);
  EXPECT_EQ(none.get(), nullptr);
}

TEST(CachingCpuAllocator, CachedBytesNeverExceedTheBoundAndTheOldestFreedGoFirst) {
  const size_t bound = 1 << 20;
  wm::CachingCpuAllocator a(bound);
  EXPECT_EQ(a.max_cached_bytes(), bound);
  // Four 256 KiB blocks fill the cache; a fifth freed makes room by giving back the first freed.
  std::vector<c10::DataPtr> blocks;
  std::vector<void*> addresses;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(a.allocate(256 << 10));
    addresses.push_back(blocks.back().get());
  }
  for (auto& b : blocks) {
    b.clear();
    EXPECT_LE(a.stats().cached_bytes, bound);
  }
  EXPECT_EQ(a.stats().cached_bytes, bound);
  EXPECT_EQ(a.stats().system_frees, 1u);
  // What is left is the four freed last, handed out newest first.
  for (int i = 4; i >= 1; --i) {
    c10::DataPtr p = a.allocate(256 << 10);
    EXPECT_EQ(p.get(), addresses[i]) << i;
    blocks[i] = std::move(p);
  }
  blocks.clear();

  // A block larger than the bound is never cached.
  { c10::DataPtr big = a.allocate(2 << 20); }
  EXPECT_EQ(a.stats().system_frees, 2u);
  EXPECT_EQ(a.stats().cached_bytes, bound);

  // Random sizes and orders: the bound holds after every free.
  std::mt19937 rng(5);
  std::vector<c10::DataPtr> live;
  for (int i = 0; i < 2000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      live.push_back(a.allocate(1 + rng() % (300 << 10)));
    } else {
      live.erase(live.begin() + static_cast<long>(rng() % live.size()));
      ASSERT_LE(a.stats().cached_bytes, bound);
    }
  }
  live.clear();
  EXPECT_LE(a.stats().cached_bytes, bound);
  EXPECT_LE(a.stats().peak_cached_bytes, bound);

  // Lowering the bound gives back at once.
  a.set_max_cached_bytes(bound / 4);
  EXPECT_LE(a.stats().cached_bytes, bound / 4);
  const wm::CpuAllocatorStats s = a.stats();
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.reused + s.system_allocations, s.allocations);
}

TEST(CachingCpuAllocator, ThreadsAllocatingAndFreeingAtOnceKeepTheirDataAndExactCounts) {
  wm::CachingCpuAllocator a(8 << 20);
  constexpr int kThreads = 4, kRounds = 2000;
  std::vector<std::thread> threads;
  std::vector<int> corrupted(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::pair<c10::DataPtr, size_t>> mine;
      for (int i = 0; i < kRounds; ++i) {
        const size_t n = 1 + rng() % 70000;
        c10::DataPtr p = a.allocate(n);
        std::memset(p.get(), t + 1, n);
        mine.emplace_back(std::move(p), n);
        if (mine.size() > 8) {
          auto& [q, m] = mine.front();
          const auto* bytes = static_cast<const unsigned char*>(q.get());
          for (size_t k = 0; k < m; k += 97) corrupted[t] += bytes[k] != t + 1;
          mine.erase(mine.begin());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(corrupted[t], 0) << "thread " << t;
  const wm::CpuAllocatorStats s = a.stats();
  EXPECT_EQ(s.allocations, uint64_t{kThreads} * kRounds);
  EXPECT_EQ(s.reused + s.system_allocations, s.allocations);
  EXPECT_GT(s.reused, s.allocations / 2);
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_LE(s.cached_bytes, size_t{8} << 20);
}

// The network the element runs, through LibTorch with the allocator installed:
// after the first pass every block comes from the cache.
TEST(CachingCpuAllocator, InstalledItServesEveryForwardPassAfterTheFirstFromItsCache) {
  torch::Tensor before = torch::ones({1000});  // allocated by c10's own allocator
  wm::CachingCpuAllocator* a = wm::install_caching_cpu_allocator();
  ASSERT_NE(a, nullptr) << "c10's default allocator was expected in place";
  EXPECT_EQ(c10::GetCPUAllocator(), a);
  EXPECT_EQ(wm::install_caching_cpu_allocator(), a);  // once per process

  torch::manual_seed(3);
  wm::ModelFile m;
  m.arch = "spill-cnn";
  m.arch_params = {{"base", 8}};
  m.preprocess.color = wm::ColorMode::Rgb;
  m.score.kind = wm::ScoreKind::Probability;
  m.calibration.threshold = 0.5;
  m.build_network();
  const fs::path dir = fs::temp_directory_path() / ("wellmonitor-allocator-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  wm::save_model(m, (dir / "net.wmm").string());
  wm::ScorerOptions o;
  o.device = "cpu";
  o.threads = 1;
  auto scorer = wm::Scorer::open((dir / "net.wmm").string(), o);
  fs::remove_all(dir);

  std::vector<cv::Mat> crops;
  for (int i = 0; i < 42; ++i) crops.emplace_back(70, 60, CV_8UC3, cv::Scalar(i, 2 * i, 3 * i));
  std::vector<double> scores;
  scorer->score(crops, scores);
  const wm::CpuAllocatorStats warm = a->stats();
  EXPECT_GT(warm.allocations, 0u);
  for (int i = 0; i < 10; ++i) scorer->score(crops, scores);
  const wm::CpuAllocatorStats s = a->stats();
  EXPECT_GT(s.allocations, warm.allocations + 10);  // LibTorch allocated on every pass...
  EXPECT_EQ(s.system_allocations, warm.system_allocations);  // ...and the system gave nothing new
  EXPECT_EQ(s.system_frees, 0u);

  // A tensor allocated before the install keeps c10's deleter; the raw interface works.
  const uint64_t frees = s.system_frees;
  before.reset();
  EXPECT_EQ(a->stats().system_frees, frees);
  void* raw = c10::GetCPUAllocator()->raw_allocate(1000);
  EXPECT_TRUE(aligned(raw));
  c10::GetCPUAllocator()->raw_deallocate(raw);
  EXPECT_EQ(a->stats().in_use_bytes, s.in_use_bytes);
}

}  // namespace
