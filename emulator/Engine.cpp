#include "emulator/Engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {
namespace {

constexpr std::array<int, static_cast<std::size_t>(hal::Reg::Count)> kUcRegs = {
    UC_X86_REG_RAX,     UC_X86_REG_RCX,   UC_X86_REG_RDX,    UC_X86_REG_RBX,  UC_X86_REG_RSP,
    UC_X86_REG_RBP,     UC_X86_REG_RSI,   UC_X86_REG_RDI,    UC_X86_REG_R8,   UC_X86_REG_R9,
    UC_X86_REG_R10,     UC_X86_REG_R11,   UC_X86_REG_R12,    UC_X86_REG_R13,  UC_X86_REG_R14,
    UC_X86_REG_R15,     UC_X86_REG_RIP,   UC_X86_REG_RFLAGS, UC_X86_REG_CS,   UC_X86_REG_SS,
    UC_X86_REG_DS,      UC_X86_REG_ES,    UC_X86_REG_FS,     UC_X86_REG_GS,   UC_X86_REG_FS_BASE,
    UC_X86_REG_GS_BASE, UC_X86_REG_MXCSR, UC_X86_REG_FPCW,   UC_X86_REG_FPSW,
    UC_X86_REG_INVALID,  // CR8: 2.0.1 keeps none (Engine::cr8_)
};

// Every region is readable and writable to Unicorn's own region check, never executable: the
// translator's code reads then reach UC_HOOK_MEM_FETCH_PROT (the TranslationGuard) and, once
// allowed, the page walk, which decides what may really be fetched.
constexpr std::uint32_t kRegionPerms = UC_PROT_READ | UC_PROT_WRITE;

// fctrl .. fop, in hal::DebugTarget::X87Control's order.
constexpr std::array<int, static_cast<std::size_t>(hal::DebugTarget::X87Control::Count)>
    kUcX87Control = {
        UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FCS,
        UC_X86_REG_FIP,  UC_X86_REG_FDS,  UC_X86_REG_FDP,   UC_X86_REG_FOP,
};

std::string ucError(uc_err e) {
    return uc_strerror(e);
}

}  // namespace

std::expected<std::unique_ptr<Engine>, std::string> Engine::create(
    const ContextLayout& layout, const GuestRam& ram, HostMappingBudget& budget, SystemMmu& system,
    EngineCounters& counters, hal::TrapHandler& traps) {
    auto userWindow = AliasWindow::reserve(ram, budget, VirtualAddress(0), mm::kUserSpaceEnd);
    if (!userWindow)
        return std::unexpected(userWindow.error());
    uc_engine* uc = nullptr;
    if (uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc); e != UC_ERR_OK)
        return std::unexpected("uc_open: " + ucError(e));
    std::unique_ptr<Engine> engine(
        new Engine(uc, layout, ram, std::move(*userWindow), system, counters, traps));
    if (!engine->flushContext_ || !engine->guestContext_ || !engine->scratchContext_ ||
        !engine->bootContext_ || !engine->callerContext_)
        return std::unexpected("uc_context_alloc failed");
    if (auto ok = engine->mapRegions(ram, system.windows()); !ok)
        return std::unexpected(ok.error());
    return engine;
}

Engine::Engine(uc_engine* uc, const ContextLayout& layout, const GuestRam& ram,
               AliasWindow userWindow, SystemMmu& system, EngineCounters& counters,
               hal::TrapHandler& traps)
    : uc_(uc),
      cleanStores_(CleanStores::enable(uc)),
      patcher_(uc, layout),
      userWindow_(std::move(userWindow)),
      system_(system),
      counters_(counters),
      traps_(traps),
      walker_(ram.physicalMemory()) {
    if (const auto& stops = checkedBlockBoundaryStops())
        boundaryStops_ = *stops;
    for (uc_context** c :
         {&flushContext_, &guestContext_, &scratchContext_, &bootContext_, &callerContext_})
        if (uc_context_alloc(uc_, c) != UC_ERR_OK)
            *c = nullptr;
    system_.attach(this);
}

Engine::~Engine() {
    system_.detach(this);
    for (uc_context* c :
         {flushContext_, guestContext_, scratchContext_, bootContext_, callerContext_})
        if (c)
            uc_context_free(c);
    cleanStores_.reset();
    if (simdHiding_)
        simdHiding_->show();  // uc_close frees the list's entries
    uc_close(uc_);
}

std::expected<void, std::string> Engine::mapRegions(const GuestRam& ram,
                                                    const std::vector<AliasWindow>& systemWindows) {
    auto check = [](uc_err e, const char* what) -> std::expected<void, std::string> {
        if (e == UC_ERR_OK)
            return {};
        return std::unexpected(fmt::format("mapping {}: {}", what, ucError(e)));
    };
    static_assert(mm::kUserSpaceEnd == mm::kRamPhysicalBase);
    if (auto ok = check(uc_mem_map_ptr(uc_, 0, mm::kUserSpaceEnd, kRegionPerms, userWindow_.host()),
                        "user space");
        !ok)
        return ok;
    if (auto ok = check(
            uc_mem_map_ptr(uc_, mm::kRamPhysicalBase, ram.bytes(), kRegionPerms, ram.hostView()),
            "guest RAM");
        !ok)
        return ok;
    if (cleanStores_) {
        cleanStores_->addRegion(0, userWindow_.host(), mm::kUserSpaceEnd);
        cleanStores_->addRegion(mm::kRamPhysicalBase, ram.hostView(), ram.bytes());
    }
    // Each system region's window, and between and around them an MMIO cover, up to and
    // including the last page of the address space: 2.0.1 checks regions by virtual address
    // before it walks, so an address in no region would stop the machine instead of faulting.
    // The covers' callbacks never run: no page table maps those addresses.
    auto cover = [&](std::uint64_t begin, std::uint64_t size) -> std::expected<void, std::string> {
        if (size == 0)
            return {};
        if (auto ok = check(uc_mmio_map(uc_, begin, size, onCoverRead, this, onCoverWrite, this),
                            "the MMIO cover");
            !ok)
            return ok;
        return check(uc_mem_protect(uc_, begin, size, kRegionPerms), "the MMIO cover");
    };
    std::uint64_t next = mm::kRamPhysicalBase + ram.bytes();
    for (const AliasWindow& w : systemWindows) {
        if (auto ok = cover(next, w.base().value() - next); !ok)
            return ok;
        if (auto ok = check(uc_mem_map_ptr(uc_, w.base().value(), w.size(), kRegionPerms, w.host()),
                            "a system region");
            !ok)
            return ok;
        if (cleanStores_)
            cleanStores_->addRegion(w.base().value(), w.host(), w.size());
        next = w.base().value() + w.size();
    }
    if (auto ok = cover(next, 0 - next); !ok)  // to the end of the address space
        return ok;
    struct Hook {
        int type;
        void* callback;
        const char* what;
    };
    const Hook hooks[] = {
        {UC_HOOK_INTR, reinterpret_cast<void*>(&onInterrupt), "the interrupt hook"},
        {UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&onUnmapped), "the unmapped-memory hook"},
        {UC_HOOK_MEM_FETCH_PROT, reinterpret_cast<void*>(&onFetchProtected),
         "the translation guard"},
    };
    uc_hook h;
    for (const Hook& hook : hooks)
        if (auto ok = check(uc_hook_add(uc_, &h, hook.type, hook.callback, this, 1, 0), hook.what);
            !ok)
            return ok;
    if (auto ok = check(uc_hook_add(uc_, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&onSyscall),
                                    this, 1, 0, UC_X86_INS_SYSCALL),
                        "the syscall hook");
        !ok)
        return ok;
    // The SIMD checks' hook, on nothing until translation chooses instructions for it.
    if ((simdRange_ = checkedCodeHookRange())) {
        if (auto ok = check(uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&onSimdSite),
                                        this, kNoInstruction, kNoInstruction),
                            "the SIMD checks' hook");
            !ok)
            return ok;
        simdHook_ = h;
        if (const auto& list = checkedCodeHookList()) {
            simdHiding_.emplace(uc_, *list);
            simdHiding_->hide(h);
        }
    }
    return {};
}

