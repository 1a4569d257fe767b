#include "kernel/ldr/RvaString.h"

#include <fmt/format.h>

#include "kernel/ldr/BoundedRead.h"

namespace ntoy::ldr {

std::expected<std::string_view, LoadError> nameAtRva(std::span<const std::byte> image,
                                                     std::uint64_t rva, std::size_t maxLength,
                                                     std::string_view what) {
    auto text = cStringAt(image, rva, maxLength);
    if (!text) {
        switch (text.error()) {
            case CStringFault::OutOfRange:
                return loadFailure(fmt::format("{} RVA {:#x} lies outside the image (size {:#x})",
                                               what, rva, image.size()));
            case CStringFault::Unterminated:
                return loadFailure(fmt::format(
                    "{} at RVA {:#x} is not NUL-terminated within the image", what, rva));
            case CStringFault::TooLong:
                return loadFailure(fmt::format("{} at RVA {:#x} is longer than {} characters", what,
                                               rva, maxLength));
        }
    }
    if (text->empty()) {
        return loadFailure(fmt::format("{} at RVA {:#x} is empty", what, rva));
    }
    return *text;
}

}  // namespace ntoy::ldr
