// The session's commands over registers, memory and code: regs/r, x/xp (gdb's), db/dw/dd/dq
// and eb/ew/ed/eq (WinDbg's), dis and u.
#include <fmt/format.h>

#include <vector>

#include "emulator/debugger/CodeView.h"
#include "emulator/debugger/CommandArguments.h"
#include "emulator/debugger/DebugSession.h"
#include "emulator/debugger/MemoryDump.h"
#include "emulator/debugger/Registers.h"
#include "kernel/arch/X86.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy::dbg {
namespace {

constexpr std::uint64_t kMaxDumpBytes = 64 * 1024;
constexpr std::uint64_t kDefaultDisassembly = 8;
constexpr std::uint64_t kMaxDisassembly = 1000;
// What db/dd/dq show without a count, as WinDbg: 128 bytes.
constexpr std::uint64_t kDefaultDisplayBytes = 0x80;

// gdb's letter for a unit (x/4g), and WinDbg's (dq, eq).
char gdbUnitLetter(unsigned unitSize) {
    return unitSize == 1 ? 'b' : unitSize == 2 ? 'h' : unitSize == 4 ? 'w' : 'g';
}
char winDbgUnitLetter(unsigned unitSize) {
    return unitSize == 1 ? 'b' : unitSize == 2 ? 'w' : unitSize == 4 ? 'd' : 'q';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// WinDbg's range arguments: "[ADDR] [L COUNT]" with the count hex ("L20", "L 20", "L0n32").
struct Range {
    std::optional<std::string_view> address;
    std::optional<std::uint64_t> count;
};
std::expected<Range, std::string> parseRange(std::span<const std::string_view> args) {
    Range r;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view w = args[i];
        if (w.starts_with('L') || w.starts_with('l')) {
            std::string_view n = w.substr(1);
            if (n.starts_with('?'))
                n.remove_prefix(1);  // L? lifts WinDbg's size check; ours is the same either way
            if (n.empty()) {
                if (++i == args.size())
                    return std::unexpected("L needs a count");
                n = args[i];
            }
            auto count = kd::parseWinDbgNumber(n);
            if (!count)
                return std::unexpected(count.error());
            if (*count == 0)
                return std::unexpected("a count must be at least 1");
            r.count = *count;
        } else if (!r.address && !r.count) {
            r.address = w;
        } else {
            return std::unexpected(fmt::format("unexpected '{}'", w));
        }
    }
    return r;
}

}  // namespace

void DebugSession::registersCommand(Words args) {
    if (args.empty()) {
        withRegisters([&](hal::Cpu& cpu) { out_ << formatRegisters(cpu); });
        return;
    }
    // r REG, or r REG=VALUE[, REG=VALUE...] (spaces around '=' allowed, as in WinDbg).
    std::string text;
    for (std::string_view w : args)
        text += std::string(w) + ' ';
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const std::size_t equals = item.find('=');
        const std::string_view name = trim(item.substr(0, equals));
        const auto reg = registerByName(name);
        if (!reg)
            return error(fmt::format("no register '{}' (rax-r15, rip, efl)", name));
        if (equals == std::string_view::npos) {
            out_ << fmt::format("{}={:016x}\n", name, this->reg(*reg));
            continue;
        }
        const std::string_view valueText = trim(item.substr(equals + 1));
        if (valueText.empty())
            return error(fmt::format("usage: r {}=VALUE", name));
        auto value = address(valueText);
        if (!value)
            return error(value.error());
        if (*reg == hal::Reg::Rflags) {
            // The guest's own flags only: IF, IOPL and the rest stay the kernel's.
            const std::uint64_t current = this->reg(*reg);
            *value = (current & ~x86::kUserWritableFlags) | (*value & x86::kUserWritableFlags);
        }
        withRegisters([&](hal::Cpu& cpu) { cpu.setReg(*reg, *value); });
    }
}

void DebugSession::examineCommand(std::string_view format, Words args, bool physical) {
    const char* usage = physical ? "usage: xp/N[bhwgq] PA" : "usage: x/N[bhwgq] VA";
    if (args.size() != 1)
        return error(usage);
    auto f = parseDumpFormat(format);
    if (!f)
        return error(f.error());
    auto at = address(args[0]);
    if (!at)
        return error(at.error());
    if (f->count > kMaxDumpBytes / f->unitSize)
        return error(fmt::format("at most {} bytes at a time", kMaxDumpBytes));
    std::vector<std::byte> bytes(f->count * f->unitSize);
    if (physical) {
        const auto& ram = kernel_.memoryManager().pfns().memory();
        bytes.resize(kd::readPhysical(ram, PhysicalAddress(*at), bytes));
        out_ << formatDump(*at, bytes, f->unitSize);
        if (bytes.size() < f->count * f->unitSize)
            error(fmt::format("cannot access physical memory at {:#x}: RAM is {:#x}-{:#x}",
                              *at + bytes.size(), ram.firstPfn().address().value(),
                              ram.endPfn().address().value() - 1));
        return;
    }
    if (!kd::isCanonical(*at))
        return error(fmt::format("cannot access memory at {:#x}: not a canonical address", *at));
    bytes.resize(kd::readVirtual(kernel_.process()->space(), VirtualAddress(*at), bytes));
    out_ << formatDump(*at, bytes, f->unitSize);
    if (bytes.size() < f->count * f->unitSize) {
        const std::uint64_t stop = *at + bytes.size();
        return error(
            fmt::format("cannot access memory at {:#x}: {}", stop, unreadableReason(stop)));
    }
    // Repeated, it goes on from where it stopped, as gdb's x does.
    repeatable_ =
        fmt::format("x/{}{} {:#x}", f->count, gdbUnitLetter(f->unitSize), *at + bytes.size());
}

