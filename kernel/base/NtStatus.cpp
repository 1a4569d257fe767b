#include "kernel/base/NtStatus.h"

namespace ntoy {

std::string_view ntStatusName(NtStatus s) {
    switch (s) {
        case NtStatus::Success:
            return "STATUS_SUCCESS";
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
        case NtStatus::NoncontinuableException:
            return "STATUS_NONCONTINUABLE_EXCEPTION";
        case NtStatus::InvalidDisposition:
            return "STATUS_INVALID_DISPOSITION";
        case NtStatus::NotCommitted:
            return "STATUS_NOT_COMMITTED";
        case NtStatus::InvalidPageProtection:
            return "STATUS_INVALID_PAGE_PROTECTION";
        case NtStatus::FreeVmNotAtBase:
            return "STATUS_FREE_VM_NOT_AT_BASE";
        case NtStatus::MemoryNotAllocated:
            return "STATUS_MEMORY_NOT_ALLOCATED";
        case NtStatus::ArrayBoundsExceeded:
            return "STATUS_ARRAY_BOUNDS_EXCEEDED";
        case NtStatus::FloatDivideByZero:
            return "STATUS_FLOAT_DIVIDE_BY_ZERO";
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
        case NtStatus::StackOverflow:
            return "STATUS_STACK_OVERFLOW";
        case NtStatus::CommitmentLimit:
            return "STATUS_COMMITMENT_LIMIT";
        case NtStatus::InvalidSystemService:
            return "STATUS_INVALID_SYSTEM_SERVICE";
    }
    return "STATUS_UNKNOWN";
}

}  // namespace ntoy
