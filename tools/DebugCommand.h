// `ntoy debug [--ram SIZE] [--batch FILE] [--trace FILE] IMAGE [ARGS...]`: the subcommand's
// options and its run, kept out of ntoy.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "tools/Pagefile.h"

namespace ntoy::cli {

struct DebugOptions {
    std::string ram = "64M";
    PagefileOptions pagefile;
    std::string batchFile;
    std::string traceFile;
    bool pageHeap = false;
    std::vector<std::string> drivers;  // --driver, loaded in this order before the program
    std::vector<std::string> verifier;
    std::string image;
    std::vector<std::string> guestArgs;
};

// Adds the subcommand to `app`, filling `options` when it is parsed.
CLI::App* addDebugCommand(CLI::App& app, DebugOptions& options);

// Runs the session. Exit status: the guest's modulo 256 if it ended, 0 if the user quit first, 2
// for bad arguments or an image that cannot be loaded, 3 when the machine fails.
int runDebugCommand(const DebugOptions& options, const std::filesystem::path& systemDir);

}  // namespace ntoy::cli
