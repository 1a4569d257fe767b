// !pfn N: one entry of the PFN database, laid out as WinDbg's:
//
//     PFN 0FF00123 at physical address 000000FF00123000
//     flink       00000000  blink / share count 00000001  pteaddress 000000FF00007080
//     used entry count  0000      use private
//     containing page         FF00007  Active
//
// As in Windows, flink and blink link a frame into its list (zeroed, free, ...) and an
// active frame keeps its share count where the blink would be.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy::kd {

ExtensionResult pfnCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() != 1)
        return std::unexpected("usage: !pfn PFN (the page frame number, in hex)");
    auto value = parseWinDbgNumber(args[0]);
    if (!value)
        return std::unexpected(value.error());
    const mm::PfnDatabase& pfns = kernel.memoryManager().pfns();
    const Pfn pfn(*value);
    if (!pfns.contains(pfn)) {
        const auto& ram = pfns.memory();
        std::string message = fmt::format("PFN {:x} is not a frame of RAM (frames {:x}-{:x})",
                                          *value, ram.firstPfn().value(), ram.endPfn().value() - 1);
        if (ram.contains(PhysicalAddress(*value)))
            message += fmt::format("; as a physical address it is in frame {:x}",
                                   PhysicalAddress(*value).pfn().value());
        return std::unexpected(message);
    }
    const mm::PfnEntry& e = pfns.entry(pfn);
    const bool active = e.state == mm::PageState::Active;
    auto link = [&](std::uint32_t index) -> std::uint64_t {
        return index == mm::PfnEntry::kNone ? 0 : (pfns.memory().firstPfn() + index).value();
    };
    const std::uint64_t flink = active ? 0 : link(e.next);
    const std::uint64_t blink = active ? e.shareCount : link(e.prev);
    std::string out;
    out += fmt::format("    PFN {:08X} at physical address {:016X}\n", pfn.value(),
                       pfn.address().value());
    out += fmt::format("    flink       {:08X}  blink / share count {:08X}  pteaddress {:016X}\n",
                       flink, blink, e.pteAddress.value());
    out += fmt::format("    used entry count  {:04X}      use {}\n", e.usedEntries,
                       mm::pageUseName(e.use));
    out += fmt::format("    containing page  {:>14X}  {}\n", e.pteAddress.pfn().value(),
                       mm::pageStateName(e.state));
    // Windows shows where the page's copy is as the OriginalPte's pagefile offset.
    if (e.pagefileSlot != 0)
        out += fmt::format("    pagefile copy    PageFile: 0  Offset: {:x}\n", e.pagefileSlot);
    if (e.badPending && e.state != mm::PageState::Bad)
        out += "    found bad: goes to the Bad list when its page lets it go\n";
    return out;
}

}  // namespace ntoy::kd
