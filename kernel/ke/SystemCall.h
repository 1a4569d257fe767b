// A system call in progress: its number, its arguments (captured once, before any work),
// and the process, thread and CPU it came from.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/base/NtStatus.h"
#include "kernel/hal/Cpu.h"
#include "kernel/ke/ExceptionDispatch.h"
#include "kernel/ke/Wait.h"
#include "kernel/mm/UserMemory.h"
#include "kernel/ps/Process.h"

namespace ntoy {
class Kernel;
}
namespace ntoy::ex {
class Pool;
}

namespace ntoy::ke {

inline constexpr std::size_t kMaxSystemCallArgs = 16;

struct SystemCall {
    ps::Process& process;
    hal::Cpu& cpu;
    mm::UserMemory user;
    ExceptionDispatcher& exceptions;
    std::array<std::uint64_t, kMaxSystemCallArgs> args{};
    // Set by calls that load a whole new register state (NtContinue): RAX is not the status.
    bool replacesContext = false;
    // The calling thread, and the kernel for the calls that create and end processes and
    // threads. Always set by the kernel's dispatcher; unit tests of memory calls leave them.
    ps::Thread* thread = nullptr;
    Kernel* kernel = nullptr;
    // The pools, for the calls that create objects (which have bodies there). Unit tests of
    // the object calls may leave it: their objects then have none.
    ex::Pool* pool = nullptr;
    // The system's waits, and the clock when the call began (100 ns units: interrupt time
    // since boot, system time since 1601), for the object and wait calls.
    WaitManager* waits = nullptr;
    std::uint64_t interruptTime = 0, systemTime = 0;

    std::uint64_t arg(std::size_t i) const { return args[i]; }
    VirtualAddress pointer(std::size_t i) const { return VirtualAddress(args[i]); }
};

using SystemCallHandler = NtStatus (*)(SystemCall&);

// A value a call hands back through a pointer argument: `size` bytes at `offset` from the
// pointer in argument `argument` (NtAllocateVirtualMemory's BaseAddress is argument 1's).
struct OutputParameter {
    std::string_view name;
    std::uint8_t argument;
    std::uint8_t offset;
    std::uint8_t size;
};
inline constexpr std::size_t kMaxOutputParameters = 4;

struct SystemCallEntry {
    std::string_view name;
    std::uint8_t argumentCount;
    SystemCallHandler handler;
    std::span<const OutputParameter> outputs;  // for the tracer and debugger, not the call
};

// The table, indexed by number; empty for an unknown number.
const SystemCallEntry* findSystemCall(std::uint64_t number);

// What a call that succeeded handed back, read from user memory as it now stands (never
// faulting anything in); a null pointer or an unreadable value is left out.
struct OutputValues {
    std::array<SystemCallOutput, kMaxOutputParameters> values{};
    std::size_t count = 0;
    std::span<const SystemCallOutput> span() const { return std::span(values.data(), count); }
};
OutputValues readOutputs(const SystemCallEntry& entry, const SystemCall& call, NtStatus status);

// Handlers, each in the file of its concept.
#define NTOY_DECLARE_HANDLER(number, name, args) NtStatus name(SystemCall& call);
}  // namespace ntoy::ke

#include "ntoy/syscalls.h"

namespace ntoy::ke {
NTOY_SYSCALLS(NTOY_DECLARE_HANDLER)
#undef NTOY_DECLARE_HANDLER
}  // namespace ntoy::ke
