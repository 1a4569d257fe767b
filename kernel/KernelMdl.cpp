// MDLs: a driver's (IoAllocateMdl, MmProbeAndLockPages, MmGetSystemAddressForMdlSafe,
// MmUnlockPages, IoFreeMdl) and the I/O manager's for direct I/O. The MDL itself lives in
// nonpaged pool as on Windows, with its PFN array; the kernel keeps its own record of the
// frames each locked MDL holds (mm/LockedPages.h), so a driver that scribbles on an MDL can
// never unlock frames it did not lock. Misuse is a bug check: MEMORY_MANAGEMENT (0x1A) with
// ntoy's first parameters (docs/drivers.md), the MDL second and the caller third.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/io/SystemImages.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy {
namespace {

// MEMORY_MANAGEMENT's first parameter for each misuse of an MDL.
constexpr std::uint64_t kMdlAlreadyLocked = 0x4101;
constexpr std::uint64_t kMdlNotLocked = 0x4102;
constexpr std::uint64_t kMdlTooSmall = 0x4103;
constexpr std::uint64_t kMdlFreedLocked = 0x4104;
constexpr std::uint64_t kMdlNotMapped = 0x4105;

struct MdlRange {
    std::uint64_t start = 0;  // StartVa + ByteOffset
    std::uint64_t bytes = 0;
    std::uint64_t pages = 0;
};

MdlRange readRange(Kernel& k, VirtualAddress mdl) {
    namespace w = io::wdk;
    const auto startVa = k.readSystemValue<std::uint64_t>(mdl + w::kMdlStartVa);
    const auto count = k.readSystemValue<std::uint32_t>(mdl + w::kMdlByteCount);
    const auto offset = k.readSystemValue<std::uint32_t>(mdl + w::kMdlByteOffset);
    MdlRange r{(startVa & ~kPageMask) + (offset & kPageMask), count, 0};
    if (count != 0)
        r.pages = (((r.start & kPageMask) + count + kPageMask) >> 12);
    return r;
}

// The MDL's range, once its Size leaves room for a PFN per page (the kernel writes them):
// else MEMORY_MANAGEMENT, kMdlTooSmall.
MdlRange readSizedRange(Kernel& k, VirtualAddress mdl, std::uint64_t caller,
                        const io::SystemImages& images) {
    const MdlRange r = readRange(k, mdl);
    const auto size = k.readSystemValue<std::uint16_t>(mdl + io::wdk::kMdlSize);
    if (size < io::wdk::kMdlHeaderSize + 8 * r.pages)
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, kMdlTooSmall, mdl.value(), caller, 0,
                     fmt::format("an MDL of {} bytes for {} pages, ", size, r.pages) +
                         images.locate(VirtualAddress(caller)));
    return r;
}

// The MDL's MdlFlags with `set` set and `clear` cleared.
void changeMdlFlags(Kernel& k, VirtualAddress mdl, std::uint16_t set, std::uint16_t clear) {
    const auto flags = k.readSystemValue<std::uint16_t>(mdl + io::wdk::kMdlFlags);
    k.writeSystemValue(mdl + io::wdk::kMdlFlags,
                       static_cast<std::uint16_t>((flags | set) & ~clear));
}

}  // namespace

