#include "fuzz/FuzzSupport.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "kernel/Kernel.h"

#ifndef NTOY_IMAGES_DIR
#define NTOY_IMAGES_DIR "images"
#endif

namespace ntoy::fuzz {

std::filesystem::path imagesDir() {
    if (const char* env = std::getenv("NTOY_IMAGES"); env && *env)
        return env;
    return NTOY_IMAGES_DIR;
}

void fail(std::string_view what) {
    fmt::print(stderr, "ntoy fuzz: {}\n", what);
    std::fflush(stderr);
    std::abort();
}

void checkKernel(const Kernel& kernel) {
    if (const auto& stop = kernel.bugCheck())
        fail(fmt::format("the kernel stopped the machine:\n{}", ke::describe(*stop)));
    if (auto broken = kernel.verifyMemory())
        fail(fmt::format("a memory-manager invariant is broken: {}", *broken));
}

void silenceGuestOutput() {
    std::fflush(stdout);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0)
        fail("cannot open /dev/null");
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
}

}  // namespace ntoy::fuzz
