#include "emulator/debugger/DebugSession.h"

#include "kernel/ExitStatus.h"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "emulator/debugger/CodeView.h"
#include "emulator/debugger/CommandArguments.h"
#include "emulator/debugger/MemoryDump.h"
#include "emulator/debugger/Registers.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/Extensions.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/kd/PteDecode.h"

namespace ntoy::dbg {
namespace {

constexpr std::uint64_t kMaxDumpBytes = 64 * 1024;
constexpr std::uint64_t kDefaultDisassembly = 8;
constexpr std::uint64_t kMaxDisassembly = 1000;

constexpr std::string_view kHelp =
    "Execution\n"
    "  c, continue              run until the next stop (see break-on) or a breakpoint\n"
    "  si, stepi [N]            execute N instructions (1); a fault is reported and stops the\n"
    "                           step: the instruction runs again on the next si\n"
    "  b ADDR                   break before the instruction at ADDR; b alone lists them\n"
    "  delete [N]               delete breakpoint N, or all of them\n"
    "  break-on WHAT...         what c stops on: fault, syscall, exception, or none\n"
    "Inspection\n"
    "  regs                     the registers\n"
    "  x/N[bhwgq] VA            N bytes, halfwords, words or giant words at virtual VA\n"
    "  xp/N[bhwgq] PA           the same at physical PA\n"
    "  dis [ADDR] [N]           disassemble N instructions (8) from ADDR (rip)\n"
    "Kernel extensions, as in WinDbg\n"
    "  !pte VA  !vad [VA]  !address [VA]  !pfn PFN  !vm  !memusage\n"
    "Other\n"
    "  help                     this list\n"
    "  q, quit                  end the session\n"
    "Addresses are hex (0x optional) or a register with an offset, e.g. rsp+8; counts are\n"
    "decimal. An empty line repeats the si, c or x just before it (x goes on from where it\n"
    "stopped).\n";

char unitLetter(unsigned unitSize) {
    return unitSize == 1 ? 'b' : unitSize == 2 ? 'h' : unitSize == 4 ? 'w' : 'g';
}

std::string breakOnText(const BreakOn& b) {
    std::string s;
    for (auto [on, name] : {std::pair{b.fault, "fault"}, std::pair{b.syscall, "syscall"},
                            std::pair{b.exception, "exception"}})
        if (on)
            s += s.empty() ? name : std::string(", ") + name;
    return s.empty() ? "nothing (c runs to a breakpoint or the end)" : s;
}

}  // namespace

DebugSession::DebugSession(Kernel& kernel, const Disassembler& disassembler, std::ostream& out,
                           hal::DebugTarget::PauseCheck* interrupts)
    : kernel_(kernel),
      disassembler_(disassembler),
      out_(out),
      interrupts_(interrupts),
      observer_(kernel, disassembler) {}

DebugSession::~DebugSession() {
    if (interrupts_ && kernel_.process())
        target().setPauseCheck(nullptr);
}

hal::DebugTarget& DebugSession::target() {
    return *kernel_.process()->cpu().debugTarget();
}

void DebugSession::start(std::string_view imageName) {
    ps::Process* p = kernel_.process();
    if (interrupts_)
        target().setPauseCheck(interrupts_);
    out_ << fmt::format(
        "ntoy debug: {} loaded as process {}, stopped before its first instruction\n", imageName,
        p->id());
    out_ << fmt::format("break on: {}; type help for the commands\n",
                        breakOnText(observer_.breakOn));
    printLocation();
    out_.flush();
}

void DebugSession::execute(std::string_view line) {
    if (ended_)
        return;
    const auto words = splitWords(line);
    if (words.empty()) {
        if (!repeatable_.empty())
            dispatch(std::string(repeatable_));  // a copy: dispatch clears repeatable_
    } else {
        dispatch(line);
    }
    out_.flush();
}

void DebugSession::dispatch(std::string_view line) {
    const auto words = splitWords(line);
    const std::string_view command = words[0];
    const Words args = Words(words).subspan(1);
    // Only si, c and x can be repeated by an empty line, and only right after they ran.
    repeatable_.clear();
    if (command.starts_with('!'))
        return extensionCommand(line);
    if (command == "c" || command == "continue") {
        repeatable_ = line;
        return continueCommand(args);
    }
    if (command == "si" || command == "stepi") {
        repeatable_ = line;
        return stepCommand(args);
    }
    if (command == "b" || command == "break")
        return breakpointCommand(args);
    if (command == "delete" || command == "d")
        return deleteCommand(args);
    if (command == "break-on")
        return breakOnCommand(args);
    if (command == "regs" || command == "r")
        return registersCommand(args);
    if (command == "x" || command.starts_with("x/"))
        return examineCommand(command.substr(command == "x" ? 1 : 2), args, false);
    if (command == "xp" || command.starts_with("xp/"))
        return examineCommand(command.substr(command == "xp" ? 2 : 3), args, true);
    if (command == "dis")
        return disassembleCommand(args);
    if (command == "help" || command == "h" || command == "?")
        return helpCommand();
    if (command == "q" || command == "quit") {
        ended_ = true;
        return;
    }
    error(fmt::format("unknown command '{}': type help for the commands", command));
}

void DebugSession::error(std::string_view message) {
    out_ << message << '\n';
}

void DebugSession::continueCommand(Words args) {
    if (!args.empty())
        return error("usage: c");
    observer_.stepping = false;
    kernel_.exceptions().stopBeforeUnhandledExit = observer_.holdsUnhandled();
    out_.flush();
    reportRun(kernel_.resume());
}

void DebugSession::stepCommand(Words args) {
    if (args.size() > 1)
        return error("usage: si [N]");
    std::uint64_t count = 1;
    if (args.size() == 1) {
        auto n = parseCount(args[0]);
        if (!n)
            return error(n.error());
        count = *n;
    }
    observer_.stepping = true;
    kernel_.exceptions().stopBeforeUnhandledExit = observer_.holdsUnhandled();
    out_.flush();
    std::expected<Kernel::RunState, RunError> state = Kernel::RunState::Paused;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (observer_.unhandledHeld()) {
            state = kernel_.resume();  // the held exception ends the process
            break;
        }
        if (auto stepped = target().step(); !stepped) {
            state = std::unexpected(RunError{RunError::Kind::Machine, stepped.error()});
            break;
        }
        if (kernel_.process()->exitStatus()) {
            state = kernel_.resume();  // only finishes the process
            break;
        }
        const auto cause = target().lastStop().cause;
        if (observer_.hasReports() || cause == hal::DebugTarget::StopCause::Breakpoint ||
            cause == hal::DebugTarget::StopCause::Interrupted)
            break;
    }
    observer_.stepping = false;
    reportRun(state);
}

