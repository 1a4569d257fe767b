// The user-mode environment of a new process: its initial thread's stack (reserved, with a
// committed top and a guard page below), TEB, PEB and process parameters, laid out as on
// 64-bit Windows (see guest/include/ntoy/process_layout.h).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "kernel/ldr/PeImage.h"
#include "kernel/ps/Process.h"

namespace ntoy::ps {

// The initial thread's stack, in bytes: the image's SizeOfStackReserve and SizeOfStackCommit
// rounded as Windows rounds them, or why they cannot be had.
struct StackSize {
    std::uint64_t reserve;
    std::uint64_t commit;
};
std::expected<StackSize, std::string> initialStackSize(const ldr::PeImage& exe);

// Windows' quoting of a command line: arguments with spaces or quotes are quoted, with
// backslashes before quotes doubled.
std::string buildCommandLine(const std::vector<std::string>& argv);

// What a new process is told about itself, in its RTL_USER_PROCESS_PARAMETERS.
struct ProcessStrings {
    std::string imagePath;
    std::string commandLine;
    std::string currentDirectory;
    std::u16string environment;  // NAME=VALUE\0...\0\0, or empty
};

// The PEB and the process parameters, and the console handles. Errors are one line each; all
// of them mean the process cannot be created.
std::expected<void, std::string> buildProcessEnvironment(Process& process, VirtualAddress imageBase,
                                                         const ProcessStrings& strings);

// A thread's user environment (`initial`: the process's first, whose errors name the image's
// fields): its stack (reserved, the top committed, a guard page below)
// and its TEB.
struct ThreadEnvironment {
    VirtualAddress stackAllocation;  // the reservation's base (DeallocationStack)
    VirtualAddress stackBase;        // top of the stack (exclusive)
    VirtualAddress stackLimit;       // lowest committed byte
    VirtualAddress teb;
};
std::expected<ThreadEnvironment, std::string> buildThreadEnvironment(Process& process,
                                                                     std::uint32_t threadId,
                                                                     StackSize size, bool initial);
// Gives a thread's stack and TEB back (what buildThreadEnvironment made of them).
void freeThreadEnvironment(Process& process, const ThreadEnvironment& thread);

}  // namespace ntoy::ps
