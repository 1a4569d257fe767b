// Numbers as WinDbg prints them, for the extensions and the debugger's WinDbg commands.
#pragma once

#include <cstdint>
#include <string>

namespace ntoy::kd {

// 00000000`10000000, or with `compact` 0`10000000.
std::string address64(std::uint64_t v, bool compact = false);
// " 64.000 kB", "  1.500 MB", "1019.998 GB": a size in the largest unit under 1024 of it.
std::string humanSize(std::uint64_t bytes);

}  // namespace ntoy::kd
