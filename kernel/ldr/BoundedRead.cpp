#include "kernel/ldr/BoundedRead.h"

#include <algorithm>

namespace ntoy::ldr {

std::expected<std::string_view, CStringFault> cStringAt(std::span<const std::byte> bytes,
                                                        std::uint64_t offset,
                                                        std::size_t maxLength) {
    if (offset >= bytes.size()) {
        return std::unexpected(CStringFault::OutOfRange);
    }
    auto rest = bytes.subspan(static_cast<std::size_t>(offset));
    // Look one byte past maxLength so a string of exactly maxLength characters still fits.
    std::size_t window = maxLength < rest.size() ? maxLength + 1 : rest.size();
    auto searched = rest.first(window);
    auto nul = std::find(searched.begin(), searched.end(), std::byte{0});
    if (nul == searched.end()) {
        return std::unexpected(window == rest.size() ? CStringFault::Unterminated
                                                     : CStringFault::TooLong);
    }
    return std::string_view(reinterpret_cast<const char*>(rest.data()),
                            static_cast<std::size_t>(nul - searched.begin()));
}

}  // namespace ntoy::ldr
