// Random and boundary argument vectors for system calls. Each argument of a known call is
// drawn mostly from values that mean something for it (handles, pointers to in/out cells,
// sizes, MEM_* and PAGE_* flags), and otherwise from a pool of values any argument may get:
// 0, -1, small numbers, single bits, addresses in and around the process's allocations,
// system-space and non-canonical addresses, huge and overflowing sizes.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/ke/SystemCall.h"

namespace ntoy::test {

// (HANDLE)-2, the current-thread pseudo-handle: a handle the kernel knows, but no process's.
inline constexpr std::uint64_t kCurrentThreadHandle = ~0ull - 1;

// The user pages the arguments can point into for in/out parameters: read-write cells, then
// one page each that is read-only, guarded, no-access and only reserved.
struct ScratchLayout {
    static constexpr std::uint64_t kReadWritePages = 4;
    static constexpr std::uint64_t kPages = kReadWritePages + 4;
    VirtualAddress base;

    VirtualAddress readWriteEnd() const { return base + kReadWritePages * kPageSize; }
    VirtualAddress readOnlyPage() const { return readWriteEnd(); }
    VirtualAddress guardPage() const { return readWriteEnd() + kPageSize; }
    VirtualAddress noAccessPage() const { return readWriteEnd() + 2 * kPageSize; }
    VirtualAddress reservedPage() const { return readWriteEnd() + 3 * kPageSize; }
    VirtualAddress end() const { return base + kPages * kPageSize; }
};

struct ArgumentVector {
    std::array<std::uint64_t, ke::kMaxSystemCallArgs> args{};
    // Values to store in cells before the call: what pointer arguments point at.
    std::vector<std::pair<VirtualAddress, std::uint64_t>> cells;
};

class SystemCallArguments {
public:
    SystemCallArguments(std::uint64_t seed, ScratchLayout scratch);

    ArgumentVector generate(const ke::SystemCallEntry& entry, const mm::AddressSpace& space);
    // A value of any kind, for filling cells that no argument names.
    std::uint64_t anyValue(const mm::AddressSpace& space);
    // Once a call has stalled on a huge range and been reported, later values stay out of
    // [1 GiB, 1 TiB) so that the run can go on checking everything else in bounded time.
    void avoidHugeRanges() { avoidHugeRanges_ = true; }

    std::mt19937_64& random() { return rng_; }

private:
    enum class Kind : std::uint8_t {
        Any,
        Handle,
        FileHandle,
        BasePointer,  // -> a cell holding an address
        SizePointer,  // -> a cell holding a size
        Buffer,       // a pointer to in or out data
        OptionalBuffer,
        Address,
        ZeroBits,
        AllocationType,
        FreeType,
        Protection,
        InfoClass,
        Length,
        Flag,
        Status,
    };
    static std::vector<Kind> kindsOf(std::string_view name, std::size_t count);

    std::uint64_t valueOf(Kind kind, const mm::AddressSpace& space, ArgumentVector& out);
    std::uint64_t pick(std::initializer_list<std::uint64_t> values);
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::uint64_t clamped(std::uint64_t v) const;

    std::uint64_t address(const mm::AddressSpace& space);
    std::uint64_t addressInAllocation(const mm::AddressSpace& space);
    std::uint64_t size(const mm::AddressSpace& space);
    std::uint64_t cellPointer();
    std::uint64_t bufferPointer();
    std::uint64_t handle();
    std::uint64_t allocationType();
    std::uint64_t freeType();
    std::uint64_t protection();
    std::uint64_t zeroBits();
    std::uint64_t length();

    std::mt19937_64 rng_;
    ScratchLayout scratch_;
    bool avoidHugeRanges_ = false;
    // Half the vectors are plausible: each argument is then almost always a valid one, so
    // that calls get past their checks and reach the work they do.
    bool plausible_ = false;
    bool plausible() { return plausible_ && chance(90); }
};

}  // namespace ntoy::test
