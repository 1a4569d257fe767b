#include "kernel/mm/UserMemory.h"

#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {

NtStatus UserMemory::resolve(VirtualAddress va, std::uint64_t size, AccessKind access) {
    if (size == 0)
        return NtStatus::Success;
    const std::uint64_t last = va.value() + size - 1;
    if (last < va.value() || !isUserAddress(last))
        return NtStatus::AccessViolation;
    for (std::uint64_t page = va.pageBase().value(); page <= last; page += kPageSize) {
        if (auto f = space_.frameForKernelAccess(VirtualAddress(page), access); !f)
            return f.error();
    }
    return NtStatus::Success;
}

// Most arguments fit in one page whose PTE already allows the access: one walk, and the
// frame is used directly. Anything else takes the general path.
std::byte* UserMemory::fastPath(VirtualAddress va, std::uint64_t size, AccessKind access,
                                Pte& pte) {
    if (size == 0 || va.pageOffset() + size > kPageSize || !isUserAddress(va.value()))
        return nullptr;
    pte = space_.tables().pteAt(va);
    if (!pte.isValid() || (access == AccessKind::Write && !pte.has(PteBit::Write)))
        return nullptr;
    return space_.tables().memory().at(pte.pfn().address() + va.pageOffset());
}

NtStatus UserMemory::copyPages(
    VirtualAddress va, std::uint64_t size, AccessKind access,
    const std::function<void(std::byte*, std::uint64_t, std::uint64_t)>& copy) {
    // Page by page, each resolved just before its bytes move: resolving a later page may make
    // room by trimming an earlier one, whose frame can then be reused, so nothing may be
    // resolved ahead of its copy. (resolve() checked the whole range first.)
    std::uint64_t done = 0;
    while (done < size) {
        const VirtualAddress at = va + done;
        const std::uint64_t n = std::min(size - done, kPageSize - at.pageOffset());
        const auto frame = space_.frameForKernelAccess(at.pageBase(), access);
        if (!frame)
            return frame.error();  // an in-page error: the paging file failed us
        copy(space_.tables().memory().at(frame->address() + at.pageOffset()), done, n);
        done += n;
    }
    return NtStatus::Success;
}

NtStatus UserMemory::read(VirtualAddress va, std::span<std::byte> out) {
    Pte pte;
    if (std::byte* host = fastPath(va, out.size(), AccessKind::Read, pte)) {
        std::memcpy(out.data(), host, out.size());
        return NtStatus::Success;
    }
    if (auto s = resolve(va, out.size(), AccessKind::Read); s != NtStatus::Success)
        return s;
    return copyPages(va, out.size(), AccessKind::Read,
                     [&](std::byte* host, std::uint64_t off, std::uint64_t n) {
                         std::memcpy(out.data() + off, host, n);
                     });
}

NtStatus UserMemory::write(VirtualAddress va, std::span<const std::byte> in) {
    Pte pte;
    if (std::byte* host = fastPath(va, in.size(), AccessKind::Write, pte)) {
        std::memcpy(host, in.data(), in.size());
        space_.noteWritten(va);
        if (!pte.has(PteBit::NoExecute))
            space_.mmu().codeModified(va.pageBase(), kPageSize);
        return NtStatus::Success;
    }
    if (auto s = resolve(va, in.size(), AccessKind::Write); s != NtStatus::Success)
        return s;
    return copyPages(va, in.size(), AccessKind::Write,
                     [&](std::byte* host, std::uint64_t off, std::uint64_t n) {
                         std::memcpy(host, in.data() + off, n);
                         const VirtualAddress page = (va + off).pageBase();
                         space_.noteWritten(page);
                         // Written behind the CPU's back: code it translated from an
                         // executable page is stale.
                         if (!space_.tables().pteAt(page).has(PteBit::NoExecute))
                             space_.mmu().codeModified(page, kPageSize);
                     });
}

NtStatus UserMemory::probeForWrite(VirtualAddress va, std::uint64_t size) {
    Pte pte;
    if (fastPath(va, size, AccessKind::Write, pte))
        return NtStatus::Success;
    return resolve(va, size, AccessKind::Write);
}

NtStatus UserMemory::probeForRead(VirtualAddress va, std::uint64_t size) {
    return resolve(va, size, AccessKind::Read);
}

}  // namespace ntoy::mm