void DebugSession::reportRun(const std::expected<Kernel::RunState, RunError>& state) {
    printReports();
    if (!state) {
        out_ << fmt::format("ntoy: the machine stopped: {}\n", state.error().message);
        ended_ = true;
        exitCode_ = exitStatusFor(state.error());
        return;
    }
    if (*state == Kernel::RunState::Exited) {
        const std::uint32_t status = kernel_.exitStatus().value_or(0);
        out_ << fmt::format("process exited with status {} ({:#010x})\n", status, status);
        ended_ = true;
        exitCode_ = guestExitStatus(status, kernel_.exitReason());
        return;
    }
    const auto& stop = target().lastStop();
    if (stop.cause == hal::DebugTarget::StopCause::Interrupted)
        out_ << "interrupted\n";
    if (stop.cause == hal::DebugTarget::StopCause::Breakpoint) {
        for (const auto& [number, address] : breakpoints_)
            if (address == stop.address)
                out_ << fmt::format("breakpoint {}, {:#x}\n", number, address);
    }
    printLocation();
}

void DebugSession::printReports() {
    for (const std::string& report : observer_.takeReports())
        out_ << report;
}

void DebugSession::printLocation() {
    const std::uint64_t rip = kernel_.process()->cpu().reg(hal::Reg::Rip);
    const auto here = instructionsAt(kernel_.process()->space(), disassembler_, rip, 1);
    if (here.empty())
        out_ << fmt::format("=> {:#x}  (code not readable: {})\n", rip, unreadableReason(rip));
    else
        out_ << "=> " << formatInstruction(here.front()) << '\n';
}

