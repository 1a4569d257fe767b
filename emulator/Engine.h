// One Unicorn instance: the processor of one guest address space, with its own user region,
// TLB and code cache. Every engine shares the machine's RAM and kernel window.
#pragma once

#include <unicorn/unicorn.h>

#include <memory>
#include <optional>
#include <string>

#include "emulator/AliasWindow.h"
#include "emulator/SystemMmu.h"
#include "emulator/UnicornQuirks.h"
#include "kernel/hal/Machine.h"

namespace ntoy::emu {

class Engine final : public hal::Processor {
public:
    // The system half (kernel window) is the machine's; the user window is the engine's own.
    static std::expected<std::unique_ptr<Engine>, std::string> create(const ContextLayout& layout,
                                                                      const GuestRam& ram,
                                                                      SystemMmu& system,
                                                                      hal::TrapHandler& traps);
    ~Engine() override;

    // hal::Cpu
    std::uint64_t reg(hal::Reg r) override;
    void setReg(hal::Reg r, std::uint64_t value) override;
    Vector128 xmm(unsigned index) override;
    void setXmm(unsigned index, const Vector128& value) override;
    void requestStop() override;

    // hal::Mmu (user half)
    void mapped(VirtualAddress va, Pfn pfn) override;
    void mappedRun(VirtualAddress va, Pfn pfn, std::uint64_t count) override;
    void unmapped(VirtualAddress va, bool wasExecutable) override;
    void downgraded(VirtualAddress va) override;
    void flushTlb() override;

    // hal::Processor
    void loadSystemRegisters(const hal::SystemRegisters& regs) override;
    std::expected<void, std::string> run() override;

    // For the machine: a change in system space makes this engine's TLB stale too.
    void invalidateSystemTranslations() { flushPending_ = true; }
    uc_engine* uc() const { return uc_; }

private:
    Engine(uc_engine* uc, const ContextLayout& layout, AliasWindow userWindow, SystemMmu& system,
           hal::TrapHandler& traps);
    std::expected<void, std::string> mapRegions(const GuestRam& ram,
                                                const AliasWindow& kernelWindow);
    void machineCheck(std::string what);

    static void onInterrupt(uc_engine* uc, std::uint32_t vector, void* self);
    static void onSyscall(uc_engine* uc, void* self);
    static bool onUnmapped(uc_engine* uc, uc_mem_type type, std::uint64_t address, int size,
                           std::int64_t value, void* self);
    static std::uint64_t onCoverRead(uc_engine* uc, std::uint64_t offset, unsigned size,
                                     void* self);
    static void onCoverWrite(uc_engine* uc, std::uint64_t offset, unsigned size,
                             std::uint64_t value, void* self);

    uc_engine* uc_;
    CpuStatePatcher patcher_;
    AliasWindow userWindow_;
    SystemMmu& system_;
    hal::TrapHandler& traps_;
    bool flushPending_ = false;
    bool stopRequested_ = false;
    std::optional<std::string> machineCheck_;
};

}  // namespace ntoy::emu
