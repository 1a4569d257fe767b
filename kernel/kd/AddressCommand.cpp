// !address VA: the region around VA as MEMORY_BASIC_INFORMATION describes it, laid out as
// WinDbg's user-mode !address shows one region. !address alone: every region of user space,
// one line each, "+" marking the first region of each allocation.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/mm/RegionQuery.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::kd {
namespace {

// 00000000`10000000, or with `compact` 0`10000000.
std::string address64(std::uint64_t v, bool compact = false) {
    if (compact)
        return fmt::format("{:x}`{:08x}", v >> 32, v & 0xFFFF'FFFF);
    return fmt::format("{:08x}`{:08x}", v >> 32, v & 0xFFFF'FFFF);
}

std::string humanSize(std::uint64_t bytes) {
    if (bytes < (1ull << 20))
        return fmt::format("{:8.3f} kB", static_cast<double>(bytes) / 1024);
    if (bytes < (1ull << 30))
        return fmt::format("{:8.3f} MB", static_cast<double>(bytes) / (1 << 20));
    return fmt::format("{:8.3f} GB", static_cast<double>(bytes) / (1 << 30));
}

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

}  // namespace

ExtensionResult addressCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() > 1)
        return std::unexpected("usage: !address [VA]");
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    if (args.empty())
        return listRegions(**process);
    auto va = parseWinDbgNumber(args[0]);
    if (!va)
        return std::unexpected(va.error());
    if (*va > mm::kHighestUserAddress)
        return std::unexpected(fmt::format(
            "{:#x} is not a user address (user space ends at {:#x}); try !pte for system space",
            *va, mm::kHighestUserAddress));
    return describeRegion(**process, mm::queryRegion((*process)->space(), VirtualAddress(*va)));
}

}  // namespace ntoy::kd
