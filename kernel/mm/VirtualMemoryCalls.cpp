// NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory and
// NtQueryVirtualMemory, with the rounding, checks (in order) and status codes of
// shared/spec/nt-virtual-memory.md. Pointer arguments are captured first, outputs probed
// before anything changes and written once, after the work succeeds.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>

#include "kernel/ke/SystemCall.h"
#include "kernel/mm/RegionQuery.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {
namespace {

using mm::MmProtection;
namespace page = mm::page;

inline constexpr std::uint32_t kMemCommit = mm::mem::kCommit, kMemReserve = mm::mem::kReserve,
                               kMemDecommit = 0x4000, kMemRelease = 0x8000, kMemReset = 0x80000,
                               kMemTopDown = 0x100000;
inline constexpr std::uint64_t kFirstNonUser = mm::kHighestUserAddress + 1;

// A page protection for private memory: one base value with at most one modifier, and no
// copy-on-write.
std::optional<MmProtection> privateProtection(std::uint32_t protect) {
    auto prot = MmProtection::fromWin32(protect);
    if (!prot || prot->copyOnWrite())
        return std::nullopt;
    return prot;
}

// The highest address a NULL-based reservation may reach under ZeroBits: 1-21 count high
// zero bits of a 32-bit address; 32 and up are a mask of the allowed bits.
std::optional<std::uint64_t> zeroBitsLimit(std::uint64_t zeroBits) {
    if (zeroBits == 0)
        return mm::kHighestUserAddress;
    if (zeroBits <= 21)
        return (1ull << (32 - zeroBits)) - 1;
    if (zeroBits < 32)
        return std::nullopt;
    std::uint64_t mask = zeroBits;
    for (unsigned shift = 1; shift < 64; shift <<= 1)
        mask |= mask >> shift;
    return std::min(mask, mm::kHighestUserAddress);
}

struct CapturedRange {
    std::uint64_t base = 0, size = 0;
};

// Reads *Base and *Size: the values every later check needs.
std::expected<CapturedRange, NtStatus> captureRange(SystemCall& call, std::size_t baseArg,
                                                    std::size_t sizeArg) {
    auto base = call.user.read<std::uint64_t>(call.pointer(baseArg));
    if (!base)
        return std::unexpected(base.error());
    auto size = call.user.read<std::uint64_t>(call.pointer(sizeArg));
    if (!size)
        return std::unexpected(size.error());
    return CapturedRange{*base, *size};
}

// Checks that *Base and *Size can take the results, after the argument checks and before
// anything changes.
NtStatus probeRange(SystemCall& call, std::size_t baseArg, std::size_t sizeArg) {
    if (auto s = call.user.probeForWrite(call.pointer(baseArg), 8); s != NtStatus::Success)
        return s;
    return call.user.probeForWrite(call.pointer(sizeArg), 8);
}

// *Base and *Size of a call: captured, checked in the spec's order (a zero size where the call
// refuses one, Base above the highest user address, a range running past it), and probed for
// the results before anything changes. The calls differ only in the size rules.
struct SizeRules {
    bool rejectZero;   // NtAllocateVirtualMemory: *Size 0 is an error
    NtStatus badSize;  // the status for a zero size or a range past user space
};

std::expected<CapturedRange, NtStatus> takeRange(SystemCall& call, std::size_t baseArg,
                                                 std::size_t sizeArg, SizeRules rules) {
    auto range = captureRange(call, baseArg, sizeArg);
    if (!range)
        return range;
    if (rules.rejectZero && range->size == 0)
        return std::unexpected(rules.badSize);
    if (range->base > mm::kHighestUserAddress)
        return std::unexpected(NtStatus::InvalidParameter2);
    if (kFirstNonUser - range->base < range->size)
        return std::unexpected(rules.badSize);
    if (auto s = probeRange(call, baseArg, sizeArg); s != NtStatus::Success)
        return std::unexpected(s);
    return range;
}

void writeRange(SystemCall& call, std::size_t baseArg, std::size_t sizeArg, std::uint64_t base,
                std::uint64_t size) {
    // Probed writable before the work; nothing since can have made them unwritable.
    (void)call.user.write(call.pointer(baseArg), base);
    (void)call.user.write(call.pointer(sizeArg), size);
}

// What committing, protecting or freeing the system's page in a process (KUSER_SHARED_DATA)
// gives: Windows secures that allocation, and MiCheckSecuredVad refuses any change to a
// secured range with STATUS_INVALID_PAGE_PROTECTION.
constexpr NtStatus kSecuredPage = NtStatus::InvalidPageProtection;

// The process a call works on: the caller's own (-1), or one its handle names with `desired`
// access (VirtualAllocEx and friends). An ended process has no address space left.
// (A reference to another process is held while the call runs.)
struct Target {
    ps::Process* process;
    std::shared_ptr<ps::Process> reference;
    ps::Process* operator->() const { return process; }
    ps::Process& operator*() const { return *process; }
};
std::expected<Target, NtStatus> targetProcess(SystemCall& call, std::uint64_t handle,
                                              ob::AccessMask desired) {
    if (call.process.isCurrentProcessHandle(handle))
        return Target{&call.process, nullptr};
    auto process = ob::referenceForCaller<ps::Process>(call, handle, desired);
    if (!process)
        return std::unexpected(process.error());
    if (!(*process)->hasAddressSpace())
        return std::unexpected(NtStatus::ProcessIsTerminating);
    return Target{process->get(), *process};
}

}  // namespace

