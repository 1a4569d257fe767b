// Small whole images for the tests that load and run them (ImageLoader unit tests, and the
// hostile images ntoy_write_test_images writes for the guest tests): an executable whose
// entry point returns 0, and DLLs that export code, all built with PeBuilder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/ldr/PeBuilder.h"

namespace ntoy::ldr::test {

// An executable whose entry point returns 0 (xor eax, eax; ret), importing `imports`.
PeBuilder returnZeroExe(const std::vector<ImportSpec>& imports = {});
// A DLL without an entry point, preferring `imageBase`, exporting each of `exports` (by
// name, ordinals from 1) as a `ret` of its own, and importing `imports`.
PeBuilder dllExporting(const std::string& name, const std::vector<std::string>& exports,
                       const std::vector<ImportSpec>& imports = {},
                       std::uint64_t imageBase = 0x180000000);

// Writes `bytes` to `path`, creating its directory; throws on failure.
void writeImage(const std::filesystem::path& path, const std::vector<std::byte>& bytes);

}  // namespace ntoy::ldr::test
