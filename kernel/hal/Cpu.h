// The CPU as the kernel's trap handlers see it: the interrupted user context, read and
// written register by register, plus the means to stop running it.
#pragma once

#include <array>
#include <cstdint>

namespace ntoy::hal {

// Order matches the x64 CONTEXT integer block (Rax … R15), then the rest.
enum class Reg : std::uint8_t {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    Rip,
    Rflags,
    Cs,
    Ss,
    Ds,
    Es,
    Fs,
    Gs,
    FsBase,
    GsBase,
    MxCsr,
    FpuControl,
    FpuStatus,
    // The task-priority register, which is the IRQL on x64 (MOV CR8 in kernel code).
    Cr8,
    Count
};

enum class Vector : std::uint8_t {
    DivideError = 0,
    Debug = 1,
    Breakpoint = 3,
    Overflow = 4,
    BoundRange = 5,
    InvalidOpcode = 6,
    DeviceNotAvailable = 7,
    DoubleFault = 8,
    InvalidTss = 10,
    SegmentNotPresent = 11,
    StackFault = 12,
    GeneralProtection = 13,
    PageFault = 14,
    X87Fp = 16,
    AlignmentCheck = 17,
    MachineCheck = 18,
    SimdFp = 19,
};

// A CPU exception as it reached the kernel: vector, hardware error code, CR2 for #PF, and
// whether an INT n instruction raised it (RIP is then past the instruction).
struct CpuException {
    Vector vector;
    std::uint32_t errorCode = 0;
    std::uint64_t cr2 = 0;
    bool software = false;
};

// #PF error-code bits.
namespace pf {
inline constexpr std::uint32_t kPresent = 1u << 0;
inline constexpr std::uint32_t kWrite = 1u << 1;
inline constexpr std::uint32_t kUser = 1u << 2;
inline constexpr std::uint32_t kReserved = 1u << 3;
inline constexpr std::uint32_t kFetch = 1u << 4;
}  // namespace pf

class Cpu {
public:
    virtual ~Cpu() = default;
    virtual std::uint64_t reg(Reg r) = 0;
    virtual void setReg(Reg r, std::uint64_t value) = 0;
    // XMM0-15, as 16 little-endian bytes.
    using Vector128 = std::array<std::uint8_t, 16>;
    virtual Vector128 xmm(unsigned index) = 0;
    virtual void setXmm(unsigned index, const Vector128& value) = 0;
    // Stop running the guest once the current trap handler returns.
    virtual void requestStop() = 0;
    // The kernel bug checked: nothing runs on this processor again, not even the rest of a
    // kernel routine (it is abandoned). Implies requestStop().
    virtual void halt() { requestStop(); }
};

}  // namespace ntoy::hal
