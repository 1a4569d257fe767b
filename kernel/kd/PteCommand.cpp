// !pte VA: the four levels of the walk side by side, as WinDbg lays them out on x64:
//
//                                            VA 0000000000210000
// PXE at 000000FF0000B000    PPE at 000000FF0000C000    PDE at 000000FF00029008    PTE at ...
// contains 000000FF0000C027  contains 000000FF00029027  contains 000000FF0002A027  contains ...
// pfn ff0000c   ----A--UWEV  pfn ff00029   ----A--UWEV  pfn ff0002a   ----A--UWEV  pfn ...
//
// followed, for an entry that is not valid, by what it is (DemandZero, Transition, ...). The
// "at" addresses are physical: this kernel reaches its tables through its direct map of RAM,
// not through a self-map.
#include <fmt/format.h>

#include <array>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/kd/PteDecode.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::kd {
namespace {

constexpr std::size_t kColumnWidth = 27;
constexpr std::array<const char*, 4> kLevelNames = {"PXE", "PPE", "PDE", "PTE"};

// Joins the columns of one row, each padded to the column width; no trailing blanks.
std::string row(const std::array<std::string, 4>& columns) {
    std::string line;
    for (const std::string& c : columns)
        line += fmt::format("{:<{}}", c, kColumnWidth);
    line.erase(line.find_last_not_of(' ') + 1);
    return line + '\n';
}

// Why nothing is mapped at `va` when its walk ends at a zero entry.
std::string zeroEntryMeaning(Kernel& kernel, VirtualAddress va) {
    ps::Process* process = kernel.process();
    if (!process || !mm::isUserAddress(va.value()))
        return "not mapped";
    if (const mm::Vad* vad = process->space().vads().find(va))
        return fmt::format("Reserved (not committed), in the allocation at VPN {:x}-{:x}",
                           vad->startVpn, vad->endVpn);
    return "Free: no allocation covers this address";
}

}  // namespace

ExtensionResult pteCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() != 1)
        return std::unexpected("usage: !pte VA");
    auto value = parseWinDbgNumber(args[0]);
    if (!value)
        return std::unexpected(value.error());
    const VirtualAddress va(*value);
    auto tables = tablesFor(kernel, va);
    if (!tables)
        return std::unexpected(tables.error());
    const mm::PageTables::Walk walk = (*tables)->walk(va);

    std::array<std::string, 4> at, contains, decoded;
    int last = -1;  // the deepest level the walk reached
    for (int i = 0; i < 4; ++i) {
        const auto& level = walk.levels[static_cast<std::size_t>(i)];
        if (!level) {
            at[i] = fmt::format("{} (no table)", kLevelNames[i]);
            continue;
        }
        last = i;
        at[i] = fmt::format("{} at {:016X}", kLevelNames[i], level->entryAddress().value());
        contains[i] = fmt::format("contains {:016X}", level->entry.raw());
        decoded[i] =
            level->entry.isValid()
                ? fmt::format("pfn {:<10x}{}", level->entry.pfn().value(), pteFlags(level->entry))
                : "not valid";
    }

    std::string out = fmt::format("{:>46}{:016x}\n", "VA ", va.value());
    out += row(at) + row(contains) + row(decoded);
    const mm::Pte end = walk.levels[static_cast<std::size_t>(last)]->entry;
    if (!end.isValid()) {
        const std::string indent(static_cast<std::size_t>(last) * kColumnWidth + 1, ' ');
        for (const std::string& line : describeInvalidPte(end))
            out += indent + line + '\n';
        if (end.isZero())
            out += indent + zeroEntryMeaning(kernel, va) + '\n';
        else if (last == 2)
            out += indent +
                   "the page table is paged out: an access brings it back first (a nested "
                   "fault), then the page\n";
    }
    return out;
}

}  // namespace ntoy::kd
