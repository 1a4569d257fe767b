#include "tests/kernel/SystemCallArguments.h"

#include <iterator>

#include "kernel/mm/SystemLayout.h"
#include "ntoy/process_layout.h"

namespace ntoy::test {
namespace {

constexpr std::uint64_t kFirstNonUser = mm::kHighestUserAddress + 1;
constexpr std::uint64_t kGiB = 1ull << 30, kTiB = 1ull << 40;

constexpr std::uint32_t kMemBits[] = {0x1000,   0x2000,   0x4000,     0x8000,    0x10000,
                                      0x20000,  0x40000,  0x80000,    0x100000,  0x200000,
                                      0x400000, 0x800000, 0x20000000, 0x80000000};
constexpr std::uint32_t kPageBases[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80};
constexpr std::uint32_t kPageModifiers[] = {0x100, 0x200, 0x400};

}  // namespace

SystemCallArguments::SystemCallArguments(std::uint64_t seed, ScratchLayout scratch)
    : rng_(seed), scratch_(scratch) {}

std::vector<SystemCallArguments::Kind> SystemCallArguments::kindsOf(std::string_view name,
                                                                    std::size_t count) {
    using enum Kind;
    std::vector<Kind> kinds;
    if (name == "NtTerminateProcess")
        kinds = {Handle, Status};
    else if (name == "NtWriteFile")
        kinds = {FileHandle, Any, Any, Any, Buffer, Buffer, Length, OptionalBuffer, Any};
    else if (name == "NtAllocateVirtualMemory")
        kinds = {Handle, BasePointer, ZeroBits, SizePointer, AllocationType, Protection};
    else if (name == "NtFreeVirtualMemory")
        kinds = {Handle, BasePointer, SizePointer, FreeType};
    else if (name == "NtProtectVirtualMemory")
        kinds = {Handle, BasePointer, SizePointer, Protection, Buffer};
    else if (name == "NtQueryVirtualMemory")
        kinds = {Handle, Address, InfoClass, Buffer, Length, OptionalBuffer};
    else if (name == "NtQuerySystemInformation")
        kinds = {InfoClass, Buffer, Length, OptionalBuffer};
    else if (name == "NtContinue")
        kinds = {Buffer, Flag};
    else if (name == "NtRaiseException")
        kinds = {Buffer, Buffer, Flag};
    else if (name == "NtMapImage")
        kinds = {Buffer, Buffer};
    else if (name == "NtQueryMappedImages")
        kinds = {Any, Buffer, Length, OptionalBuffer};
    else if (name == "NtUnmapViewOfSection")
        kinds = {Handle, Address};
    // A call this generator does not know yet still gets arguments of every kind.
    kinds.resize(count, Any);
    return kinds;
}

ArgumentVector SystemCallArguments::generate(const ke::SystemCallEntry& entry,
                                             const mm::AddressSpace& space) {
    ArgumentVector out;
    plausible_ = chance(50);
    const auto kinds = kindsOf(entry.name, entry.argumentCount);
    for (std::size_t i = 0; i < kinds.size(); ++i)
        out.args[i] = valueOf(chance(plausible_ ? 2 : 20) ? Kind::Any : kinds[i], space, out);
    // Registers beyond the call's arguments hold garbage too; the handler must not look.
    for (std::size_t i = kinds.size(); i < out.args.size(); ++i)
        out.args[i] = rng_();
    return out;
}

std::uint64_t SystemCallArguments::valueOf(Kind kind, const mm::AddressSpace& space,
                                           ArgumentVector& out) {
    switch (kind) {
        case Kind::Any:
            return anyValue(space);
        case Kind::Handle:
            return handle();
        case Kind::FileHandle:
            return plausible() ? pick({NTOY_HANDLE_STDOUT, NTOY_HANDLE_STDERR}) : handle();
        case Kind::BasePointer: {
            const std::uint64_t p = cellPointer();
            out.cells.emplace_back(VirtualAddress(p), address(space));
            return p;
        }
        case Kind::SizePointer: {
            const std::uint64_t p = cellPointer();
            out.cells.emplace_back(VirtualAddress(p), size(space));
            return p;
        }
        case Kind::Buffer:
            return bufferPointer();
        case Kind::OptionalBuffer:
            return chance(30) ? 0 : bufferPointer();
        case Kind::Address:
            return address(space);
        case Kind::ZeroBits:
            return zeroBits();
        case Kind::AllocationType:
            return allocationType();
        case Kind::FreeType:
            return freeType();
        case Kind::Protection:
            return protection();
        case Kind::InfoClass:
            // The classes NtQueryVirtualMemory answers (0 is also SystemBasicInformation).
            return plausible() || chance(70) ? pick({0, 0, 3, 4, 6})
                   : chance(50)              ? below(256)
                                             : rng_();
        case Kind::Length:
            return length();
        case Kind::Flag:
            return plausible() ? below(2) : chance(45) ? 0 : chance(80) ? 1 : rng_();
        case Kind::Status:
            return chance(20) ? pick({0, 0xC0000005, 0x80000003, 0x103}) : rng_() & 0xFFFF'FFFF;
    }
    return 0;
}

std::uint64_t SystemCallArguments::pick(std::initializer_list<std::uint64_t> values) {
    return *std::next(values.begin(), static_cast<std::ptrdiff_t>(below(values.size())));
}

std::uint64_t SystemCallArguments::clamped(std::uint64_t v) const {
    if (avoidHugeRanges_ && v >= kGiB && v < kTiB)
        return v & (kGiB - 1);
    return v;
}

std::uint64_t SystemCallArguments::anyValue(const mm::AddressSpace& space) {
    std::uint64_t v = 0;
    switch (below(16)) {
        case 0:
            v = 0;
            break;
        case 1:
            v = ~std::uint64_t{0} - below(2);
            break;
        case 2:
            v = 1 + below(64);
            break;
        case 3:
            v = ~std::uint64_t{0} - 1 - below(64);
            break;
        case 4:
            v = 1ull << below(64);
            break;
        case 5:
            v = rng_();
            break;
        case 6:
            v = rng_() & 0xFFFF'FFFF;
            break;
        case 7:
            v = addressInAllocation(space);
            break;
        case 8:
            v = address(space);
            break;
        case 9:
            v = chance(50) ? cellPointer() : bufferPointer();
            break;
        case 10:
            v = size(space);
            break;
        case 11:
            v = allocationType();
            break;
        case 12:
            v = protection();
            break;
        case 13:
            v = mm::kSystemSpaceStart + (chance(50) ? below(kTiB) : rng_() % (1ull << 47));
            break;
        case 14:
            v = chance(50) ? pick({0x0000'8000'0000'0000, 0x8000'0000'0000'0000,
                                   0xFFFF'7FFF'FFFF'FFFF, 0x0000'7FFF'FFFF'F000})
                           : (1ull << 47) + below((1ull << 63) - (1ull << 47));
            break;
        default:
            v = pick({mm::kLowestUserAddress - 1, mm::kLowestUserAddress, mm::kHighestUserAddress,
                      kFirstNonUser, mm::kUserSpaceEnd - 8, mm::kUserSpaceEnd, 0xFFFF, 0x1000});
            break;
    }
    return clamped(v);
}

std::uint64_t SystemCallArguments::addressInAllocation(const mm::AddressSpace& space) {
    const auto& vads = space.vads();
    if (vads.size() == 0)
        return scratch_.base.value();
    auto it = vads.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(below(vads.size())));
    const mm::Vad& vad = it->second;
    const std::uint64_t start = vad.start().value(), bytes = vad.pages() * kPageSize;
    switch (below(8)) {
        case 0:
            return start;
        case 1:
            return start + below(std::min<std::uint64_t>(vad.pages(), 1024)) * kPageSize;
        case 2:
            return start + below(std::min<std::uint64_t>(bytes, 1ull << 22));
        case 3:
            return start + bytes - 1;
        case 4:
            return start + bytes;
        case 5:
            return start + bytes - kPageSize;
        case 6:
            return start - kPageSize;
        default:
            return start + below(bytes);
    }
}

