// One Unicorn instance: the processor of one guest address space, with its own user region,
// TLB and code cache. Every engine shares the machine's RAM and kernel window.
//
// Every address of the 64-bit space lies in some region (user space, RAM, the kernel window,
// or an MMIO cover), so that every access is walked and faults as the CPU would. No region is
// executable to Unicorn: the translator's code reads then pass the TranslationGuard, which
// keeps encodings that abort 2.0.1's translator away from it.
#pragma once

#include <unicorn/unicorn.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "emulator/AliasWindow.h"
#include "emulator/EngineCounters.h"
#include "emulator/PageWalker.h"
#include "emulator/SimdChecks.h"
#include "emulator/SystemMmu.h"
#include "emulator/TranslationGuard.h"
#include "emulator/UnicornQuirks.h"
#include "kernel/hal/Machine.h"

namespace ntoy::emu {

class Engine final : public hal::Processor, public hal::DebugTarget, private TranslationObserver {
public:
    // The system half (kernel window) is the machine's; the user window is the engine's own.
    static std::expected<std::unique_ptr<Engine>, std::string> create(
        const ContextLayout& layout, const GuestRam& ram, HostMappingBudget& budget,
        SystemMmu& system, EngineCounters& counters, hal::TrapHandler& traps);
    ~Engine() override;

    // hal::Cpu
    std::uint64_t reg(hal::Reg r) override;
    void setReg(hal::Reg r, std::uint64_t value) override;
    Vector128 xmm(unsigned index) override;
    void setXmm(unsigned index, const Vector128& value) override;
    void requestStop() override;
    void halt() override;
    // The machine cannot go on (the host refused a system alias): every run reports `what`.
    void failMachine(std::string what) { machineCheck(std::move(what)); }

    // hal::Mmu (user half)
    void mapped(VirtualAddress va, Pfn pfn) override;
    void unmapped(VirtualAddress va) override;
    void downgraded(VirtualAddress va) override;
    void codeModified(VirtualAddress va, std::uint64_t length) override;
    void flushTlb() override;
    std::optional<Pfn> shownFrame(VirtualAddress va) const override {
        return userWindow_.shownFrame(va);
    }

    // hal::Processor
    void loadSystemRegisters(const hal::SystemRegisters& regs) override;
    std::expected<void, std::string> run() override;
    void saveContext(std::unique_ptr<hal::SavedContext>& into) override;
    void restoreContext(const hal::SavedContext& context) override;
    void resetContext() override;
    void preempt() override;
    void setPreemptible(bool on) override;
    void setBlockQuantum(std::uint64_t blocks) override;
    bool preempted() const override { return preempted_; }
    bool callKernelRoutine(std::uint64_t routine, const std::array<std::uint64_t, 4>& args,
                           KernelRoutineDone done) override;

    hal::DebugTarget* debugTarget() override { return this; }

    // hal::DebugTarget
    std::expected<void, std::string> step() override;
    bool addBreakpoint(VirtualAddress va) override;
    bool removeBreakpoint(VirtualAddress va) override;
    bool addWatchpoint(VirtualAddress va, std::uint64_t length, WatchKind kind) override;
    bool removeWatchpoint(VirtualAddress va, std::uint64_t length, WatchKind kind) override;
    const Stop& lastStop() const override { return lastStop_; }
    X87Value x87Register(unsigned index) override;
    bool setX87Register(unsigned index, const X87Value& value) override;
    std::uint64_t x87Control(X87Control r) override;
    bool setX87Control(X87Control r, std::uint64_t value) override;
    void setPauseCheck(PauseCheck* check) override;

    // For the machine: a change in system space makes this engine's TLB stale too.
    void invalidateSystemTranslations() { flushPending_ = true; }
    uc_engine* uc() const { return uc_; }

private:
    Engine(uc_engine* uc, const ContextLayout& layout, const GuestRam& ram, AliasWindow userWindow,
           SystemMmu& system, EngineCounters& counters, hal::TrapHandler& traps);
    std::expected<void, std::string> mapRegions(const GuestRam& ram,
                                                const std::vector<AliasWindow>& systemWindows);
    void machineCheck(std::string what);

    static void onInterrupt(uc_engine* uc, std::uint32_t vector, void* self);
    static void onSyscall(uc_engine* uc, void* self);
    static bool onFetchProtected(uc_engine* uc, uc_mem_type type, std::uint64_t address, int size,
                                 std::int64_t value, void* self);
    static bool onUnmapped(uc_engine* uc, uc_mem_type type, std::uint64_t address, int size,
                           std::int64_t value, void* self);
    static std::uint64_t onCoverRead(uc_engine* uc, std::uint64_t offset, unsigned size,
                                     void* self);
    static void onCoverWrite(uc_engine* uc, std::uint64_t offset, unsigned size,
                             std::uint64_t value, void* self);

