#include "kernel/base/NtStatus.h"

#include <array>

namespace ntoy {
namespace {

// "STATUS_WAIT_1" to "STATUS_WAIT_63" and "STATUS_ABANDONED_WAIT_1" to "..._63": what a wait
// any returns for the object at that index. Built at compile time, so the names are constants
// like the others.
template <std::size_t N>
struct IndexedNames {
    static constexpr std::size_t kCount = 64;
    static constexpr std::size_t kWidth = N + 2;
    std::array<std::array<char, kWidth>, kCount> text{};

    explicit constexpr IndexedNames(const char (&prefix)[N + 1]) {
        for (std::size_t i = 0; i < kCount; ++i) {
            for (std::size_t c = 0; c < N; ++c)
                text[i][c] = prefix[c];
            if (i < 10) {
                text[i][N] = static_cast<char>('0' + i);
            } else {
                text[i][N] = static_cast<char>('0' + i / 10);
                text[i][N + 1] = static_cast<char>('0' + i % 10);
            }
        }
    }
    constexpr std::string_view operator[](std::size_t i) const {
        return std::string_view(text[i].data(), i < 10 ? N + 1 : N + 2);
    }
};

constexpr IndexedNames<12> kWaitNames("STATUS_WAIT_");
constexpr IndexedNames<22> kAbandonedNames("STATUS_ABANDONED_WAIT_");
static_assert(kWaitNames[63] == "STATUS_WAIT_63" &&
              kAbandonedNames[7] == "STATUS_ABANDONED_WAIT_7");

}  // namespace

std::string_view ntStatusName(NtStatus s) {
    const std::uint32_t value = raw(s);
    // Raised by ntdll's heap, never returned by the kernel, so not one of NtStatus's values.
    if (value == 0xC0000374)
        return "STATUS_HEAP_CORRUPTION";
    if (value > raw(NtStatus::Success) && value < raw(NtStatus::Success) + 64)
        return kWaitNames[value - raw(NtStatus::Success)];
    if (value > raw(NtStatus::AbandonedWait0) && value < raw(NtStatus::AbandonedWait0) + 64)
        return kAbandonedNames[value - raw(NtStatus::AbandonedWait0)];
    switch (s) {
        case NtStatus::Success:
            return "STATUS_SUCCESS";
        case NtStatus::AbandonedWait0:
            return "STATUS_ABANDONED_WAIT_0";
        case NtStatus::UserApc:
            return "STATUS_USER_APC";
        case NtStatus::Alerted:
            return "STATUS_ALERTED";
        case NtStatus::Timeout:
            return "STATUS_TIMEOUT";
        case NtStatus::Pending:
            return "STATUS_PENDING";
        case NtStatus::NoYieldPerformed:
            return "STATUS_NO_YIELD_PERFORMED";
        case NtStatus::GuardPageViolation:
            return "STATUS_GUARD_PAGE_VIOLATION";
        case NtStatus::Breakpoint:
            return "STATUS_BREAKPOINT";
        case NtStatus::SingleStep:
            return "STATUS_SINGLE_STEP";
        case NtStatus::Unsuccessful:
            return "STATUS_UNSUCCESSFUL";
        case NtStatus::NotImplemented:
            return "STATUS_NOT_IMPLEMENTED";
        case NtStatus::InvalidInfoClass:
            return "STATUS_INVALID_INFO_CLASS";
        case NtStatus::InfoLengthMismatch:
            return "STATUS_INFO_LENGTH_MISMATCH";
        case NtStatus::AccessViolation:
            return "STATUS_ACCESS_VIOLATION";
        case NtStatus::InPageError:
            return "STATUS_IN_PAGE_ERROR";
        case NtStatus::InvalidHandle:
            return "STATUS_INVALID_HANDLE";
        case NtStatus::InvalidParameter:
            return "STATUS_INVALID_PARAMETER";
        case NtStatus::NoMemory:
            return "STATUS_NO_MEMORY";
        case NtStatus::ConflictingAddresses:
            return "STATUS_CONFLICTING_ADDRESSES";
        case NtStatus::UnableToFreeVm:
            return "STATUS_UNABLE_TO_FREE_VM";
        case NtStatus::UnableToDeleteSection:
            return "STATUS_UNABLE_TO_DELETE_SECTION";
        case NtStatus::AccessDenied:
            return "STATUS_ACCESS_DENIED";
        case NtStatus::DatatypeMisalignment:
            return "STATUS_DATATYPE_MISALIGNMENT";
        case NtStatus::FloatInvalidOperation:
            return "STATUS_FLOAT_INVALID_OPERATION";
        case NtStatus::FloatMultipleTraps:
            return "STATUS_FLOAT_MULTIPLE_TRAPS";
        case NtStatus::IllegalInstruction:
            return "STATUS_ILLEGAL_INSTRUCTION";
        case NtStatus::AlreadyCommitted:
            return "STATUS_ALREADY_COMMITTED";
        case NtStatus::ObjectTypeMismatch:
            return "STATUS_OBJECT_TYPE_MISMATCH";
        case NtStatus::InvalidParameterMix:
            return "STATUS_INVALID_PARAMETER_MIX";
        case NtStatus::ObjectNameInvalid:
            return "STATUS_OBJECT_NAME_INVALID";
        case NtStatus::MutantNotOwned:
            return "STATUS_MUTANT_NOT_OWNED";
        case NtStatus::SemaphoreLimitExceeded:
            return "STATUS_SEMAPHORE_LIMIT_EXCEEDED";
        case NtStatus::InsufficientResources:
            return "STATUS_INSUFFICIENT_RESOURCES";
        case NtStatus::MutantLimitExceeded:
            return "STATUS_MUTANT_LIMIT_EXCEEDED";
        case NtStatus::HandleNotClosable:
            return "STATUS_HANDLE_NOT_CLOSABLE";
        case NtStatus::NoncontinuableException:
            return "STATUS_NONCONTINUABLE_EXCEPTION";
        case NtStatus::InvalidDisposition:
            return "STATUS_INVALID_DISPOSITION";
        case NtStatus::NotCommitted:
            return "STATUS_NOT_COMMITTED";
        case NtStatus::NotLocked:
            return "STATUS_NOT_LOCKED";
        case NtStatus::WasLocked:
            return "STATUS_WAS_LOCKED";
        case NtStatus::WorkingSetLimitRange:
            return "STATUS_WORKING_SET_LIMIT_RANGE";
        case NtStatus::BadWorkingSetLimit:
            return "STATUS_BAD_WORKING_SET_LIMIT";
        case NtStatus::PrivilegeNotHeld:
            return "STATUS_PRIVILEGE_NOT_HELD";
        case NtStatus::WorkingSetQuota:
            return "STATUS_WORKING_SET_QUOTA";
        case NtStatus::InvalidPageProtection:
            return "STATUS_INVALID_PAGE_PROTECTION";
        case NtStatus::FreeVmNotAtBase:
            return "STATUS_FREE_VM_NOT_AT_BASE";
        case NtStatus::MemoryNotAllocated:
            return "STATUS_MEMORY_NOT_ALLOCATED";
        case NtStatus::ArrayBoundsExceeded:
            return "STATUS_ARRAY_BOUNDS_EXCEEDED";
        case NtStatus::FloatDenormalOperand:
            return "STATUS_FLOAT_DENORMAL_OPERAND";
        case NtStatus::FloatDivideByZero:
            return "STATUS_FLOAT_DIVIDE_BY_ZERO";
        case NtStatus::FloatInexactResult:
            return "STATUS_FLOAT_INEXACT_RESULT";
        case NtStatus::FloatOverflow:
            return "STATUS_FLOAT_OVERFLOW";
        case NtStatus::FloatStackCheck:
            return "STATUS_FLOAT_STACK_CHECK";
        case NtStatus::FloatUnderflow:
            return "STATUS_FLOAT_UNDERFLOW";
        case NtStatus::AssertionFailure:
            return "STATUS_ASSERTION_FAILURE";
        case NtStatus::StackBufferOverrun:
            return "STATUS_STACK_BUFFER_OVERRUN";
        case NtStatus::IntegerDivideByZero:
            return "STATUS_INTEGER_DIVIDE_BY_ZERO";
        case NtStatus::IntegerOverflow:
            return "STATUS_INTEGER_OVERFLOW";
        case NtStatus::PrivilegedInstruction:
            return "STATUS_PRIVILEGED_INSTRUCTION";
        case NtStatus::InvalidParameter1:
            return "STATUS_INVALID_PARAMETER_1";
        case NtStatus::InvalidParameter2:
            return "STATUS_INVALID_PARAMETER_2";
        case NtStatus::InvalidParameter3:
            return "STATUS_INVALID_PARAMETER_3";
        case NtStatus::InvalidParameter4:
            return "STATUS_INVALID_PARAMETER_4";
        case NtStatus::InvalidParameter5:
            return "STATUS_INVALID_PARAMETER_5";
        case NtStatus::InvalidParameter6:
            return "STATUS_INVALID_PARAMETER_6";
        case NtStatus::QuotaExceeded:
            return "STATUS_QUOTA_EXCEEDED";
        case NtStatus::StackOverflow:
            return "STATUS_STACK_OVERFLOW";
        case NtStatus::CommitmentLimit:
            return "STATUS_COMMITMENT_LIMIT";
        case NtStatus::InvalidAddress:
            return "STATUS_INVALID_ADDRESS";
        case NtStatus::InvalidSystemService:
            return "STATUS_INVALID_SYSTEM_SERVICE";
        case NtStatus::SuspendCountExceeded:
            return "STATUS_SUSPEND_COUNT_EXCEEDED";
        case NtStatus::ThreadIsTerminating:
            return "STATUS_THREAD_IS_TERMINATING";
        case NtStatus::PartialCopy:
            return "STATUS_PARTIAL_COPY";
        case NtStatus::BufferOverflow:
            return "STATUS_BUFFER_OVERFLOW";
        case NtStatus::NoMoreFiles:
            return "STATUS_NO_MORE_FILES";
        case NtStatus::NoSuchFile:
            return "STATUS_NO_SUCH_FILE";
        case NtStatus::BadStack:
            return "STATUS_BAD_STACK";
        case NtStatus::InvalidUnwindTarget:
            return "STATUS_INVALID_UNWIND_TARGET";
        case NtStatus::InvalidCid:
            return "STATUS_INVALID_CID";
        case NtStatus::ObjectNameNotFound:
            return "STATUS_OBJECT_NAME_NOT_FOUND";
        case NtStatus::ProcessIsTerminating:
            return "STATUS_PROCESS_IS_TERMINATING";
        case NtStatus::NotMappedView:
            return "STATUS_NOT_MAPPED_VIEW";
        case NtStatus::ProcedureNotFound:
            return "STATUS_PROCEDURE_NOT_FOUND";
        case NtStatus::InvalidImageFormat:
            return "STATUS_INVALID_IMAGE_FORMAT";
        case NtStatus::DllNotFound:
            return "STATUS_DLL_NOT_FOUND";
        case NtStatus::OrdinalNotFound:
            return "STATUS_ORDINAL_NOT_FOUND";
        case NtStatus::EntrypointNotFound:
            return "STATUS_ENTRYPOINT_NOT_FOUND";
        case NtStatus::EndOfFile:
            return "STATUS_END_OF_FILE";
        case NtStatus::InvalidDeviceRequest:
            return "STATUS_INVALID_DEVICE_REQUEST";
        case NtStatus::ObjectNameCollision:
            return "STATUS_OBJECT_NAME_COLLISION";
        case NtStatus::ObjectPathNotFound:
            return "STATUS_OBJECT_PATH_NOT_FOUND";
        case NtStatus::ObjectPathSyntaxBad:
            return "STATUS_OBJECT_PATH_SYNTAX_BAD";
        case NtStatus::SharingViolation:
            return "STATUS_SHARING_VIOLATION";
        case NtStatus::DeletePending:
            return "STATUS_DELETE_PENDING";
        case NtStatus::DiskFull:
            return "STATUS_DISK_FULL";
        case NtStatus::FileIsADirectory:
            return "STATUS_FILE_IS_A_DIRECTORY";
        case NtStatus::DirectoryNotEmpty:
            return "STATUS_DIRECTORY_NOT_EMPTY";
        case NtStatus::NotADirectory:
            return "STATUS_NOT_A_DIRECTORY";
        case NtStatus::PipeBroken:
            return "STATUS_PIPE_BROKEN";
        case NtStatus::EasNotSupported:
            return "STATUS_EAS_NOT_SUPPORTED";
        case NtStatus::CannotDelete:
            return "STATUS_CANNOT_DELETE";
        case NtStatus::NotSupported:
            return "STATUS_NOT_SUPPORTED";
        case NtStatus::Cancelled:
            return "STATUS_CANCELLED";
    }
    return "STATUS_UNKNOWN";
}

}  // namespace ntoy
