// Reading an image file whole, with a size limit far beyond any image, for the loader and for
// debuggers that read an image's symbols again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <vector>

#include "kernel/ldr/LoadError.h"

namespace ntoy::ldr {

inline constexpr std::uintmax_t kMaxImageFileSize = 256u << 20;

std::expected<std::vector<std::byte>, LoadError> readImageFile(const std::filesystem::path& path);

}  // namespace ntoy::ldr
