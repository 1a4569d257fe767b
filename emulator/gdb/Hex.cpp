#include "emulator/gdb/Hex.h"

namespace ntoy::gdb {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int digitValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string toHex(std::span<const std::byte> bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::byte b : bytes) {
        const auto v = std::to_integer<unsigned>(b);
        out += kDigits[v >> 4];
        out += kDigits[v & 0xF];
    }
    return out;
}

std::string toHex(std::string_view text) {
    return toHex(std::as_bytes(std::span(text.data(), text.size())));
}

std::optional<std::vector<std::byte>> fromHex(std::string_view hex) {
    if (hex.size() % 2 != 0)
        return std::nullopt;
    std::vector<std::byte> out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = digitValue(hex[i]);
        const int lo = digitValue(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<std::byte>(hi << 4 | lo));
    }
    return out;
}

std::optional<std::uint64_t> parseHexNumber(std::string_view hex) {
    if (hex.empty() || hex.size() > 16)
        return std::nullopt;
    std::uint64_t value = 0;
    for (char c : hex) {
        const int d = digitValue(c);
        if (d < 0)
            return std::nullopt;
        value = value << 4 | static_cast<std::uint64_t>(d);
    }
    return value;
}

}  // namespace ntoy::gdb
