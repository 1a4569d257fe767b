// A processor's debug controls, as the debugger and the gdb stub use them: single steps,
// breakpoints and watchpoints that never patch guest memory, and a pause that can be asked
// for while the guest runs. The kernel itself never uses them.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>

#include "kernel/base/Types.h"

namespace ntoy::hal {

class DebugTarget {
public:
    enum class StopCause : std::uint8_t {
        None,
        Requested,    // a trap handler or observer asked (Cpu::requestStop)
        Breakpoint,   // before the instruction at the breakpoint
        Watchpoint,   // after the instruction that accessed a watched range
        Step,         // one instruction done
        Interrupted,  // the pause check said so (Ctrl-C, gdb's break-in)
    };
    struct Stop {
        StopCause cause = StopCause::None;
        std::uint64_t address = 0;  // the breakpoint, or the watched address accessed
        bool write = false;         // for a watchpoint
    };
    enum class WatchKind : std::uint8_t { Write, Read, Access };

    // Asked, while the guest runs, at instruction boundaries (each translated block's start)
    // whether to pause; true stops the guest there with StopCause::Interrupted. Called on
    // the emulation thread: an answer set by a signal handler or another thread must be an
    // atomic the check reads.
    class PauseCheck {
    public:
        virtual bool pauseRequested() = 0;

    protected:
        ~PauseCheck() = default;
    };

    // Executes one instruction. A fault it raises is handled by the kernel first; the
    // instruction then has not completed if the kernel asked to stop, and RIP still points
    // at it (or at the handler the kernel entered).
    virtual std::expected<void, std::string> step() = 0;
    // Stops before executing the instruction at `va`, once per execution: an instruction
    // that faults and is retried is one execution. False if one is there already.
    virtual bool addBreakpoint(VirtualAddress va) = 0;
    virtual bool removeBreakpoint(VirtualAddress va) = 0;
    // Stops once the instruction that accessed the range is done, before the next one, as
    // x86 debug registers do.
    virtual bool addWatchpoint(VirtualAddress va, std::uint64_t length, WatchKind kind) = 0;
    virtual bool removeWatchpoint(VirtualAddress va, std::uint64_t length, WatchKind kind) = 0;
    // Why the last run or step returned.
    virtual const Stop& lastStop() const = 0;
    // The x87 registers, which hal::Cpu does not carry: ST0-7 as 80-bit values, and the
    // control block in gdb's order. The setters fail only if the machine refuses the value.
    using X87Value = std::array<std::uint8_t, 10>;
    enum class X87Control : std::uint8_t {
        Control,
        Status,
        Tag,
        CodeSegment,
        CodeOffset,
        DataSegment,
        DataOffset,
        Opcode,
        Count
    };
    virtual X87Value x87Register(unsigned index) = 0;
    virtual bool setX87Register(unsigned index, const X87Value& value) = 0;
    virtual std::uint64_t x87Control(X87Control r) = 0;
    virtual bool setX87Control(X87Control r, std::uint64_t value) = 0;
    // Installs (or, with nullptr, removes) the pause check. Install it before the guest's
    // first instruction: code translated earlier does not ask it.
    virtual void setPauseCheck(PauseCheck* check) = 0;

protected:
    ~DebugTarget() = default;
};

}  // namespace ntoy::hal
