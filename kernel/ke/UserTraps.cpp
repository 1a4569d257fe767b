#include "kernel/ke/UserTraps.h"

#include <array>
#include <optional>

#include "kernel/ke/PrivilegedInstruction.h"

namespace ntoy::ke {
namespace {

using hal::Reg;
using hal::Vector;

// The DPL3 gates of 64-bit Windows.
constexpr std::uint8_t kBreakpointGate = 0x03, kFastFailGate = 0x29, kAssertionGate = 0x2C,
                       kDebugServiceGate = 0x2D, kSystemCallGate = 0x2E;
constexpr std::uint64_t kIntInstructionLength = 2;  // CD ib

Reg gpr(unsigned index) {
    return static_cast<Reg>(index);  // hal::Reg lists RAX..R15 in encoding order
}

UserTrap raise(NtStatus code, std::uint64_t address, std::vector<std::uint64_t> parameters = {}) {
    return UserTrap{UserTrap::Action::Raise, code, std::move(parameters), address};
}

// #GP: an access violation with an unknown address, or STATUS_PRIVILEGED_INSTRUCTION.
UserTrap generalProtection(std::uint64_t rip, const CodeReader& code) {
    std::array<std::uint8_t, 15> bytes{};
    const std::size_t n = code(rip, bytes);
    if (isPrivilegedInstruction(std::span(bytes.data(), n)))
        return raise(NtStatus::PrivilegedInstruction, rip);
    return raise(NtStatus::AccessViolation, rip, {0, ~0ull});
}

UserTrap softwareInterrupt(std::uint8_t vector, hal::Cpu& cpu) {
    const std::uint64_t next = cpu.reg(Reg::Rip);  // INT n is a trap: RIP is past it
    const std::uint64_t at = next - kIntInstructionLength;
    switch (vector) {
        case kBreakpointGate:
            // Windows reports a breakpoint one byte back, at the int3 (CC) it expects.
            return raise(NtStatus::Breakpoint, next - 1, {0});
        case kFastFailGate:
            return UserTrap{
                UserTrap::Action::FailFast, NtStatus::StackBufferOverrun, {cpu.reg(Reg::Rcx)}, at};
        case kAssertionGate:
            return raise(NtStatus::AssertionFailure, at);
        case kDebugServiceGate:
            // The debug service skips the byte after it (an int3 by convention) and, with no
            // debugger to serve it, raises a breakpoint with the service's registers.
            return raise(NtStatus::Breakpoint, next,
                         {cpu.reg(Reg::Rax), cpu.reg(Reg::Rcx), cpu.reg(Reg::Rdx)});
        case kSystemCallGate:
            return UserTrap{UserTrap::Action::SystemCall, NtStatus::Success, {}, next};
        default:
            // A DPL0 gate: the CPU raises #GP at the INT instruction.
            return raise(NtStatus::AccessViolation, at, {0, ~0ull});
    }
}

}  // namespace

namespace {
// Overflow, underflow and inexact, in Windows' order: the flags x87 and SSE share, at the
// same bits (3, 4, 5), and the last that x87ExceptionCode and simdExceptionCode look at.
std::optional<NtStatus> lastFloatException(unsigned pending) {
    if (pending & 0x08)
        return NtStatus::FloatOverflow;
    if (pending & 0x10)
        return NtStatus::FloatUnderflow;
    if (pending & 0x20)
        return NtStatus::FloatInexactResult;
    return std::nullopt;
}
}  // namespace

NtStatus x87ExceptionCode(std::uint16_t fsw, std::uint16_t fcw) {
    const unsigned pending = fsw & ~fcw & 0x3F;
    if (pending & 0x01)  // invalid operation, or a stack fault (SF) if that caused it
        return (fsw & 0x40) ? NtStatus::FloatStackCheck : NtStatus::FloatInvalidOperation;
    if (pending & 0x04)
        return NtStatus::FloatDivideByZero;
    if (pending & 0x02)
        return NtStatus::FloatDenormalOperand;
    return lastFloatException(pending).value_or(NtStatus::FloatInvalidOperation);
}

NtStatus simdExceptionCode(std::uint32_t mxcsr) {
    const unsigned pending = mxcsr & ~(mxcsr >> 7) & 0x3F;
    if (pending & 0x01)
        return NtStatus::FloatInvalidOperation;
    if (pending & 0x02)  // denormal: reported as invalid operation, as Windows does
        return NtStatus::FloatInvalidOperation;
    if (pending & 0x04)
        return NtStatus::FloatDivideByZero;
    return lastFloatException(pending).value_or(NtStatus::FloatMultipleTraps);
}

bool isSignedDivideOverflow(std::span<const std::uint8_t> code, hal::Cpu& cpu,
                            const CodeReader& memory) {
    std::size_t i = 0;
    bool operand16 = false;
    std::optional<Reg> segmentBase;
    std::uint8_t rex = 0;
    for (; i < code.size(); ++i) {
        const std::uint8_t c = code[i];
        if ((c & 0xF0) == 0x40) {
            rex = c;
            continue;
        }
        const bool legacy = c == 0x66 || c == 0x64 || c == 0x65 || c == 0x67 || c == 0xF0 ||
                            c == 0xF2 || c == 0xF3 || c == 0x2E || c == 0x36 || c == 0x3E ||
                            c == 0x26;
        if (!legacy)
            break;
        rex = 0;  // a REX counts only right before the opcode
        if (c == 0x66)
            operand16 = true;
        else if (c == 0x64)
            segmentBase = Reg::FsBase;
        else if (c == 0x65)
            segmentBase = Reg::GsBase;
    }
    if (i + 1 >= code.size() || (code[i] != 0xF6 && code[i] != 0xF7))
        return false;
    const bool byteSize = code[i] == 0xF6;
    const std::uint8_t modrm = code[i + 1];
    if (((modrm >> 3) & 7) != 7)
        return false;  // not IDIV
    i += 2;
    const unsigned bits = byteSize ? 8 : (rex & 8) ? 64 : operand16 ? 16 : 32;
    const std::uint64_t minusOne = bits == 64 ? ~0ull : (1ull << bits) - 1;
    const unsigned mod = modrm >> 6, rm = (modrm & 7) | ((rex & 1) << 3);
    std::uint64_t divisor = 0;
    if (mod == 3) {
        if (byteSize && rex == 0 && rm >= 4)  // AH, CH, DH, BH
            divisor = cpu.reg(gpr(rm - 4)) >> 8;
        else
            divisor = cpu.reg(gpr(rm));
    } else {
        std::uint64_t address = 0;
        if ((modrm & 7) == 4) {  // SIB
            if (i >= code.size())
                return false;
            const std::uint8_t sib = code[i++];
            const unsigned index = ((sib >> 3) & 7) | ((rex & 2) << 2);
            const unsigned base = (sib & 7) | ((rex & 1) << 3);
            if (index != 4)
                address += cpu.reg(gpr(index)) << (sib >> 6);
            if ((sib & 7) == 5 && mod == 0) {
                if (i + 4 > code.size())
                    return false;
                address += static_cast<std::uint64_t>(static_cast<std::int64_t>(
                    static_cast<std::int32_t>(code[i] | code[i + 1] << 8 | code[i + 2] << 16 |
                                              static_cast<std::uint32_t>(code[i + 3]) << 24)));
                i += 4;
            } else {
                address += cpu.reg(gpr(base));
            }
        } else if (mod == 0 && (modrm & 7) == 5) {  // RIP-relative: from the next instruction
            if (i + 4 > code.size())
                return false;
            const auto disp =
                static_cast<std::int32_t>(code[i] | code[i + 1] << 8 | code[i + 2] << 16 |
                                          static_cast<std::uint32_t>(code[i + 3]) << 24);
            i += 4;
            address = cpu.reg(Reg::Rip) + i + static_cast<std::int64_t>(disp);
        } else {
            address = cpu.reg(gpr(rm));
        }
        if (mod == 1 && i < code.size())
            address += static_cast<std::uint64_t>(
                static_cast<std::int64_t>(static_cast<std::int8_t>(code[i++])));
        else if (mod == 2 && i + 4 <= code.size())
            address += static_cast<std::uint64_t>(static_cast<std::int64_t>(
                static_cast<std::int32_t>(code[i] | code[i + 1] << 8 | code[i + 2] << 16 |
                                          static_cast<std::uint32_t>(code[i + 3]) << 24)));
        if (segmentBase)
            address += cpu.reg(*segmentBase);
        std::array<std::uint8_t, 8> value{};
        if (memory(address, std::span(value.data(), bits / 8)) != bits / 8)
            return false;
        for (unsigned b = 0; b < bits / 8; ++b)
            divisor |= std::uint64_t{value[b]} << (8 * b);
    }
    return (divisor & minusOne) == minusOne;
}

UserTrap classifyUserTrap(const hal::CpuException& e, hal::Cpu& cpu, const CodeReader& code) {
    const std::uint64_t rip = cpu.reg(Reg::Rip);
    if (e.software)
        return softwareInterrupt(static_cast<std::uint8_t>(e.vector), cpu);
    switch (e.vector) {
        case Vector::DivideError: {
            std::array<std::uint8_t, 15> bytes{};
            const std::size_t n = code(rip, bytes);
            return raise(isSignedDivideOverflow(std::span(bytes.data(), n), cpu, code)
                             ? NtStatus::IntegerOverflow
                             : NtStatus::IntegerDivideByZero,
                         rip);
        }
        case Vector::Debug:
            return raise(NtStatus::SingleStep, rip);
        case Vector::Overflow:
            return raise(NtStatus::IntegerOverflow, rip);
        case Vector::BoundRange:
            return raise(NtStatus::ArrayBoundsExceeded, rip);
        case Vector::InvalidOpcode:
            return raise(NtStatus::IllegalInstruction, rip);
        case Vector::AlignmentCheck:
            return raise(NtStatus::DatatypeMisalignment, rip);
        case Vector::X87Fp:
            return raise(x87ExceptionCode(static_cast<std::uint16_t>(cpu.reg(Reg::FpuStatus)),
                                          static_cast<std::uint16_t>(cpu.reg(Reg::FpuControl))),
                         rip);
        case Vector::SimdFp:
            return raise(simdExceptionCode(static_cast<std::uint32_t>(cpu.reg(Reg::MxCsr))), rip);
        case Vector::GeneralProtection:
            return generalProtection(rip, code);
        default:
            // #SS, #NP, and anything else a user instruction can cause: the address is unknown.
            return raise(NtStatus::AccessViolation, rip, {0, ~0ull});
    }
}

}  // namespace ntoy::ke
