#include "kernel/kd/NumberArgument.h"

#include <cctype>

#include <fmt/format.h>

namespace ntoy::kd {

std::expected<std::uint64_t, std::string> parseWinDbgNumber(std::string_view text) {
    std::string_view digits = text;
    unsigned radix = 16;
    if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
    } else if (digits.starts_with("0n") || digits.starts_with("0N")) {
        digits.remove_prefix(2);
        radix = 10;
    }
    std::uint64_t value = 0;
    bool any = false;
    for (char c : digits) {
        if (c == '`')
            continue;
        unsigned d = 0;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A' + 10);
        else
            d = radix;
        if (d >= radix)
            return std::unexpected(fmt::format("'{}' is not a number", text));
        if (value > (~0ull - d) / radix)
            return std::unexpected(fmt::format("'{}' does not fit in 64 bits", text));
        value = value * radix + d;
        any = true;
    }
    if (!any)
        return std::unexpected(fmt::format("'{}' is not a number", text));
    return value;
}

std::vector<std::string_view> splitWords(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        if (i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

}  // namespace ntoy::kd