std::uint64_t Engine::reg(hal::Reg r) {
    if (r == hal::Reg::Cr8)
        return cr8_;
    if (r == hal::Reg::Rflags && ownsTrapFlag_) {
        std::uint64_t flags = 0;
        uc_reg_read(uc_, UC_X86_REG_RFLAGS, &flags);
        // The guest's flags, with its own TF (updateTrapFlag), not the engine's.
        return (flags & ~kTrapFlag) | (guestTrapFlag_ ? kTrapFlag : 0);
    }
    std::uint64_t v = 0;
    uc_reg_read(uc_, kUcRegs[static_cast<std::size_t>(r)], &v);
    return v;
}

void Engine::setReg(hal::Reg r, std::uint64_t value) {
    if (r == hal::Reg::Cr8) {
        cr8_ = value & 0xF;
        return;
    }
    if (r == hal::Reg::Cs) {
        // A selector alone would not change the mode (UnicornQuirks.h): patch the segment.
        if (value != reg(hal::Reg::Cs))
            patcher_.setUserCodeSegment(static_cast<std::uint16_t>(value));
        return;
    }
    if (r == hal::Reg::Rip)
        ++ripWrites_;
    if (r == hal::Reg::Rflags && ownsTrapFlag_) {
        guestTrapFlag_ = (value & kTrapFlag) != 0;
        value |= kTrapFlag;
    }
    uc_reg_write(uc_, kUcRegs[static_cast<std::size_t>(r)], &value);
    if (r == hal::Reg::MxCsr)
        noteMxcsr(value);
}

hal::Cpu::Vector128 Engine::xmm(unsigned index) {
    Vector128 v{};
    uc_reg_read(uc_, UC_X86_REG_XMM0 + static_cast<int>(index), v.data());
    return v;
}

void Engine::setXmm(unsigned index, const Vector128& value) {
    uc_reg_write(uc_, UC_X86_REG_XMM0 + static_cast<int>(index), value.data());
}

hal::DebugTarget::X87Value Engine::x87Register(unsigned index) {
    X87Value v{};
    uc_reg_read(uc_, UC_X86_REG_ST0 + static_cast<int>(index), v.data());
    return v;
}

bool Engine::setX87Register(unsigned index, const X87Value& value) {
    return uc_reg_write(uc_, UC_X86_REG_ST0 + static_cast<int>(index), value.data()) == UC_ERR_OK;
}

std::uint64_t Engine::x87Control(X87Control r) {
    std::uint64_t v = 0;
    uc_reg_read(uc_, kUcX87Control[static_cast<std::size_t>(r)], &v);
    return v;
}

bool Engine::setX87Control(X87Control r, std::uint64_t value) {
    return uc_reg_write(uc_, kUcX87Control[static_cast<std::size_t>(r)], &value) == UC_ERR_OK;
}

void Engine::halt() {
    halted_ = true;
    requestStop();
}

void Engine::requestStop() {
    stopFor({StopCause::Requested, reg(hal::Reg::Rip)});
}

void Engine::mapped(VirtualAddress va, Pfn pfn) {
    // The kernel keeps validPageHeadroom() above zero, so only the host itself can refuse.
    if (!userWindow_.alias(va, pfn))
        machineCheck(fmt::format(
            "the host refused to map guest page {:#x} ({} of {} host-mapping fragments in use)",
            va.value(), system_.hostMappingFragments(), system_.hostMappingLimit()));
}

void Engine::unmapped(VirtualAddress va) {
    userWindow_.unalias(va);
    codePageChanged(va.value());
    flushPending_ = true;
}

void Engine::downgraded(VirtualAddress) {
    flushPending_ = true;
}

void Engine::codeModified(VirtualAddress va, std::uint64_t length) {
    for (std::uint64_t page = va.pageBase().value(); page < va.value() + length; page += kPageSize)
        codePageChanged(page);
}

void Engine::codePageChanged(std::uint64_t va) {
    const std::uint64_t page = va & ~kPageMask;
    if (codePages_.erase(page) != 0) {
        staleCode_.insert(page);
        if (lastCodePage_ == page)
            lastCodePage_ = ~0ull;
    }
}

void Engine::flushTlb() {
    // Nothing to do now: whatever is pending is flushed before the guest next runs.
}

void Engine::dropStaleCode() {
    if (staleCode_.empty())
        return;
    std::uint64_t cr3 = 0;
    uc_reg_read(uc_, UC_X86_REG_CR3, &cr3);
    // uc_ctl_remove_cache looks its address up through the MMU, at the current privilege, and
    // longjmps a #PF out of the caller if the page cannot be fetched (UnicornQuirks.h). So only
    // pages that can be fetched now are dropped, from the flush routine's CPL0 context; the
    // others cannot run before they can be fetched again, and wait until then.
    bool swapped = false;
    for (auto it = staleCode_.begin(); it != staleCode_.end();) {
        const auto t = walker_.translate(cr3, *it);
        if (!t || !t->executable) {
            ++it;
            continue;
        }
        if (!swapped) {
            uc_context_save(uc_, scratchContext_);
            uc_context_restore(uc_, flushContext_);
            swapped = true;
        }
        uc_ctl_remove_cache(uc_, *it, *it + kPageSize);
        simdSites_.erase(*it);
        ++counters_.codePagesDropped;
        it = staleCode_.erase(it);
    }
    if (swapped)
        uc_context_restore(uc_, scratchContext_);
}

