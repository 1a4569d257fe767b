// The MMU of system space, which every address space shares. Only the kernel window is
// backed for the CPU; a change there makes every engine's TLB stale.
#pragma once

#include <vector>

#include "emulator/AliasWindow.h"
#include "kernel/hal/Mmu.h"

namespace ntoy::emu {

class Engine;

class SystemMmu final : public hal::Mmu {
public:
    SystemMmu(AliasWindow kernelWindow, const HostMappingBudget& budget)
        : kernelWindow_(std::move(kernelWindow)), budget_(budget) {}

    const AliasWindow& kernelWindow() const { return kernelWindow_; }
    void attach(Engine* e) { engines_.push_back(e); }
    void detach(Engine* e) { std::erase(engines_, e); }

    void mapped(VirtualAddress va, Pfn pfn) override;
    void unmapped(VirtualAddress va) override;
    void downgraded(VirtualAddress va) override;
    void codeModified(VirtualAddress va, std::uint64_t length) override;
    void flushTlb() override;
    // Each new valid page may split a fragment in three: two fragments each, at worst.
    std::uint64_t validPageHeadroom() const override { return budget_.headroom() / 2; }
    std::uint64_t hostMappingFragments() const { return budget_.fragments(); }
    std::uint64_t hostMappingLimit() const { return budget_.limit(); }
    // Only the kernel window is aliased; the host reaches the rest of system space directly.
    std::optional<Pfn> shownFrame(VirtualAddress va) const override {
        return kernelWindow_.shownFrame(va);
    }

private:
    void staleEverywhere();
    AliasWindow kernelWindow_;
    const HostMappingBudget& budget_;
    std::vector<Engine*> engines_;
};

}  // namespace ntoy::emu