NtStatus NtAllocateVirtualMemory(SystemCall& call) {
    const std::uint64_t zeroBits = call.arg(2);
    const auto type = static_cast<std::uint32_t>(call.arg(4));
    const auto protect = static_cast<std::uint32_t>(call.arg(5));

    const auto limit = zeroBitsLimit(zeroBits);
    if (!limit)
        return NtStatus::InvalidParameter3;
    if (type & ~(kMemCommit | kMemReserve | kMemReset | kMemTopDown))
        return NtStatus::InvalidParameter5;
    if ((type & (kMemCommit | kMemReserve | kMemReset)) == 0)
        return NtStatus::InvalidParameter5;
    if ((type & kMemReset) && type != kMemReset)
        return NtStatus::InvalidParameter5;
    const auto prot = privateProtection(protect);
    if (!prot)
        return NtStatus::InvalidPageProtection;

    auto range = takeRange(call, 1, 3, {true, NtStatus::InvalidParameter4});
    if (!range)
        return range.error();
    const auto [base, size] = *range;
    const auto target = targetProcess(call, call.arg(0), ob::access::kProcessVmOperation);
    if (!target)
        return target.error();
    mm::AddressSpace& space = (*target)->space();
    const bool reserving = (type & kMemReserve) || ((type & kMemCommit) && base == 0);

    if (type == kMemReset || !reserving) {
        // Within one existing allocation: commit (or reset) pages.
        const VirtualAddress start(alignDown(base, kPageSize));
        const VirtualAddress end(alignUp(base + size, kPageSize));
        const mm::Vad* vad = space.findVad(start);
        if (!vad || end > vad->end())
            return NtStatus::ConflictingAddresses;
        if (vad->systemPage)
            return kSecuredPage;
        if (type != kMemReset) {
            if (auto s = space.commit(start, end, *prot); s != NtStatus::Success)
                return s;
        } else {
            space.reset(start, end);  // the contents may be discarded
        }
        writeRange(call, 1, 3, start.value(), end - start);
        return NtStatus::Success;
    }

    if (!space.vadQuotaLeft())
        return NtStatus::QuotaExceeded;
    VirtualAddress start;
    VirtualAddress end;
    if (base != 0) {
        start = VirtualAddress(alignDown(base, kAllocationGranularity));
        end = VirtualAddress(alignUp(base + size, kPageSize));
        if (start.value() < mm::kLowestUserAddress || space.vads().overlaps(start, end))
            return NtStatus::ConflictingAddresses;
    } else {
        const std::uint64_t bytes = alignUp(size, kPageSize);
        auto found = space.vads().findFree(bytes, VirtualAddress(mm::kLowestUserAddress),
                                           VirtualAddress(*limit + 1), (type & kMemTopDown) != 0);
        if (!found)
            return NtStatus::NoMemory;
        start = *found;
        end = start + bytes;
    }
    mm::Vad& vad = space.reserve(start, (end - start) / kPageSize, protect, mm::VadType::Private);
    if (type & kMemCommit) {
        if (auto s = space.commit(start, end, *prot); s != NtStatus::Success) {
            space.release(vad, start, end);
            return s;
        }
    }
    writeRange(call, 1, 3, start.value(), end - start);
    return NtStatus::Success;
}