    // --- Returning to the guest after a trap. `resume` is where it continues; in the SYSCALL
    // hook, 2.0.1 adds the instruction's length to RIP after the hook returns (UnicornQuirks.h).
    void resumeAfterTrap(std::uint64_t resume, bool inSyscallHook);
    // The TLB flush: the guest's context is put aside and the kernel's flush routine runs in
    // a CPL0 context of its own; its closing SYSCALL puts the guest's context back.
    void enterFlushRoutine(std::uint64_t resume, bool inSyscallHook);
    void leaveFlushRoutine();
    // A kernel routine (callKernelRoutine): the trapped thread's context is put aside in
    // callerContext_ (not guestContext_, which a TLB flush inside the routine uses), the
    // routine runs from the flush routine's CPL0 context, and its closing SYSCALL puts the
    // thread back.
    struct KernelCall {
        std::uint64_t routine;
        std::array<std::uint64_t, 4> args;
        KernelRoutineDone done;
    };
    void enterKernelRoutine(std::uint64_t resume, bool inSyscallHook);
    void leaveKernelRoutine();
    // After a bug check: the thread's context back, the routine dropped.
    void abandonKernelRoutine();
    bool halted_ = false;
    std::optional<KernelCall> pendingCall_;
    KernelRoutineDone callDone_;
    bool inKernelRoutine_ = false;
    std::uint64_t resumeAfterCall_ = 0;
    uc_context* callerContext_ = nullptr;
    void expectEarlyStepAt(std::uint64_t resume);
    std::optional<std::uint64_t> earlyStepAt_;
    // RIP writes through setReg: a system call whose handler made none returns without one.
    std::uint64_t ripWrites_ = 0;
    // Drops code translated from pages whose bytes or mapping changed (staleCode_), for those
    // that can be fetched again now; the others cannot run until they can, and wait.
    void dropStaleCode();
    // Drops every page's code: a change that translation must see everywhere.
    void dropAllCode();

    // --- Instructions the TranslationGuard refused: steps up to the refused one (the block was
    // left before anything in it ran) and reports #UD there.
    void runUpToRefused(std::uint64_t refused);
    void emulateNarrowIret(unsigned size);
    void deliver(const hal::CpuException& e);
    // The guest's own TF while the engine owns the flag (updateTrapFlag); reg() and setReg()
    // show and set it in RFLAGS, so the kernel sees the guest's flags.
    bool guestTrapFlag_ = false;
    void raiseInvalidOpcode();

    uc_engine* uc_;
    // Stores to pages without translated code run inline (UnicornQuirks.h); reset before
    // uc_close.
    std::unique_ptr<CleanStores> cleanStores_;
    CpuStatePatcher patcher_;
    AliasWindow userWindow_;
    SystemMmu& system_;
    EngineCounters& counters_;
    hal::TrapHandler& traps_;
    PageWalker walker_;
    TranslationGuard guard_;
    std::optional<std::uint64_t> refusedAt_;
    bool steppingToRefused_ = false;

    // The flush routine's context, made when the system registers are loaded, and the guest's
    // context while the routine runs.
    uc_context* flushContext_ = nullptr;
    uc_context* guestContext_ = nullptr;
    uc_context* scratchContext_ = nullptr;
    // The state right after loadSystemRegisters: a new thread's starting point.
    uc_context* bootContext_ = nullptr;
    std::uint64_t flushRoutine_ = 0;
    std::uint64_t resumeAfterFlush_ = 0;
    bool inFlushRoutine_ = false;
    bool flushPending_ = false;
    // Pages the translator has read code from, and those of them whose code must go.
    std::set<std::uint64_t> codePages_;
    std::set<std::uint64_t> staleCode_;
    std::uint64_t lastCodePage_ = ~0ull;
    void codePageChanged(std::uint64_t va);

    static void onBreakpoint(uc_engine* uc, std::uint64_t address, std::uint32_t size, void* self);
    static void onWatch(uc_engine* uc, uc_mem_type type, std::uint64_t address, int size,
                        std::int64_t value, void* self);
    // 2.0.1 drops a uc_emu_stop made in a hook that also wrote RIP, and runs on from the new
    // RIP: a stop a trap handler asked for is made again before the guest's next instruction.
    void stopAgainAt(std::uint64_t rip);
    static void onStopAgain(uc_engine* uc, std::uint64_t address, std::uint32_t size, void* self);
    std::optional<uc_hook> stopAgainHook_;
    static void onBlockPauseCheck(uc_engine* uc, std::uint64_t address, std::uint32_t size,
                                  void* self);
    PauseCheck* pauseCheck_ = nullptr;
    std::optional<uc_hook> pauseCheckHook_;
    void stopFor(Stop stop);
    // Drops code translated from the instruction at `va`, if any can exist.
    void dropCodeAt(std::uint64_t va);
    // TF set while stepping, stepping off a breakpoint or watching (and hidden from
    // reg()/setReg()).
    void updateTrapFlag();
    static constexpr std::uint64_t kTrapFlag = 0x100;