void DebugSession::displayCommand(unsigned unitSize, Words args) {
    auto range = parseRange(args);
    if (!range)
        return error(fmt::format("{}; usage: d{} [ADDR] [L COUNT]", range.error(),
                                 winDbgUnitLetter(unitSize)));
    std::uint64_t at = 0;
    if (range->address) {
        auto a = address(*range->address);
        if (!a)
            return error(a.error());
        at = *a;
    } else {
        at = nextDisplay_.value_or(reg(hal::Reg::Rsp));
    }
    const std::uint64_t count = range->count.value_or(kDefaultDisplayBytes / unitSize);
    if (count > kMaxDumpBytes / unitSize)
        return error(fmt::format("at most {} bytes at a time", kMaxDumpBytes));
    if (!kd::isCanonical(at))
        return error(fmt::format("cannot access memory at {:#x}: not a canonical address", at));
    std::vector<std::byte> bytes(count * unitSize);
    bytes.resize(kd::readVirtual(kernel_.process()->space(), VirtualAddress(at), bytes));
    out_ << formatWinDbgDump(at, bytes, unitSize);
    nextDisplay_ = at + count * unitSize;
    if (bytes.size() < count * unitSize) {
        const std::uint64_t stop = at + bytes.size();
        error(fmt::format("cannot access memory at {:#x}: {}", stop, unreadableReason(stop)));
    }
}

void DebugSession::enterCommand(unsigned unitSize, Words args) {
    const std::string usage = fmt::format("usage: e{} ADDR VALUE...", winDbgUnitLetter(unitSize));
    if (args.size() < 2)
        return error(usage);
    auto at = address(args[0]);
    if (!at)
        return error(at.error());
    std::vector<std::byte> bytes;
    const std::uint64_t limit = unitSize == 8 ? ~0ull : (1ull << (8 * unitSize)) - 1;
    for (std::string_view w : args.subspan(1)) {
        auto value = kd::parseWinDbgNumber(w);
        if (!value)
            return error(value.error());
        if (*value > limit)
            return error(
                fmt::format("{} does not fit in {} byte{}", w, unitSize, unitSize == 1 ? "" : "s"));
        for (unsigned i = 0; i < unitSize; ++i)  // little-endian, like the guest
            bytes.push_back(static_cast<std::byte>(*value >> (8 * i)));
    }
    if (!kd::isCanonical(*at))
        return error(fmt::format("cannot access memory at {:#x}: not a canonical address", *at));
    const std::size_t n = kd::writeVirtual(kernel_.process()->space(), VirtualAddress(*at), bytes);
    if (n < bytes.size())
        error(fmt::format("cannot write memory at {:#x}: {}{}", *at + n, unreadableReason(*at + n),
                          n == 0 ? "" : fmt::format(" (the {} bytes before it were written)", n)));
}

void DebugSession::disassembleCommand(Words args) {
    if (args.size() > 2)
        return error("usage: dis [ADDR] [N]");
    std::uint64_t at = reg(hal::Reg::Rip);
    std::uint64_t count = kDefaultDisassembly;
    if (!args.empty()) {
        auto a = address(args[0]);
        if (!a)
            return error(a.error());
        at = *a;
    }
    if (args.size() == 2) {
        auto n = parseCount(args[1]);
        if (!n)
            return error(n.error());
        count = *n;
    }
    listCode(at, count);
}

void DebugSession::unassembleCommand(Words args) {
    auto range = parseRange(args);
    if (!range)
        return error(range.error() + "; usage: u [ADDR] [L COUNT]");
    std::uint64_t at = nextUnassemble_.value_or(reg(hal::Reg::Rip));
    if (range->address) {
        auto a = address(*range->address);
        if (!a)
            return error(a.error());
        at = *a;
    }
    listCode(at, range->count.value_or(kDefaultDisassembly));
}

void DebugSession::listCode(std::uint64_t at, std::uint64_t count) {
    if (count > kMaxDisassembly)
        return error(fmt::format("at most {} instructions at a time", kMaxDisassembly));
    if (!kd::isCanonical(at))
        return error(fmt::format("cannot disassemble at {:#x}: not a canonical address", at));
    const auto code = instructionsAt(kernel_.process()->space(), disassembler_, at, count);
    out_ << formatListing(code, reg(hal::Reg::Rip), &symbols_);
    const std::uint64_t end = code.empty() ? at : code.back().address + code.back().bytes.size();
    nextUnassemble_ = end;
    if (code.size() < count)
        error(fmt::format("cannot disassemble at {:#x}: {}", end, unreadableReason(end)));
}

}  // namespace ntoy::dbg
