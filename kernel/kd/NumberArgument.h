// Numbers as WinDbg reads them: hexadecimal by default, "0x" optional, "0n" for decimal, and
// "`" allowed as a separator (00007ff6`3b5c0000).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntoy::kd {

// The value, or a one-line message naming what was wrong with `text`.
std::expected<std::uint64_t, std::string> parseWinDbgNumber(std::string_view text);

}  // namespace ntoy::kd