std::uint64_t SystemCallArguments::address(const mm::AddressSpace& space) {
    std::uint64_t v = 0;
    if (plausible())
        return clamped(chance(30)   ? 0
                       : chance(80) ? addressInAllocation(space)
                                    : alignDown(mm::kLowestUserAddress +
                                                    below(kFirstNonUser - mm::kLowestUserAddress),
                                                kAllocationGranularity));
    const auto roll = below(100);
    if (roll < 20)
        v = 0;
    else if (roll < 55)
        v = addressInAllocation(space);
    else if (roll < 70)
        v = (mm::kLowestUserAddress + below(kFirstNonUser - mm::kLowestUserAddress)) &
            (chance(70) ? ~(kAllocationGranularity - 1) : ~std::uint64_t{0});
    else if (roll < 80)
        v = pick({mm::kLowestUserAddress, mm::kLowestUserAddress - kPageSize,
                  mm::kHighestUserAddress, kFirstNonUser - kAllocationGranularity,
                  kFirstNonUser - kPageSize, kFirstNonUser, mm::kUserSpaceEnd, 1, kPageSize});
    else if (roll < 88)
        v = mm::kSystemSpaceStart + below(kTiB);
    else if (roll < 94)
        v = (1ull << 47) + below(1ull << 62);
    else
        v = rng_();
    return clamped(v);
}

