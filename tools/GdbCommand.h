// `ntoy run --gdb HOST:PORT`: the guest waits for gdb before its first instruction and then
// runs under gdb's control (the remote stub in emulator/gdb).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "kernel/Kernel.h"

namespace ntoy::cli {

// Adds --gdb to `run`; a malformed address is refused as the command line is parsed.
CLI::Option* addGdbOption(CLI::App& run, std::string& address);

// Loads the image, says on stderr where it waits for gdb, and serves gdb until it lets go;
// returns the guest's exit status as Kernel::run does. `observer` (the tracer), if any,
// keeps hearing the kernel's events.
std::expected<std::uint32_t, RunError> runUnderGdb(Kernel& kernel,
                                                   const std::filesystem::path& image,
                                                   const std::vector<std::string>& argv,
                                                   const std::filesystem::path& systemDir,
                                                   const std::string& address,
                                                   ke::KernelObserver* observer);

}  // namespace ntoy::cli
