// Hex text as the gdb remote protocol uses it: byte strings as pairs of digits (memory,
// registers, monitor output) and numbers in big-endian digit order (addresses, lengths).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntoy::gdb {

std::string toHex(std::span<const std::byte> bytes);
std::string toHex(std::string_view text);
// Two digits per byte, either case; nullopt for an odd length or a non-digit.
std::optional<std::vector<std::byte>> fromHex(std::string_view hex);
// A whole field of hex digits, at most 16 of them (a 64-bit value).
std::optional<std::uint64_t> parseHexNumber(std::string_view hex);

}  // namespace ntoy::gdb