NtStatus Kernel::probeAndLockMdl(ps::Thread& thread, VirtualAddress mdl, bool userMode, bool write,
                                 std::uint64_t caller) {
    namespace w = io::wdk;
    const auto misuse = [&](std::uint64_t what, const std::string& text) {
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, what, mdl.value(), caller, 0,
                     text + ", " + systemImages_->locate(VirtualAddress(caller)));
    };
    if (lockedMdls_.contains(mdl.value()))
        misuse(kMdlAlreadyLocked, "MmProbeAndLockPages of an MDL whose pages are locked already");
    const MdlRange r = readSizedRange(*this, mdl, caller, *systemImages_);
    // A user-mode request may name user addresses only, as Windows' probe checks.
    if (userMode && r.bytes != 0 && !mm::isUserAddress(r.start + r.bytes - 1))
        return NtStatus::AccessViolation;
    mm::AddressSpace* space =
        thread.process().hasAddressSpace() ? &thread.process().space() : nullptr;
    auto frames = mm::probeAndLock(*mm_, space, VirtualAddress(r.start), r.bytes,
                                   write ? mm::AccessKind::Write : mm::AccessKind::Read);
    if (!frames)
        return frames.error();
    std::vector<std::uint64_t> numbers;
    numbers.reserve(frames->size());
    for (const Pfn f : *frames)
        numbers.push_back(f.value());
    writeSystem(mdl + w::kMdlHeaderSize, std::as_bytes(std::span(numbers)));
    changeMdlFlags(
        *this, mdl,
        static_cast<std::uint16_t>(w::kMdlPagesLocked | (write ? w::kMdlWriteOperation : 0)), 0);
    writeSystemValue<std::uint64_t>(
        mdl + w::kMdlProcess, mm::isUserAddress(r.start) ? thread.process().body().value() : 0);
    lockedMdls_[mdl.value()] = LockedMdl{std::move(*frames), VirtualAddress(), caller};
    return NtStatus::Success;
}

void Kernel::unlockMdl(VirtualAddress mdl, std::uint64_t caller) {
    const auto it = lockedMdls_.find(mdl.value());
    if (it == lockedMdls_.end())
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, kMdlNotLocked, mdl.value(), caller, 0,
                     "MmUnlockPages of an MDL whose pages are not locked, " +
                         systemImages_->locate(VirtualAddress(caller)));
    if (it->second.mapping.value() != 0)
        unmapMdl(it->second.mapping, mdl, caller);
    mm::unlock(*mm_, it->second.frames);
    lockedMdls_.erase(it);
    changeMdlFlags(*this, mdl, 0, io::wdk::kMdlPagesLocked | io::wdk::kMdlWriteOperation);
}

std::uint64_t Kernel::mapMdl(VirtualAddress mdl, std::uint64_t caller) {
    namespace w = io::wdk;
    const auto it = lockedMdls_.find(mdl.value());
    if (it == lockedMdls_.end())
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, kMdlNotLocked, mdl.value(), caller, 0,
                     "MmMapLockedPagesSpecifyCache of an MDL whose pages are not locked, " +
                         systemImages_->locate(VirtualAddress(caller)));
    const MdlRange r = readRange(*this, mdl);
    if (it->second.mapping.value() == 0) {
        if (!lockedMappings_)
            lockedMappings_ = std::make_unique<mm::LockedMappings>(*mm_);
        const auto va = lockedMappings_->map(it->second.frames);
        if (!va)
            return 0;
        it->second.mapping = *va;
        changeMdlFlags(*this, mdl, w::kMdlMappedToSystemVa, 0);
        writeSystemValue(mdl + w::kMdlMappedSystemVa, va->value() + (r.start & kPageMask));
    }
    return it->second.mapping.value() + (r.start & kPageMask);
}

void Kernel::unmapMdl(VirtualAddress va, VirtualAddress mdl, std::uint64_t caller) {
    namespace w = io::wdk;
    const auto it = lockedMdls_.find(mdl.value());
    if (it == lockedMdls_.end() || it->second.mapping.value() == 0 ||
        it->second.mapping.value() != (va.value() & ~kPageMask))
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, kMdlNotMapped, mdl.value(), caller,
                     va.value(),
                     "MmUnmapLockedPages of an address that is not the MDL's system mapping, " +
                         systemImages_->locate(VirtualAddress(caller)));
    lockedMappings_->unmap(it->second.mapping, it->second.frames.size());
    it->second.mapping = VirtualAddress();
    changeMdlFlags(*this, mdl, 0, w::kMdlMappedToSystemVa);
    writeSystemValue<std::uint64_t>(mdl + w::kMdlMappedSystemVa, 0);
}

