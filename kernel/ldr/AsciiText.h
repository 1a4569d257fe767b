// ASCII-only text helpers. Windows compares module and export names case-insensitively, but
// only over ASCII; locale-aware functions would give different answers on different hosts.
#pragma once

#include <string>
#include <string_view>

namespace ntoy::ldr {

constexpr char asciiToLower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool asciiEqualsIgnoreCase(std::string_view a, std::string_view b);

// `text` with every byte outside printable ASCII replaced by '?', so that names taken from a
// hostile file cannot put control characters into an error message.
std::string printableAscii(std::string_view text);

}  // namespace ntoy::ldr
