// gdb's `monitor LINE` (qRcmd): the line arrives hex-encoded and runs as a kernel debugger
// extension (!pte, !vad, !address, ...) as `ntoy debug` runs it; `monitor help` (or a bare
// `monitor`) lists them. The output goes back as `O` packets of hex text, before the final OK.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ntoy {
class Kernel;
}

namespace ntoy::gdb {

// What the command prints, its error message included: gdb shows either the same way.
std::string runMonitorCommand(Kernel& kernel, std::string_view line);
// The `O` packets that carry `text` to gdb's console, each within the packet size.
std::vector<std::string> consoleOutputPackets(std::string_view text);

}  // namespace ntoy::gdb