void Kernel::buildMdlForNonPagedPool(VirtualAddress mdl, std::uint64_t caller) {
    namespace w = io::wdk;
    const MdlRange r = readSizedRange(*this, mdl, caller, *systemImages_);
    const auto pool = ex::Pool::kindOf(VirtualAddress(r.start));
    std::vector<std::uint64_t> numbers;
    for (std::uint64_t i = 0; i < r.pages; ++i) {
        const VirtualAddress page((r.start & ~kPageMask) + i * kPageSize);
        const auto at = mm_->systemTables().findPte(page);
        const mm::Pte pte = at ? mm_->systemTables().read(*at) : mm::Pte();
        // Nonpaged memory is always valid; anything else is not what this call describes.
        if (!pool || ex::isPaged(*pool) || !pte.isValid())
            ke::bugCheck(ke::BugCheckCode::PageFaultInNonpagedArea, page.value(), 0, caller, 0,
                         "MmBuildMdlForNonPagedPool of memory that is not nonpaged pool, " +
                             systemImages_->locate(VirtualAddress(caller)));
        numbers.push_back(pte.pfn().value());
    }
    writeSystem(mdl + w::kMdlHeaderSize, std::as_bytes(std::span(numbers)));
    changeMdlFlags(*this, mdl, w::kMdlSourceIsNonPagedPool, 0);
    writeSystemValue(mdl + w::kMdlMappedSystemVa, r.start);
}

void Kernel::checkLockedPages(const io::SystemImage& driver) {
    for (const auto& [mdl, record] : lockedMdls_)
        if (driver.contains(VirtualAddress(record.caller)))
            ke::bugCheck(ke::BugCheckCode::DriverLeftLockedPagesInProcess, record.caller, 0, mdl,
                         record.frames.size(),
                         fmt::format("{} unloaded with an MDL's {} pages still locked (MDL "
                                     "{:#x}, locked at {})",
                                     driver.name, record.frames.size(), mdl,
                                     systemImages_->locate(VirtualAddress(record.caller))));
}

void Kernel::freeingMdl(VirtualAddress mdl, std::uint64_t caller) {
    if (lockedMdls_.contains(mdl.value()))
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, kMdlFreedLocked, mdl.value(), caller, 0,
                     caller != 0
                         ? "IoFreeMdl of an MDL whose pages are still locked, " +
                               systemImages_->locate(VirtualAddress(caller))
                         : std::string("ExFreePool of an MDL whose pages are still locked"));
}

std::expected<VirtualAddress, NtStatus> Kernel::lockUserBuffer(ps::Thread& thread,
                                                               VirtualAddress buffer,
                                                               std::uint32_t length, bool write) {
    namespace w = io::wdk;
    const std::uint64_t pages = ((buffer.value() & kPageMask) + length + kPageMask) >> 12;
    const std::uint64_t size = w::kMdlHeaderSize + 8 * pages;
    if (size > 0xFFFF)  // the MDL's Size is 16 bits: Windows refuses such a buffer too
        return std::unexpected(NtStatus::InsufficientResources);
    const auto block = pool_->allocate(ex::PoolKind::NonPagedNx, size, w::kMdlTag, {}, true);
    if (!block)
        return std::unexpected(NtStatus::InsufficientResources);
    writeSystemValue(*block + w::kMdlSize, static_cast<std::uint16_t>(size));
    writeSystemValue(*block + w::kMdlFlags, w::kMdlAllocatedFixedSize);
    writeSystemValue(*block + w::kMdlStartVa, buffer.value() & ~kPageMask);
    writeSystemValue(*block + w::kMdlByteCount, length);
    writeSystemValue(*block + w::kMdlByteOffset,
                     static_cast<std::uint32_t>(buffer.value() & kPageMask));
    if (const NtStatus s = probeAndLockMdl(thread, *block, true, write, 0);
        s != NtStatus::Success) {
        pool_->free(*block, w::kMdlTag);
        return std::unexpected(s);
    }
    return *block;
}

void Kernel::releaseUserBuffer(VirtualAddress mdl) {
    unlockMdl(mdl, 0);
    pool_->free(mdl, io::wdk::kMdlTag);
}

}  // namespace ntoy
