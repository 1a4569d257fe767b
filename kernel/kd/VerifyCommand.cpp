// !verify: the memory manager's invariants now (mm/Invariants.h), as the checked kernel
// verifies them after every system call: the PFN database's lists and counts, every PTE of the
// process against its VADs, the PFN database and the MMU, the system tables, and the commit
// charge. Windows has no such extension (its checked builds assert instead); the output
// follows !vm's plain style:
//
//   Memory manager invariants hold.
//       PFN database:         16384 frames, 54 active, 16330 available
//       Process 4:            48 pages committed
//       Commit charge:        70 of 16384 pages
//
// A broken invariant is reported, not raised: the debugger is where one is looked into.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"

namespace ntoy::kd {

ExtensionResult verifyCommand(Kernel& kernel, ExtensionArguments args) {
    if (!args.empty())
        return std::unexpected("usage: !verify");
    if (auto broken = kernel.verifyMemory())
        return fmt::format("Memory manager invariant BROKEN: {}\n", *broken);
    const mm::MemoryManager& mm = kernel.memoryManager();
    std::string out = "Memory manager invariants hold.\n";
    out += fmt::format("    {:<22}{} frames, {} active, {} available\n",
                       "PFN database:", mm.pfns().total(), mm.pfns().count(mm::PageState::Active),
                       mm.pfns().available());
    if (const ps::Process* process = kernel.process())
        out +=
            fmt::format("    {:<22}{} pages committed\n", fmt::format("Process {}:", process->id()),
                        process->space().committedPages());
    out += fmt::format("    {:<22}{} of {} pages\n", "Commit charge:", mm.commit().charge(),
                       mm.commit().limit());
    return out;
}

}  // namespace ntoy::kd
