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

constexpr std::string_view kHelp =
    "Execution\n"
    "  c, continue              run until the next stop (see break-on) or a breakpoint;\n"
    "                           Ctrl-C stops the guest where it is\n"
    "  si, stepi [N]            execute N instructions (1); a fault is reported and stops the\n"
    "                           step: the instruction runs again on the next si\n"
    "  b ADDR                   break before the instruction at ADDR; b alone lists them\n"
    "  delete [N]               delete breakpoint N, or all of them\n"
    "  break-on WHAT...         what c stops on: fault, hard-fault, table-fault, trim,\n"
    "                           syscall, exception, or none\n"
    "Registers and memory\n"
    "  r, regs                  the registers; r REG the one; r REG=VALUE[, ...] sets them\n"
    "  x/N[bhwgq] VA            N bytes, halfwords, words or giant words at virtual VA (gdb)\n"
    "  xp/N[bhwgq] PA           the same at physical PA\n"
    "  db, dw, dd, dq [VA] [L N] N bytes, words, dwords or qwords at VA, as WinDbg shows them\n"
    "  eb, ew, ed, eq VA V...   write the values at VA\n"
    "Code, symbols and the stack\n"
    "  dis [ADDR] [N]           disassemble N instructions (8) from ADDR (rip)\n"
    "  u [ADDR] [L N]           the same, WinDbg's way: u alone goes on after the last\n"
    "  ln ADDR                  the symbols nearest ADDR\n"
    "  lm                       the loaded modules and where their symbols come from\n"
    "  k [N]                    the call stack, N frames (20), unwound from .pdata\n"
    "Processes and threads (what the commands above read)\n"
    "  .process [PID]           put process PID in view (!process 0 0 lists them)\n"
    "  .report FILE.html        write a report of the machine now and the run so far\n"
    "  ~                        the threads of the process in view ('.' marks the one in view)\n"
    "  ~N s                     put thread N in view; si steps only the one the guest stopped in\n"
    "Kernel extensions, as in WinDbg\n";

constexpr std::string_view kHelpEnd =
    "Other\n"
    "  help                     this list\n"
    "  q, quit                  end the session\n"
    "Addresses are hex (0x optional), a register or a symbol (kernel32!VirtualAlloc, or\n"
    "spin_inner alone), with an optional offset: rsp+8. Counts are decimal in si, dis and\n"
    "x, hex in the WinDbg commands (L20 is 32). An empty line repeats the si, c or x just\n"
    "before it (x goes on from where it stopped).\n";

std::string breakOnText(const BreakOn& b) {
    std::string s;
    for (auto [on, name] :
         {std::pair{b.fault, "fault"}, std::pair{b.syscall, "syscall"},
          std::pair{b.exception, "exception"}, std::pair{b.hardFault && !b.fault, "hard-fault"},
          std::pair{b.tableFault && !b.fault, "table-fault"}, std::pair{b.trim, "trim"}})
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
    if (!interrupts_)
        return;
    for (const auto& [id, process] : kernel_.processes())
        if (process->hasAddressSpace())
            if (hal::DebugTarget* t = process->cpu().debugTarget())
                t->setPauseCheck(nullptr);
}

hal::DebugTarget& DebugSession::target() {
    return *kernel_.process()->cpu().debugTarget();
}

std::uint64_t DebugSession::reg(hal::Reg r) {
    std::uint64_t value = 0;
    withRegisters([&](hal::Cpu& cpu) { value = cpu.reg(r); });
    return value;
}

std::expected<std::uint64_t, std::string> DebugSession::address(std::string_view text) {
    std::expected<std::uint64_t, std::string> value = 0;
    withRegisters([&](hal::Cpu& cpu) { value = parseAddress(text, cpu, &symbols_); });
    return value;
}

void DebugSession::start(std::string_view imageName) {
    ps::Process* p = kernel_.process();
    if (interrupts_) {
        target().setPauseCheck(interrupts_);
        observer_.interrupts = interrupts_;  // for the processes the guest starts
    }
    symbols_.update(*p, kernel_.systemImages());
    stoppedProcess_ = p->id();
    stoppedThread_ = kernel_.thread()->id();
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
    if (command.starts_with('~'))
        return threadsCommand(line);
    if (command == ".process")
        return processViewCommand(args);
    if (command == ".report")
        return reportCommand(args);
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
    constexpr std::pair<std::string_view, unsigned> kUnits[] = {
        {"b", 1}, {"w", 2}, {"d", 4}, {"q", 8}};
    for (const auto& [suffix, size] : kUnits) {
        if (command.size() == 2 && command.substr(1) == suffix) {
            if (command[0] == 'd')
                return displayCommand(size, args);
            if (command[0] == 'e')
                return enterCommand(size, args);
        }
    }
    if (command == "dis")
        return disassembleCommand(args);
    if (command == "u")
        return unassembleCommand(args);
    if (command == "ln")
        return nearSymbolsCommand(args);
    if (command == "lm")
        return modulesCommand(args);
    if (command == "k")
        return stackCommand(args);
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
    // The guest goes on from where it stopped: an exception held there ends that process.
    backToStoppedThread();
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
    if (auto elsewhere = notOnStoppedThread())
        return error(*elsewhere);
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
    // The view is where the guest stopped; it may have loaded images.
    stoppedProcess_ = kernel_.process()->id();
    stoppedThread_ = kernel_.thread()->id();
    viewChanged();
    const auto& stop = target().lastStop();
    if (stop.cause == hal::DebugTarget::StopCause::Interrupted)
        out_ << "interrupted\n";
    if (stop.cause == hal::DebugTarget::StopCause::Breakpoint) {
        for (const auto& [number, b] : breakpoints_)
            if (b.address == stop.address && b.processId == stoppedProcess_)
                out_ << fmt::format("breakpoint {}, {:#x}\n", number, b.address);
    }
    printLocation();
}

