#include "emulator/debugger/CommandArguments.h"

#include <fmt/format.h>

#include <cctype>

#include "emulator/debugger/Registers.h"
#include "emulator/debugger/Symbols.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy::dbg {

std::expected<std::uint64_t, std::string> parseCount(std::string_view text) {
    std::uint64_t value = 0;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        auto hex = kd::parseWinDbgNumber(text);
        if (!hex)
            return std::unexpected(hex.error());
        value = *hex;
    } else {
        if (text.empty())
            return std::unexpected("missing count");
        for (char c : text) {
            if (c < '0' || c > '9')
                return std::unexpected(fmt::format("'{}' is not a count", text));
            if (value > (~0ull - 9) / 10)
                return std::unexpected(fmt::format("'{}' is too large", text));
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
    }
    if (value == 0)
        return std::unexpected("a count must be at least 1");
    return value;
}

std::expected<std::uint64_t, std::string> parseAddress(std::string_view text, hal::Cpu& cpu,
                                                       const Symbols* symbols) {
    const std::size_t op = text.find_first_of("+-", 1);
    const std::string_view base = text.substr(0, op);
    std::uint64_t value = 0;
    if (auto reg = registerByName(base)) {
        value = cpu.reg(*reg);
    } else if (symbols && base.find('!') != std::string_view::npos) {
        auto address = symbols->resolve(base);
        if (!address)
            return std::unexpected(fmt::format("bad address: {}", address.error()));
        value = *address;
    } else if (auto number = kd::parseWinDbgNumber(base)) {
        value = *number;
    } else if (auto address = symbols ? symbols->resolve(base)
                                      : std::expected<std::uint64_t, std::string>(
                                            std::unexpected(number.error()));
               address) {
        value = *address;
    } else {
        return std::unexpected(
            fmt::format("bad address: {}", symbols ? address.error() : number.error()));
    }
    if (op == std::string_view::npos)
        return value;
    auto offset = kd::parseWinDbgNumber(text.substr(op + 1));
    if (!offset)
        return std::unexpected(fmt::format("bad address offset: {}", offset.error()));
    return text[op] == '+' ? value + *offset : value - *offset;
}

std::expected<DumpFormat, std::string> parseDumpFormat(std::string_view suffix) {
    DumpFormat f;
    std::size_t digits = 0;
    while (digits < suffix.size() && std::isdigit(static_cast<unsigned char>(suffix[digits])))
        ++digits;
    if (digits != 0) {
        auto n = parseCount(suffix.substr(0, digits));
        if (!n)
            return std::unexpected(n.error());
        f.count = *n;
    }
    for (char c : suffix.substr(digits)) {
        switch (c) {
            case 'b':
                f.unitSize = 1;
                break;
            case 'h':
                f.unitSize = 2;
                break;
            case 'w':
                f.unitSize = 4;
                break;
            case 'g':
            case 'q':
                f.unitSize = 8;
                break;
            case 'x':  // gdb's hex format letter: hex is the only format here
                break;
            default:
                return std::unexpected(
                    fmt::format("bad format /{}: use /N followed by b, h, w, g or q", suffix));
        }
    }
    return f;
}

}  // namespace ntoy::dbg
