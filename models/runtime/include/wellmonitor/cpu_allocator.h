// A caching CPU allocator for LibTorch. LibTorch allocates the activations of
// every forward pass afresh and frees them at its end; with glibc's default
// settings a large block freed on a streaming thread goes back to the kernel
// (munmap, or a trim of the thread's arena), so the next pass faults every
// page of it in again: thousands of page faults a frame, most of a frame's
// time. This allocator keeps freed blocks in size classes and hands them out
// again, so a model that runs the same shapes every frame asks the system for
// nothing after its first pass. It touches only LibTorch's CPU tensors (it is
// installed with c10::SetCPUAllocator), never the rest of the process's
// memory, and does not change glibc's settings.
#pragma once

#include <c10/core/Allocator.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace wellmonitor {

// Counters since the allocator was made (bytes are size-class bytes, the
// block sizes the allocator deals in, not the sizes asked for).
struct CpuAllocatorStats {
  uint64_t allocations = 0;         // allocate() calls for one byte or more
  uint64_t reused = 0;              // of those, served from the cache
  uint64_t system_allocations = 0;  // blocks taken from the system (malloc)
  uint64_t system_frees = 0;        // blocks given back to the system (over the bound, or release_cached())
  size_t in_use_bytes = 0;          // in blocks handed out and not yet freed
  size_t cached_bytes = 0;          // in freed blocks kept for reuse
  size_t peak_cached_bytes = 0;     // the most cached_bytes has been
};

class CachingCpuAllocator final : public c10::Allocator {
 public:
  // Every block's address is a multiple of this (c10's own CPU alignment, which
  // oneDNN's kernels and the vectorised ATen loops expect).
  static constexpr size_t kAlignment = 64;
  // Default bound on the bytes kept in freed blocks: about six times what a
  // 42-well frame of the default model uses, so several pipelines in one
  // process, or a larger model, stay warm too.
  static constexpr size_t kDefaultMaxCachedBytes = size_t{256} << 20;

  explicit CachingCpuAllocator(size_t max_cached_bytes = kDefaultMaxCachedBytes);
  // Gives the cached blocks back. Blocks still handed out must not outlive the
  // allocator (the one install_caching_cpu_allocator() makes is never destroyed).
  ~CachingCpuAllocator() override;
  CachingCpuAllocator(const CachingCpuAllocator&) = delete;
  CachingCpuAllocator& operator=(const CachingCpuAllocator&) = delete;

  // A block of at least n bytes, aligned to kAlignment, from the cache when a
  // freed block of its size class is there. n == 0 gives a null pointer, as
  // c10's allocator does. Throws c10::Error when the system has no memory.
  c10::DataPtr allocate(size_t n) const override;
  // The deleter of every block allocate() hands out (its context is its data),
  // so LibTorch's raw_allocate()/raw_deallocate() work as with c10's allocator.
  c10::DeleterFnPtr raw_deleter() const override;

  // The bound on the bytes kept in freed blocks. A block freed when the cache
  // would go over it makes room by giving back the blocks freed longest ago;
  // a block larger than the bound is given back at once.
  void set_max_cached_bytes(size_t bytes);
  size_t max_cached_bytes() const;
  // Gives every cached block back to the system.
  void release_cached();
  CpuAllocatorStats stats() const;

  // The size class of a request: n rounded up to a quarter of its power of two
  // (at most 25% more), and to a multiple of kAlignment.
  static size_t size_class(size_t n);

 private:
  struct Block;
  static void free_block(void* data);
  void release(Block* block) const;
  void unlink(Block* block) const;
  void give_back(Block* block) const;
  void evict_to(size_t bound) const;

  mutable std::mutex mutex_;
  size_t max_cached_bytes_;
  // Freed blocks: a stack per size class (the most recently freed on top) and
  // one list of all of them in the order they were freed (eviction order).
  mutable std::unordered_map<size_t, Block*> free_by_class_;
  mutable Block* oldest_ = nullptr;
  mutable Block* newest_ = nullptr;
  mutable CpuAllocatorStats stats_;
};

// The process's caching allocator, made on the first call and never destroyed
// (tensors freed during static destruction still find it), installed as
// LibTorch's CPU allocator when c10's default one is in place: an allocator
// the application installed itself is left alone (and nullptr returned).
// Tensors allocated before the call keep their own deleters. Thread-safe;
// every call after the first returns the same answer. Setting
// WELLMONITOR_CPU_ALLOCATOR=default in the environment leaves c10's allocator
// in place (nullptr): a switch for measurements and diagnosis.
CachingCpuAllocator* install_caching_cpu_allocator();

}  // namespace wellmonitor
