// The MMU of system space, which every address space shares: one alias window per system
// region (mm::kSystemRegions), each mapped into every engine. A change there makes every
// engine's TLB stale.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulator/AliasWindow.h"
#include "kernel/hal/Mmu.h"

namespace ntoy::emu {

class Engine;

class SystemMmu final : public hal::Mmu {
public:
    // `windows`, one per system region, in address order.
    SystemMmu(std::vector<AliasWindow> windows, const HostMappingBudget& budget)
        : windows_(std::move(windows)), budget_(budget) {}

    const std::vector<AliasWindow>& windows() const { return windows_; }
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
    // Why the machine cannot go on: the host refused to alias a system page, which the CPU
    // would then not reach (every engine's run() reports it).
    const std::optional<std::string>& failure() const { return failure_; }
    std::uint64_t hostMappingLimit() const { return budget_.limit(); }
    std::optional<Pfn> shownFrame(VirtualAddress va) const override {
        const AliasWindow* w = windowOf(va);
        return w ? w->shownFrame(va) : std::nullopt;
    }

private:
    void staleEverywhere();
    const AliasWindow* windowOf(VirtualAddress va) const {
        for (const AliasWindow& w : windows_)
            if (w.contains(va))
                return &w;
        return nullptr;
    }
    AliasWindow* windowOf(VirtualAddress va) {
        return const_cast<AliasWindow*>(std::as_const(*this).windowOf(va));
    }
    std::vector<AliasWindow> windows_;
    std::optional<std::string> failure_;
    const HostMappingBudget& budget_;
    std::vector<Engine*> engines_;
};

}  // namespace ntoy::emu
