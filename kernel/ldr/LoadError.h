// The one error type of the image loader: why an image cannot be used, as a single line that
// reads well after "ntoy: <path>: ", and the NTSTATUS a guest's LoadLibrary gets for it.
#pragma once

#include <expected>
#include <string>
#include <utility>

#include "kernel/base/NtStatus.h"

namespace ntoy::ldr {

struct LoadError {
    std::string message;
    // A file that is not a valid image unless the loader says otherwise (a DLL it cannot
    // find, an import it cannot resolve, memory it cannot get).
    NtStatus status = NtStatus::InvalidImageFormat;
};

// For `return loadFailure(...)` from functions returning std::expected<T, LoadError>.
inline std::unexpected<LoadError> loadFailure(std::string message,
                                              NtStatus status = NtStatus::InvalidImageFormat) {
    return std::unexpected(LoadError{std::move(message), status});
}

}  // namespace ntoy::ldr
