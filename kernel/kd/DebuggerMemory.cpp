#include "kernel/kd/DebuggerMemory.h"

#include <algorithm>
#include <cstring>

namespace ntoy::kd {
namespace {

// A page the debugger can read or write: any with a frame, accessible or not. System
// addresses are walked in the same tables (the system half is shared).
constexpr auto kHasFrame = [](mm::Pte e) { return e.hasFrame(); };

}  // namespace

void dropWrittenCode(mm::AddressSpace& space, VirtualAddress va, std::uint64_t length) {
    // Only pages the CPU can run from can have translated code (and only those can be looked
    // up: see hal::Mmu::codeModified).
    for (std::uint64_t page = va.pageBase().value(); page < va.value() + length;
         page += kPageSize) {
        const mm::Pte pte = space.tables().peekPte(VirtualAddress(page)).value_or(mm::Pte());
        if (pte.isValid() && !pte.has(mm::PteBit::NoExecute))
            space.mmu().codeModified(VirtualAddress(page), kPageSize);
    }
}

std::size_t readVirtual(const mm::AddressSpace& space, VirtualAddress va,
                        std::span<std::byte> out) {
    return space.tables().forEachPiece(va, out.size(), kHasFrame,
                                       [&](std::byte* host, std::uint64_t off, std::uint64_t n,
                                           mm::Pte) { std::memcpy(out.data() + off, host, n); });
}

std::size_t writeVirtual(mm::AddressSpace& space, VirtualAddress va,
                         std::span<const std::byte> in) {
    const std::size_t n =
        space.tables().forEachPiece(va, in.size(), kHasFrame,
                                    [&](std::byte* host, std::uint64_t off, std::uint64_t len,
                                        mm::Pte) { std::memcpy(host, in.data() + off, len); });
    dropWrittenCode(space, va, n);
    // What the paging file holds of these pages is no longer their contents.
    for (std::uint64_t page = va.pageBase().value(); page < va.value() + n; page += kPageSize)
        space.noteWritten(VirtualAddress(page));
    return n;
}

std::size_t readPhysical(const hal::PhysicalMemory& ram, PhysicalAddress pa,
                         std::span<std::byte> out) {
    if (!ram.contains(pa))
        return 0;
    const std::uint64_t available = (ram.endPfn().address().value()) - pa.value();
    const std::size_t n = std::min<std::uint64_t>(out.size(), available);
    std::memcpy(out.data(), ram.at(pa), n);
    return n;
}

std::size_t writePhysical(const hal::PhysicalMemory& ram, PhysicalAddress pa,
                          std::span<const std::byte> in) {
    if (!ram.contains(pa))
        return 0;
    const std::uint64_t available = (ram.endPfn().address().value()) - pa.value();
    const std::size_t n = std::min<std::uint64_t>(in.size(), available);
    std::memcpy(ram.at(pa), in.data(), n);
    return n;
}

}  // namespace ntoy::kd