    struct Watchpoint {
        std::uint64_t va, length;
        WatchKind kind;
        uc_hook hook;
    };
    std::map<std::uint64_t, uc_hook> breakpoints_;
    std::vector<Watchpoint> watchpoints_;
    std::optional<Stop> watchHit_;  // reported before the instruction after the access
    // Resuming at a breakpoint executes its instruction once instead of stopping again: its
    // hook is passed over until the instruction has completed (the trap flag says when), so
    // that a fault and the retry that follows it count as one execution.
    std::optional<std::uint64_t> skipBreakpointAt_;
    Stop lastStop_;
    bool stepping_ = false;
    bool ownsTrapFlag_ = false;
    bool stopRequested_ = false;
    std::optional<std::string> machineCheck_;

    // --- Preemption. The scheduler's timer thread calls preempt(), which sets
    // preemptRequested_ and, where it can, stops the run itself:
    // - Timer stops: where 2.0.1 can be made to stop only between blocks (UnicornQuirks.h:
    //   block-boundary stops) and nothing needs a stop inside one (a breakpoint, watchpoint,
    //   pause check or deterministic quantum), the timer thread's uc_emu_stop ends the run at
    //   the next block. Nothing is on the guest's path.
    // - Otherwise a block hook, present only while the processor is preemptible or counts a
    //   deterministic quantum, stops the run at the next block: a call per block.
    // Without competition there is neither, and no cost.
    std::atomic<bool> preemptRequested_{false};
    bool preemptible_ = false;
    bool preempted_ = false;
    bool preemptedNow();
    void updatePreemption();
    std::uint64_t blockQuantum_ = 0, blocksLeft_ = 0;
    std::optional<uc_hook> quantumHook_;
    std::optional<BlockBoundaryStops> boundaryStops_;  // the probe's result, if it passed
    bool boundaryStopsOn_ = false;  // code is translated with stop checks at block starts only
    bool codeHookLingers_ = false;  // a code hook was deleted since a uc_emu_start last ended
    std::mutex timerStopMutex_;
    bool timerStops_ = false;  // the timer may stop the run now (under timerStopMutex_)
    void allowTimerStops(bool on);
    // The block a block hook stopped the run before (UnicornQuirks.h: a block hook's stop).
    // The block has not run; the thread resumes there.
    std::optional<std::uint64_t> stoppedBeforeBlock_;
    void stopBeforeBlock(std::uint64_t address);
    static void onBlockQuantum(uc_engine* uc, std::uint64_t address, std::uint32_t size,
                               void* self);

    // --- SIMD checks (SimdChecks.h). One code hook, on exactly the instructions that need a
    // check as they run (UnicornQuirks.h: chosen code hooks): the aligned SSE forms, the
    // MXCSR loads, and, once MXCSR has unmasked an exception (simdArithmetic_, which stays
    // on), the arithmetic. A check that raises leaves the block before the instruction by the
    // exit check that follows the hook's call, and the hook is out of the list while code runs.
    // Its presence keeps timer stops off (the block hook preempts instead): a timer stop that
    // lands on the exit check after the hook's call, mid-block, resumed a thread with its lazy
    // flags stale once in two sanitized runs (threads_sync lost an increment); a chosen
    // instruction that starts its own block would make that exit a block start.
    void translationStarts(std::uint64_t pc) override;
    void translationEnds() override;
    // Sets the hook's range to the instruction at `va` if it needs checking, else to nowhere.
    void chooseInstruction(std::uint64_t va);
    static void onSimdSite(uc_engine* uc, std::uint64_t address, std::uint32_t size, void* self);
    void checkSimdSite(std::uint64_t rip, const SimdSite& site);
    // MOV to or from CR8 at CPL0, on cr8_ (SimdChecks.h: Cr8Move).
    void moveCr8(std::uint64_t rip, const Cr8Move& move);
    std::uint64_t cr8_ = 0;
    // Reads user-accessible guest memory, all of it or nothing (the instruction then faults
    // by itself when it runs).
    bool readUser(std::uint64_t va, std::span<std::uint8_t> out);
    void noteMxcsr(std::uint64_t mxcsr);
    SimdClassifier simdClassifier_;
    std::optional<CodeHookRange> simdRange_;
    std::optional<uc_hook> simdHook_;
    // Out of the code-hook list between translations (UnicornQuirks.h), where that works: it
    // keeps timer stops exact. Without it the hook keeps timer stops off.
    std::optional<CodeHookHiding> simdHiding_;
    // The checked instructions of each code page, by page: a page's go when its code does.
    std::unordered_map<std::uint64_t, std::vector<std::pair<std::uint16_t, SimdSite>>> simdSites_;
    bool simdArithmetic_ = false;
};

}  // namespace ntoy::emu
