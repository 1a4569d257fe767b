// NtQuerySystemInformation: SystemBasicInformation, from which GetSystemInfo is built, and
// SystemPoolTagInformation, from which poolmon is.
#include <vector>

#include "kernel/ex/Pool.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::ke {
namespace {

constexpr std::uint64_t kSystemBasicInformation = 0;
constexpr std::uint64_t kSystemPoolTagInformation = 22;

// SYSTEM_POOLTAG, x64 layout; SYSTEM_POOLTAG_INFORMATION is a ULONG Count and, at 8, these.
struct SystemPoolTag {
    std::uint32_t tag;
    std::uint32_t pagedAllocs;
    std::uint32_t pagedFrees;
    std::uint32_t padding;
    std::uint64_t pagedUsed;
    std::uint32_t nonPagedAllocs;
    std::uint32_t nonPagedFrees;
    std::uint64_t nonPagedUsed;
};
static_assert(sizeof(SystemPoolTag) == 0x28);
constexpr std::uint32_t kPoolTagHeader = 8;

// Every tag of the tracker table. A buffer too small gets STATUS_INFO_LENGTH_MISMATCH and the
// length needed in *ReturnLength, as on Windows, so that callers can grow it and ask again.
NtStatus queryPoolTags(SystemCall& call, VirtualAddress buffer, std::uint32_t length,
                       VirtualAddress returnLength) {
    if (!call.pool)
        return NtStatus::InvalidInfoClass;
    std::vector<SystemPoolTag> tags;
    for (const ex::PoolTagUsage& u : call.pool->tagUsage())
        tags.push_back({u.tag, u.pagedAllocs, u.pagedFrees, 0, u.pagedBytes, u.nonPagedAllocs,
                        u.nonPagedFrees, u.nonPagedBytes});
    const auto needed =
        static_cast<std::uint32_t>(kPoolTagHeader + tags.size() * sizeof(SystemPoolTag));
    if (returnLength.value() != 0)
        if (auto s = call.user.write(returnLength, needed); s != NtStatus::Success)
            return s;
    if (length < needed)
        return NtStatus::InfoLengthMismatch;
    if (auto s = call.user.probeForWrite(buffer, needed); s != NtStatus::Success)
        return s;
    (void)call.user.write(buffer, static_cast<std::uint64_t>(tags.size()));
    (void)call.user.write(buffer + kPoolTagHeader, std::as_bytes(std::span(tags)));
    return NtStatus::Success;
}

// SYSTEM_BASIC_INFORMATION, x64 layout.
struct SystemBasicInformation {
    std::uint32_t reserved;
    std::uint32_t timerResolution;
    std::uint32_t pageSize;
    std::uint32_t numberOfPhysicalPages;
    std::uint32_t lowestPhysicalPageNumber;
    std::uint32_t highestPhysicalPageNumber;
    std::uint32_t allocationGranularity;
    std::uint32_t padding;
    std::uint64_t minimumUserModeAddress;
    std::uint64_t maximumUserModeAddress;
    std::uint64_t activeProcessorsAffinityMask;
    std::uint8_t numberOfProcessors;
    std::uint8_t padding2[7];
};
static_assert(sizeof(SystemBasicInformation) == 0x40);

}  // namespace

NtStatus NtQuerySystemInformation(SystemCall& call) {
    const std::uint64_t infoClass = call.arg(0);
    const VirtualAddress buffer = call.pointer(1);
    const auto length = static_cast<std::uint32_t>(call.arg(2));
    const VirtualAddress returnLength = call.pointer(3);
    if (infoClass == kSystemPoolTagInformation)
        return queryPoolTags(call, buffer, length, returnLength);
    if (infoClass != kSystemBasicInformation)
        return NtStatus::InvalidInfoClass;
    if (length != sizeof(SystemBasicInformation))
        return NtStatus::InfoLengthMismatch;

    const auto& pfns = call.process.space().memoryManager().pfns();
    SystemBasicInformation info{};
    info.timerResolution = 156250;  // 15.625 ms in 100 ns units, as on Windows
    info.pageSize = kPageSize;
    info.numberOfPhysicalPages = static_cast<std::uint32_t>(pfns.total());
    info.lowestPhysicalPageNumber = static_cast<std::uint32_t>(pfns.memory().firstPfn().value());
    info.highestPhysicalPageNumber = static_cast<std::uint32_t>(pfns.memory().endPfn().value() - 1);
    info.allocationGranularity = kAllocationGranularity;
    info.minimumUserModeAddress = mm::kLowestUserAddress;
    info.maximumUserModeAddress = mm::kHighestUserAddress;
    info.activeProcessorsAffinityMask = 1;
    info.numberOfProcessors = 1;
    // Both outputs are checked before either is written.
    if (auto s = call.user.probeForWrite(buffer, sizeof info); s != NtStatus::Success)
        return s;
    if (returnLength.value() != 0) {
        if (auto s = call.user.probeForWrite(returnLength, 4); s != NtStatus::Success)
            return s;
    }
    (void)call.user.write(buffer, info);
    if (returnLength.value() != 0)
        (void)call.user.write(returnLength, static_cast<std::uint32_t>(sizeof info));
    return NtStatus::Success;
}

}  // namespace ntoy::ke
