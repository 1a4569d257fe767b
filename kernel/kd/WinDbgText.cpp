#include "kernel/kd/WinDbgText.h"

#include <fmt/format.h>

namespace ntoy::kd {

std::string address64(std::uint64_t v, bool compact) {
    if (compact)
        return fmt::format("{:x}`{:08x}", v >> 32, v & 0xFFFF'FFFF);
    return fmt::format("{:08x}`{:08x}", v >> 32, v & 0xFFFF'FFFF);
}

std::string humanSize(std::uint64_t bytes) {
    if (bytes < (1ull << 20))
        return fmt::format("{:8.3f} kB", static_cast<double>(bytes) / 1024);
    if (bytes < (1ull << 30))
        return fmt::format("{:8.3f} MB", static_cast<double>(bytes) / (1 << 20));
    if (bytes < (1ull << 40))
        return fmt::format("{:8.3f} GB", static_cast<double>(bytes) / (1 << 30));
    return fmt::format("{:8.3f} TB", static_cast<double>(bytes) / (1ull << 40));
}

}  // namespace ntoy::kd
