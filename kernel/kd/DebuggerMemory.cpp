#include "kernel/kd/DebuggerMemory.h"

#include <algorithm>
#include <cstring>

namespace ntoy::kd {
namespace {

// The host bytes behind `va` up to the end of its page, if the page has a frame. System
// addresses are walked in the same tables (the system half is shared).
std::byte* hostAt(const mm::AddressSpace& space, VirtualAddress va) {
    const mm::Pte pte = space.tables().pteAt(va);
    if (!pte.hasFrame())
        return nullptr;
    return space.tables().memory().at(pte.pfn().address() + va.pageOffset());
}

template <typename Copy>
std::size_t transfer(const mm::AddressSpace& space, VirtualAddress va, std::size_t size,
                     Copy copy) {
    std::size_t done = 0;
    while (done < size) {
        const VirtualAddress at = va + done;
        if (at < va)
            break;  // wrapped
        std::byte* host = hostAt(space, at);
        if (!host)
            break;
        const std::size_t n = std::min<std::size_t>(size - done, kPageSize - at.pageOffset());
        copy(host, done, n);
        done += n;
    }
    return done;
}

}  // namespace

void dropWrittenCode(mm::AddressSpace& space, VirtualAddress va, std::uint64_t length) {
    // Only pages the CPU can run from can have translated code (and only those can be looked
    // up: see hal::Mmu::codeModified).
    for (std::uint64_t page = va.pageBase().value(); page < va.value() + length;
         page += kPageSize) {
        const mm::Pte pte = space.tables().pteAt(VirtualAddress(page));
        if (pte.isValid() && !pte.has(mm::PteBit::NoExecute))
            space.mmu().codeModified(VirtualAddress(page), kPageSize);
    }
}

std::size_t readVirtual(const mm::AddressSpace& space, VirtualAddress va,
                        std::span<std::byte> out) {
    return transfer(space, va, out.size(), [&](std::byte* host, std::size_t off, std::size_t n) {
        std::memcpy(out.data() + off, host, n);
    });
}

std::size_t writeVirtual(mm::AddressSpace& space, VirtualAddress va,
                         std::span<const std::byte> in) {
    const std::size_t n =
        transfer(space, va, in.size(), [&](std::byte* host, std::size_t off, std::size_t len) {
            std::memcpy(host, in.data() + off, len);
        });
    dropWrittenCode(space, va, n);
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