void Engine::dropCodeAt(std::uint64_t va) {
    // Code translated before a breakpoint was set (or removed) would not see the change.
    const std::uint64_t page = va & ~kPageMask;
    codePages_.erase(page);
    staleCode_.insert(page);
    dropStaleCode();
}

void Engine::loadSystemRegisters(const hal::SystemRegisters& regs) {
    uc_x86_mmr gdtr{0, regs.gdtBase, regs.gdtLimit, 0};
    uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr);
    uc_x86_mmr tr{regs.trSelector, regs.tssBase, regs.tssLimit, 0x89};
    uc_reg_write(uc_, UC_X86_REG_TR, &tr);
    uc_reg_write(uc_, UC_X86_REG_CR4, &regs.cr4);
    uc_reg_write(uc_, UC_X86_REG_CR3, &regs.cr3);
    uc_reg_write(uc_, UC_X86_REG_CR0, &regs.cr0);
    patcher_.setEfer(regs.efer);
    // The flush routine's context: this one (a new processor is at CPL0), at the routine,
    // with interrupts and the trap flag clear.
    if ((reg(hal::Reg::Cs) & 3) != 0) {
        machineCheck("system registers must be loaded before the processor leaves ring 0");
        return;
    }
    flushRoutine_ = regs.tlbFlushRoutine;
    uc_context_save(uc_, scratchContext_);
    const std::uint64_t flags = 0x2;
    uc_reg_write(uc_, UC_X86_REG_RIP, &flushRoutine_);
    uc_reg_write(uc_, UC_X86_REG_RFLAGS, &flags);
    uc_context_save(uc_, flushContext_);
    uc_context_restore(uc_, scratchContext_);
    uc_context_save(uc_, bootContext_);
}

namespace {

struct EngineContext final : hal::SavedContext {
    explicit EngineContext(uc_engine* uc) { uc_context_alloc(uc, &context); }
    ~EngineContext() override {
        if (context)
            uc_context_free(context);
    }
    EngineContext(const EngineContext&) = delete;
    EngineContext& operator=(const EngineContext&) = delete;
    uc_context* context = nullptr;
    bool guestTrapFlag = false;
    std::uint64_t cr8 = 0;
};

}  // namespace

void Engine::saveContext(std::unique_ptr<hal::SavedContext>& into) {
    if (!into)
        into = std::make_unique<EngineContext>(uc_);
    auto& saved = static_cast<EngineContext&>(*into);
    if (!saved.context) {
        machineCheck("the host could not allocate a thread context");
        return;
    }
    uc_context_save(uc_, saved.context);
    saved.guestTrapFlag = guestTrapFlag_;
    saved.cr8 = cr8_;
}

void Engine::restoreContext(const hal::SavedContext& context) {
    // Between runs the engine owns no TF of its own, so RFLAGS in the context is the guest's.
    const auto& saved = static_cast<const EngineContext&>(context);
    if (saved.context)
        uc_context_restore(uc_, saved.context);
    guestTrapFlag_ = saved.guestTrapFlag;
    cr8_ = saved.cr8;
    std::uint64_t mxcsr = 0;
    uc_reg_read(uc_, UC_X86_REG_MXCSR, &mxcsr);
    noteMxcsr(mxcsr);
}

void Engine::resetContext() {
    uc_context_restore(uc_, bootContext_);
    cr8_ = 0;
    guestTrapFlag_ = false;
    ownsTrapFlag_ = false;
}

void Engine::preempt() {
    std::lock_guard lock(timerStopMutex_);
    preemptRequested_.store(true, std::memory_order_relaxed);
    // Safe from this thread only with block-boundary stops (else the block hook, on the
    // engine's own thread, sees the flag and stops the run).
    if (timerStops_)
        uc_emu_stop(uc_);
}

void Engine::allowTimerStops(bool on) {
    std::lock_guard lock(timerStopMutex_);
    timerStops_ = on;
}

bool Engine::preemptedNow() {
    // Never in the kernel's own code (the flush routine, the entry stub): a thread stopped
    // between the stub's segment loads and its IRETQ does not resume correctly. A timer stop
    // that lands there is not taken; the run goes on, and the timer asks again.
    if (!inFlushRoutine_ && !inKernelRoutine_ && !mm::isSystemAddress(reg(hal::Reg::Rip)) &&
        preemptRequested_.exchange(false, std::memory_order_relaxed))
        preempted_ = true;
    return preempted_;
}

void Engine::setPreemptible(bool on) {
    preemptible_ = on;
    updatePreemption();
}

void Engine::setBlockQuantum(std::uint64_t blocks) {
    blockQuantum_ = blocksLeft_ = blocks;
    updatePreemption();
}

void Engine::updatePreemption() {
    const bool timerStops = preemptible_ && blockQuantum_ == 0 && boundaryStops_ &&
                            breakpoints_.empty() && watchpoints_.empty() && !pauseCheck_ &&
                            !codeHookLingers_ && !simdHook_;
    const bool want = blockQuantum_ != 0 || (preemptible_ && !timerStops);
    if (timerStops == boundaryStopsOn_ && want == quantumHook_.has_value())
        return;
    if (timerStops != boundaryStopsOn_) {
        setBlockBoundaryStops(uc_, *boundaryStops_, timerStops);
        boundaryStopsOn_ = timerStops;
    }
    if (want && !quantumHook_) {
        uc_hook h;
        if (uc_hook_add(uc_, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&onBlockQuantum), this, 1,
                        0) != UC_ERR_OK) {
            machineCheck("the host could not add the scheduler's block hook");
            return;
        }
        quantumHook_ = h;
    } else if (!want && quantumHook_) {
        uc_hook_del(uc_, *std::exchange(quantumHook_, std::nullopt));
    }
    // Code translated before the change calls the hook (or not), and checks for stops inside
    // its blocks (or not), as it did: retranslate it.
    dropAllCode();
}

void Engine::dropAllCode() {
    // Page by page: UC_CTL_TB_FLUSH would clear the whole 1 GiB code buffer (UnicornQuirks.h).
    staleCode_.insert(codePages_.begin(), codePages_.end());
    codePages_.clear();
    dropStaleCode();
}

void Engine::onBlockQuantum(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
    auto* e = static_cast<Engine*>(self);
    // Never in the kernel's own code (the flush routine, the entry stub): a thread stopped
    // between the stub's segment loads and its IRETQ did not resume correctly.
    if (e->inFlushRoutine_ || mm::isSystemAddress(address))
        return;
    if (e->blockQuantum_ != 0) {
        // A quantum is blockQuantum_ blocks run: the stop comes before the next one, which
        // the next quantum counts (so a quantum of 1 still runs a block each turn).
        if (e->blocksLeft_ == 0) {
            e->blocksLeft_ = e->blockQuantum_;
            e->preemptRequested_.store(true, std::memory_order_relaxed);
        } else {
            --e->blocksLeft_;
        }
    }
    if (e->preemptRequested_.load(std::memory_order_relaxed))
        e->stopBeforeBlock(address);
}

