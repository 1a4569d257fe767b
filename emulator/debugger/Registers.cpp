#include "emulator/debugger/Registers.h"

#include <fmt/format.h>

#include <utility>

namespace ntoy::dbg {
namespace {

using hal::Reg;

constexpr std::pair<std::string_view, Reg> kNames[] = {
    {"rax", Reg::Rax}, {"rbx", Reg::Rbx},       {"rcx", Reg::Rcx},    {"rdx", Reg::Rdx},
    {"rsi", Reg::Rsi}, {"rdi", Reg::Rdi},       {"rip", Reg::Rip},    {"rsp", Reg::Rsp},
    {"rbp", Reg::Rbp}, {"r8", Reg::R8},         {"r9", Reg::R9},      {"r10", Reg::R10},
    {"r11", Reg::R11}, {"r12", Reg::R12},       {"r13", Reg::R13},    {"r14", Reg::R14},
    {"r15", Reg::R15}, {"rflags", Reg::Rflags}, {"efl", Reg::Rflags},
};

// WinDbg's flag mnemonics, set and clear: of, df, if, sf, zf, af, pf, cf.
std::string flagMnemonics(std::uint64_t f) {
    struct Flag {
        unsigned bit;
        const char *set, *clear;
    };
    constexpr Flag kFlags[] = {{11, "ov", "nv"}, {10, "dn", "up"}, {9, "ei", "di"},
                               {7, "ng", "pl"},  {6, "zr", "nz"},  {4, "ac", "na"},
                               {2, "pe", "po"},  {0, "cy", "nc"}};
    std::string s;
    for (const Flag& flag : kFlags) {
        if (!s.empty())
            s += ' ';
        s += ((f >> flag.bit) & 1) ? flag.set : flag.clear;
    }
    return s;
}

}  // namespace

std::optional<hal::Reg> registerByName(std::string_view name) {
    if (name.starts_with('$') || name.starts_with('@'))  // gdb's and WinDbg's prefixes
        name.remove_prefix(1);
    for (const auto& [n, reg] : kNames)
        if (n == name)
            return reg;
    return std::nullopt;
}

std::string formatRegisters(hal::Cpu& cpu) {
    auto r = [&](Reg reg) { return cpu.reg(reg); };
    std::string out;
    out +=
        fmt::format("rax={:016x} rbx={:016x} rcx={:016x}\n", r(Reg::Rax), r(Reg::Rbx), r(Reg::Rcx));
    out +=
        fmt::format("rdx={:016x} rsi={:016x} rdi={:016x}\n", r(Reg::Rdx), r(Reg::Rsi), r(Reg::Rdi));
    out +=
        fmt::format("rip={:016x} rsp={:016x} rbp={:016x}\n", r(Reg::Rip), r(Reg::Rsp), r(Reg::Rbp));
    out +=
        fmt::format(" r8={:016x}  r9={:016x} r10={:016x}\n", r(Reg::R8), r(Reg::R9), r(Reg::R10));
    out +=
        fmt::format("r11={:016x} r12={:016x} r13={:016x}\n", r(Reg::R11), r(Reg::R12), r(Reg::R13));
    out += fmt::format("r14={:016x} r15={:016x}\n", r(Reg::R14), r(Reg::R15));
    const std::uint64_t flags = r(Reg::Rflags);
    out += fmt::format("iopl={}         {}\n", (flags >> 12) & 3, flagMnemonics(flags));
    out += fmt::format(
        "cs={:04x}  ss={:04x}  ds={:04x}  es={:04x}  fs={:04x}  gs={:04x}             "
        "efl={:08x}\n",
        r(Reg::Cs), r(Reg::Ss), r(Reg::Ds), r(Reg::Es), r(Reg::Fs), r(Reg::Gs), flags);
    out += fmt::format("fsbase={:016x} gsbase={:016x} mxcsr={:08x}\n", r(Reg::FsBase),
                       r(Reg::GsBase), r(Reg::MxCsr));
    return out;
}

}  // namespace ntoy::dbg
