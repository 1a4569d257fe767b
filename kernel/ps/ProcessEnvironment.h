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

// Windows' quoting of a command line: arguments with spaces or quotes are quoted, with
// backslashes before quotes doubled.
std::string buildCommandLine(const std::vector<std::string>& argv);

std::expected<InitialThread, std::string> buildEnvironment(Process& process,
                                                           const ldr::PeImage& exe,
                                                           VirtualAddress imageBase,
                                                           const std::string& imagePath,
                                                           const std::string& commandLine);

}  // namespace ntoy::ps
