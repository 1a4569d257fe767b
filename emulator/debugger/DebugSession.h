// `ntoy debug`: one debugging session over a loaded guest. Each command line runs here and
// prints to `out`; the guest runs only inside c and si, so that its output and the
// debugger's interleave in order. The commands read the process and thread in view
// (Kernel::process() and thread()): the ones the guest stopped in, until .process or ~N s
// chooses others.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "emulator/debugger/Disassembler.h"
#include "emulator/debugger/StopObserver.h"
#include "emulator/debugger/Symbols.h"
#include "kernel/Kernel.h"
#include "kernel/kd/ReportBuilder.h"

namespace ntoy::dbg {

class DebugSession {
public:
    // The caller installs observer() on the kernel (alone, or next to a tracer).
    // `interrupts`, if any, is installed as the processor's pause check at start(), and in
    // each process the guest starts: when it says so (Ctrl-C), c and si stop where the guest
    // is.
    DebugSession(Kernel& kernel, const Disassembler& disassembler, std::ostream& out,
                 hal::DebugTarget::PauseCheck* interrupts = nullptr);
    ~DebugSession();
    DebugSession(const DebugSession&) = delete;
    DebugSession& operator=(const DebugSession&) = delete;

    StopObserver& observer() { return observer_; }
    // What .report draws its timeline from: a builder that has heard the kernel's events
    // since before the process started. Without one, .report says so.
    void setReportBuilder(const kd::ReportBuilder& builder) { report_ = &builder; }

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
    // The system's processes and threads (SystemCommands.cpp).
    void processViewCommand(Words args);
    // .report FILE: the machine as it is now, with the run so far (ReportCommand.cpp).
    void reportCommand(Words args);
    void threadsCommand(std::string_view line);
    // The view changed: symbols and the places listings go on from are the new one's.
    void viewChanged();
    // One line of ~ for the thread at `index` of the process in view.
    std::string threadLine(std::size_t index, ps::Thread& thread);
    // Whether the view is on the thread the guest stopped in, which alone can step; else a
    // message saying how to go back to it.
    std::optional<std::string> notOnStoppedThread();
    // Puts the thread the guest stopped in back in view, if it still lives.
    void backToStoppedThread();
    void helpCommand();

    // The debug controls of the process in view (DebugCommand checks that it has them).
    hal::DebugTarget& target();
    // Runs fn(hal::Cpu&) over the registers of the thread in view, on its processor or saved;
    // what fn changes stays that thread's.
    template <typename F>
    void withRegisters(F&& fn) {
        if (ps::Thread* thread = kernel_.thread())
            kernel_.withThreadRegisters(*thread, std::forward<F>(fn));
        else
            fn(static_cast<hal::Cpu&>(kernel_.process()->cpu()));
    }
    std::uint64_t reg(hal::Reg r);
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
    // A breakpoint is in the processor of the process it was set in.
    struct Breakpoint {
        std::uint32_t processId;
        std::uint64_t address;
    };
    std::map<unsigned, Breakpoint> breakpoints_;
    // Where the guest stopped: the only thread si can step.
    std::uint32_t stoppedProcess_ = 0, stoppedThread_ = 0;
    // Where db/dd/dq and u go on from when given no address, as in WinDbg.
    std::optional<std::uint64_t> nextDisplay_;
    std::optional<std::uint64_t> nextUnassemble_;
    unsigned nextBreakpoint_ = 1;
    std::string repeatable_;
    bool ended_ = false;
    const kd::ReportBuilder* report_ = nullptr;
    int exitCode_ = 0;
};

}  // namespace ntoy::dbg
