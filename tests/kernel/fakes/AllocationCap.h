// While an AllocationCap is alive, a single allocation larger than its limit throws
// std::bad_alloc instead of reaching the host allocator. A handler that would allocate
// gigabytes because a guest said so then fails its test, not the machine running it.
// (This file replaces the global operator new and delete of the test binary.)
#pragma once

#include <cstddef>

namespace ntoy::test {

class AllocationCap {
public:
    explicit AllocationCap(std::size_t maxBytes);
    ~AllocationCap();
    AllocationCap(const AllocationCap&) = delete;
    AllocationCap& operator=(const AllocationCap&) = delete;

    // The largest request refused while this cap was set; 0 if none was.
    std::size_t largestRefused() const;

private:
    std::size_t previous_;
};

}  // namespace ntoy::test