NtStatus NtFreeVirtualMemory(SystemCall& call) {
    const auto freeType = static_cast<std::uint32_t>(call.arg(3));
    if (freeType != kMemDecommit && freeType != kMemRelease)
        return NtStatus::InvalidParameter4;
    auto range = takeRange(call, 1, 2, {false, NtStatus::InvalidParameter3});
    if (!range)
        return range.error();
    const auto [base, size] = *range;
    const auto target = targetProcess(call, call.arg(0), ob::access::kProcessVmOperation);
    if (!target)
        return target.error();
    mm::AddressSpace& space = (*target)->space();
    const mm::Vad* found = space.findVad(VirtualAddress(base));
    if (!found)
        return NtStatus::MemoryNotAllocated;
    const mm::Vad vad = *found;
    if (vad.type != mm::VadType::Private)
        return NtStatus::UnableToDeleteSection;
    if (vad.systemPage)
        return kSecuredPage;

    if (size == 0) {
        if (VirtualAddress(base).pageBase() != vad.start())
            return NtStatus::FreeVmNotAtBase;
        if (freeType == kMemRelease) {
            space.release(vad, vad.start(), vad.end());
            writeRange(call, 1, 2, vad.start().value(), vad.end() - vad.start());
        } else {
            space.decommit(vad.start(), vad.end());
            writeRange(call, 1, 2, vad.start().value(), 0);
        }
        return NtStatus::Success;
    }
    const VirtualAddress start(alignDown(base, kPageSize));
    const VirtualAddress end(alignUp(base + size, kPageSize));
    if (end > vad.end())
        return NtStatus::UnableToFreeVm;
    // Releasing the middle of an allocation leaves two.
    if (freeType == kMemRelease && vad.start() < start && end < vad.end() && !space.vadQuotaLeft())
        return NtStatus::QuotaExceeded;
    if (freeType == kMemRelease)
        space.release(vad, start, end);
    else
        space.decommit(start, end);
    writeRange(call, 1, 2, start.value(), end - start);
    return NtStatus::Success;
}

NtStatus NtProtectVirtualMemory(SystemCall& call) {
    const auto newProtect = static_cast<std::uint32_t>(call.arg(3));
    const auto anyProt = MmProtection::fromWin32(newProtect);
    if (!anyProt)
        return NtStatus::InvalidPageProtection;
    auto range = takeRange(call, 1, 2, {false, NtStatus::InvalidParameter3});
    if (!range)
        return range.error();
    const auto [base, size] = *range;
    if (auto s = call.user.probeForWrite(call.pointer(4), 4); s != NtStatus::Success)
        return s;
    const auto target = targetProcess(call, call.arg(0), ob::access::kProcessVmOperation);
    if (!target)
        return target.error();
    mm::AddressSpace& space = (*target)->space();
    const VirtualAddress start(alignDown(base, kPageSize));
    const VirtualAddress end(alignUp(base + std::max<std::uint64_t>(size, 1), kPageSize));
    // A range that cannot be protected still gets PAGE_NOACCESS as OldProtect, as on Windows 8
    // and later: the one output a failed call writes (probed above).
    const auto unprotectable = [&](NtStatus status) {
        (void)call.user.write(call.pointer(4), std::uint32_t{page::kNoAccess});
        return status;
    };
    const mm::Vad* vad = space.findVad(start);
    if (!vad || end > vad->end())
        return unprotectable(NtStatus::ConflictingAddresses);
    if (vad->systemPage)
        return unprotectable(kSecuredPage);
    if (vad->type == mm::VadType::Private && anyProt->copyOnWrite())
        return NtStatus::InvalidPageProtection;
    for (VirtualAddress va = start; va < end; va = va + kPageSize)
        if (!space.tables().pteAt(va).isCommitted())
            return unprotectable(NtStatus::NotCommitted);

    const std::uint32_t old = space.tables().pteAt(start).protection().toWin32();
    space.protect(start, end, *anyProt);
    (void)call.user.write(call.pointer(4), old);
    writeRange(call, 1, 2, start.value(), end - start);
    return NtStatus::Success;
}