std::uint64_t SystemCallArguments::size(const mm::AddressSpace& space) {
    std::uint64_t v = 0;
    switch (plausible() ? below(7) : below(14)) {
        case 0:
            v = pick({0, 1, kPageSize - 1, kPageSize, kPageSize + 1});
            break;
        case 1:
        case 2:
            v = kPageSize * (1 + below(16));
            break;
        case 3:
            v = kAllocationGranularity * (1 + below(4)) - (chance(30) ? below(kPageSize) : 0);
            break;
        case 4:
        case 5:
            v = below(1ull << 20);
            break;
        case 6: {
            const auto& vads = space.vads();
            if (vads.size() == 0)
                break;
            auto it = vads.begin();
            std::advance(it, static_cast<std::ptrdiff_t>(below(vads.size())));
            v = it->second.pages() * kPageSize;
            break;
        }
        case 7:
            v = 1ull << (30 + below(10));  // huge, yet inside user space
            break;
        case 8:
            v = kGiB + below(kTiB - kGiB);
            break;
        case 9:
            v = 1ull << (40 + below(24));  // beyond user space
            break;
        case 10:
            v = ~std::uint64_t{0} - below(kAllocationGranularity);
            break;
        case 11:  // exactly reaches, or crosses, the top of user space
            v = kFirstNonUser - addressInAllocation(space) + below(3) * kPageSize;
            break;
        case 12:  // base + size wraps around
            v = ~std::uint64_t{0} - addressInAllocation(space) + 1 + below(kPageSize);
            break;
        default:
            v = rng_();
            break;
    }
    return clamped(v);
}

std::uint64_t SystemCallArguments::cellPointer() {
    const std::uint64_t base = scratch_.base.value();
    const std::uint64_t rwBytes = ScratchLayout::kReadWritePages * kPageSize;
    const auto roll = plausible() ? 0 : below(100);
    if (roll < 60)
        return base + 8 * below(rwBytes / 8);
    if (roll < 65)
        return base + below(rwBytes - 8);
    if (roll < 70)
        return scratch_.readWriteEnd().value() - 4;  // runs into the read-only page
    if (roll < 75)
        return scratch_.readOnlyPage().value() + 8 * below(kPageSize / 8);
    if (roll < 80)
        return scratch_.guardPage().value() + 8 * below(kPageSize / 8);
    if (roll < 85)
        return scratch_.noAccessPage().value() + 8 * below(kPageSize / 8);
    if (roll < 90)
        return scratch_.reservedPage().value();
    if (roll < 95)
        return 0;
    return chance(50) ? mm::kKernelWindowBase + 8 * below(1024) : 0x0000'8000'0000'0000;
}

std::uint64_t SystemCallArguments::bufferPointer() {
    const std::uint64_t base = scratch_.base.value();
    const std::uint64_t rwBytes = ScratchLayout::kReadWritePages * kPageSize;
    if (plausible())  // room for the largest structure, a CONTEXT and its frame
        return base + 16 * below((rwBytes - 0x600) / 16);
    const auto roll = below(100);
    if (roll < 55)
        return base + 16 * below(rwBytes / 16);
    if (roll < 70)  // a structure that just fits, or just does not
        return scratch_.readWriteEnd().value() -
               pick({8, 16, 48, 0x40, 0x98, 0x4D0, 0x590, 0x4D0 + 8}) + (chance(20) ? 8 : 0);
    if (roll < 75)
        return scratch_.readOnlyPage().value() + 16 * below(kPageSize / 16);
    if (roll < 80)
        return scratch_.guardPage().value();
    if (roll < 85)
        return scratch_.noAccessPage().value();
    if (roll < 88)
        return scratch_.reservedPage().value();
    if (roll < 93)
        return 0;
    if (roll < 97)
        return mm::kSystemSpaceStart + 16 * below(1ull << 20);
    return clamped(rng_());
}

