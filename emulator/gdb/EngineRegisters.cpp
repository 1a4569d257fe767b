#include "emulator/gdb/EngineRegisters.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace ntoy::gdb {
namespace {

using hal::Reg;

// gdb's rax..r15 order is not the CONTEXT order hal::Reg follows.
constexpr std::array<Reg, 16> kGeneral = {
    Reg::Rax, Reg::Rbx, Reg::Rcx, Reg::Rdx, Reg::Rsi, Reg::Rdi, Reg::Rbp, Reg::Rsp,
    Reg::R8,  Reg::R9,  Reg::R10, Reg::R11, Reg::R12, Reg::R13, Reg::R14, Reg::R15,
};
constexpr std::array<Reg, 6> kSegments = {Reg::Cs, Reg::Ss, Reg::Ds, Reg::Es, Reg::Fs, Reg::Gs};
// fctrl .. fop, as Unicorn names them.
constexpr std::array<int, 8> kX87Control = {
    UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FCS,
    UC_X86_REG_FIP,  UC_X86_REG_FDS,  UC_X86_REG_FDP,   UC_X86_REG_FOP,
};
// As a user-mode POPF or NtContinue may: the arithmetic, trap and direction flags. IF,
// IOPL and the rest stay the kernel's.
constexpr std::uint64_t kWritableFlags = 0x0DD5;

std::uint64_t readUc(uc_engine* uc, int id) {
    std::uint64_t v = 0;
    uc_reg_read(uc, id, &v);
    return v;
}

std::expected<void, std::string> writeUc(uc_engine* uc, int id, const void* value,
                                         std::string_view name) {
    if (uc_reg_write(uc, id, value) != UC_ERR_OK)
        return std::unexpected(fmt::format("cannot write {}", name));
    return {};
}

}  // namespace

RegisterFile readRegisters(emu::Engine& engine) {
    RegisterFile regs;
    for (unsigned i = 0; i < kGeneral.size(); ++i)
        regs.setValue(kRax + i, engine.reg(kGeneral[i]));
    regs.setValue(kRip, engine.reg(Reg::Rip));
    regs.setValue(kEflags, engine.reg(Reg::Rflags));
    for (unsigned i = 0; i < kSegments.size(); ++i)
        regs.setValue(kCs + i, engine.reg(kSegments[i]));
    for (unsigned i = 0; i < 8; ++i) {
        std::array<std::byte, 10> st{};
        uc_reg_read(engine.uc(), UC_X86_REG_ST0 + static_cast<int>(i), st.data());
        std::ranges::copy(st, regs.bytes(kSt0 + i).begin());
    }
    for (unsigned i = 0; i < kX87Control.size(); ++i)
        regs.setValue(kFctrl + i, readUc(engine.uc(), kX87Control[i]));
    for (unsigned i = 0; i < 16; ++i) {
        const auto v = engine.xmm(i);
        std::memcpy(regs.bytes(kXmm0 + i).data(), v.data(), v.size());
    }
    regs.setValue(kMxcsr, engine.reg(Reg::MxCsr));
    regs.setValue(kFsBase, engine.reg(Reg::FsBase));
    regs.setValue(kGsBase, engine.reg(Reg::GsBase));
    return regs;
}

std::expected<void, std::string> writeRegisters(emu::Engine& engine, const RegisterFile& before,
                                                const RegisterFile& after) {
    for (unsigned n = 0; n < kRegisterCount; ++n) {
        if (std::ranges::equal(before.bytes(n), after.bytes(n)))
            continue;
        const std::uint64_t v = after.value(n);
        const std::string_view name = RegisterFile::layout()[n].name;
        if (n <= kR15) {
            engine.setReg(kGeneral[n - kRax], v);
        } else if (n == kRip) {
            engine.setReg(Reg::Rip, v);
        } else if (n == kEflags) {
            const std::uint64_t current = engine.reg(Reg::Rflags);
            engine.setReg(Reg::Rflags, (current & ~kWritableFlags) | (v & kWritableFlags));
        } else if (n >= kCs && n <= kGs) {
            return std::unexpected(
                fmt::format("cannot write {}: the kernel owns the segment selectors", name));
        } else if (n >= kSt0 && n < kFctrl) {
            if (auto ok = writeUc(engine.uc(), UC_X86_REG_ST0 + static_cast<int>(n - kSt0),
                                  after.bytes(n).data(), name);
                !ok)
                return ok;
        } else if (n >= kFctrl && n <= kFop) {
            if (auto ok = writeUc(engine.uc(), kX87Control[n - kFctrl], &v, name); !ok)
                return ok;
        } else if (n >= kXmm0 && n < kMxcsr) {
            hal::Cpu::Vector128 x{};
            std::memcpy(x.data(), after.bytes(n).data(), x.size());
            engine.setXmm(n - kXmm0, x);
        } else if (n == kMxcsr) {
            engine.setReg(Reg::MxCsr, v);
        } else if (n == kFsBase) {
            engine.setReg(Reg::FsBase, v);
        } else if (n == kGsBase) {
            engine.setReg(Reg::GsBase, v);
        }
    }
    return {};
}

}  // namespace ntoy::gdb
