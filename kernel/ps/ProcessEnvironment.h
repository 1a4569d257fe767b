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

struct InitialThread {
    VirtualAddress stackBase;  // top of the stack (exclusive)
    VirtualAddress teb;
    VirtualAddress peb;
};

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

// Errors are one line each; all of them mean the process cannot be created from this image.
std::expected<InitialThread, std::string> buildEnvironment(Process& process,
                                                           const ldr::PeImage& exe,
                                                           VirtualAddress imageBase,
                                                           const std::string& imagePath,
                                                           const std::string& commandLine);

}  // namespace ntoy::ps
