// NtQuerySystemInformation: SystemBasicInformation, from which GetSystemInfo is built.
#include "kernel/ke/SystemCall.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::ke {
namespace {

constexpr std::uint64_t kSystemBasicInformation = 0;

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
