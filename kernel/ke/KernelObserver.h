// What the kernel tells a listener (the tracer, the debugger) as a process runs. Listeners
// only look; to stop the guest they call Kernel::requestPause().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/hal/Cpu.h"
#include "kernel/ke/Context.h"
#include "kernel/mm/PageFault.h"
#include "kernel/mm/PageTables.h"
#include "kernel/mm/Vad.h"

namespace ntoy::ps {
class Process;
}

namespace ntoy::ke {

struct PageFaultEvent {
    std::uint64_t number;  // 1 for the process's first fault
    std::uint64_t rip;
    std::uint64_t cr2;
    std::uint32_t errorCode;
    mm::PageTables::Walk walkBefore;  // the CPU's view when it faulted
    std::optional<mm::Vad> vad;       // the allocation covering CR2, if any
    const mm::PageFaultOutcome& outcome;
    // Who faulted: the process, its executable's file name, and the thread.
    std::uint32_t processId = 0;
    std::string_view imageName = {};
    std::uint32_t threadId = 0;
};

// A value a system call handed back through a pointer argument ("BaseAddress").
struct SystemCallOutput {
    std::string_view name;
    std::uint64_t value;
};

struct SystemCallEvent {
    std::string_view name;
    std::uint64_t number;
    std::span<const std::uint64_t> args;
    std::uint32_t status;
    // What it handed back through its pointer arguments, if it succeeded ("BaseAddress").
    std::span<const SystemCallOutput> outputs = {};
};

struct ExceptionEvent {
    const ExceptionRecord& record;
    bool firstChance;
    bool delivered;  // to KiUserExceptionDispatcher; false when the process ends
};

class KernelObserver {
public:
    virtual ~KernelObserver() = default;
    // A process was created, its images mapped, before its first instruction.
    virtual void processStart(const ps::Process&) {}
    virtual void pageFault(const PageFaultEvent&) {}
    virtual void systemCall(const SystemCallEvent&) {}
    virtual void exception(const ExceptionEvent&) {}
    // Any other CPU exception, before it becomes a user exception.
    virtual void cpuException(const hal::CpuException&, std::uint64_t /*rip*/) {}
    virtual void processExit(std::uint32_t /*status*/) {}
};

}  // namespace ntoy::ke
