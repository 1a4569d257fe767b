#include "tools/RamSize.h"

#include <charconv>

#include <fmt/format.h>

#include "kernel/base/Types.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::cli {

namespace {

// A number of bytes with an optional K, M or G suffix; `option` names it in errors.
std::expected<std::uint64_t, std::string> parseBytes(std::string_view text, std::string_view option,
                                                     std::uint64_t max) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data())
        return std::unexpected(fmt::format("{} wants a size such as 64M or 1G", option));
    std::string_view suffix(end, text.data() + text.size() - end);
    std::uint64_t unit = 1;
    if (suffix == "K" || suffix == "k" || suffix == "KiB" || suffix == "KB")
        unit = 1ull << 10;
    else if (suffix == "M" || suffix == "m" || suffix == "MiB" || suffix == "MB")
        unit = 1ull << 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GiB" || suffix == "GB")
        unit = 1ull << 30;
    else if (!suffix.empty())
        return std::unexpected(
            fmt::format("{}: unknown unit '{}' (use K, M or G)", option, suffix));
    if (value > max / unit || value * unit > max)
        return std::unexpected(fmt::format("{}: at most {}G", option, max >> 30));
    const std::uint64_t bytes = value * unit;
    if (bytes % kPageSize != 0)
        return std::unexpected(fmt::format("{}: must be a whole number of 4K pages", option));
    return bytes;
}

}  // namespace

std::expected<std::uint64_t, std::string> parseRamSize(std::string_view text) {
    auto bytes = parseBytes(text, "--ram", mm::kMaxRamBytes);
    if (bytes && *bytes < (1ull << 20))
        return std::unexpected("--ram: at least 1M");
    return bytes;
}

std::expected<std::uint64_t, std::string> parsePagefileSize(std::string_view text) {
    auto bytes = parseBytes(text, "--pagefile", kMaxPagefileBytes);
    if (bytes && *bytes != 0 && *bytes < 2 * kPageSize)
        return std::unexpected("--pagefile: 0 (none) or at least 8K");
    return bytes;
}

}  // namespace ntoy::cli
