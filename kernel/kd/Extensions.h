// WinDbg-style kernel debugger extensions (!pte, !vad, !address, !pfn, !vm, !memusage, !teb,
// !peb, !process, and ntoy's !verify) over the kernel's live state, shared by `ntoy debug`
// and the gdb stub's `monitor` command.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace ntoy {
class Kernel;
}

namespace ntoy::kd {

// Runs one extension command line, e.g. "!pte 0x210000" or "!vad". Returns its output
// (lines ending in '\n', laid out as WinDbg's where it can), or a one-line message for an
// unknown command or a bad argument.
std::expected<std::string, std::string> runExtension(Kernel& kernel, std::string_view commandLine);

// One line per extension, "  !pte VA                 the page-table entries ...", for the
// debugger's help and gdb's `monitor help`.
std::string extensionHelp();

}  // namespace ntoy::kd
