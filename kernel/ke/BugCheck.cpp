#include "kernel/ke/BugCheck.h"

#include <fmt/format.h>

#include <filesystem>

namespace ntoy::ke {

std::string bugCheckName(std::uint32_t code) {
    switch (static_cast<BugCheckCode>(code)) {
        case BugCheckCode::IrqlNotLessOrEqual:
            return "IRQL_NOT_LESS_OR_EQUAL";
        case BugCheckCode::DriverLeftLockedPagesInProcess:
            return "DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS";
        case BugCheckCode::SpinLockAlreadyOwned:
            return "SPIN_LOCK_ALREADY_OWNED";
        case BugCheckCode::SpinLockNotOwned:
            return "SPIN_LOCK_NOT_OWNED";
        case BugCheckCode::DpcWatchdogViolation:
            return "DPC_WATCHDOG_VIOLATION";
        case BugCheckCode::MultipleIrpCompleteRequests:
            return "MULTIPLE_IRP_COMPLETE_REQUESTS";
        case BugCheckCode::IrqlGtZeroAtSystemService:
            return "IRQL_GT_ZERO_AT_SYSTEM_SERVICE";
        case BugCheckCode::IrqlUnexpectedValue:
            return "IRQL_UNEXPECTED_VALUE";
        case BugCheckCode::DriverPageFaultInFreedSpecialPool:
            return "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL";
        case BugCheckCode::DriverPageFaultBeyondEndOfAllocation:
            return "DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION";
        case BugCheckCode::KmodeExceptionNotHandled:
            return "KMODE_EXCEPTION_NOT_HANDLED";
        case BugCheckCode::BadPoolHeader:
            return "BAD_POOL_HEADER";
        case BugCheckCode::MemoryManagement:
            return "MEMORY_MANAGEMENT";
        case BugCheckCode::NoPagesAvailable:
            return "NO_PAGES_AVAILABLE";
        case BugCheckCode::PfnListCorrupt:
            return "PFN_LIST_CORRUPT";
        case BugCheckCode::PageFaultInNonpagedArea:
            return "PAGE_FAULT_IN_NONPAGED_AREA";
        case BugCheckCode::KernelStackInpageError:
            return "KERNEL_STACK_INPAGE_ERROR";
        case BugCheckCode::KernelDataInpageError:
            return "KERNEL_DATA_INPAGE_ERROR";
        case BugCheckCode::UnexpectedKernelModeTrap:
            return "UNEXPECTED_KERNEL_MODE_TRAP";
        case BugCheckCode::AttemptedWriteToReadonlyMemory:
            return "ATTEMPTED_WRITE_TO_READONLY_MEMORY";
        case BugCheckCode::SpecialPoolDetectedMemoryCorruption:
            return "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION";
        case BugCheckCode::BadPoolCaller:
            return "BAD_POOL_CALLER";
        case BugCheckCode::DriverVerifierDetectedViolation:
            return "DRIVER_VERIFIER_DETECTED_VIOLATION";
        case BugCheckCode::DriverUnloadedWithoutCancellingPendingOperations:
            return "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS";
        case BugCheckCode::DriverIrqlNotLessOrEqual:
            return "DRIVER_IRQL_NOT_LESS_OR_EQUAL";
        case BugCheckCode::AttemptedExecuteOfNoexecuteMemory:
            return "ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY";
    }
    return fmt::format("BUGCHECK_{:#x}", code);
}

void bugCheck(BugCheckCode code, std::uint64_t p1, std::uint64_t p2, std::uint64_t p3,
              std::uint64_t p4, std::string detail, std::source_location where) {
    throw BugCheckStop{
        BugCheck{static_cast<std::uint32_t>(code),
                 {p1, p2, p3, p4},
                 std::move(detail),
                 fmt::format("{}:{}", std::filesystem::path(where.file_name()).filename().string(),
                             where.line())}};
}

std::string describe(const BugCheck& c) {
    std::string text = fmt::format(
        "*** STOP: {:#010x} ({:#018x}, {:#018x}, {:#018x}, {:#018x})\n{}", c.code, c.parameters[0],
        c.parameters[1], c.parameters[2], c.parameters[3], bugCheckName(c.code));
    if (!c.detail.empty())
        text += fmt::format("\n{}", c.detail);
    if (!c.where.empty())
        text += fmt::format(" (at {})", c.where);
    return text;
}

}  // namespace ntoy::ke
