#include "emulator/gdb/Signal.h"

#include "kernel/base/NtStatus.h"

namespace ntoy::gdb {

Signal signalForException(std::uint32_t code) {
    switch (static_cast<NtStatus>(code)) {
        case NtStatus::AccessViolation:
        case NtStatus::GuardPageViolation:
        case NtStatus::StackOverflow:
        case NtStatus::ArrayBoundsExceeded:
            return Signal::Segv;
        case NtStatus::DatatypeMisalignment:
            return Signal::Bus;
        case NtStatus::IllegalInstruction:
        case NtStatus::PrivilegedInstruction:
            return Signal::Ill;
        case NtStatus::IntegerDivideByZero:
        case NtStatus::IntegerOverflow:
        case NtStatus::FloatDivideByZero:
        case NtStatus::FloatInvalidOperation:
        case NtStatus::FloatMultipleTraps:
            return Signal::Fpe;
        case NtStatus::Breakpoint:
        case NtStatus::SingleStep:
            return Signal::Trap;
        default:
            return Signal::Abrt;
    }
}

}  // namespace ntoy::gdb