void Engine::stopBeforeBlock(std::uint64_t address) {
    stoppedBeforeBlock_ = address;
    uc_emu_stop(uc_);
}

void Engine::enterFlushRoutine(std::uint64_t resume, bool inSyscallHook) {
    uc_context_save(uc_, guestContext_);
    resumeAfterFlush_ = resume;
    uc_context_restore(uc_, flushContext_);
    const std::uint64_t start = flushRoutine_ - (inSyscallHook ? kSyscallInstructionLength : 0);
    uc_reg_write(uc_, UC_X86_REG_RIP, &start);
    inFlushRoutine_ = true;
    flushPending_ = false;
}

void Engine::leaveFlushRoutine() {
    uc_context_restore(uc_, guestContext_);
    // The routine ended with SYSCALL, whose hook this is.
    const std::uint64_t rip = resumeAfterFlush_ - kSyscallInstructionLength;
    uc_reg_write(uc_, UC_X86_REG_RIP, &rip);
    inFlushRoutine_ = false;
    expectEarlyStepAt(resumeAfterFlush_);
    if (stopRequested_)
        stopAgainAt(resumeAfterFlush_);
}

bool Engine::callKernelRoutine(std::uint64_t routine, const std::array<std::uint64_t, 4>& args,
                               KernelRoutineDone done) {
    if (inKernelRoutine_ || inFlushRoutine_ || pendingCall_)
        return false;  // one at a time, from a trap of the thread itself
    pendingCall_ = KernelCall{routine, args, std::move(done)};
    return true;
}

void Engine::enterKernelRoutine(std::uint64_t resume, bool inSyscallHook) {
    KernelCall call = std::move(*std::exchange(pendingCall_, std::nullopt));
    uc_context_save(uc_, callerContext_);
    resumeAfterCall_ = resume;
    uc_context_restore(uc_, flushContext_);
    const std::uint64_t start = call.routine - (inSyscallHook ? kSyscallInstructionLength : 0);
    uc_reg_write(uc_, UC_X86_REG_RIP, &start);
    const int argumentRegisters[] = {UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_R8, UC_X86_REG_R9};
    for (std::size_t i = 0; i < call.args.size(); ++i)
        uc_reg_write(uc_, argumentRegisters[i], &call.args[i]);
    callDone_ = std::move(call.done);
    inKernelRoutine_ = true;
    // Page-table changes the trap made must be visible to the routine too: it may reach the
    // pages they unmapped.
    dropStaleCode();
    if (flushPending_)
        enterFlushRoutine(call.routine, inSyscallHook);
}

void Engine::abandonKernelRoutine() {
    uc_context_restore(uc_, callerContext_);
    uc_reg_write(uc_, UC_X86_REG_RIP, &resumeAfterCall_);
    inKernelRoutine_ = false;
    callDone_ = nullptr;
}

void Engine::leaveKernelRoutine() {
    std::uint64_t rax = 0;
    uc_reg_read(uc_, UC_X86_REG_RAX, &rax);
    uc_context_restore(uc_, callerContext_);
    inKernelRoutine_ = false;
    if (auto done = std::exchange(callDone_, nullptr))
        done(rax);
    // The routine ended with SYSCALL, whose hook this is; a flush it made pending runs first.
    resumeAfterTrap(resumeAfterCall_, true);
}

void Engine::expectEarlyStepAt(std::uint64_t resume) {
    // 2.0.1 re-checks TF after SYSCALL and traps at once when the hook left it set: a single
    // step before the first instruction at `resume` has run. On the CPU (Windows returns by
    // IRETQ) the trap comes after that instruction.
    std::uint64_t flags = 0;
    uc_reg_read(uc_, UC_X86_REG_RFLAGS, &flags);
    if ((flags & kTrapFlag) && !ownsTrapFlag_)
        earlyStepAt_ = resume;
}

void Engine::resumeAfterTrap(std::uint64_t resume, bool inSyscallHook) {
    dropStaleCode();
    if (flushPending_ && !stopRequested_ && !machineCheck_) {
        enterFlushRoutine(resume, inSyscallHook);
        return;
    }
    // A stopped processor flushes when it next runs (run() does it first).
    if (inSyscallHook) {
        setReg(hal::Reg::Rip, resume - kSyscallInstructionLength);
        expectEarlyStepAt(resume);
    }
    if (stopRequested_)
        stopAgainAt(resume);
}

std::expected<void, std::string> Engine::step() {
    // The trap flag: #DB after one instruction. uc_emu_start's instruction count stops only at
    // the end of a translation block in 2.0.1, and TF needs no retranslation (it is part of a
    // block's key).
    stepping_ = true;
    updateTrapFlag();
    auto r = run();
    stepping_ = false;
    updateTrapFlag();
    return r;
}

void Engine::updateTrapFlag() {
    const bool want = stepping_ || steppingToRefused_ || skipBreakpointAt_ || !watchpoints_.empty();
    if (want == ownsTrapFlag_)
        return;
    std::uint64_t flags = 0;
    uc_reg_read(uc_, UC_X86_REG_RFLAGS, &flags);
    // The guest's own TF (single-stepping code of its own) comes back when ours goes.
    if (want)
        guestTrapFlag_ = (flags & kTrapFlag) != 0;
    flags = want || guestTrapFlag_ ? flags | kTrapFlag : flags & ~kTrapFlag;
    uc_reg_write(uc_, UC_X86_REG_RFLAGS, &flags);
    ownsTrapFlag_ = want;
}

