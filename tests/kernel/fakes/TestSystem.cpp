#include "tests/kernel/fakes/TestSystem.h"

#include "kernel/io/Console.h"

namespace ntoy::test {

TestSystem::TestSystem(std::uint64_t frames, std::uint64_t kernelPages,
                       std::unique_ptr<mm::PagingFile> pagingFile)
    : ram_(frames) {
    mm_ = std::make_unique<mm::MemoryManager>(ram_.physicalMemory(), systemMmu_,
                                              std::move(pagingFile));
    const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
    for (std::uint64_t i = 0; i < kernelPages; ++i)
        (void)mm_->mapSystemPage(VirtualAddress(mm::kKernelWindowBase + i * kPageSize), rw);
}

std::unique_ptr<ps::Process> TestSystem::createProcess() {
    auto cpu = std::make_unique<FakeProcessor>();
    auto space = mm::AddressSpace::create(*mm_, *cpu);
    if (!space)
        return nullptr;
    auto process = std::make_unique<ps::Process>(nextProcessId_, std::move(cpu), std::move(space));
    nextProcessId_ += 4;
    if (io::insertConsoleHandles(process->handles()) != NtStatus::Success)
        return nullptr;
    return process;
}

}  // namespace ntoy::test
