#include "emulator/gdb/MonitorCommand.h"

#include "emulator/gdb/Hex.h"
#include "emulator/gdb/PacketFraming.h"
#include "kernel/kd/Extensions.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy::gdb {

std::string runMonitorCommand(Kernel& kernel, std::string_view line) {
    const auto words = kd::splitWords(line);
    if (words.empty() || (words.size() == 1 && words[0] == "help"))
        return "monitor runs ntoy's kernel debugger extensions, as in WinDbg:\n" +
               kd::extensionHelp() +
               "Numbers are hexadecimal (0n for decimal), e.g. monitor !pte 0x140001000.\n";
    auto output = kd::runExtension(kernel, line);
    if (!output)
        return output.error() + "\n";
    return *output;
}

std::vector<std::string> consoleOutputPackets(std::string_view text) {
    // Each byte takes two hex digits, after the `O`.
    constexpr std::size_t kChunk = (kMaxPacketSize - 1) / 2;
    std::vector<std::string> packets;
    for (std::size_t at = 0; at < text.size(); at += kChunk) {
        // Appended, not "O" + hex: inlined at -O3, g++ 12 takes the prepending operator+ for
        // a memcpy that may overlap (a known false -Wrestrict).
        std::string packet(1, 'O');
        packet += toHex(text.substr(at, kChunk));
        packets.push_back(std::move(packet));
    }
    return packets;
}

}  // namespace ntoy::gdb
