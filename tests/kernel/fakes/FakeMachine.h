// A machine without a CPU: host RAM, a recording system MMU, and FakeProcessors. A kernel
// boots on it and loads processes exactly as on the emulator (the loader, the memory manager,
// process set-up); only running guest code is impossible.
#pragma once

#include <cstdint>
#include <memory>

#include "kernel/hal/Machine.h"
#include "tests/kernel/fakes/FakeProcessor.h"
#include "tests/kernel/fakes/HostRam.h"
#include "tests/kernel/fakes/RecordingMmu.h"

namespace ntoy::test {

class FakeMachine final : public hal::Machine {
public:
    explicit FakeMachine(std::uint64_t frames) : ram_(frames) {}

    hal::PhysicalMemory physicalMemory() const override { return ram_.physicalMemory(); }
    hal::Mmu& systemMmu() override { return systemMmu_; }
    std::expected<std::unique_ptr<hal::Processor>, std::string> createProcessor(
        hal::TrapHandler&) override {
        return std::make_unique<FakeProcessor>();
    }

private:
    mutable HostRam ram_;  // the machine's RAM is writable through a const view, as hal wants
    RecordingMmu systemMmu_;
};

}  // namespace ntoy::test
