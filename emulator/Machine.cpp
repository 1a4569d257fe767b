#include "emulator/Machine.h"

#include <fmt/format.h>

#include <fstream>

#include "emulator/Engine.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {
namespace {

// The host caps a process's mappings at vm.max_map_count. The machine's windows use at most
// two per fragment (AliasWindow.h); everything else in the process (libraries, Unicorn's own
// buffers, about five per engine, threads, sanitizers) gets kOtherMappings. The budget does
// not depend on RAM: the kernel trims working sets to stay within it.
constexpr std::uint64_t kOtherMappings = 4096;
constexpr std::uint64_t kMinimumFragments = 1024;

std::uint64_t readNumber(const char* path) {
    std::ifstream in(path);
    std::uint64_t n = 0;
    in >> n;
    return n;
}

std::uint64_t mappingsInUse() {
    std::ifstream in("/proc/self/maps");
    std::uint64_t n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

std::expected<std::uint64_t, std::string> fragmentBudget() {
    const std::uint64_t limit = readNumber("/proc/sys/vm/max_map_count");
    if (limit == 0)  // no such file: not Linux as we know it; take the kernel's default
        return (65530 - kOtherMappings) / 2;
    const std::uint64_t taken = mappingsInUse() + kOtherMappings;
    const std::uint64_t fragments = limit > taken ? (limit - taken) / 2 : 0;
    if (fragments < kMinimumFragments)
        return std::unexpected(fmt::format(
            "vm.max_map_count is {}, too few host mappings for the machine (it needs {}); raise "
            "it: sysctl vm.max_map_count=65530",
            limit, taken + 2 * kMinimumFragments));
    return fragments;
}

}  // namespace

std::expected<std::unique_ptr<Machine>, std::string> Machine::create(std::uint64_t ramBytes) {
    const auto& layout = checkedContextLayout();
    if (!layout)
        return std::unexpected(layout.error());
    const auto fragments = fragmentBudget();
    if (!fragments)
        return std::unexpected(fragments.error());
    auto ram = GuestRam::create(ramBytes);
    if (!ram)
        return std::unexpected(ram.error());
    auto budget = std::make_unique<HostMappingBudget>(*fragments);
    std::vector<AliasWindow> windows;
    for (const mm::SystemRegionRange& r : mm::kSystemRegions) {
        auto window = AliasWindow::reserve(*ram, *budget, VirtualAddress(r.base), r.size);
        if (!window)
            return std::unexpected(window.error());
        windows.push_back(std::move(*window));
    }
    return std::unique_ptr<Machine>(
        new Machine(*layout, std::move(*ram), std::move(budget), std::move(windows)));
}

std::expected<std::unique_ptr<hal::Processor>, std::string> Machine::createProcessor(
    hal::TrapHandler& traps) {
    auto engine = Engine::create(layout_, ram_, *budget_, systemMmu_, *counters_, traps);
    if (!engine)
        return std::unexpected(engine.error());
    return std::unique_ptr<hal::Processor>(std::move(*engine));
}

}  // namespace ntoy::emu
