// A booted memory manager on host RAM with a few kernel pages mapped (as boot maps the
// kernel window), and processes on fake processors: the world kernel unit tests run in.
#pragma once

#include <cstdint>
#include <memory>

#include "kernel/mm/MemoryManager.h"
#include "kernel/ps/Process.h"
#include "tests/kernel/fakes/FakeProcessor.h"
#include "tests/kernel/fakes/HostRam.h"
#include "tests/kernel/fakes/RecordingMmu.h"

namespace ntoy::test {

class TestSystem {
public:
    explicit TestSystem(std::uint64_t frames = 1024, std::uint64_t kernelPages = 4,
                        std::unique_ptr<mm::PagingFile> pagingFile = nullptr);

    mm::MemoryManager& mm() { return *mm_; }
    const mm::MemoryManager& mm() const { return *mm_; }
    RecordingMmu& systemMmu() { return systemMmu_; }
    hal::PhysicalMemory memory() { return ram_.physicalMemory(); }

    // A process on a FakeProcessor with a fresh address space and the console handles of a
    // new process; null if no frame or commit is left for its page tables.
    std::unique_ptr<ps::Process> createProcess();

private:
    HostRam ram_;
    RecordingMmu systemMmu_;
    std::unique_ptr<mm::MemoryManager> mm_;
    std::uint32_t nextProcessId_ = 4;
};

// The fake behind a process made by TestSystem.
inline FakeProcessor& fakeCpu(ps::Process& process) {
    return static_cast<FakeProcessor&>(process.cpu());
}

}  // namespace ntoy::test
