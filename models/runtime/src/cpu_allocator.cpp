#include "wellmonitor/cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace wellmonitor {

// Each block is one system allocation: this header, then the data at
// kAlignment past the start. The header finds the allocator again from the
// data pointer alone (the raw deleter gets nothing else) and links the block
// into the free lists while it is cached.
struct CachingCpuAllocator::Block {
  const CachingCpuAllocator* owner = nullptr;
  size_t bytes = 0;              // its size class
  Block* class_below = nullptr;  // the next older freed block of the same class
  Block* class_above = nullptr;  // the next newer one
  Block* older = nullptr;        // freed before it (any class)
  Block* newer = nullptr;        // freed after it

  void* data() { return reinterpret_cast<char*>(this) + kAlignment; }
  static Block* of(void* data) { return reinterpret_cast<Block*>(static_cast<char*>(data) - kAlignment); }
};
static_assert(sizeof(void*) * 6 + sizeof(size_t) <= CachingCpuAllocator::kAlignment,
              "the block header fits in front of the aligned data");

CachingCpuAllocator::CachingCpuAllocator(size_t max_cached_bytes) : max_cached_bytes_(max_cached_bytes) {}

CachingCpuAllocator::~CachingCpuAllocator() { release_cached(); }

size_t CachingCpuAllocator::size_class(size_t n) {
  if (n <= kAlignment) return kAlignment;
  size_t top = 1;
  while (top <= (n >> 1)) top <<= 1;  // the highest power of two <= n
  const size_t step = std::max(kAlignment, top / 4);
  return (n + step - 1) / step * step;
}

c10::DataPtr CachingCpuAllocator::allocate(size_t n) const {
  if (n == 0) return c10::DataPtr(nullptr, c10::Device(c10::DeviceType::CPU));
  const size_t bytes = size_class(n);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocations;
    const auto top = free_by_class_.find(bytes);
    if (top != free_by_class_.end() && top->second) {
      Block* b = top->second;
      unlink(b);
      ++stats_.reused;
      stats_.in_use_bytes += bytes;
      return c10::DataPtr(b->data(), b->data(), &CachingCpuAllocator::free_block, c10::Device(c10::DeviceType::CPU));
    }
  }
  void* raw = nullptr;
  TORCH_CHECK(bytes <= SIZE_MAX - kAlignment, "CachingCpuAllocator: cannot allocate ", n, " bytes");
  if (posix_memalign(&raw, kAlignment, bytes + kAlignment) != 0) {
    // Out of memory: give the cache back and try once more.
    const_cast<CachingCpuAllocator*>(this)->release_cached();
    raw = nullptr;
    if (posix_memalign(&raw, kAlignment, bytes + kAlignment) != 0) raw = nullptr;
  }
  TORCH_CHECK(raw, "CachingCpuAllocator: not enough memory: you tried to allocate ", n, " bytes");
  Block* b = new (raw) Block;
  b->owner = this;
  b->bytes = bytes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.system_allocations;
    stats_.in_use_bytes += bytes;
  }
  return c10::DataPtr(b->data(), b->data(), &CachingCpuAllocator::free_block, c10::Device(c10::DeviceType::CPU));
}

c10::DeleterFnPtr CachingCpuAllocator::raw_deleter() const { return &CachingCpuAllocator::free_block; }

void CachingCpuAllocator::free_block(void* data) {
  if (!data) return;
  Block* b = Block::of(data);
  b->owner->release(b);
}

// Called with the mutex held: takes a cached block out of both lists.
void CachingCpuAllocator::unlink(Block* b) const {
  if (b->class_above) {
    b->class_above->class_below = b->class_below;
  } else if (b->class_below) {
    free_by_class_[b->bytes] = b->class_below;
  } else {
    free_by_class_.erase(b->bytes);
  }
  if (b->class_below) b->class_below->class_above = b->class_above;
  if (b->older) b->older->newer = b->newer;
  else oldest_ = b->newer;
  if (b->newer) b->newer->older = b->older;
  else newest_ = b->older;
  b->class_below = b->class_above = b->older = b->newer = nullptr;
  stats_.cached_bytes -= b->bytes;
}

// Called with the mutex held.
void CachingCpuAllocator::give_back(Block* b) const {
  ++stats_.system_frees;
  b->~Block();
  std::free(b);
}

// Called with the mutex held: gives back the oldest freed blocks until the
// cache holds at most `bound` bytes.
void CachingCpuAllocator::evict_to(size_t bound) const {
  while (stats_.cached_bytes > bound && oldest_) {
    Block* b = oldest_;
    unlink(b);
    give_back(b);
  }
}

void CachingCpuAllocator::release(Block* b) const {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.in_use_bytes -= b->bytes;
  if (b->bytes > max_cached_bytes_) {
    give_back(b);
    return;
  }
  evict_to(max_cached_bytes_ - b->bytes);
  Block*& top = free_by_class_[b->bytes];
  b->class_below = top;
  if (top) top->class_above = b;
  top = b;
  b->older = newest_;
  if (newest_) newest_->newer = b;
  else oldest_ = b;
  newest_ = b;
  stats_.cached_bytes += b->bytes;
  stats_.peak_cached_bytes = std::max(stats_.peak_cached_bytes, stats_.cached_bytes);
}

void CachingCpuAllocator::set_max_cached_bytes(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_cached_bytes_ = bytes;
  evict_to(bytes);
}

size_t CachingCpuAllocator::max_cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_cached_bytes_;
}

void CachingCpuAllocator::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  evict_to(0);
}

CpuAllocatorStats CachingCpuAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

CachingCpuAllocator* install_caching_cpu_allocator() {
  static CachingCpuAllocator* const installed = []() -> CachingCpuAllocator* {
    const char* choice = std::getenv("WELLMONITOR_CPU_ALLOCATOR");
    if (choice && std::strcmp(choice, "default") == 0) return nullptr;
    if (c10::GetCPUAllocator() != c10::GetDefaultCPUAllocator()) return nullptr;  // the application's own
    auto* allocator = new CachingCpuAllocator();  // never deleted: blocks may be freed after main returns
    c10::SetCPUAllocator(allocator);
    return allocator;
  }();
  return installed;
}

}  // namespace wellmonitor
