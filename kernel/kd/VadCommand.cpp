// !vad [VA]: the process's allocations, one line each, as WinDbg's !vad lists a VAD tree:
//
// VAD      start        end    commit
//   1        210        212         3 Private      READWRITE
//   2     140000     140003         4 Mapped  Exe  EXECUTE_WRITECOPY  images/touch_pages.exe
//
// WinDbg's first column is the VAD's kernel address and its second the node's level in the
// tree; here the first is the allocation's index (the tree is a std::map, its nodes have no
// address worth showing) and the level is left out. With VA, only the allocation covering it.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/kd/ProtectionNames.h"
#include "kernel/mm/RegionQuery.h"

namespace ntoy::kd {
namespace {

std::string vadLine(const ps::Process& process, std::size_t index, const mm::Vad& vad) {
    const bool image = vad.type == mm::VadType::Image;
    std::string line =
        fmt::format("{:>3} {:>10x} {:>10x} {:>9} {:<13}{}", index, vad.startVpn, vad.endVpn,
                    mm::committedPages(process.space().tables(), vad),
                    image ? "Mapped  Exe" : "Private", vadProtectionName(vad.allocationProtect));
    const AllocationUsage usage = allocationUsage(process, vad);
    if (!usage.imagePath.empty())
        line += "  " + usage.imagePath;
    else if (usage.usage != "<unknown>" && usage.usage != "Image")
        line += "  (" + usage.usage + ")";
    return line + '\n';
}

}  // namespace

ExtensionResult vadCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() > 1)
        return std::unexpected("usage: !vad [VA]");
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    const mm::VadTree& vads = (*process)->space().vads();
    const std::string header =
        fmt::format("{:<3} {:>10} {:>10} {:>9}\n", "VAD", "start", "end", "commit");
    if (args.size() == 1) {
        auto va = parseWinDbgNumber(args[0]);
        if (!va)
            return std::unexpected(va.error());
        std::size_t index = 0;
        for (const auto& [start, vad] : vads) {
            if (vad.contains(VirtualAddress(*va)))
                return header + vadLine(**process, index, vad);
            ++index;
        }
        return std::unexpected(fmt::format("no allocation covers {:#x}", *va));
    }
    std::string out = header;
    std::size_t index = 0;
    for (const auto& [start, vad] : vads)
        out += vadLine(**process, index++, vad);
    out += fmt::format("\nTotal VADs: {:>5}\n", vads.size());
    return out;
}

}  // namespace ntoy::kd
