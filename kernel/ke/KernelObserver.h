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
#include "kernel/mm/PagingEvents.h"
#include "kernel/mm/Vad.h"

namespace ntoy::ps {
class Process;
class Thread;
}  // namespace ntoy::ps

namespace ntoy::ke {

// Who an event happened to: the process and the thread on the CPU.
struct EventOrigin {
    std::uint32_t processId = 0;
    std::uint32_t threadId = 0;
};

struct PageFaultEvent {
    std::uint64_t number;  // 1 for the process's first fault
    std::uint64_t rip;
    std::uint64_t cr2;
    std::uint32_t errorCode;
    mm::PageTables::Walk walkBefore;  // the CPU's view when it faulted
    std::optional<mm::Vad> vad;       // the allocation covering CR2, if any
    const mm::PageFaultOutcome& outcome;
    EventOrigin origin = {};
    std::string_view imageName = {};  // the faulting process's executable's file name
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
    EventOrigin origin = {};
};

struct ExceptionEvent {
    const ExceptionRecord& record;
    bool firstChance;
    bool delivered;  // to KiUserExceptionDispatcher; false when the process ends
    EventOrigin origin = {};
};

class KernelObserver {
public:
    virtual ~KernelObserver() = default;
    // A process was created, its images mapped, before its first instruction.
    virtual void processStart(const ps::Process&) {}
    virtual void pageFault(const PageFaultEvent&) {}
    virtual void systemCall(const SystemCallEvent&) {}
    virtual void exception(const ExceptionEvent&) {}
    // A thread was created (a process's first thread too, before processStart), and one
    // ended, with its exit status set.
    virtual void threadStart(const ps::Thread&) {}
    virtual void threadExit(const ps::Thread&) {}
    // Any other CPU exception, before it becomes a user exception.
    virtual void cpuException(const hal::CpuException&, std::uint64_t /*rip*/) {}
    // Pages left `owner`'s working set (mm::TrimEvent's `space` is its), while the thread of
    // `origin` ran (in another process, when its fault needed the frames).
    virtual void trim(EventOrigin /*origin*/, const ps::Process& /*owner*/, const mm::TrimEvent&) {}
    // The paging file was written (the modified-page writer) or read (a hard fault).
    virtual void pageIo(EventOrigin /*origin*/, const mm::PageIoEvent&) {}
    // The process's last thread has ended; its address space is still there.
    virtual void processExit(const ps::Process&, std::uint32_t /*status*/) {}
};

}  // namespace ntoy::ke
