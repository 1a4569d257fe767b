#include "kernel/mm/LockedPages.h"

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/mm/SystemSpace.h"

namespace ntoy::mm {
namespace {

// Valid pages left to the rest of the machine when a mapping is made.
constexpr std::uint64_t kMappingReserve = 1024;

// A system page's frame, resident, for a lock: any mapped system page outside the locked
// mappings themselves (their frames are another owner's).
std::expected<Pfn, NtStatus> systemFrame(MemoryManager& mm, VirtualAddress va, bool write) {
    if (va.value() >= kLockedMappingsBase && va.value() < kLockedMappingsEnd)
        return std::unexpected(NtStatus::AccessViolation);
    auto& tables = mm.systemTables();
    const auto at = tables.findPte(va);
    const Pte pte = at ? tables.read(*at) : Pte();
    if (!pte.isValid() && !pte.isTransition() && !pte.isPagefile())
        return std::unexpected(NtStatus::AccessViolation);
    if (write && !pte.protection().writable())
        return std::unexpected(NtStatus::AccessViolation);
    mm.systemSpace().access(va, write);  // brings a paged-out page back
    const Pte now = tables.read(*at);
    mm.systemSpace().unpin(va);
    return now.pfn();
}

}  // namespace

std::expected<std::vector<Pfn>, NtStatus> probeAndLock(MemoryManager& mm, AddressSpace* space,
                                                       VirtualAddress start, std::uint64_t bytes,
                                                       AccessKind access) {
    std::vector<Pfn> frames;
    if (bytes == 0)
        return frames;
    const std::uint64_t first = start.value() & ~kPageMask;
    const std::uint64_t last = (start.value() + bytes - 1) & ~kPageMask;
    if (start.value() + bytes - 1 < start.value())
        return std::unexpected(NtStatus::AccessViolation);
    const bool user = isUserAddress(first) && isUserAddress(last);
    if (!user && !(isSystemAddress(first) && isSystemAddress(last)))
        return std::unexpected(NtStatus::AccessViolation);
    if (user && !space)
        return std::unexpected(NtStatus::AccessViolation);
    const bool write = access == AccessKind::Write;
    const auto fail = [&](NtStatus s) {
        unlock(mm, frames);
        return std::unexpected(s);
    };
    frames.reserve((last - first) / kPageSize + 1);
    if (user) {
        // Every page faulted in first, as lockPages does; then each made valid again if a
        // later fault trimmed it, and locked, after which nothing trims it.
        for (std::uint64_t va = first; va <= last; va += kPageSize)
            if (auto frame = space->frameForKernelAccess(VirtualAddress(va), access); !frame)
                return fail(frame.error());
    }
    for (std::uint64_t va = first; va <= last; va += kPageSize) {
        auto frame = user ? space->frameForKernelAccess(VirtualAddress(va), access)
                          : systemFrame(mm, VirtualAddress(va), write);
        if (!frame)
            return fail(frame.error());
        if (mm.pfns().entry(*frame).use == PageUse::IoLocked || !mm.pfns().lockForIo(*frame))
            return fail(NtStatus::InsufficientResources);
        frames.push_back(*frame);
        // A locked page never leaves, so a paging-file copy would only hold a slot; and one
        // locked for a write changes behind the CPU's back.
        mm.dropPagefileCopy(*frame);
        if (write && user)
            space->noteWritten(VirtualAddress(va));
    }
    return frames;
}

void unlock(MemoryManager& mm, std::span<const Pfn> frames) {
    for (const Pfn f : frames)
        mm.pfns().unlockForIo(f);
}

LockedMappings::LockedMappings(MemoryManager& mm) : mm_(mm), free_(kPageSize) {
    // FreeRanges starts with everything free: all but the region is taken for good.
    free_.take(0, kLockedMappingsBase);
    free_.take(kLockedMappingsEnd, ~0ull);
}

std::optional<VirtualAddress> LockedMappings::map(std::span<const Pfn> frames) {
    if (frames.empty())
        return std::nullopt;
    const auto base =
        free_.lowest(frames.size() * kPageSize, kLockedMappingsBase, kLockedMappingsEnd);
    if (!base)
        return std::nullopt;
    // Each page is one more valid page the host maps and nothing trims: refused, as a full
    // region is, when the machine has no room for them.
    if (mm_.systemMmu().validPageHeadroom() < frames.size() + kMappingReserve)
        return std::nullopt;
    auto& tables = mm_.systemTables();
    const auto rw = *MmProtection::fromWin32(page::kReadWrite);
    // The page tables first, so that running out of frames for them changes nothing.
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (!tables.ensurePte(VirtualAddress(*base + i * kPageSize)))
            return std::nullopt;
    free_.take(*base, *base + frames.size() * kPageSize);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const VirtualAddress va(*base + i * kPageSize);
        NTOY_ASSERT(mm_.pfns().entry(frames[i]).ioLocks != 0, ke::BugCheckCode::MemoryManagement,
                    0x6101, va.value(), frames[i].value(), 0);
        tables.write(*tables.findPte(va), Pte::valid(frames[i], rw, false));
        mm_.systemMmu().mapped(va, frames[i]);
    }
    return VirtualAddress(*base);
}

void LockedMappings::unmap(VirtualAddress va, std::uint64_t pages) {
    auto& tables = mm_.systemTables();
    for (std::uint64_t i = 0; i < pages; ++i) {
        const VirtualAddress page = va + i * kPageSize;
        const auto at = tables.findPte(page);
        NTOY_ASSERT(at && tables.read(*at).isValid(), ke::BugCheckCode::MemoryManagement, 0x6102,
                    page.value(), 0, 0);
        tables.write(*at, Pte());
        mm_.systemMmu().unmapped(page);
    }
    free_.give(va.value(), va.value() + pages * kPageSize);
}

}  // namespace ntoy::mm
