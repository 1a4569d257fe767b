#include "kernel/ldr/ImageFile.h"

#include <fmt/format.h>

#include <fstream>

namespace ntoy::ldr {

std::expected<std::vector<std::byte>, LoadError> readImageFile(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return loadFailure(fmt::format("cannot read: {}", ec.message()), NtStatus::DllNotFound);
    if (size > kMaxImageFileSize)
        return loadFailure("file too large for an image");
    std::ifstream in(path, std::ios::binary);
    std::vector<std::byte> bytes(size);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
        return loadFailure("cannot read the file", NtStatus::AccessDenied);
    return bytes;
}

}  // namespace ntoy::ldr
