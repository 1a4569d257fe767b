// `ntoy debug`: one debugging session over a loaded guest. Each command line runs here and
// prints to `out`; the guest runs only inside c and si, so that its output and the
// debugger's interleave in order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "emulator/debugger/Disassembler.h"
#include "emulator/debugger/StopObserver.h"
#include "emulator/debugger/Symbols.h"
#include "kernel/Kernel.h"

namespace ntoy::dbg {

class DebugSession {
public:
    // The caller installs observer() on the kernel (alone, or next to a tracer).
    // `interrupts`, if any, is installed as the processor's pause check at start(): when it
    // says so (Ctrl-C), c and si stop where the guest is.
    DebugSession(Kernel& kernel, const Disassembler& disassembler, std::ostream& out,
                 hal::DebugTarget::PauseCheck* interrupts = nullptr);
    ~DebugSession();
    DebugSession(const DebugSession&) = delete;
    DebugSession& operator=(const DebugSession&) = delete;

    StopObserver& observer() { return observer_; }

    // Says what was loaded and where the guest stands. Call once, after Kernel::load.
    void start(std::string_view imageName);
    // Runs one command line. An empty line repeats an si, c or x just before it.
    void execute(std::string_view line);
    // After q, or once the guest has ended.
    bool ended() const { return ended_; }
    // The guest's exit status modulo 256 if it ended, 3 if the machine failed, else 0.
    int exitCode() const { return exitCode_; }

private:
    using Words = std::span<const std::string_view>;
    void dispatch(std::string_view line);
    // Run control (DebugSession.cpp).
    void continueCommand(Words args);
    void stepCommand(Words args);
    void breakpointCommand(Words args);
    void deleteCommand(Words args);
    void breakOnCommand(Words args);
    // Registers, memory and code (InspectionCommands.cpp).
    void registersCommand(Words args);
    void examineCommand(std::string_view format, Words args, bool physical);
    void displayCommand(unsigned unitSize, Words args);
    void enterCommand(unsigned unitSize, Words args);
    void disassembleCommand(Words args);
    void unassembleCommand(Words args);
    void listCode(std::uint64_t address, std::uint64_t count);
    // Symbols and the stack (SymbolCommands.cpp).
    void nearSymbolsCommand(Words args);
    void modulesCommand(Words args);
    void stackCommand(Words args);
    void extensionCommand(std::string_view line);
    void helpCommand();

    // The process's debug controls (DebugCommand checks that it has them).
    hal::DebugTarget& target();
    hal::Processor& cpu() { return kernel_.process()->cpu(); }
    // An address argument: a number, a register or a symbol, with an optional offset.
    std::expected<std::uint64_t, std::string> address(std::string_view text);
    // Prints what the last run or step stopped on, or ends the session if the guest ended.
    void reportRun(const std::expected<Kernel::RunState, RunError>& state);
    void printReports();
    void printLocation();
    // Why `va` cannot be read: "no page table (PDE not valid)", "PTE not valid: ...".
    std::string unreadableReason(std::uint64_t va);
    void error(std::string_view message);

    Kernel& kernel_;
    const Disassembler& disassembler_;
    std::ostream& out_;
    hal::DebugTarget::PauseCheck* interrupts_;
    StopObserver observer_;
    Symbols symbols_;
    std::map<unsigned, std::uint64_t> breakpoints_;
    // Where db/dd/dq and u go on from when given no address, as in WinDbg.
    std::optional<std::uint64_t> nextDisplay_;
    std::optional<std::uint64_t> nextUnassemble_;
    unsigned nextBreakpoint_ = 1;
    std::string repeatable_;
    bool ended_ = false;
    int exitCode_ = 0;
};

}  // namespace ntoy::dbg
