// The machine as the kernel sees it: physical memory, the MMU of system space, and one
// processor per address space. The emulator implements it on Unicorn; tests implement it
// with plain memory.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "kernel/hal/Cpu.h"
#include "kernel/hal/DebugTarget.h"
#include "kernel/hal/Mmu.h"
#include "kernel/hal/PhysicalMemory.h"

namespace ntoy::hal {

// Where the CPU goes when user code traps. Handlers run on the host, with the user context
// still in the CPU; they edit it and return, and the CPU resumes where RIP points.
class TrapHandler {
public:
    virtual ~TrapHandler() = default;
    // RIP is at the SYSCALL instruction; unless the handler moves it, the CPU resumes after
    // it. The handler sets what SYSRET would leave (RAX, RCX, R11).
    virtual void systemCall(Cpu& cpu) = 0;
    virtual void exception(Cpu& cpu, const CpuException& e) = 0;
    // Ring-0 code moved CR8 (the IRQL) from `from` to `to`; RIP is past the instruction.
    virtual void irqlChanged(Cpu& cpu, std::uint8_t from, std::uint8_t to) {
        (void)cpu;
        (void)from;
        (void)to;
    }
};

// The system registers a new processor starts with, chosen by the kernel.
struct SystemRegisters {
    std::uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
    std::uint64_t gdtBase = 0;
    std::uint16_t gdtLimit = 0;
    std::uint16_t trSelector = 0;
    std::uint64_t tssBase = 0;
    std::uint32_t tssLimit = 0;
    // The kernel's TLB-flush routine: CPL0 code that reloads CR3 and ends with SYSCALL, which
    // the processor takes as the routine's end. The processor runs it (in a context of its
    // own, invisible to the guest) to make page-table changes visible before the guest runs.
    std::uint64_t tlbFlushRoutine = 0;
};

// A thread's registers while it is off its processor: opaque to the kernel.
class SavedContext {
public:
    virtual ~SavedContext() = default;
};

// One address space's processor: its registers, TLB and translated-code cache, and the MMU
// of its user half. The threads of the address space take turns on it.
class Processor : public Cpu, public Mmu {
public:
    virtual void loadSystemRegisters(const SystemRegisters& regs) = 0;
    // Thread switches: the whole register state (general, segment, x87, SSE, control) out of
    // the processor and back. Only between runs.
    // `into` is reused when it holds a context of this processor's.
    virtual void saveContext(std::unique_ptr<SavedContext>& into) = 0;
    virtual void restoreContext(const SavedContext& context) = 0;
    // The state the processor had when its system registers were loaded (CPL0): where a new
    // thread's context starts.
    virtual void resetContext() = 0;
    // Ends the current run() soon, at a block boundary, for the scheduler, if the processor
    // is preemptible. Safe to call from any host thread while run() runs.
    virtual void preempt() = 0;
    // Whether preempt() can end a run. Off, the processor runs with no cost for it; on, the
    // processor stops at the next block boundary when asked (at no cost on the guest's path
    // where the engine allows it, else with a check at every block). Only between runs.
    virtual void setPreemptible(bool on) = 0;
    // Deterministic preemption: run() also ends once `blocks` translated blocks have started
    // (0: never). Counted across runs until the count is reached.
    virtual void setBlockQuantum(std::uint64_t blocks) = 0;
    // Whether the last run() ended because of preempt() or the block quantum.
    virtual bool preempted() const = 0;
    // Runs from the current RIP until a trap handler calls requestStop(). An error is a
    // machine failure (not a guest fault), worded for the user.
    virtual std::expected<void, std::string> run() = 0;
    // Ring-0 code on the guest's behalf: from a trap handler, asks that once the trap
    // returns, `routine` (CPL0 code in system space that ends with SYSCALL) runs in a CPL0
    // context of its own, with RCX, RDX, R8 and R9 from `args`; its closing SYSCALL calls
    // `done` with its RAX and resumes the trapped thread as the trap left it. A page fault it
    // takes goes to TrapHandler::exception at CPL0, which resolves it (the routine retries)
    // or bug checks. False if the processor cannot run ring-0 code.
    using KernelRoutineDone = std::function<void(std::uint64_t rax)>;
    virtual bool callKernelRoutine(std::uint64_t routine, const std::array<std::uint64_t, 4>& args,
                                   KernelRoutineDone done) {
        (void)routine;
        (void)args;
        (void)done;
        return false;
    }
    // Its debug controls, for a debugger; nullptr where the processor has none.
    virtual DebugTarget* debugTarget() { return nullptr; }
};

class Machine {
public:
    virtual ~Machine() = default;
    virtual PhysicalMemory physicalMemory() const = 0;
    // The MMU of system space, shared by every address space.
    virtual Mmu& systemMmu() = 0;
    virtual std::expected<std::unique_ptr<Processor>, std::string> createProcessor(
        TrapHandler& traps) = 0;
};

}  // namespace ntoy::hal
