// A system call in progress: its number, its arguments (captured once, before any work),
// and the process and CPU it came from.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "kernel/base/NtStatus.h"
#include "kernel/hal/Cpu.h"
#include "kernel/ke/ExceptionDispatch.h"
#include "kernel/mm/UserMemory.h"
#include "kernel/ps/Process.h"

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

    std::uint64_t arg(std::size_t i) const { return args[i]; }
    VirtualAddress pointer(std::size_t i) const { return VirtualAddress(args[i]); }
};

using SystemCallHandler = NtStatus (*)(SystemCall&);

struct SystemCallEntry {
    std::string_view name;
    std::uint8_t argumentCount;
    SystemCallHandler handler;
};

// The table, indexed by number; empty for an unknown number.
const SystemCallEntry* findSystemCall(std::uint64_t number);

// Handlers, each in the file of its concept.
#define NTOY_DECLARE_HANDLER(number, name, args) NtStatus name(SystemCall& call);
}  // namespace ntoy::ke

#include "ntoy/syscalls.h"

namespace ntoy::ke {
NTOY_SYSCALLS(NTOY_DECLARE_HANDLER)
#undef NTOY_DECLARE_HANDLER
}  // namespace ntoy::ke
