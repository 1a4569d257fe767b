// How ntoy's command line divides: `ntoy [OPTIONS] SUBCOMMAND [OPTIONS] IMAGE [ARGS...]`.
// Everything after the image is the guest's, untouched, whatever it looks like; before it,
// every word must be one of ntoy's options (or `--`, after which the next word is the
// image). CLI11 then parses ntoy's part strictly, and the guest's part never reaches it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "kernel/Kernel.h"

namespace ntoy::cli {

// --pageheap, shared by run and debug: Windows' full page heap (gflags /p /enable /full) in
// every process, through PEB->NtGlobalFlag's FLG_HEAP_PAGE_ALLOCS (docs/heap.md).
inline constexpr std::uint32_t kFlagHeapPageAllocs = 0x02000000;
inline constexpr const char* kPageHeapHelp =
    "Full page heap in every process (Windows' gflags /p /enable /full): each heap block ends "
    "at a page boundary before a no-access page and freed blocks are decommitted, so an "
    "overrun or a use after free faults where it happens (docs/heap.md)";

struct SplitCommandLine {
    std::vector<std::string>
        ntoy;  // argv[0], ntoy's options, the subcommand, its options, the image
    std::vector<std::string> guest;  // the words after the image
};

// --ram SIZE, shared by run and debug. The sizes its help names must run on a stock host
// (tests/cli checks each).
CLI::Option* addRamOption(CLI::App& command, std::string& ram);
// The IMAGE and ARGS positionals. ARGS is only for the help text: the guest's words never
// reach CLI11 (see splitCommandLine).
void addImageArguments(CLI::App& command, std::string& image, std::vector<std::string>& args,
                       const std::string& imageHelp);

// A usage error found while dividing (an unknown subcommand or option, or none), with a
// second line saying where the usage is; other errors are left for CLI11 to find in the
// `ntoy` part.
std::expected<SplitCommandLine, std::string> splitCommandLine(const CLI::App& app, int argc,
                                                              const char* const* argv);

// Parses `words` (as split above) with `app`. Returns the exit status if ntoy should end now:
// 0 after --help or --version, 2 (printing the error) for a usage error.
std::optional<int> parseCommandLine(CLI::App& app, const std::vector<std::string>& words);

// `--verifier` options, as Driver Verifier names its memory options: irql, special-pool,
// pool-tracking.
std::expected<Kernel::Verifier, std::string> parseVerifier(const std::vector<std::string>& options);

}  // namespace ntoy::cli
