#include "emulator/debugger/MemoryDump.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kernel/kd/WinDbgText.h"

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

std::string formatWinDbgDump(std::uint64_t address, std::span<const std::byte> bytes,
                             unsigned unitSize) {
    constexpr std::size_t kLine = 16;
    std::string out;
    for (std::size_t line = 0; line < bytes.size(); line += kLine) {
        const auto chunk = bytes.subspan(line, std::min(kLine, bytes.size() - line));
        std::string text = kd::address64(address + line) + " ";
        for (std::size_t i = 0; i + unitSize <= chunk.size(); i += unitSize) {
            std::uint64_t v = 0;
            std::memcpy(&v, chunk.data() + i, unitSize);
            text += unitSize == 1 && i == 8 ? '-' : ' ';
            text += unitSize == 8 ? kd::address64(v) : fmt::format("{:0{}x}", v, 2 * unitSize);
        }
        if (unitSize == 1) {
            text.resize(kd::address64(0).size() + 1 + 3 * kLine, ' ');
            text += "  ";
            for (std::byte b : chunk) {
                const auto c = std::to_integer<unsigned char>(b);
                text += c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.';
            }
        }
        out += text + '\n';
    }
    return out;
}

}  // namespace ntoy::dbg
