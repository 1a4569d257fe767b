// The emulated machine: guest RAM, the shared system half, and one engine per address space.
#pragma once

#include <memory>

#include "emulator/EngineCounters.h"
#include "emulator/GuestRam.h"
#include "emulator/SystemMmu.h"
#include "emulator/UnicornQuirks.h"
#include "kernel/hal/Machine.h"

namespace ntoy::emu {

class Machine final : public hal::Machine {
public:
    // Checks the Unicorn library (probe and self-test) and the host's mapping limit first.
    static std::expected<std::unique_ptr<Machine>, std::string> create(std::uint64_t ramBytes);

    hal::PhysicalMemory physicalMemory() const override { return ram_.physicalMemory(); }
    hal::Mmu& systemMmu() override { return systemMmu_; }
    std::expected<std::unique_ptr<hal::Processor>, std::string> createProcessor(
        hal::TrapHandler& traps) override;

    const HostMappingBudget& hostMappings() const { return *budget_; }
    const EngineCounters& engineCounters() const { return *counters_; }

private:
    Machine(ContextLayout layout, GuestRam ram, std::unique_ptr<HostMappingBudget> budget,
            std::vector<AliasWindow> systemWindows)
        : layout_(layout),
          ram_(std::move(ram)),
          budget_(std::move(budget)),
          systemMmu_(std::move(systemWindows), *budget_) {}
    ContextLayout layout_;
    GuestRam ram_;
    std::unique_ptr<HostMappingBudget> budget_;  // windows point to it: it never moves
    SystemMmu systemMmu_;
    // Engines point to it: it never moves.
    std::unique_ptr<EngineCounters> counters_ = std::make_unique<EngineCounters>();
};

}  // namespace ntoy::emu
