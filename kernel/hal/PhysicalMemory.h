// The kernel's direct view of all guest-physical RAM: every frame is reachable through one
// host pointer, the way a real kernel keeps a direct map of physical memory.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>

#include "kernel/base/Types.h"

namespace ntoy::hal {

class PhysicalMemory {
public:
    PhysicalMemory(std::byte* base, Pfn firstPfn, std::uint64_t frameCount)
        : base_(base), firstPfn_(firstPfn), frameCount_(frameCount) {}

    Pfn firstPfn() const { return firstPfn_; }
    Pfn endPfn() const { return firstPfn_ + frameCount_; }
    std::uint64_t frameCount() const { return frameCount_; }
    bool contains(Pfn pfn) const { return pfn >= firstPfn_ && pfn < endPfn(); }
    bool contains(PhysicalAddress pa) const { return contains(pa.pfn()); }

    std::span<std::byte, kPageSize> frame(Pfn pfn) const {
        return std::span<std::byte, kPageSize>(base_ + (pfn - firstPfn_) * kPageSize, kPageSize);
    }
    std::byte* at(PhysicalAddress pa) const {
        return base_ + (pa.pfn() - firstPfn_) * kPageSize + (pa.value() & kPageMask);
    }
    void zero(Pfn pfn) const { std::memset(frame(pfn).data(), 0, kPageSize); }

    template <typename T>
    T read(PhysicalAddress pa) const {
        T v;
        std::memcpy(&v, at(pa), sizeof(T));
        return v;
    }
    template <typename T>
    void write(PhysicalAddress pa, const T& v) const {
        std::memcpy(at(pa), &v, sizeof(T));
    }

private:
    std::byte* base_;
    Pfn firstPfn_;
    std::uint64_t frameCount_;
};

}  // namespace ntoy::hal
