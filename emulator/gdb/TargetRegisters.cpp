#include "emulator/gdb/TargetRegisters.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "kernel/arch/X86.h"

namespace ntoy::gdb {
namespace {

using hal::Reg;

// gdb's rax..r15 order is not the CONTEXT order hal::Reg follows.
constexpr std::array<Reg, 16> kGeneral = {
    Reg::Rax, Reg::Rbx, Reg::Rcx, Reg::Rdx, Reg::Rsi, Reg::Rdi, Reg::Rbp, Reg::Rsp,
    Reg::R8,  Reg::R9,  Reg::R10, Reg::R11, Reg::R12, Reg::R13, Reg::R14, Reg::R15,
};
constexpr std::array<Reg, 6> kSegments = {Reg::Cs, Reg::Ss, Reg::Ds, Reg::Es, Reg::Fs, Reg::Gs};
using X87Control = hal::DebugTarget::X87Control;
constexpr unsigned kX87ControlCount = static_cast<unsigned>(X87Control::Count);
static_assert(kFop - kFctrl + 1 == kX87ControlCount, "gdb's x87 control block is ours");
constexpr std::uint64_t kWritableFlags = x86::kUserWritableFlags;

}  // namespace

RegisterFile readRegisters(hal::Cpu& cpu, hal::DebugTarget& target) {
    RegisterFile regs;
    for (unsigned i = 0; i < kGeneral.size(); ++i)
        regs.setValue(kRax + i, cpu.reg(kGeneral[i]));
    regs.setValue(kRip, cpu.reg(Reg::Rip));
    regs.setValue(kEflags, cpu.reg(Reg::Rflags));
    for (unsigned i = 0; i < kSegments.size(); ++i)
        regs.setValue(kCs + i, cpu.reg(kSegments[i]));
    for (unsigned i = 0; i < 8; ++i) {
        const auto st = target.x87Register(i);
        std::memcpy(regs.bytes(kSt0 + i).data(), st.data(), st.size());
    }
    for (unsigned i = 0; i < kX87ControlCount; ++i)
        regs.setValue(kFctrl + i, target.x87Control(static_cast<X87Control>(i)));
    for (unsigned i = 0; i < 16; ++i) {
        const auto v = cpu.xmm(i);
        std::memcpy(regs.bytes(kXmm0 + i).data(), v.data(), v.size());
    }
    regs.setValue(kMxcsr, cpu.reg(Reg::MxCsr));
    regs.setValue(kFsBase, cpu.reg(Reg::FsBase));
    regs.setValue(kGsBase, cpu.reg(Reg::GsBase));
    return regs;
}

std::expected<void, std::string> writeRegisters(hal::Cpu& cpu, hal::DebugTarget& target,
                                                const RegisterFile& before,
                                                const RegisterFile& after) {
    for (unsigned n = 0; n < kRegisterCount; ++n) {
        if (std::ranges::equal(before.bytes(n), after.bytes(n)))
            continue;
        const std::uint64_t v = after.value(n);
        const std::string_view name = RegisterFile::layout()[n].name;
        if (n <= kR15) {
            cpu.setReg(kGeneral[n - kRax], v);
        } else if (n == kRip) {
            cpu.setReg(Reg::Rip, v);
        } else if (n == kEflags) {
            const std::uint64_t current = cpu.reg(Reg::Rflags);
            cpu.setReg(Reg::Rflags, (current & ~kWritableFlags) | (v & kWritableFlags));
        } else if (n >= kCs && n <= kGs) {
            return std::unexpected(
                fmt::format("cannot write {}: the kernel owns the segment selectors", name));
        } else if (n >= kSt0 && n < kFctrl) {
            hal::DebugTarget::X87Value st{};
            std::memcpy(st.data(), after.bytes(n).data(), st.size());
            if (!target.setX87Register(n - kSt0, st))
                return std::unexpected(fmt::format("cannot write {}", name));
        } else if (n >= kFctrl && n <= kFop) {
            if (!target.setX87Control(static_cast<X87Control>(n - kFctrl), v))
                return std::unexpected(fmt::format("cannot write {}", name));
        } else if (n >= kXmm0 && n < kMxcsr) {
            hal::Cpu::Vector128 x{};
            std::memcpy(x.data(), after.bytes(n).data(), x.size());
            cpu.setXmm(n - kXmm0, x);
        } else if (n == kMxcsr) {
            cpu.setReg(Reg::MxCsr, v);
        } else if (n == kFsBase) {
            cpu.setReg(Reg::FsBase, v);
        } else if (n == kGsBase) {
            cpu.setReg(Reg::GsBase, v);
        }
    }
    return {};
}

}  // namespace ntoy::gdb
