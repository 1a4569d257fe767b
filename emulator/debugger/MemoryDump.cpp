#include "emulator/debugger/MemoryDump.h"

#include <fmt/format.h>

#include <cstring>

namespace ntoy::dbg {

std::string formatDump(std::uint64_t address, std::span<const std::byte> bytes, unsigned unitSize) {
    const std::size_t perLine = unitSize >= 8 ? 2 : unitSize == 4 ? 4 : 8;
    const std::size_t units = bytes.size() / unitSize;
    std::string out;
    for (std::size_t i = 0; i < units; ++i) {
        if (i % perLine == 0) {
            if (i != 0)
                out += '\n';
            out += fmt::format("{:#x}:", address + i * unitSize);
        }
        std::uint64_t v = 0;
        std::memcpy(&v, bytes.data() + i * unitSize, unitSize);  // little-endian, like the guest
        out += fmt::format("\t{:#0{}x}", v, 2 + 2 * unitSize);
    }
    if (units != 0)
        out += '\n';
    return out;
}

}  // namespace ntoy::dbg
