// The one error type of the image loader: why an image cannot be used, as a single line that
// reads well after "ntoy: <path>: ".
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace ntoy::ldr {

struct LoadError {
    std::string message;
};

// For `return loadFailure(...)` from functions returning std::expected<T, LoadError>.
inline std::unexpected<LoadError> loadFailure(std::string message) {
    return std::unexpected(LoadError{std::move(message)});
}

}  // namespace ntoy::ldr
