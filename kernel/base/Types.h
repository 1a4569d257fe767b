// Strong types for the three kinds of machine number the kernel juggles: virtual addresses,
// physical addresses and page frame numbers. Mixing them up is the classic paging bug, so
// the compiler refuses to.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace ntoy {

inline constexpr std::uint64_t kPageSize = 0x1000;
inline constexpr unsigned kPageShift = 12;
inline constexpr std::uint64_t kPageMask = kPageSize - 1;
inline constexpr std::uint64_t kAllocationGranularity = 0x10000;

constexpr std::uint64_t alignDown(std::uint64_t v, std::uint64_t a) {
    return v & ~(a - 1);
}
constexpr std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}

class Pfn;
class PhysicalAddress;

class VirtualAddress {
public:
    constexpr VirtualAddress() = default;
    constexpr explicit VirtualAddress(std::uint64_t v) : value_(v) {}
    constexpr std::uint64_t value() const { return value_; }
    constexpr std::uint64_t pageOffset() const { return value_ & kPageMask; }
    constexpr VirtualAddress pageBase() const { return VirtualAddress(value_ & ~kPageMask); }
    constexpr std::uint64_t pageNumber() const { return value_ >> kPageShift; }
    constexpr VirtualAddress operator+(std::uint64_t d) const { return VirtualAddress(value_ + d); }
    constexpr VirtualAddress operator-(std::uint64_t d) const { return VirtualAddress(value_ - d); }
    constexpr std::uint64_t operator-(VirtualAddress o) const { return value_ - o.value_; }
    constexpr auto operator<=>(const VirtualAddress&) const = default;

private:
    std::uint64_t value_ = 0;
};

class PhysicalAddress {
public:
    constexpr PhysicalAddress() = default;
    constexpr explicit PhysicalAddress(std::uint64_t v) : value_(v) {}
    constexpr std::uint64_t value() const { return value_; }
    constexpr PhysicalAddress operator+(std::uint64_t d) const {
        return PhysicalAddress(value_ + d);
    }
    constexpr Pfn pfn() const;
    constexpr auto operator<=>(const PhysicalAddress&) const = default;

private:
    std::uint64_t value_ = 0;
};

// A hardware page frame number: the physical address shifted right by 12.
class Pfn {
public:
    constexpr Pfn() = default;
    constexpr explicit Pfn(std::uint64_t v) : value_(v) {}
    constexpr std::uint64_t value() const { return value_; }
    constexpr PhysicalAddress address() const { return PhysicalAddress(value_ << kPageShift); }
    constexpr Pfn operator+(std::uint64_t d) const { return Pfn(value_ + d); }
    constexpr std::uint64_t operator-(Pfn o) const { return value_ - o.value_; }
    constexpr auto operator<=>(const Pfn&) const = default;

private:
    std::uint64_t value_ = 0;
};

constexpr Pfn PhysicalAddress::pfn() const {
    return Pfn(value_ >> kPageShift);
}

}  // namespace ntoy

template <>
struct std::hash<ntoy::VirtualAddress> {
    std::size_t operator()(ntoy::VirtualAddress v) const noexcept {
        return std::hash<std::uint64_t>{}(v.value());
    }
};
template <>
struct std::hash<ntoy::Pfn> {
    std::size_t operator()(ntoy::Pfn v) const noexcept {
        return std::hash<std::uint64_t>{}(v.value());
    }
};