std::string DebugSession::unreadableReason(std::uint64_t va) {
    if (!kd::isCanonical(va))
        return "not a canonical address";
    constexpr std::array<const char*, 4> kLevels = {"PXE", "PPE", "PDE", "PTE"};
    const auto walk = kernel_.process()->space().tables().walk(VirtualAddress(va));
    for (std::size_t i = 0; i < walk.levels.size(); ++i) {
        const mm::Pte entry = walk.levels[i]->entry;
        if (entry.isValid())
            continue;
        if (i == 3)
            return "PTE " + kd::describePte(entry, true);
        return fmt::format("no page table ({} not valid)", kLevels[i]);
    }
    return "the instruction does not decode";
}

void DebugSession::breakpointCommand(Words args) {
    if (args.size() > 1)
        return error("usage: b ADDR");
    if (args.empty()) {
        if (breakpoints_.empty())
            out_ << "no breakpoints\n";
        for (const auto& [number, address] : breakpoints_)
            out_ << fmt::format("{:>3}  {:#x}\n", number, address);
        return;
    }
    auto va = parseAddress(args[0], kernel_.process()->cpu());
    if (!va)
        return error(va.error());
    if (!kd::isCanonical(*va))
        return error(fmt::format("{:#x} is not a canonical address", *va));
    if (!target().addBreakpoint(VirtualAddress(*va)))
        return error(fmt::format("a breakpoint is already at {:#x}", *va));
    breakpoints_[nextBreakpoint_] = *va;
    out_ << fmt::format("breakpoint {} at {:#x}\n", nextBreakpoint_++, *va);
}

void DebugSession::deleteCommand(Words args) {
    if (args.size() > 1)
        return error("usage: delete [N]");
    if (args.empty()) {
        for (const auto& [number, address] : breakpoints_)
            target().removeBreakpoint(VirtualAddress(address));
        breakpoints_.clear();
        out_ << "deleted all breakpoints\n";
        return;
    }
    auto n = parseCount(args[0]);
    if (!n)
        return error(n.error());
    auto it = breakpoints_.find(static_cast<unsigned>(*n));
    if (*n > ~0u || it == breakpoints_.end())
        return error(fmt::format("no breakpoint {}", args[0]));
    target().removeBreakpoint(VirtualAddress(it->second));
    breakpoints_.erase(it);
    out_ << fmt::format("deleted breakpoint {}\n", *n);
}

void DebugSession::breakOnCommand(Words args) {
    if (!args.empty()) {
        BreakOn b{false, false, false};
        for (std::string_view w : args) {
            if (w == "fault" || w == "faults")
                b.fault = true;
            else if (w == "syscall" || w == "syscalls")
                b.syscall = true;
            else if (w == "exception" || w == "exceptions")
                b.exception = true;
            else if (w != "none")
                return error(
                    fmt::format("break-on: '{}' is not one of fault, syscall, exception, none", w));
        }
        observer_.breakOn = b;
    }
    out_ << fmt::format("break on: {}\n", breakOnText(observer_.breakOn));
}

void DebugSession::registersCommand(Words args) {
    if (!args.empty())
        return error("usage: regs");
    out_ << formatRegisters(kernel_.process()->cpu());
}

