// A processor without a CPU behind it: registers live in arrays, requestStop() is counted,
// and its user-half MMU is a RecordingMmu. Trap handlers and system calls run against it as
// they would against an engine; run() is never used.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "kernel/hal/Machine.h"
#include "tests/kernel/fakes/RecordingMmu.h"

namespace ntoy::test {

class FakeProcessor final : public hal::Processor {
public:
    // hal::Cpu
    std::uint64_t reg(hal::Reg r) override { return regs_[static_cast<std::size_t>(r)]; }
    void setReg(hal::Reg r, std::uint64_t value) override {
        regs_[static_cast<std::size_t>(r)] = value;
    }
    Vector128 xmm(unsigned index) override { return xmm_.at(index); }
    void setXmm(unsigned index, const Vector128& value) override { xmm_.at(index) = value; }
    void requestStop() override { ++stopRequests_; }

    // hal::Mmu: the user half, recorded.
    void mapped(VirtualAddress va, Pfn pfn) override { mmu_.mapped(va, pfn); }
    void unmapped(VirtualAddress va) override { mmu_.unmapped(va); }
    void downgraded(VirtualAddress va) override { mmu_.downgraded(va); }
    void codeModified(VirtualAddress va, std::uint64_t length) override {
        mmu_.codeModified(va, length);
    }
    void flushTlb() override { mmu_.flushTlb(); }
    std::optional<Pfn> shownFrame(VirtualAddress va) const override { return mmu_.shownFrame(va); }

    // hal::Processor
    void loadSystemRegisters(const hal::SystemRegisters& regs) override { systemRegisters_ = regs; }
    std::expected<void, std::string> run() override {
        return std::unexpected("FakeProcessor cannot run guest code");
    }
    void saveContext(std::unique_ptr<hal::SavedContext>& into) override {
        if (!into)
            into = std::make_unique<Saved>();
        auto& saved = static_cast<Saved&>(*into);
        saved.regs = regs_;
        saved.xmm = xmm_;
    }
    void restoreContext(const hal::SavedContext& context) override {
        const auto& saved = static_cast<const Saved&>(context);
        regs_ = saved.regs;
        xmm_ = saved.xmm;
    }
    void resetContext() override {
        regs_ = {};
        xmm_ = {};
    }
    void preempt() override {}
    void setPreemptible(bool) override {}
    void setBlockQuantum(std::uint64_t) override {}
    bool preempted() const override { return false; }

    RecordingMmu& mmu() { return mmu_; }
    const RecordingMmu& mmu() const { return mmu_; }
    std::uint64_t stopRequests() const { return stopRequests_; }
    const std::optional<hal::SystemRegisters>& systemRegisters() const { return systemRegisters_; }

private:
    struct Saved final : hal::SavedContext {
        std::array<std::uint64_t, static_cast<std::size_t>(hal::Reg::Count)> regs{};
        std::array<Vector128, 16> xmm{};
    };
    std::array<std::uint64_t, static_cast<std::size_t>(hal::Reg::Count)> regs_{};
    std::array<Vector128, 16> xmm_{};
    std::uint64_t stopRequests_ = 0;
    std::optional<hal::SystemRegisters> systemRegisters_;
    RecordingMmu mmu_;
};

}  // namespace ntoy::test
