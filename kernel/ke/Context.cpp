#include "kernel/ke/Context.h"

#include <cstring>

#include "kernel/arch/X86.h"

namespace ntoy::ke {
namespace {

using hal::Reg;
constexpr Reg kIntegerOrder[] = {Reg::Rax, Reg::Rcx, Reg::Rdx, Reg::Rbx, Reg::Rsp, Reg::Rbp,
                                 Reg::Rsi, Reg::Rdi, Reg::R8,  Reg::R9,  Reg::R10, Reg::R11,
                                 Reg::R12, Reg::R13, Reg::R14, Reg::R15};
constexpr std::uint64_t kUserFlags = x86::kUserWritableFlags;
constexpr std::uint64_t kInterruptFlag = 0x200;

std::uint64_t* integerSlot(Context& c, std::size_t i) {
    return &c.rax + i;
}

}  // namespace

Context captureContext(hal::Cpu& cpu) {
    Context c{};
    c.contextFlags = kContextFull | kContextSegments;
    for (std::size_t i = 0; i < std::size(kIntegerOrder); ++i)
        *integerSlot(c, i) = cpu.reg(kIntegerOrder[i]);
    c.rip = cpu.reg(Reg::Rip);
    c.eFlags = static_cast<std::uint32_t>(cpu.reg(Reg::Rflags));
    c.segCs = static_cast<std::uint16_t>(cpu.reg(Reg::Cs));
    c.segSs = c.segDs = c.segEs = c.segGs = x86::kUserSs;
    c.segFs = x86::kUserFs;
    c.mxCsr = c.fltSave.mxCsr = static_cast<std::uint32_t>(cpu.reg(Reg::MxCsr));
    c.fltSave.mxCsrMask = 0xFFFF;
    c.fltSave.controlWord = static_cast<std::uint16_t>(cpu.reg(Reg::FpuControl));
    for (unsigned i = 0; i < 16; ++i) {
        const auto v = cpu.xmm(i);
        std::memcpy(c.fltSave.xmm[i], v.data(), 16);
    }
    return c;
}

void restoreContext(hal::Cpu& cpu, const Context& c) {
    // User mode gets one of its two code segments, whatever the CONTEXT asks (as Windows
    // sanitizes SegCs): compatibility mode for 0x23, 64-bit for anything else.
    cpu.setReg(Reg::Cs, c.segCs == x86::kUserCompatCs ? x86::kUserCompatCs : x86::kUserCs);
    restoreKernelContext(cpu, c);
}

void restoreKernelContext(hal::Cpu& cpu, const Context& c) {
    for (std::size_t i = 0; i < std::size(kIntegerOrder); ++i)
        cpu.setReg(kIntegerOrder[i], *integerSlot(const_cast<Context&>(c), i));
    cpu.setReg(Reg::Rflags, (c.eFlags & kUserFlags) | kInterruptFlag);
    if (c.contextFlags & 0x8) {  // CONTEXT_FLOATING_POINT
        cpu.setReg(Reg::MxCsr, c.mxCsr & 0xFFFF);
        cpu.setReg(Reg::FpuControl, c.fltSave.controlWord);
        for (unsigned i = 0; i < 16; ++i) {
            hal::Cpu::Vector128 v;
            std::memcpy(v.data(), c.fltSave.xmm[i], 16);
            cpu.setXmm(i, v);
        }
    }
    cpu.setReg(Reg::Rip, c.rip);
}

}  // namespace ntoy::ke