std::expected<void, std::string> Engine::run() {
    if (const auto& failed = system_.failure())
        return std::unexpected(*failed);
    const ObservedTranslations observed(*this);
    stopRequested_ = false;
    preempted_ = false;
    // A request that came between runs is stale: the timer asks again each quantum.
    preemptRequested_.store(false, std::memory_order_relaxed);
    lastStop_ = {};
    watchHit_.reset();
    const std::uint64_t rip = reg(hal::Reg::Rip);
    if (breakpoints_.contains(rip)) {
        skipBreakpointAt_ = rip;
        updateTrapFlag();
    }
    updatePreemption();  // breakpoints, watchpoints or the pause check may have changed
    allowTimerStops(boundaryStopsOn_);
    do {
        // After a stop requested from a trap handler (a debugger pausing on a fault), 2.0.1
        // resumes with the handled exception still marked in flight, and the next fault
        // would become a #DF. No run starts inside an exception, so clear the mark.
        patcher_.acknowledgeException();
        if (!inFlushRoutine_) {
            dropStaleCode();
            if (flushPending_)
                enterFlushRoutine(reg(hal::Reg::Rip), false);
        }
        refusedAt_.reset();
        stoppedBeforeBlock_.reset();
        const uc_err e = uc_emu_start(uc_, reg(hal::Reg::Rip), ~0ull, 0, 0);
        // A block hook's stop: the block did not run, and 2.0.1 may have left RIP at an
        // earlier block of the chain (UnicornQuirks.h).
        if (e == UC_ERR_OK && stoppedBeforeBlock_)
            setReg(hal::Reg::Rip, *stoppedBeforeBlock_);
        if (e == UC_ERR_OK || machineCheck_)
            continue;
        if (e == kInvalidOpcodeStop) {
            // #UD never reaches UC_HOOK_INTR in 2.0.1: the run stops at the instruction (and
            // the next pass of this loop clears the exception mark, as for every run).
            raiseInvalidOpcode();
            continue;
        }
        if (e == UC_ERR_FETCH_PROT && refusedAt_) {
            runUpToRefused(*refusedAt_);
            continue;
        }
        machineCheck(
            fmt::format("the CPU stopped at rip {:#x}: {}", reg(hal::Reg::Rip), ucError(e)));
        if (inKernelRoutine_ && halted_)
            abandonKernelRoutine();  // a bug check from a hook other than the fault's
    } while ((!(stopRequested_ || preemptedNow()) || inFlushRoutine_ || inKernelRoutine_) &&
             !machineCheck_);
    allowTimerStops(false);
    codeHookLingers_ = false;  // 2.0.1 frees deleted hooks as its outermost run ends
    skipBreakpointAt_.reset();
    updateTrapFlag();
    if (stopAgainHook_)
        uc_hook_del(uc_, *std::exchange(stopAgainHook_, std::nullopt));
    if (machineCheck_)
        return std::unexpected(*std::exchange(machineCheck_, std::nullopt));
    return {};
}

void Engine::deliver(const hal::CpuException& e) {
    traps_.exception(*this, e);
}

void Engine::raiseInvalidOpcode() {
    deliver(hal::CpuException{hal::Vector::InvalidOpcode, 0, 0});
}

namespace {
bool isCanonical(std::uint64_t va) {
    return va < 0x0000'8000'0000'0000 || va >= 0xFFFF'8000'0000'0000;
}
}  // namespace

void Engine::emulateNarrowIret(unsigned size) {
    // A 32- or 16-bit IRET from user mode in 64-bit mode (TranslationGuard.h says why 2.0.1
    // must not run it): pops IP, CS, FLAGS, SP and SS, each `size` bytes, and returns to a
    // user code segment. The only descriptors a user CS and SS can name are the kernel's:
    // 0x23 (compatibility-mode code), 0x33 (64-bit code), 0x2B (data); anything else is #GP
    // with the selector, as the descriptor checks would give. Only the flags CPL 3 may change
    // change: never IF, IOPL, VM, VIF or VIP.
    constexpr std::uint64_t kUserFlags = 0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 |
                                         0x0400 | 0x0800 | 0x4000 | 0x10000 | 0x40000 | 0x200000;
    const auto fault = [&](hal::Vector vector, std::uint32_t errorCode, std::uint64_t cr2) {
        deliver(hal::CpuException{vector, errorCode, cr2});
        resumeAfterTrap(reg(hal::Reg::Rip), false);
    };
    const std::uint64_t flags = reg(hal::Reg::Rflags);
    if ((reg(hal::Reg::Cs) & 3) != 3 || (flags & 0x4000)) {  // NT: no task return in long mode
        fault(hal::Vector::GeneralProtection, 0, 0);
        return;
    }
    std::uint64_t cr3 = 0;
    uc_reg_read(uc_, UC_X86_REG_CR3, &cr3);
    const std::uint64_t sp = reg(hal::Reg::Rsp);
    std::array<std::uint8_t, 5 * 4> frame{};
    const std::size_t bytes = 5 * size;
    for (std::uint64_t va = sp; va < sp + bytes; va = (va | 0xFFF) + 1) {
        if (!isCanonical(va)) {
            fault(hal::Vector::StackFault, 0, 0);
            return;
        }
        const auto t = walker_.translate(cr3, va);
        if (!t || !t->user) {
            fault(hal::Vector::PageFault, (t ? hal::pf::kPresent : 0) | hal::pf::kUser, va);
            return;
        }
    }
    walker_.read(cr3, sp, std::span(frame.data(), bytes));
    std::array<std::uint64_t, 5> v{};
    for (unsigned i = 0; i < 5; ++i)
        std::memcpy(&v[i], frame.data() + i * size, size);
    const auto [ip, cs, popped, newSp, ss] = v;
    if ((cs & 0xFFFF) != 0x23 && (cs & 0xFFFF) != 0x33) {
        fault(hal::Vector::GeneralProtection, static_cast<std::uint32_t>(cs & 0xFFFC), 0);
        return;
    }
    if ((ss & 0xFFFF) != 0x2B) {
        fault(hal::Vector::GeneralProtection, static_cast<std::uint32_t>(ss & 0xFFFC), 0);
        return;
    }
    setReg(hal::Reg::Cs, cs & 0xFFFF);
    setReg(hal::Reg::Rip, ip);
    setReg(hal::Reg::Rsp, newSp);
    setReg(hal::Reg::Rflags, (flags & ~kUserFlags) | (popped & kUserFlags) | 0x2);
    // A trap flag set before the IRET traps after it, at the new RIP.
    if (flags & kTrapFlag)
        fault(hal::Vector::Debug, 0, 0);
}

void Engine::runUpToRefused(std::uint64_t refused) {
    // The block was refused while being translated, before any of it ran: RIP is its start,
    // and its instructions up to the refused one run straight through. Under the trap flag
    // each block is one instruction, so only the refused one is left untranslated.
    const std::uint64_t start = reg(hal::Reg::Rip);
    steppingToRefused_ = true;
    updateTrapFlag();
    while (!machineCheck_ && !stopRequested_) {
        const std::uint64_t rip = reg(hal::Reg::Rip);
        if (rip == refused) {
            // Decoded again from where the CPU really is: the guard's view of instruction
            // boundaries is only a guess until the CPU gets here.
            // The guest's own trap flag back first: the refused instruction is the guest's.
            steppingToRefused_ = false;
            updateTrapFlag();
            std::uint64_t cr3 = 0;
            uc_reg_read(uc_, UC_X86_REG_CR3, &cr3);
            std::array<std::uint8_t, 15> code{};
            const std::span<const std::uint8_t> insn(code.data(), walker_.read(cr3, rip, code));
            if (abortsTranslator(insn))
                raiseInvalidOpcode();
            else if (const auto size = narrowIretOperandSize(insn))
                emulateNarrowIret(*size);
            break;
        }
        if (rip < start || rip > refused)
            break;  // a fault on the way went to its handler
        patcher_.acknowledgeException();
        if (!inFlushRoutine_) {
            dropStaleCode();
            if (flushPending_)
                enterFlushRoutine(rip, false);
        }
        refusedAt_.reset();
        stoppedBeforeBlock_.reset();
        const uc_err e = uc_emu_start(uc_, reg(hal::Reg::Rip), ~0ull, 0, 0);
        // A block hook's stop: the block did not run, and 2.0.1 may have left RIP at an
        // earlier block of the chain (UnicornQuirks.h).
        if (e == UC_ERR_OK && stoppedBeforeBlock_)
            setReg(hal::Reg::Rip, *stoppedBeforeBlock_);
        if (e == UC_ERR_OK || machineCheck_)
            continue;
        if (e == kInvalidOpcodeStop) {
            raiseInvalidOpcode();
            break;
        }
        if (e == UC_ERR_FETCH_PROT && refusedAt_) {
            // Under the trap flag a block is one instruction: a byte refused after its start
            // is inside it (TranslationGuard::trustOneInstructionAt).
            if (*refusedAt_ > reg(hal::Reg::Rip))
                guard_.trustOneInstructionAt(reg(hal::Reg::Rip));
            else
                refused = *refusedAt_;
            continue;
        }
        machineCheck(
            fmt::format("the CPU stopped at rip {:#x}: {}", reg(hal::Reg::Rip), ucError(e)));
    }
    steppingToRefused_ = false;
    updateTrapFlag();
}

