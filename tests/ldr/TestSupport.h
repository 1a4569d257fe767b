// Assertions shared by the loader tests.
#pragma once

#include <gtest/gtest.h>

#include <span>
#include <stdexcept>
#include <string_view>

#include "kernel/ldr/PeImage.h"

namespace ntoy::ldr::test {

// Parses an image the test expects to be valid; a failure ends only the current test.
inline PeImage parseValid(std::span<const std::byte> file) {
    auto image = PeImage::parse(file);
    if (!image) {
        throw std::runtime_error("unexpected parse failure: " + image.error().message);
    }
    return std::move(*image);
}

// Succeeds when parsing `file` fails with a one-line message containing `expected`.
inline testing::AssertionResult failsWith(std::span<const std::byte> file,
                                          std::string_view expected) {
    auto image = PeImage::parse(file);
    if (image) {
        return testing::AssertionFailure()
               << "parsed successfully; expected an error containing \"" << expected << "\"";
    }
    const std::string& message = image.error().message;
    if (message.find(expected) == std::string::npos) {
        return testing::AssertionFailure()
               << "error \"" << message << "\" does not contain \"" << expected << "\"";
    }
    if (message.find('\n') != std::string::npos) {
        return testing::AssertionFailure() << "error \"" << message << "\" spans several lines";
    }
    return testing::AssertionSuccess();
}

}  // namespace ntoy::ldr::test
