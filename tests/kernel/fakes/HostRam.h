// Guest-physical RAM for tests: a page-aligned host buffer seen through hal::PhysicalMemory,
// starting at the same frame number as the real machine's RAM, so PTEs and PFN entries hold
// the values they would hold under the emulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "kernel/hal/PhysicalMemory.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::test {

// Hands out page-aligned storage, as guest frames are.
template <typename T>
struct PageAlignedAllocator {
    using value_type = T;
    PageAlignedAllocator() = default;
    template <typename U>
    PageAlignedAllocator(const PageAlignedAllocator<U>&) {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kPageSize}));
    }
    void deallocate(T* p, std::size_t) { ::operator delete (p, std::align_val_t{kPageSize}); }
    template <typename U>
    bool operator==(const PageAlignedAllocator<U>&) const {
        return true;
    }
};

inline constexpr Pfn kFirstRamPfn = PhysicalAddress(mm::kRamPhysicalBase).pfn();

class HostRam {
public:
    explicit HostRam(std::uint64_t frames) : bytes_(frames * kPageSize) {}

    hal::PhysicalMemory physicalMemory() {
        return hal::PhysicalMemory(bytes_.data(), kFirstRamPfn, bytes_.size() / kPageSize);
    }
    std::uint64_t frames() const { return bytes_.size() / kPageSize; }

private:
    std::vector<std::byte, PageAlignedAllocator<std::byte>> bytes_;
};

}  // namespace ntoy::test
