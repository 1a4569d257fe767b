// Command arguments as WinDbg reads them: words separated by white space, and numbers that are
// hexadecimal by default ("0x" optional, "0n" for decimal, "`" allowed as a separator, as in
// 00007ff6`3b5c0000).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace ntoy::kd {

// The value, or a one-line message naming what was wrong with `text`.
std::expected<std::uint64_t, std::string> parseWinDbgNumber(std::string_view text);

// The white-space separated words of a command line.
std::vector<std::string_view> splitWords(std::string_view line);

}  // namespace ntoy::kd
