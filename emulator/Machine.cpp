#include "emulator/Machine.h"

#include <fmt/format.h>

#include <fstream>

#include "emulator/Engine.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {
namespace {

// Each valid user page is one host mapping unless it merges with its neighbours; scattered
// frames can need one per page. Refuse a RAM size the host could not map in the worst case
// only when it is far beyond the limit, and say how to raise it.
std::expected<void, std::string> checkHostMappingLimit(std::uint64_t ramBytes) {
    std::ifstream in("/proc/sys/vm/max_map_count");
    std::uint64_t limit = 0;
    if (!(in >> limit))
        return {};
    const std::uint64_t frames = ramBytes / kPageSize;
    if (frames > 4 * limit)
        return std::unexpected(fmt::format(
            "--ram {} MiB needs up to {} host mappings but vm.max_map_count is {}; use less RAM "
            "or raise it (sysctl vm.max_map_count={})",
            ramBytes >> 20, frames, limit, frames + 4096));
    return {};
}

}  // namespace

std::expected<std::unique_ptr<Machine>, std::string> Machine::create(std::uint64_t ramBytes) {
    const auto& layout = checkedContextLayout();
    if (!layout)
        return std::unexpected(layout.error());
    if (auto ok = checkHostMappingLimit(ramBytes); !ok)
        return std::unexpected(ok.error());
    auto ram = GuestRam::create(ramBytes);
    if (!ram)
        return std::unexpected(ram.error());
    auto window =
        AliasWindow::reserve(*ram, VirtualAddress(mm::kKernelWindowBase), mm::kKernelWindowSize);
    if (!window)
        return std::unexpected(window.error());
    return std::unique_ptr<Machine>(new Machine(*layout, std::move(*ram), std::move(*window)));
}

std::expected<std::unique_ptr<hal::Processor>, std::string> Machine::createProcessor(
    hal::TrapHandler& traps) {
    auto engine = Engine::create(layout_, ram_, systemMmu_, traps);
    if (!engine)
        return std::unexpected(engine.error());
    return std::unique_ptr<hal::Processor>(std::move(*engine));
}

}  // namespace ntoy::emu