void DebugSession::examineCommand(std::string_view format, Words args, bool physical) {
    const char* usage = physical ? "usage: xp/N[bhwgq] PA" : "usage: x/N[bhwgq] VA";
    if (args.size() != 1)
        return error(usage);
    auto f = parseDumpFormat(format);
    if (!f)
        return error(f.error());
    auto address = parseAddress(args[0], kernel_.process()->cpu());
    if (!address)
        return error(address.error());
    if (f->count > kMaxDumpBytes / f->unitSize)
        return error(fmt::format("at most {} bytes at a time", kMaxDumpBytes));
    std::vector<std::byte> bytes(f->count * f->unitSize);
    if (physical) {
        const auto& ram = kernel_.memoryManager().pfns().memory();
        bytes.resize(kd::readPhysical(ram, PhysicalAddress(*address), bytes));
        out_ << formatDump(*address, bytes, f->unitSize);
        if (bytes.size() < f->count * f->unitSize)
            error(fmt::format("cannot access physical memory at {:#x}: RAM is {:#x}-{:#x}",
                              *address + bytes.size(), ram.firstPfn().address().value(),
                              ram.endPfn().address().value() - 1));
        return;
    }
    if (!kd::isCanonical(*address))
        return error(
            fmt::format("cannot access memory at {:#x}: not a canonical address", *address));
    bytes.resize(kd::readVirtual(kernel_.process()->space(), VirtualAddress(*address), bytes));
    out_ << formatDump(*address, bytes, f->unitSize);
    if (bytes.size() < f->count * f->unitSize) {
        const std::uint64_t at = *address + bytes.size();
        return error(fmt::format("cannot access memory at {:#x}: {}", at, unreadableReason(at)));
    }
    // Repeated, it goes on from where it stopped, as gdb's x does.
    repeatable_ =
        fmt::format("x/{}{} {:#x}", f->count, unitLetter(f->unitSize), *address + bytes.size());
}

void DebugSession::disassembleCommand(Words args) {
    if (args.size() > 2)
        return error("usage: dis [ADDR] [N]");
    const std::uint64_t rip = kernel_.process()->cpu().reg(hal::Reg::Rip);
    std::uint64_t address = rip;
    std::uint64_t count = kDefaultDisassembly;
    if (!args.empty()) {
        auto a = parseAddress(args[0], kernel_.process()->cpu());
        if (!a)
            return error(a.error());
        address = *a;
    }
    if (args.size() == 2) {
        auto n = parseCount(args[1]);
        if (!n)
            return error(n.error());
        if (*n > kMaxDisassembly)
            return error(fmt::format("at most {} instructions at a time", kMaxDisassembly));
        count = *n;
    }
    if (!kd::isCanonical(address))
        return error(fmt::format("cannot disassemble at {:#x}: not a canonical address", address));
    const auto code = instructionsAt(kernel_.process()->space(), disassembler_, address, count);
    for (const Instruction& in : code)
        out_ << (in.address == rip ? "=> " : "   ") << formatInstruction(in) << '\n';
    if (code.size() < count) {
        const std::uint64_t at =
            code.empty() ? address : code.back().address + code.back().bytes.size();
        error(fmt::format("cannot disassemble at {:#x}: {}", at, unreadableReason(at)));
    }
}

void DebugSession::extensionCommand(std::string_view line) {
    // The extensions read numbers only; a register argument ("@rip", "rsp+8", as WinDbg
    // allows) is replaced by its value first.
    std::string command;
    for (std::string_view word : splitWords(line)) {
        std::string text(word);
        if (!command.empty() && !kd::parseWinDbgNumber(word)) {
            if (auto value = parseAddress(word, kernel_.process()->cpu()))
                text = fmt::format("{:#x}", *value);
        }
        command += (command.empty() ? "" : " ") + text;
    }
    auto result = kd::runExtension(kernel_, command);
    out_ << (result ? *result : result.error() + '\n');
}

void DebugSession::helpCommand() {
    out_ << kHelp;
}

}  // namespace ntoy::dbg