void DebugSession::printReports() {
    for (const std::string& report : observer_.takeReports())
        out_ << report;
}

void DebugSession::printLocation() {
    const std::uint64_t rip = reg(hal::Reg::Rip);
    const auto here = instructionsAt(kernel_.process()->space(), disassembler_, rip, 1);
    if (here.empty())
        out_ << fmt::format("=> {:#x}  (code not readable: {})\n", rip, unreadableReason(rip));
    else
        out_ << formatListing(here, rip, &symbols_);
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
        const std::uint32_t here = kernel_.process()->id();
        for (const auto& [number, b] : breakpoints_)
            out_ << fmt::format("{:>3}  {:#x}  {}\n", number, b.address,
                                b.processId == here ? symbols_.describe(b.address)
                                                    : fmt::format("(process {})", b.processId));
        return;
    }
    auto va = address(args[0]);
    if (!va)
        return error(va.error());
    if (!kd::isCanonical(*va))
        return error(fmt::format("{:#x} is not a canonical address", *va));
    if (!target().addBreakpoint(VirtualAddress(*va)))
        return error(fmt::format("a breakpoint is already at {:#x}", *va));
    breakpoints_[nextBreakpoint_] = {kernel_.process()->id(), *va};
    const std::string name = symbols_.describe(*va);
    out_ << fmt::format("breakpoint {} at {:#x}{}\n", nextBreakpoint_++, *va,
                        name.empty() ? "" : " (" + name + ")");
}

void DebugSession::deleteCommand(Words args) {
    if (args.size() > 1)
        return error("usage: delete [N]");
    // A breakpoint goes from its own process's processor, if that process still lives.
    auto remove = [&](const Breakpoint& b) {
        if (ps::Process* p = kernel_.findProcess(b.processId); p && p->hasAddressSpace())
            p->cpu().debugTarget()->removeBreakpoint(VirtualAddress(b.address));
    };
    if (args.empty()) {
        for (const auto& [number, b] : breakpoints_)
            remove(b);
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
    remove(it->second);
    breakpoints_.erase(it);
    out_ << fmt::format("deleted breakpoint {}\n", *n);
}

void DebugSession::breakOnCommand(Words args) {
    if (!args.empty()) {
        BreakOn b{false, false, false, false, false, false};
        for (std::string_view w : args) {
            if (w == "fault" || w == "faults")
                b.fault = true;
            else if (w == "hard-fault" || w == "hard-faults")
                b.hardFault = true;
            else if (w == "table-fault" || w == "table-faults")
                b.tableFault = true;
            else if (w == "trim" || w == "trims")
                b.trim = true;
            else if (w == "syscall" || w == "syscalls")
                b.syscall = true;
            else if (w == "exception" || w == "exceptions")
                b.exception = true;
            else if (w != "none")
                return error(
                    fmt::format("break-on: '{}' is not one of fault, hard-fault, table-fault, "
                                "trim, syscall, exception, none",
                                w));
        }
        observer_.breakOn = b;
    }
    out_ << fmt::format("break on: {}\n", breakOnText(observer_.breakOn));
}

void DebugSession::extensionCommand(std::string_view line) {
    // The extensions read numbers only; a register or symbol argument ("@rip", "rsp+8",
    // "kernel32!VirtualAlloc", as WinDbg allows) is replaced by its value first.
    std::string command;
    for (std::string_view word : splitWords(line)) {
        std::string text(word);
        if (!command.empty() && !kd::parseWinDbgNumber(word)) {
            if (auto value = address(word))
                text = fmt::format("{:#x}", *value);
        }
        command += (command.empty() ? "" : " ") + text;
    }
    auto result = kd::runExtension(kernel_, command);
    out_ << (result ? *result : result.error() + '\n');
}

void DebugSession::helpCommand() {
    out_ << kHelp << kd::extensionHelp() << kHelpEnd;
}

}  // namespace ntoy::dbg