void Engine::stopFor(Stop stop) {
    if (lastStop_.cause == StopCause::None)
        lastStop_ = stop;
    stopRequested_ = true;
    uc_emu_stop(uc_);
}

bool Engine::addBreakpoint(VirtualAddress at) {
    const std::uint64_t va = at.value();
    if (breakpoints_.contains(va))
        return false;
    uc_hook h;
    if (uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&onBreakpoint), this, va, va) !=
        UC_ERR_OK)
        return false;
    breakpoints_[va] = h;
    // Code translated before the hook existed would run past it.
    dropCodeAt(va);
    return true;
}

bool Engine::removeBreakpoint(VirtualAddress at) {
    const std::uint64_t va = at.value();
    auto it = breakpoints_.find(va);
    if (it == breakpoints_.end())
        return false;
    uc_hook_del(uc_, it->second);
    codeHookLingers_ = true;
    breakpoints_.erase(it);
    // Code translated while the hook existed still calls it.
    dropCodeAt(va);
    return true;
}

void Engine::onBreakpoint(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
    auto* e = static_cast<Engine*>(self);
    // The kernel's own routines are not the guest's to stop in: they would restart forever.
    if (e->inKernelRoutine_ || e->inFlushRoutine_)
        return;
    if (e->skipBreakpointAt_ != address)
        e->stopFor({StopCause::Breakpoint, address});
}

bool Engine::addWatchpoint(VirtualAddress at, std::uint64_t length, WatchKind kind) {
    const std::uint64_t va = at.value();
    if (length == 0 || va + length < va)
        return false;
    const int types = kind == WatchKind::Write  ? UC_HOOK_MEM_WRITE
                      : kind == WatchKind::Read ? UC_HOOK_MEM_READ
                                                : UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE;
    uc_hook h;
    if (uc_hook_add(uc_, &h, types, reinterpret_cast<void*>(&onWatch), this, va, va + length - 1) !=
        UC_ERR_OK)
        return false;
    watchpoints_.push_back({va, length, kind, h});
    // Memory hooks are checked as code runs, so nothing needs translating again; the trap
    // flag brings the CPU back after each instruction to report a hit once it is done.
    updateTrapFlag();
    return true;
}

bool Engine::removeWatchpoint(VirtualAddress at, std::uint64_t length, WatchKind kind) {
    const std::uint64_t va = at.value();
    for (auto it = watchpoints_.begin(); it != watchpoints_.end(); ++it) {
        if (it->va == va && it->length == length && it->kind == kind) {
            uc_hook_del(uc_, it->hook);
            watchpoints_.erase(it);
            updateTrapFlag();
            return true;
        }
    }
    return false;
}

void Engine::onWatch(uc_engine*, uc_mem_type type, std::uint64_t address, int, std::int64_t,
                     void* self) {
    // Stopping inside the access would leave RIP at an instruction whose store is already
    // done, and running it again would repeat it (an `inc` would count twice).
    auto* e = static_cast<Engine*>(self);
    if (!e->watchHit_)
        e->watchHit_ = Stop{StopCause::Watchpoint, address, type == UC_MEM_WRITE};
}

void Engine::machineCheck(std::string what) {
    if (!machineCheck_)
        machineCheck_ = std::move(what);
    uc_emu_stop(uc_);
}

void Engine::onInterrupt(uc_engine*, std::uint32_t vector, void* self) {
    auto* e = static_cast<Engine*>(self);
    const auto acknowledged = e->patcher_.acknowledgeException();
    hal::CpuException ex{static_cast<hal::Vector>(vector), acknowledged.errorCode, 0,
                         acknowledged.software};
    if (e->inFlushRoutine_) {
        e->machineCheck(fmt::format("vector {} in the TLB-flush routine at rip {:#x}", vector,
                                    e->reg(hal::Reg::Rip)));
        return;
    }
    if (e->inKernelRoutine_) {
        // Ring-0 code's fault: the kernel resolves it (the routine retries) or bug checks,
        // which stops the machine for good: the routine is abandoned.
        if (ex.vector == hal::Vector::PageFault)
            uc_reg_read(e->uc_, UC_X86_REG_CR2, &ex.cr2);
        e->deliver(ex);
        if (e->halted_) {
            e->abandonKernelRoutine();
            uc_emu_stop(e->uc_);
            return;
        }
        if (e->flushPending_)
            e->enterFlushRoutine(e->reg(hal::Reg::Rip), false);
        return;
    }
    if (const auto early = std::exchange(e->earlyStepAt_, std::nullopt);
        early && ex.vector == hal::Vector::Debug && *early == e->reg(hal::Reg::Rip))
        return;  // the early trap after SYSCALL (expectEarlyStepAt): not the guest's
    if (ex.vector == hal::Vector::Debug && e->ownsTrapFlag_) {
        // Our own trap flag: an instruction finished while stepping, stepping off a
        // breakpoint or watching.
        if (e->skipBreakpointAt_) {
            e->skipBreakpointAt_.reset();
            e->updateTrapFlag();
        }
        if (e->watchHit_)
            e->stopFor(*std::exchange(e->watchHit_, std::nullopt));
        else if (e->stepping_)
            e->stopFor({StopCause::Step, e->reg(hal::Reg::Rip)});
        else if (e->steppingToRefused_)
            uc_emu_stop(e->uc_);  // one instruction on the way to a refused one
        if (e->stopRequested_)
            e->stopAgainAt(e->reg(hal::Reg::Rip));
        return;
    }
    if (ex.vector == hal::Vector::PageFault)
        uc_reg_read(e->uc_, UC_X86_REG_CR2, &ex.cr2);
    e->deliver(ex);
    if (e->pendingCall_ && !e->halted_ && !e->machineCheck_) {  // from int 0x2e
        e->enterKernelRoutine(e->reg(hal::Reg::Rip), false);
        return;
    }
    e->pendingCall_.reset();
    e->resumeAfterTrap(e->reg(hal::Reg::Rip), false);
}

