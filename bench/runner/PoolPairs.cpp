#include "bench/runner/PoolPairs.h"

#include <chrono>
#include <cstdlib>

#include "emulator/Machine.h"
#include "kernel/ex/Pool.h"
#include "kernel/mm/MemoryManager.h"

namespace ntoy::bench {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::optional<double> poolPairs(std::uint64_t pairs, std::uint64_t bytes, std::string& why) {
    auto machine = emu::Machine::create(64ull << 20);
    if (!machine) {
        why = machine.error();
        return std::nullopt;
    }
    mm::MemoryManager mm((*machine)->physicalMemory(), (*machine)->systemMmu());
    ex::Pool pool(mm);
    constexpr std::uint32_t kTag = 0x68636E42;  // 'Bnch'
    // A few blocks live throughout, as a kernel's are: the pairs do not run on an empty pool.
    VirtualAddress kept[16];
    for (VirtualAddress& k : kept)
        k = *pool.allocate(ex::PoolKind::NonPagedNx, bytes, kTag);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < pairs; ++i) {
        const auto va = pool.allocate(ex::PoolKind::NonPagedNx, bytes, kTag);
        if (!va) {
            why = "the pool ran out";
            return std::nullopt;
        }
        pool.free(*va, kTag);
    }
    const double seconds = since(start);
    for (const VirtualAddress k : kept)
        pool.free(k, kTag);
    return seconds;
}

double nativeMallocPairs(std::uint64_t pairs, std::uint64_t bytes) {
    void* kept[16];
    for (void*& k : kept)
        k = std::malloc(bytes);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < pairs; ++i) {
        void* volatile p = std::malloc(bytes);
        static_cast<char*>(p)[0] = 1;  // the pool zeroes its blocks: touch at least one byte
        std::free(p);
    }
    const double seconds = since(start);
    for (void* k : kept)
        std::free(k);
    return seconds;
}

}  // namespace ntoy::bench
