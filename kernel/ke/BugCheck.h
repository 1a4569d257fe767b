// Bug checks: how the kernel stops the machine when an invariant breaks, as Windows'
// KeBugCheckEx does, with a code and four parameters.
//
// A bug check never returns to its caller. In the hosted kernel it unwinds (a C++ throw of
// ke::BugCheckStop) to the kernel's trap entry, which records it, stops the processor and
// never resumes the guest again; the exception never crosses into the emulator. Use
// NTOY_ASSERT for invariants, ke::bugCheck for conditions found by other means.
#pragma once

#include <array>
#include <cstdint>
#include <source_location>
#include <string>
#include <string_view>

namespace ntoy::ke {

// Windows' codes, with their names from bugcodes.h.
enum class BugCheckCode : std::uint32_t {
    IrqlNotLessOrEqual = 0x0A,
    SpinLockAlreadyOwned = 0x0F,
    SpinLockNotOwned = 0x10,
    DpcWatchdogViolation = 0x133,
    KmodeExceptionNotHandled = 0x1E,
    MultipleIrpCompleteRequests = 0x44,
    IrqlGtZeroAtSystemService = 0x4A,
    BadPoolHeader = 0x19,
    MemoryManagement = 0x1A,
    NoPagesAvailable = 0x4D,
    PfnListCorrupt = 0x4E,
    PageFaultInNonpagedArea = 0x50,
    KernelStackInpageError = 0x77,
    KernelDataInpageError = 0x7A,
    UnexpectedKernelModeTrap = 0x7F,
    AttemptedWriteToReadonlyMemory = 0xBE,
    SpecialPoolDetectedMemoryCorruption = 0xC1,
    BadPoolCaller = 0xC2,
    DriverVerifierDetectedViolation = 0xC4,
    DriverLeftLockedPagesInProcess = 0xCB,
    DriverUnloadedWithoutCancellingPendingOperations = 0xCE,
    IrqlUnexpectedValue = 0xC8,
    DriverIrqlNotLessOrEqual = 0xD1,
    DriverPageFaultInFreedSpecialPool = 0xD5,
    DriverPageFaultBeyondEndOfAllocation = 0xD6,
    AttemptedExecuteOfNoexecuteMemory = 0xFC,
};

// "MEMORY_MANAGEMENT"; "BUGCHECK_0x1234" for a code without a name here.
std::string bugCheckName(std::uint32_t code);

struct BugCheck {
    std::uint32_t code = 0;
    std::array<std::uint64_t, 4> parameters{};
    std::string detail;  // what the kernel knew, in words, for the bug-check screen
    std::string where;   // file:line of the check
};

// What a bug check throws; caught only by the kernel's trap entries.
struct BugCheckStop {
    BugCheck check;
};

[[noreturn]] void bugCheck(BugCheckCode code, std::uint64_t p1, std::uint64_t p2, std::uint64_t p3,
                           std::uint64_t p4, std::string detail = {},
                           std::source_location where = std::source_location::current());

// "*** STOP: 0x0000001A (0x0000000000041790, ...) MEMORY_MANAGEMENT" and the detail.
std::string describe(const BugCheck& check);

}  // namespace ntoy::ke

// Checks a kernel invariant; a broken one is a bug check with `code` and four parameters.
#define NTOY_ASSERT(condition, code, p1, p2, p3, p4)                                               \
    do {                                                                                           \
        if (!(condition)) [[unlikely]]                                                             \
            ::ntoy::ke::bugCheck((code), (p1), (p2), (p3), (p4), "assertion failed: " #condition); \
    } while (0)
