// NUL-terminated names stored at RVAs in a laid-out image (DLL names, import and export
// names, forwarders), read with every fault reported as a LoadError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "kernel/ldr/LoadError.h"

namespace ntoy::ldr {

// The non-empty string at `rva`. `what` names it in the error ("export name #3"); the view
// points into `mappedImage`.
std::expected<std::string_view, LoadError> nameAtRva(std::span<const std::byte> mappedImage,
                                                     std::uint64_t rva, std::size_t maxLength,
                                                     std::string_view what);

}  // namespace ntoy::ldr
