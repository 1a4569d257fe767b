#include "kernel/kd/Extensions.h"
#include "kernel/kd/NumberArgument.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"

namespace ntoy::kd {
namespace {

struct Extension {
    std::string_view name;
    ExtensionResult (*run)(Kernel&, ExtensionArguments);
    std::string_view usage;
    std::string_view help;
};

constexpr Extension kExtensions[] = {
    {"pte", pteCommand, "!pte VA", "the page-table entries that map VA, level by level"},
    {"vad", vadCommand, "!vad [VA]", "the allocations (VADs), or the one holding VA"},
    {"address", addressCommand, "!address [VA|-summary]",
     "the region around VA as VirtualQuery sees it; every region; or totals by type and state"},
    {"pfn", pfnCommand, "!pfn PFN", "one entry of the PFN database"},
    {"vm", vmCommand, "!vm", "physical memory and commit, in pages"},
    {"memusage", memusageCommand, "!memusage", "frames on each page list, and by use"},
    {"teb", tebCommand, "!teb [VA]", "the thread environment block"},
    {"peb", pebCommand, "!peb [VA]", "the process environment block and its module list"},
    {"process", processCommand, "!process [PID [FLAGS]]",
     "a process and its threads; !process 0 0 lists every process"},
    {"wsle", wsleCommand, "!wsle [-locked]",
     "the working set: its entries, their Accessed bits and locks, and its limits"},
    {"pool", poolCommand, "!pool VA",
     "the pool page holding VA, block by block (VA's marked *), or its big allocation"},
    {"poolused", poolusedCommand, "!poolused [FLAGS [TAG]]",
     "pool in use by tag, nonpaged and paged; FLAGS 2 sorts by nonpaged bytes, 4 by paged"},
    {"poolfind", poolfindCommand, "!poolfind TAG [0|1]",
     "every pool block tagged TAG: 0 nonpaged pool, 1 paged pool, both if neither"},
    {"verify", verifyCommand, "!verify", "check the memory manager's invariants now"},
};

std::string knownExtensions() {
    std::string names;
    for (const Extension& e : kExtensions)
        names += fmt::format("{}!{}", names.empty() ? "" : ", ", e.name);
    return names;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::expected<std::string, std::string> runExtension(Kernel& kernel, std::string_view commandLine) {
    const auto argv = splitWords(commandLine);
    if (argv.empty() || !argv[0].starts_with('!') || argv[0].size() == 1)
        return std::unexpected(fmt::format("not an extension command (try {})", knownExtensions()));
    const std::string name = lowercase(argv[0].substr(1));
    for (const Extension& e : kExtensions)
        if (e.name == name) {
            // Looking must not page: a command that needs a paged-out table's entries says so.
            mm::MemoryManager::LookOnly looking(kernel.memoryManager());
            try {
                return e.run(kernel, ExtensionArguments(argv).subspan(1));
            } catch (const mm::TableNotResident& out) {
                return std::unexpected(fmt::format(
                    "{}: a page table it needs is paged out (PDE at {:#x}); !pte shows it, and "
                    "the guest's next access through it brings it back",
                    argv[0], out.pdeAddress.value()));
            }
        }
    return std::unexpected(
        fmt::format("unknown extension {} (try {})", argv[0], knownExtensions()));
}

std::string extensionHelp() {
    std::string out;
    for (const Extension& e : kExtensions)
        out += fmt::format("  {:<24} {}\n", e.usage, e.help);
    return out;
}

}  // namespace ntoy::kd