void Engine::onSyscall(uc_engine*, void* self) {
    auto* e = static_cast<Engine*>(self);
    if (e->inFlushRoutine_) {
        e->leaveFlushRoutine();
        return;
    }
    if (e->inKernelRoutine_) {
        e->leaveKernelRoutine();
        return;
    }
    e->earlyStepAt_.reset();
    const std::uint64_t rip = e->reg(hal::Reg::Rip);
    const std::uint64_t ripWrites = e->ripWrites_;
    e->traps_.systemCall(*e);
    // A handler that moved RIP (NtContinue, exception dispatch) must land where it said.
    const std::uint64_t target = e->reg(hal::Reg::Rip);
    // A routine the call asked for runs now, even if a stop is pending (its end re-arms the
    // stop); not on a machine that cannot go on.
    if (e->pendingCall_ && !e->halted_ && !e->machineCheck_) {
        e->enterKernelRoutine(target != rip ? target : rip + kSyscallInstructionLength, true);
        return;
    }
    e->pendingCall_.reset();
    if (target == rip && e->ripWrites_ == ripWrites && !e->flushPending_) {
        // The common return: RIP untouched, so 2.0.1 goes on to the next instruction by
        // itself, and a stop requested here (a wait that blocks) takes effect at the next
        // block, since SYSCALL ends its block. Writing RIP would have 2.0.1 ignore the stop
        // (quit_request), and stopping again costs a retranslation (stopAgainAt).
        e->dropStaleCode();
        e->expectEarlyStepAt(rip + kSyscallInstructionLength);
        return;
    }
    e->resumeAfterTrap(target != rip ? target : rip + kSyscallInstructionLength, true);
}

bool Engine::onFetchProtected(uc_engine*, uc_mem_type, std::uint64_t address, int, std::int64_t,
                              void* self) {
    auto* e = static_cast<Engine*>(self);
    // While the translator builds a block, RIP is still the block's start.
    std::uint64_t blockStart = 0;
    uc_reg_read(e->uc_, UC_X86_REG_RIP, &blockStart);
    if (const std::uint64_t page = address & ~kPageMask; page != e->lastCodePage_) {
        e->codePages_.insert(page);
        e->lastCodePage_ = page;
    }
    const bool allowed = e->guard_.allowRead(address, blockStart,
                                             [e](std::uint64_t va, std::span<std::uint8_t> out) {
                                                 std::uint64_t cr3 = 0;
                                                 uc_reg_read(e->uc_, UC_X86_REG_CR3, &cr3);
                                                 return e->walker_.read(cr3, va, out);
                                             });
    if (!allowed)
        e->refusedAt_ = address;
    else if (const auto next = e->guard_.nextInstruction(); next && e->simdHook_)
        e->chooseInstruction(*next);
    return allowed;
}

// ---- SIMD checks ---------------------------------------------------------------------------

void Engine::translationStarts(std::uint64_t pc) {
    if (!simdHook_)
        return;
    if (simdHiding_)
        simdHiding_->show();
    chooseInstruction(pc);
}

void Engine::translationEnds() {
    if (!simdHook_)
        return;
    // Everything instrumented may call the hook when it runs (the helper checks the range
    // again when other code hooks exist); while there are none, the hook leaves the list.
    setCodeHookRange(*simdHook_, *simdRange_, 1, 0);
    if (simdHiding_)
        simdHiding_->hide(*simdHook_);
}

void Engine::chooseInstruction(std::uint64_t va) {
    std::uint64_t cr3 = 0;
    uc_reg_read(uc_, UC_X86_REG_CR3, &cr3);
    std::array<std::uint8_t, 15> bytes{};
    const std::size_t n = walker_.read(cr3, va, bytes);
    const std::span<const std::uint8_t> code(bytes.data(), n);
    std::optional<SimdSite> site;
    if (const auto move = cr8Move(code)) {
        site.emplace();
        site->length = kCr8MoveLength;
        site->cr8 = *move;
    } else {
        site = simdClassifier_.classify(code);
    }
    const bool chosen = site && (site->alignment != 0 || site->loadsMxcsrAt || site->cr8 ||
                                 (site->arithmetic && simdArithmetic_));
    if (!chosen) {
        setCodeHookRange(*simdHook_, *simdRange_, kNoInstruction, kNoInstruction);
        return;
    }
    auto& page = simdSites_[va & ~kPageMask];
    const auto offset = static_cast<std::uint16_t>(va & kPageMask);
    const auto it = std::ranges::find(page, offset, &std::pair<std::uint16_t, SimdSite>::first);
    if (it != page.end())
        it->second = *site;
    else
        page.emplace_back(offset, *site);
    setCodeHookRange(*simdHook_, *simdRange_, va, va);
}

void Engine::onSimdSite(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
    auto* e = static_cast<Engine*>(self);
    const auto page = e->simdSites_.find(address & ~kPageMask);
    if (page == e->simdSites_.end())
        return;
    const auto offset = static_cast<std::uint16_t>(address & kPageMask);
    for (const auto& [at, site] : page->second)
        if (at == offset) {
            // A copy: a check that raises may drop the page's code, and its sites with it.
            e->checkSimdSite(address, SimdSite(site));
            return;
        }
}

bool Engine::readUser(std::uint64_t va, std::span<std::uint8_t> out) {
    if (va + out.size() < va)
        return false;  // wraps past the top of the address space: system pages, never read
    std::uint64_t cr3 = 0;
    uc_reg_read(uc_, UC_X86_REG_CR3, &cr3);
    for (std::uint64_t page = va & ~kPageMask; page < va + out.size(); page += kPageSize) {
        const auto t = walker_.translate(cr3, page);
        if (!t || !t->user)
            return false;
    }
    return walker_.read(cr3, va, out) == out.size();
}

