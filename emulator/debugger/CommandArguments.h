// The words of a debugger command and what they mean: counts are decimal (as in gdb),
// addresses hexadecimal (as in WinDbg; "0x" optional), a register or a symbol, with an
// optional offset ("rsp+10", "kernel32!VirtualAlloc+8"), and x/xp take gdb's /N[bhwgq]
// suffix.
#pragma once

#include "kernel/kd/NumberArgument.h"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/hal/Cpu.h"

namespace ntoy::dbg {

using kd::splitWords;

// A decimal count (or 0x-prefixed hex), at least 1.
std::expected<std::uint64_t, std::string> parseCount(std::string_view text);

class Symbols;

// A register, "module!symbol", a number, or a symbol's bare name, optionally plus or minus a
// hex offset ("rsp+8", "kernel32!VirtualAlloc+0x10"). A bare word that is a hex number is
// the number; `symbols` may be null (no names then).
std::expected<std::uint64_t, std::string> parseAddress(std::string_view text, hal::Cpu& cpu,
                                                       const Symbols* symbols = nullptr);

// x/NF: N units of size F: b (1), h (2), w (4), g or q (8). Defaults: 1 unit of 4 bytes.
struct DumpFormat {
    std::uint64_t count = 1;
    unsigned unitSize = 4;
};
// `suffix` is what follows the slash in "x/16g", or empty for plain "x".
std::expected<DumpFormat, std::string> parseDumpFormat(std::string_view suffix);

}  // namespace ntoy::dbg