namespace {

// NtLockVirtualMemory and NtUnlockVirtualMemory share their checks, in Windows' order
// (lockvm.c): MapType, then the range (probed and read), then the process. MAP_SYSTEM needs
// SeLockMemoryPrivilege, which no ntoy process holds.
constexpr std::uint32_t kMapProcess = 1, kMapSystem = 2;

NtStatus lockOrUnlock(SystemCall& call, bool locking) {
    const auto mapType = static_cast<std::uint32_t>(call.arg(3));
    if ((mapType & ~(kMapProcess | kMapSystem)) != 0 || (mapType & (kMapProcess | kMapSystem)) == 0)
        return NtStatus::InvalidParameter;
    if (auto s = probeRange(call, 1, 2); s != NtStatus::Success)
        return s;
    auto range = captureRange(call, 1, 2);
    if (!range)
        return range.error();
    const auto [base, size] = *range;
    if (base > mm::kHighestUserAddress || mm::kHighestUserAddress - base < size || size == 0)
        return NtStatus::InvalidParameter;
    const auto target = targetProcess(call, call.arg(0), ob::access::kProcessVmOperation);
    if (!target)
        return target.error();
    if ((mapType & kMapSystem) != 0)
        return NtStatus::PrivilegeNotHeld;
    mm::AddressSpace& space = (*target)->space();
    const VirtualAddress start(alignDown(base, kPageSize));
    const VirtualAddress end(alignUp(base + size, kPageSize));
    const NtStatus status = locking ? space.lockPages(start, end) : space.unlockPages(start, end);
    if (ntSuccess(status))
        writeRange(call, 1, 2, start.value(), end - start);
    return status;
}

}  // namespace

NtStatus NtLockVirtualMemory(SystemCall& call) {
    return lockOrUnlock(call, true);
}

NtStatus NtUnlockVirtualMemory(SystemCall& call) {
    return lockOrUnlock(call, false);
}

namespace {

// NtQueryVirtualMemory's information classes.
enum class MemoryInformationClass : std::uint64_t {
    Basic = 0,
    Region = 3,
    WorkingSetEx = 4,
    Image = 6,
};

// MEMORY_IMAGE_INFORMATION, x64. ImageFlags stays 0: every image is mapped whole, executable,
// and its signing level is unchecked (0), which Windows also reports for an unchecked image.
struct MemoryImageInformation {
    std::uint64_t imageBase;
    std::uint64_t sizeOfImage;
    std::uint32_t imageFlags;
    std::uint32_t reserved;
};
static_assert(sizeof(MemoryImageInformation) == 24);

// MEMORY_WORKING_SET_EX_INFORMATION, x64: the address in, the attributes out.
struct WorkingSetExEntry {
    std::uint64_t virtualAddress;
    std::uint64_t attributes;
};

// The shortest buffer each class accepts: MemoryRegionInformation's may stop before its
// CommitSize on x64; MemoryWorkingSetExInformation's must hold one entry.
std::optional<std::uint64_t> minimumLength(MemoryInformationClass infoClass) {
    switch (infoClass) {
        case MemoryInformationClass::Basic:
            return sizeof(mm::MemoryBasicInformation);
        case MemoryInformationClass::Region:
            return offsetof(mm::MemoryRegionInformation, commitSize);
        case MemoryInformationClass::WorkingSetEx:
            return sizeof(WorkingSetExEntry);
        case MemoryInformationClass::Image:
            return sizeof(MemoryImageInformation);
    }
    return std::nullopt;
}

// The bytes of the buffer a successful call writes.
std::uint64_t bytesWritten(MemoryInformationClass infoClass, std::uint64_t length) {
    switch (infoClass) {
        case MemoryInformationClass::Basic:
            return sizeof(mm::MemoryBasicInformation);
        case MemoryInformationClass::Region:
            return std::min<std::uint64_t>(length, sizeof(mm::MemoryRegionInformation));
        case MemoryInformationClass::WorkingSetEx:
            return alignDown(length, sizeof(WorkingSetExEntry));
        case MemoryInformationClass::Image:
            return sizeof(MemoryImageInformation);
    }
    return 0;
}

// The image mapped at the allocation holding `address`: zero for other memory, empty for
// free memory.
std::optional<MemoryImageInformation> queryImage(const ps::Process& process,
                                                 VirtualAddress address) {
    const mm::Vad* vad = process.space().vads().find(address);
    if (!vad)
        return std::nullopt;
    MemoryImageInformation info{};
    if (vad->type != mm::VadType::Image)
        return info;
    info.imageBase = vad->start().value();
    info.sizeOfImage = vad->end() - vad->start();
    for (const ps::LoadedImage& image : process.images())
        if (image.base == vad->start())
            info.sizeOfImage = image.size;  // SizeOfImage as in its header, not page-rounded
    return info;
}

}  // namespace

