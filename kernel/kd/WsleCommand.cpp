// !wsle [-locked]: the current process's working set, as WinDbg's !wsle lists a working-set
// list: a summary, then one line per entry.
//
// Working Set for process 1000 (touch_pages.exe)
//     Entries         31  Peak          33  Locked           0
//     Minimum         50  Maximum      345  (pages)
//
//   Slot  Virtual Address  Accessed  Locked
//      0          7ffe0000         1       0
//
// WinDbg shows each entry's age; ntoy ages pages with the Accessed bit alone (the clock
// hand clears it and takes an untouched page next time round), so that bit is shown. With
// -locked, only the locked entries (VirtualLock).
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"

namespace ntoy::kd {

ExtensionResult wsleCommand(Kernel& kernel, ExtensionArguments args) {
    const bool lockedOnly = args.size() == 1 && args[0] == "-locked";
    if (args.size() > 1 || (args.size() == 1 && !lockedOnly))
        return std::unexpected("usage: !wsle [-locked]");
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    const mm::AddressSpace& space = (*process)->space();
    const mm::WorkingSet& ws = space.workingSet();
    const auto& limits = space.workingSetLimits();
    std::string out =
        fmt::format("Working Set for process {} ({})\n", (*process)->id(), imageName(**process));
    out += fmt::format("    Entries {:>10}  Peak {:>10}  Locked {:>10}\n", ws.size(), ws.peak(),
                       ws.lockedCount());
    out += fmt::format("    Minimum {:>10}  Maximum {:>7}  (pages)\n\n", limits.minimumPages,
                       limits.maximumPages);
    out += fmt::format("{:>6}  {:>15}  {:>8}  {:>6}\n", "Slot", "Virtual Address", "Accessed",
                       "Locked");
    ws.forEach([&](std::uint32_t slot, VirtualAddress va) {
        const bool locked = ws.locked(slot);
        if (lockedOnly && !locked)
            return;
        const bool accessed =
            space.tables().peekPte(va).value_or(mm::Pte()).has(mm::PteBit::Accessed);
        out += fmt::format("{:>6}  {:>15x}  {:>8}  {:>6}\n", slot, va.value(), accessed ? 1 : 0,
                           locked ? 1 : 0);
    });
    return out;
}

}  // namespace ntoy::kd
