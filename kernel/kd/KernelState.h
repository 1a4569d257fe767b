// What the extensions read from the live kernel, and the checks they all make first.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "kernel/mm/AddressSpace.h"
#include "kernel/ps/Process.h"

namespace ntoy {
class Kernel;
}

namespace ntoy::kd {

// x86-64 addresses must sign-extend bit 47.
constexpr bool isCanonical(std::uint64_t va) {
    const std::uint64_t top = va >> 47;
    return top == 0 || top == 0x1FFFF;
}

// The running process, or a message saying there is none.
std::expected<ps::Process*, std::string> currentProcess(Kernel& kernel);

// The page tables that map `va`: the process's; with no process, the system tables for a
// system address.
std::expected<const mm::PageTables*, std::string> tablesFor(Kernel& kernel, VirtualAddress va);

// A process named by its client id as ntoy prints it: decimal ("1000"), or hex with 0x; a
// message saying what was wrong when no live process has it.
std::expected<ps::Process*, std::string> processById(Kernel& kernel, std::string_view text);

// The file name of the process's executable: "touch_demo.exe".
std::string imageName(const ps::Process& process);

// "Ready", "Running", "Waiting", "Initialized" (not yet in user mode), "Terminated".
std::string_view threadStateName(const ps::Thread& thread);

// A thread's instruction and stack pointers, on its processor or saved.
struct ThreadPointers {
    std::uint64_t rip = 0, rsp = 0;
};
ThreadPointers threadPointers(Kernel& kernel, ps::Thread& thread);

// What an allocation holds, as !address names it ("Image", "Stack", "PEB", "TEB",
// "<unknown>"), and for an image its path.
struct AllocationUsage {
    std::string usage;
    std::string imagePath;
};
AllocationUsage allocationUsage(const ps::Process& process, const mm::Vad& vad);

}  // namespace ntoy::kd
