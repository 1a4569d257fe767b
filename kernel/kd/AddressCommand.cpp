// !address VA: the region around VA as MEMORY_BASIC_INFORMATION describes it, laid out as
// WinDbg's user-mode !address shows one region. !address alone: every region of user space,
// one line each, "+" marking the first region of each allocation. !address -summary: the
// totals by usage, type, state and protection, as WinDbg (and VMMap) sum them up.
//
// System space: !address VA names the system region holding VA (SystemLayout.h), its range,
// the pages mapped in it and the state of VA's page; !address and !address -summary end with
// the system regions, one line each.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kernel/Kernel.h"
#include "kernel/ex/Pool.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/kd/WinDbgText.h"
#include "kernel/mm/RegionQuery.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::kd {
namespace {

std::string_view stateName(std::uint32_t state) {
    switch (state) {
        case mm::mem::kCommit:
            return "MEM_COMMIT";
        case mm::mem::kReserve:
            return "MEM_RESERVE";
        default:
            return "MEM_FREE";
    }
}

std::string_view typeName(std::uint32_t type) {
    return type == mm::mem::kImage ? "MEM_IMAGE" : type == mm::mem::kPrivate ? "MEM_PRIVATE" : "";
}

AllocationUsage usageAt(const ps::Process& process, const mm::MemoryBasicInformation& info) {
    if (info.state == mm::mem::kFree)
        return {"Free", ""};
    return allocationUsage(process, *process.space().vads().find(VirtualAddress(info.baseAddress)));
}

std::string describeRegion(const ps::Process& process, const mm::MemoryBasicInformation& info) {
    const AllocationUsage usage = usageAt(process, info);
    std::string out;
    auto field = [&](std::string_view name, const std::string& value) {
        out += fmt::format("{:<24}{}\n", name, value);
    };
    auto code = [](std::uint32_t value, std::string_view name) {
        return fmt::format("{:08x}          {}", value, name);
    };
    field("Usage:", usage.usage);
    field("Base Address:", address64(info.baseAddress));
    field("End Address:", address64(info.baseAddress + info.regionSize));
    field("Region Size:",
          fmt::format("{} ({})", address64(info.regionSize), humanSize(info.regionSize)));
    field("State:", code(info.state, stateName(info.state)));
    if (info.protect != 0)
        field("Protect:", code(info.protect, mm::win32ProtectionName(info.protect)));
    if (info.state == mm::mem::kFree) {
        field("Type:", "<info not present at the target>");
        return out;
    }
    field("Type:", code(info.type, typeName(info.type)));
    field("Allocation Base:", address64(info.allocationBase));
    field("Allocation Protect:",
          code(info.allocationProtect, mm::win32ProtectionName(info.allocationProtect)));
    if (!usage.imagePath.empty())
        field("Image Path:", usage.imagePath);
    return out;
}

std::string listRegions(const ps::Process& process) {
    std::string out =
        fmt::format("  {:>17} {:>17} {:>17} {:<11} {:<11} {:<24} {}\n", "BaseAddress",
                    "EndAddress+1", "RegionSize", "Type", "State", "Protect", "Usage");
    out += std::string(118, '-') + '\n';
    std::uint64_t va = 0;
    while (va <= mm::kHighestUserAddress) {
        const auto info = mm::queryRegion(process.space(), VirtualAddress(va));
        const AllocationUsage usage = usageAt(process, info);
        const bool first = info.state == mm::mem::kFree || info.baseAddress == info.allocationBase;
        const std::string protect =
            info.protect != 0 ? mm::win32ProtectionName(info.protect) : std::string();
        out += fmt::format("{} {:>17} {:>17} {:>17} {:<11} {:<11} {:<24} {}", first ? '+' : ' ',
                           address64(info.baseAddress, true),
                           address64(info.baseAddress + info.regionSize, true),
                           address64(info.regionSize, true), typeName(info.type),
                           stateName(info.state), protect, usage.usage);
        if (!usage.imagePath.empty())
            out += "  " + usage.imagePath;
        out += '\n';
        va = info.baseAddress + info.regionSize;
    }
    return out;
}

// Regions of one kind: how many, how large, and the largest.
struct Tally {
    std::uint64_t regions = 0, bytes = 0;
    std::uint64_t largestBase = 0, largestSize = 0;
    void add(const mm::MemoryBasicInformation& info) {
        ++regions;
        bytes += info.regionSize;
        if (info.regionSize > largestSize) {
            largestSize = info.regionSize;
            largestBase = info.baseAddress;
        }
    }
};
using Tallies = std::vector<std::pair<std::string, Tally>>;

void addTo(Tallies& tallies, std::string_view name, const mm::MemoryBasicInformation& info) {
    auto it = std::ranges::find_if(tallies, [&](const auto& t) { return t.first == name; });
    if (it == tallies.end())
        it = tallies.insert(tallies.end(), {std::string(name), Tally{}});
    it->second.add(info);
}

std::string summary(const ps::Process& process) {
    Tallies usage, type, state, protect;
    std::uint64_t busy = 0, total = 0;
    for (std::uint64_t va = 0; va <= mm::kHighestUserAddress;) {
        const auto info = mm::queryRegion(process.space(), VirtualAddress(va));
        addTo(usage, usageAt(process, info).usage, info);
        addTo(state, stateName(info.state), info);
        if (info.state != mm::mem::kFree) {
            busy += info.regionSize;
            addTo(type, typeName(info.type), info);
        }
        if (info.state == mm::mem::kCommit)
            addTo(protect, mm::win32ProtectionName(info.protect), info);
        total += info.regionSize;
        va = info.baseAddress + info.regionSize;
    }
    auto percent = [](std::uint64_t part, std::uint64_t whole) {
        return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
    };
    std::string out;
    auto section = [&](std::string_view title, Tallies& tallies, bool ofBusy) {
        std::ranges::stable_sort(
            tallies, [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
        out +=
            fmt::format("\n--- {:-<30} RgnCount ----------- Total Size -------- %ofBusy %ofTotal\n",
                        std::string(title) + " ");
        for (const auto& [name, t] : tallies) {
            const std::string busyShare = ofBusy && name != "Free" && name != "MEM_FREE"
                                              ? fmt::format("{:6.2f}%", percent(t.bytes, busy))
                                              : std::string();
            out += fmt::format("{:<32}{:>9} {:>17} ({}) {:>8} {:>7.2f}%\n", name, t.regions,
                               address64(t.bytes, true), humanSize(t.bytes), busyShare,
                               percent(t.bytes, total));
        }
    };
    section("Usage Summary", usage, true);
    section("Type Summary (for busy)", type, true);
    section("State Summary", state, true);
    section("Protect Summary (for commit)", protect, true);
    out +=
        "\n--- Largest Region by Usage ----------- Base Address -------- Region Size ----------\n";
    for (const auto& [name, t] : usage)
        out += fmt::format("{:<32}{:>21} {:>17} ({})\n", name, address64(t.largestBase, true),
                           address64(t.largestSize, true), humanSize(t.largestSize));
    return out;
}

// ---- system space ----------------------------------------------------------------------------

// The pages mapped in region `r`: what the system VA allocator mapped there, except in the
// kernel window, which is mapped at boot outside it and so is counted in the tables.
std::uint64_t mappedPages(const mm::MemoryManager& mm, const mm::SystemRegionRange& r) {
    if (r.region != mm::SystemRegion::KernelImage)
        return mm.systemSpace().pages(r.region);
    std::uint64_t pages = 0;
    mm.systemTables().forEachLeaf(VirtualAddress(r.base), VirtualAddress(r.end()),
                                  [&](VirtualAddress, PhysicalAddress, mm::Pte pte) {
                                      pages += pte.isCommitted() ? 1 : 0;
                                      return true;
                                  });
    return pages;
}

// The state of `va`'s page, as the system page tables hold it.
std::string systemPageState(const mm::MemoryManager& mm, VirtualAddress va) {
    const std::optional<mm::Pte> pte = mm.systemTables().peekPte(va);
    if (!pte)
        return "not known: its page table is paged out";
    if (pte->isValid())
        return fmt::format("valid, pfn {:x}", pte->pfn().value());
    if (pte->isTransition())
        return fmt::format("transition (out of the system working set), pfn {:x}",
                           pte->pfn().value());
    if (pte->isPagefile())
        return fmt::format("paged out (paging file slot {:x})", pte->pagefileSlot());
    return "not mapped";
}

std::string describeSystemRegion(const mm::MemoryManager& mm, VirtualAddress va,
                                 const mm::SystemRegionRange& r) {
    std::string out;
    auto field = [&](std::string_view name, const std::string& value) {
        out += fmt::format("{:<24}{}\n", name, value);
    };
    const std::uint64_t pages = mappedPages(mm, r);
    field("Usage:", r.name);
    field("Base Address:", address64(r.base));
    field("End Address:", address64(r.end()));
    field("Region Size:", fmt::format("{} ({})", address64(r.size), humanSize(r.size)));
    field("Pages Mapped:", fmt::format("{:x} ({})", pages, humanSize(pages * kPageSize)));
    field("Page:", systemPageState(mm, va));
    if (const std::optional<ex::PoolKind> kind = ex::Pool::kindOf(va))
        field("Pool:", ex::poolKindName(*kind));
    return out;
}

// One line per system region, in the columns of listRegions.
std::string listSystemRegions(const mm::MemoryManager& mm) {
    std::string out = fmt::format("\n  {:>17} {:>17} {:>17} {:>12}  {}\n", "SystemBase",
                                  "EndAddress+1", "RegionSize", "PagesMapped", "Usage");
    out += std::string(86, '-') + '\n';
    for (const mm::SystemRegionRange& r : mm::kSystemRegions)
        out += fmt::format("+ {:>17} {:>17} {:>17} {:>12x}  {}\n", address64(r.base, true),
                           address64(r.end(), true), address64(r.size, true), mappedPages(mm, r),
                           r.name);
    return out;
}

// The same as a section of the summary.
std::string summarizeSystemRegions(const mm::MemoryManager& mm) {
    std::string out =
        "\n--- System Region ---------------- Base Address ------- End Address -- Pages Mapped\n";
    for (const mm::SystemRegionRange& r : mm::kSystemRegions) {
        const std::uint64_t pages = mappedPages(mm, r);
        out += fmt::format("{:<24}{:>21} {:>17} {:>8x} ({})\n", r.name, address64(r.base, true),
                           address64(r.end(), true), pages, humanSize(pages * kPageSize));
    }
    return out;
}

}  // namespace

ExtensionResult addressCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() > 1)
        return std::unexpected("usage: !address [VA | -summary]");
    const mm::MemoryManager& mm = kernel.memoryManager();
    // A system address needs no process: system space is the same in all of them.
    if (!args.empty() && args[0] != "-summary") {
        auto va = parseWinDbgNumber(args[0]);
        if (!va)
            return std::unexpected(va.error());
        if (*va > mm::kHighestUserAddress) {
            if (const mm::SystemRegionRange* r = mm::systemRegionOf(*va))
                return describeSystemRegion(mm, VirtualAddress(*va), *r);
            return std::unexpected(fmt::format(
                "{:#x} is not a user address (user space ends at {:#x}) and no system region "
                "holds it; !address lists the regions",
                *va, mm::kHighestUserAddress));
        }
        auto process = currentProcess(kernel);
        if (!process)
            return std::unexpected(process.error());
        return describeRegion(**process, mm::queryRegion((*process)->space(), VirtualAddress(*va)));
    }
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    if (args.empty())
        return listRegions(**process) + listSystemRegions(mm);
    return summary(**process) + summarizeSystemRegions(mm);
}

}  // namespace ntoy::kd