NtStatus NtQueryVirtualMemory(SystemCall& call) {
    const std::uint64_t address = call.arg(1);
    const auto infoClass = static_cast<MemoryInformationClass>(call.arg(2));
    const VirtualAddress buffer = call.pointer(3);
    const std::uint64_t length = call.arg(4);
    const VirtualAddress returnLength = call.pointer(5);
    const auto minimum = minimumLength(infoClass);
    if (!minimum)
        return NtStatus::InvalidInfoClass;
    if (length < *minimum)
        return NtStatus::InfoLengthMismatch;
    // MemoryWorkingSetExInformation takes its addresses from the buffer.
    if (infoClass != MemoryInformationClass::WorkingSetEx && address > mm::kHighestUserAddress)
        return NtStatus::InvalidParameter;
    const auto target = targetProcess(call, call.arg(0), ob::access::kProcessQueryInformation);
    if (!target)
        return target.error();
    const std::uint64_t written = bytesWritten(infoClass, length);
    if (auto s = call.user.probeForWrite(buffer, written); s != NtStatus::Success)
        return s;
    if (returnLength.value() != 0) {
        if (auto s = call.user.probeForWrite(returnLength, 8); s != NtStatus::Success)
            return s;
    }
    // Probed writable before the work; nothing since can have made them unwritable.
    const auto output = [&](const auto& info) {
        (void)call.user.write(buffer, std::as_bytes(std::span(&info, 1)).first(written));
    };
    const VirtualAddress va(address);
    std::uint64_t reported = written;
    switch (infoClass) {
        case MemoryInformationClass::Basic:
            output(mm::queryRegion((*target)->space(), va));
            break;
        case MemoryInformationClass::Region: {
            const auto info = mm::queryAllocation((*target)->space(), va);
            if (!info)
                return NtStatus::InvalidAddress;
            output(*info);
            break;
        }
        case MemoryInformationClass::Image: {
            const auto info = queryImage(**target, va);
            if (!info)
                return NtStatus::InvalidAddress;
            output(*info);
            break;
        }
        case MemoryInformationClass::WorkingSetEx:
            // Entry by entry: the whole array was probed, so no entry can fail. Windows x64
            // reports the length passed, a partial entry included.
            for (std::uint64_t off = 0; off < written; off += sizeof(WorkingSetExEntry)) {
                const VirtualAddress entry = buffer + off;
                const auto page = call.user.read<std::uint64_t>(entry);
                if (!page)
                    return page.error();
                (void)call.user.write(
                    entry + offsetof(WorkingSetExEntry, attributes),
                    mm::workingSetExAttributes((*target)->space(), VirtualAddress(*page)));
            }
            reported = length;
            break;
    }
    if (returnLength.value() != 0)
        (void)call.user.write(returnLength, reported);
    return NtStatus::Success;
}

}  // namespace ntoy::ke
