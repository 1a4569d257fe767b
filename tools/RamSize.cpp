#include "tools/RamSize.h"

#include <charconv>

#include "kernel/base/Types.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::cli {

std::expected<std::uint64_t, std::string> parseRamSize(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data())
        return std::unexpected("--ram wants a size such as 64M or 1G");
    std::string_view suffix(end, text.data() + text.size() - end);
    std::uint64_t unit = 1;
    if (suffix == "K" || suffix == "k" || suffix == "KiB" || suffix == "KB")
        unit = 1ull << 10;
    else if (suffix == "M" || suffix == "m" || suffix == "MiB" || suffix == "MB")
        unit = 1ull << 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GiB" || suffix == "GB")
        unit = 1ull << 30;
    else if (!suffix.empty())
        return std::unexpected("--ram: unknown unit '" + std::string(suffix) + "' (use K, M or G)");
    if (value > mm::kMaxRamBytes / unit || value * unit > mm::kMaxRamBytes)
        return std::unexpected("--ram: at most 4G");
    const std::uint64_t bytes = value * unit;
    if (bytes < (1ull << 20))
        return std::unexpected("--ram: at least 1M");
    if (bytes % kPageSize != 0)
        return std::unexpected("--ram: must be a whole number of 4K pages");
    return bytes;
}

}  // namespace ntoy::cli
