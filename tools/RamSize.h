// Parses --ram and --pagefile sizes: a number of bytes with an optional K, M or G suffix
// (KiB, MiB, GiB).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntoy::cli {

std::expected<std::uint64_t, std::string> parseRamSize(std::string_view text);
// 0 is no paging file.
inline constexpr std::uint64_t kMaxPagefileBytes = 64ull << 30;
std::expected<std::uint64_t, std::string> parsePagefileSize(std::string_view text);

}  // namespace ntoy::cli