void Engine::moveCr8(std::uint64_t rip, const Cr8Move& move) {
    // At CPL 3 the instruction runs and raises #GP itself.
    if ((reg(hal::Reg::Cs) & 3) != 0)
        return;
    static constexpr std::array<int, 16> kGprs = {
        UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
        UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
        UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
        UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
    const int gpr = kGprs[move.gpr];
    if (move.write) {
        std::uint64_t value = 0;
        uc_reg_read(uc_, gpr, &value);
        if (value > 0xF) {  // bits 4-63 are reserved
            deliver(hal::CpuException{hal::Vector::GeneralProtection, 0, 0});
            resumeAfterTrap(reg(hal::Reg::Rip), false);
            return;
        }
        const std::uint64_t from = std::exchange(cr8_, value);
        // Moving RIP leaves the block before the instruction runs (UnicornQuirks.h).
        setReg(hal::Reg::Rip, rip + kCr8MoveLength);
        if (from != value) {
            // The kernel may change page tables (the verifier trims at a raise): a flush
            // before the next instruction.
            traps_.irqlChanged(*this, static_cast<std::uint8_t>(from),
                               static_cast<std::uint8_t>(value));
            resumeAfterTrap(reg(hal::Reg::Rip), false);
        }
        return;
    }
    uc_reg_write(uc_, gpr, &cr8_);
    setReg(hal::Reg::Rip, rip + kCr8MoveLength);
}

void Engine::checkSimdSite(std::uint64_t rip, const SimdSite& site) {
    const auto regValue = [this](int r) {
        std::uint64_t v = 0;
        uc_reg_read(uc_, r, &v);
        return v;
    };
    const auto raise = [this](hal::Vector vector) {
        ++counters_.simdFaults;
        deliver(hal::CpuException{vector, 0, 0});
        resumeAfterTrap(reg(hal::Reg::Rip), false);
    };
    if (site.cr8) {
        moveCr8(rip, *site.cr8);
        return;
    }
    std::optional<std::uint64_t> address;
    if (site.memory)
        address = effectiveAddress(*site.memory, rip + site.length, regValue);
    // Alignment comes before the access, so before any page fault of the operand.
    if (site.alignment != 0 && address && (*address & (site.alignment - 1)) != 0) {
        raise(hal::Vector::GeneralProtection);
        return;
    }
    if (site.loadsMxcsrAt && address) {
        std::array<std::uint8_t, 4> loaded{};
        if (readUser(*address + *site.loadsMxcsrAt, loaded)) {
            std::uint32_t mxcsr = 0;
            std::memcpy(&mxcsr, loaded.data(), sizeof mxcsr);
            if (site.reservedMxcsrFaults && (mxcsr & 0xFFFF'0000u) != 0) {
                raise(hal::Vector::GeneralProtection);
            } else if (!simdArithmetic_ && unmasksSimdExceptions(mxcsr)) {
                // The arithmetic is checked from here on: code translated without its checks
                // goes, and the block is left before the load (a RIP write does that), to be
                // translated again from it.
                noteMxcsr(mxcsr);
                setReg(hal::Reg::Rip, rip);
                resumeAfterTrap(rip, false);
            }
        }
        return;
    }
    if (!site.arithmetic || !simdArithmetic_)
        return;
    const std::uint64_t mxcsr = regValue(UC_X86_REG_MXCSR);
    if (!unmasksSimdExceptions(static_cast<std::uint32_t>(mxcsr)))
        return;
    Xmm destination{}, source{};
    uc_reg_read(uc_, site.destination, destination.data());
    if (site.source != 0) {
        uc_reg_read(uc_, site.source, source.data());
    } else {
        std::array<std::uint8_t, 16> bytes{};
        const std::size_t size = std::min<std::size_t>(site.memory->bytes, bytes.size());
        if (!address || !readUser(*address, std::span(bytes.data(), size)))
            return;  // the operand's fault comes first, when the instruction runs
        std::memcpy(source.data(), bytes.data(), bytes.size());
    }
    const unsigned raised =
        simdExceptions(*site.arithmetic, destination, source, static_cast<std::uint32_t>(mxcsr));
    if (raised == 0)
        return;
    setReg(hal::Reg::MxCsr, mxcsr | raised);
    raise(hal::Vector::SimdFp);
}

void Engine::noteMxcsr(std::uint64_t mxcsr) {
    if (simdArithmetic_ || !simdHook_ || !unmasksSimdExceptions(static_cast<std::uint32_t>(mxcsr)))
        return;
    // From now on the arithmetic is checked too: what was translated without those checks
    // goes before the guest runs again.
    simdArithmetic_ = true;
    dropAllCode();
}

void Engine::stopAgainAt(std::uint64_t rip) {
    // A later stop in the same run (after a trap that moved RIP) replaces an earlier one.
    if (stopAgainHook_)
        uc_hook_del(uc_, *std::exchange(stopAgainHook_, std::nullopt));
    uc_hook h;
    // A block hook, not a code hook: the run leaves RIP at `rip` (a trap moved it there), so
    // the CPU goes on with a block that starts there. No code hook means no code hook's
    // effect on how 2.0.1 restores RIP when a run stops (UnicornQuirks.h).
    if (uc_hook_add(uc_, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&onStopAgain), this, rip,
                    rip) != UC_ERR_OK)
        return;
    stopAgainHook_ = h;
    dropCodeAt(rip);  // translated without the hook
}

void Engine::setPauseCheck(PauseCheck* check) {
    pauseCheck_ = check;
    if (check && !pauseCheckHook_) {
        uc_hook h;
        if (uc_hook_add(uc_, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&onBlockPauseCheck), this,
                        1, 0) == UC_ERR_OK)
            pauseCheckHook_ = h;
    } else if (!check && pauseCheckHook_) {
        uc_hook_del(uc_, *std::exchange(pauseCheckHook_, std::nullopt));
    }
}

void Engine::onBlockPauseCheck(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
    auto* e = static_cast<Engine*>(self);
    if (e->inKernelRoutine_ || e->inFlushRoutine_)
        return;  // the pause waits for the guest's own code
    if (e->pauseCheck_ && e->pauseCheck_->pauseRequested()) {
        e->stopFor({StopCause::Interrupted, address});
        e->stoppedBeforeBlock_ = address;
    }
}

void Engine::onStopAgain(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
    auto* e = static_cast<Engine*>(self);
    e->stoppedBeforeBlock_ = address;  // the block has not run: resume there
    e->stopFor({StopCause::Requested, address});
}

bool Engine::onUnmapped(uc_engine*, uc_mem_type, std::uint64_t address, int, std::int64_t,
                        void* self) {
    static_cast<Engine*>(self)->machineCheck(fmt::format(
        "internal error: an access to {:#x} reached no memory region (every address is covered)",
        address));
    return false;
}

std::uint64_t Engine::onCoverRead(uc_engine*, std::uint64_t offset, unsigned, void* self) {
    static_cast<Engine*>(self)->machineCheck(fmt::format(
        "internal error: a read reached the MMIO cover at offset {:#x}: a page table maps it",
        offset));
    return 0;
}

void Engine::onCoverWrite(uc_engine*, std::uint64_t offset, unsigned, std::uint64_t, void* self) {
    static_cast<Engine*>(self)->machineCheck(fmt::format(
        "internal error: a write reached the MMIO cover at offset {:#x}: a page table maps it",
        offset));
}

}  // namespace ntoy::emu
