#include "tests/kernel/fakes/AllocationCap.h"

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>

namespace ntoy::test {
namespace {

std::atomic<std::size_t> gLimit{std::numeric_limits<std::size_t>::max()};
std::atomic<std::size_t> gLargestRefused{0};

void* allocate(std::size_t n) {
    if (n > gLimit.load(std::memory_order_relaxed)) {
        std::size_t seen = gLargestRefused.load(std::memory_order_relaxed);
        while (n > seen && !gLargestRefused.compare_exchange_weak(seen, n))
            ;
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc();
}

}  // namespace

AllocationCap::AllocationCap(std::size_t maxBytes) : previous_(gLimit.exchange(maxBytes)) {
    gLargestRefused = 0;
}

AllocationCap::~AllocationCap() {
    gLimit = previous_;
}

std::size_t AllocationCap::largestRefused() const {
    return gLargestRefused;
}

}  // namespace ntoy::test

// The nothrow, array and sized forms of the standard library forward to these two.
void* operator new(std::size_t n) {
    return ntoy::test::allocate(n);
}

void operator delete(void* p) noexcept {
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
