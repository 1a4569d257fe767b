// What the host fuzz targets share: where the guest images are, and how a target reports a
// kernel it found in a state it must never be in (a bug check, a broken invariant): one line
// on stderr, then abort(), which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <filesystem>
#include <string_view>

namespace ntoy {
class Kernel;
}

namespace ntoy::fuzz {

// $NTOY_IMAGES if set, else the images/ folder the build stages (NTOY_IMAGES_DIR).
std::filesystem::path imagesDir();

[[noreturn]] void fail(std::string_view what);

// Fails if the kernel stopped with a bug check or its memory invariants are broken.
void checkKernel(const Kernel& kernel);

// Sends the process's stdout (where guests write) to /dev/null: the fuzzer's own messages go
// to stderr.
void silenceGuestOutput();

}  // namespace ntoy::fuzz