std::uint64_t SystemCallArguments::handle() {
    if (plausible())
        return ob::kCurrentProcess.value();
    const auto roll = below(100);
    if (roll < 55)
        return ob::kCurrentProcess.value();
    if (roll < 65)
        return kCurrentThreadHandle;
    if (roll < 75)
        return 0;
    if (roll < 85)
        return pick({NTOY_HANDLE_STDIN, NTOY_HANDLE_STDOUT, NTOY_HANDLE_STDERR});
    return chance(50) ? below(64) : rng_();
}

std::uint64_t SystemCallArguments::allocationType() {
    constexpr std::uint32_t kCommit = 0x1000, kReserve = 0x2000, kReset = 0x80000,
                            kTopDown = 0x100000;
    const auto roll = plausible() ? below(52) : below(100);
    if (roll < 30)
        return pick({kCommit, kReserve, kCommit | kReserve});
    if (roll < 45)
        return pick({kCommit, kReserve, kCommit | kReserve}) | kTopDown;
    if (roll < 52)
        return kReset;
    if (roll < 67)
        return 1ull << below(32);
    if (roll < 85)
        return kMemBits[below(std::size(kMemBits))] | kMemBits[below(std::size(kMemBits))];
    if (roll < 95)
        return rng_() & 0xFFFF'FFFF;
    return chance(50) ? 0 : rng_();
}

std::uint64_t SystemCallArguments::freeType() {
    const auto roll = plausible() ? below(70) : below(100);
    if (roll < 35)
        return 0x4000;  // MEM_DECOMMIT
    if (roll < 70)
        return 0x8000;  // MEM_RELEASE
    if (roll < 75)
        return 0xC000;
    if (roll < 80)
        return 0;
    if (roll < 90)
        return 1ull << below(32);
    return chance(50) ? rng_() & 0xFFFF'FFFF : rng_();
}

std::uint64_t SystemCallArguments::protection() {
    const auto base = [&] { return kPageBases[below(std::size(kPageBases))]; };
    const auto modifier = [&] { return kPageModifiers[below(std::size(kPageModifiers))]; };
    if (plausible()) {
        // Private memory takes no copy-on-write, and NOACCESS no modifier.
        const std::uint32_t b = pick({0x01, 0x02, 0x04, 0x10, 0x20, 0x40});
        return b == 0x01 || chance(70) ? b : b | modifier();
    }
    const auto roll = below(100);
    if (roll < 40)
        return base();
    if (roll < 60)
        return base() | modifier();
    if (roll < 70)
        return 1ull << below(32);
    if (roll < 80)
        return base() | (chance(50) ? base() : modifier() | modifier());
    if (roll < 90)
        return rng_() & 0xFFFF'FFFF;
    if (roll < 95)
        return 0;
    return chance(50) ? modifier() : rng_();
}

std::uint64_t SystemCallArguments::zeroBits() {
    const auto roll = plausible() ? below(55) : below(100);
    if (roll < 50)
        return 0;
    if (roll < 60)
        return 1 + below(21);
    if (roll < 70)
        return 22 + below(10);
    if (roll < 80)
        return 32 + below(32);
    if (roll < 90)
        return pick({0x7FFF'FFFF, 0xFFFF'FFFF, 0x3F'FFFF'FFFF, 0x1'FFFF, 0xFFFF});
    return rng_();
}

std::uint64_t SystemCallArguments::length() {
    if (plausible())
        return pick({48, 0x40, 64 + below(512), kPageSize, below(256)});
    const auto roll = below(100);
    if (roll < 40)
        return pick({48, 0x40, 0, 47, 49, kPageSize, 0x98, 0x4D0, 1});
    if (roll < 60)
        return below(256);
    if (roll < 75)
        return 1ull << below(32);
    if (roll < 90)
        return rng_() & 0xFFFF'FFFF;
    return chance(50) ? rng_() : ~std::uint64_t{0};
}

}  // namespace ntoy::test
