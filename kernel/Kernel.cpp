#include "kernel/Kernel.h"
#include "kernel/io/IoManager.h"
#include "kernel/io/SystemImages.h"

#include <algorithm>

#include <fmt/format.h>

#include "kernel/arch/X86.h"
#include "kernel/io/FileRoot.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ke/UserTraps.h"
#include "kernel/ldr/ImageLoader.h"
#include "kernel/mm/ResidentMemory.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ob/ObjectBody.h"
#include "kernel/ps/ProcessEnvironment.h"
#include "kernel/ps/VadNodes.h"
#include "ntoy/process_layout.h"

namespace ntoy {
namespace {

using mm::MmProtection;

// The kernel window's pages.
constexpr std::uint64_t kGdtOffset = 0x0000;
constexpr std::uint64_t kTssOffset = 0x1000;
constexpr std::uint64_t kStubOffset = 0x2000;
constexpr std::uint64_t kFlushRoutineOffset = 0x10;  // in the stub page
constexpr std::uint64_t kRing0ReadOffset = 0x20, kRing0WriteOffset = 0x30;
// Kernel stacks: one slot a thread, its top pages mapped and the rest a guard gap.
constexpr std::uint64_t kKernelStacksOffset = 0x100000;
constexpr std::uint64_t kKernelStackSlot = 0x8000;
constexpr std::uint64_t kKernelStackPages = 4;
constexpr std::uint32_t kKernelStackSlots =
    (mm::kKernelWindowSize - kKernelStacksOffset) / kKernelStackSlot;

constexpr std::uint64_t kUserFlags = 0x202;  // IF and the reserved bit 1

// PFN_LIST_CORRUPT's parameter 1 for a PFN database that does not add up: "a PTE or PFN is
// corrupt", as Windows says.
constexpr std::uint64_t kPfnCorrupt = 0x99;

ke::EventOrigin originOf(const ps::Thread& thread) {
    return {thread.process().id(), thread.id()};
}

}  // namespace

Kernel::Kernel(hal::Machine& machine, Schedule schedule, std::unique_ptr<mm::PagingFile> pagingFile)
    : machine_(machine),
      mm_(std::make_unique<mm::MemoryManager>(machine.physicalMemory(), machine.systemMmu(),
                                              std::move(pagingFile))),
      mode_(schedule.mode),
      quantumBlocks_(schedule.quantumBlocks) {
    if (mode_ == ScheduleMode::Timed)
        timer_ = std::make_unique<ke::PreemptionTimer>(kQuantum);
}

Kernel::~Kernel() {
    timer_.reset();  // no preemption of processors about to go
    drivers_.clear();
    if (system_) {
        for (const auto& thread : system_->threads())
            waits_.dropWait(*thread);
        try {
            systemImages_.reset();
            system_->teardown();
        } catch (const ke::BugCheckStop&) {
        }
    }
    // A run that ended with threads still waiting (a deadlock, a debugger's quit): their
    // waits hold references, to themselves too, which would keep every object alive.
    for (auto& [id, process] : processes_) {
        for (const auto& thread : process->threads())
            waits_.dropWait(*thread);
        try {
            process->teardown();
        } catch (const ke::BugCheckStop&) {
            // The run is over and reported; what it left is dropped with the machine.
        }
    }
}

std::expected<std::unique_ptr<Kernel>, std::string> Kernel::boot(
    hal::Machine& machine, Schedule schedule, std::unique_ptr<mm::PagingFile> pagingFile) {
    if (schedule.quantumBlocks == 0)
        return std::unexpected("a quantum of 0 blocks would never run a thread");
    std::unique_ptr<Kernel> kernel(new Kernel(machine, schedule, std::move(pagingFile)));
    if (auto ok = kernel->buildKernelWindow(); !ok)
        return std::unexpected(ok.error());
    if (schedule.mode == ScheduleMode::Deterministic)
        kernel->clock_ = ke::Clock::deterministic();
    kernel->sharedUserData_ = ke::SharedUserData::create(*kernel->mm_, kernel->clock_);
    if (!kernel->sharedUserData_)
        return std::unexpected("not enough RAM to boot");
    try {
        kernel->pool_ = std::make_unique<ex::Pool>(*kernel->mm_);
    } catch (const ke::BugCheckStop&) {
        return std::unexpected("not enough RAM to boot: the pools do not fit");
    }
    if (const mm::PagingFile* file = kernel->mm_->pagingFile()) {
        // One bit per slot ('MmPf'), as the memory manager's paging-file bitmap.
        constexpr std::uint32_t kPagefileTag = 0x66506D4D;  // 'MmPf'
        auto bitmap = kernel->pool_->allocate(ex::PoolKind::NonPagedNx,
                                              (file->usablePages() + 1 + 7) / 8, kPagefileTag);
        if (!bitmap)
            return std::unexpected("not enough RAM to boot: the paging file's bitmap does not fit");
        kernel->pagefileBitmap_ = *bitmap;
    }
    if (auto root = io::FileRoot::open(std::filesystem::path(".")))
        kernel->fileRoot_ = std::move(*root);
    return kernel;
}

std::optional<VirtualAddress> Kernel::allocateKernelStack() {
    std::uint32_t slot;
    if (!freeKernelStacks_.empty()) {
        slot = freeKernelStacks_.back();
        freeKernelStacks_.pop_back();
    } else if (kernelStacksUsed_ < kKernelStackSlots) {
        slot = kernelStacksUsed_++;
    } else {
        return std::nullopt;
    }
    const VirtualAddress base(mm::kKernelWindowBase + kKernelStacksOffset +
                              slot * kKernelStackSlot);
    const auto rw = *MmProtection::fromWin32(mm::page::kReadWrite);
    const VirtualAddress top = base + kKernelStackSlot;
    for (std::uint64_t i = 1; i <= kKernelStackPages; ++i)
        if (!mm_->mapSystemPage(top - i * kPageSize, rw)) {
            for (std::uint64_t j = 1; j < i; ++j)
                mm_->unmapSystemPage(top - j * kPageSize);
            freeKernelStacks_.push_back(slot);
            return std::nullopt;
        }
    return base;
}

void Kernel::freeKernelStack(VirtualAddress slot) {
    const VirtualAddress top = slot + kKernelStackSlot;
    for (std::uint64_t i = 1; i <= kKernelStackPages; ++i)
        mm_->unmapSystemPage(top - i * kPageSize);
    freeKernelStacks_.push_back(static_cast<std::uint32_t>(
        (slot.value() - mm::kKernelWindowBase - kKernelStacksOffset) / kKernelStackSlot));
}

std::expected<void, std::string> Kernel::buildKernelWindow() {
    const VirtualAddress base(mm::kKernelWindowBase);
    const auto rw = *MmProtection::fromWin32(mm::page::kReadWrite);
    const auto rx = *MmProtection::fromWin32(mm::page::kExecuteRead);
    auto gdt = mm_->mapSystemPage(base + kGdtOffset, rw);
    auto tss = mm_->mapSystemPage(base + kTssOffset, rw);
    auto stub = mm_->mapSystemPage(base + kStubOffset, rx);
    if (!gdt || !tss || !stub)
        return std::unexpected("not enough RAM to boot");

    const auto& ram = mm_->pfns().memory();
    const auto table = x86::buildGdt((base + kTssOffset).value());
    std::memcpy(ram.frame(*gdt).data(), table.data(), sizeof table);
    tss_ = base + kTssOffset;
    // RSP0 is the running thread's kernel stack (switchTo); no I/O permission bitmap.
    ram.write(tss->address() + 0x66, std::uint16_t{0x68});
    // The ring-0 stubs. The one that enters user mode: DS and ES get the user data selector (the
    // frame's SS), loaded by the CPU so that they survive the return to ring 3, then iretq.
    const std::uint8_t enterUser[] = {
        0x8E, 0x5C, 0x24, 0x20,  // mov ds, word ptr [rsp + 0x20]
        0x8E, 0x44, 0x24, 0x20,  // mov es, word ptr [rsp + 0x20]
        0x48, 0xCF,              // iretq
    };
    std::memcpy(ram.frame(*stub).data(), enterUser, sizeof enterUser);
    userEntryStub_ = base + kStubOffset;
    std::memcpy(ram.frame(*stub).data() + kFlushRoutineOffset, x86::kTlbFlushRoutine.data(),
                x86::kTlbFlushRoutine.size());
    std::memcpy(ram.frame(*stub).data() + kRing0ReadOffset, x86::kRing0ReadRoutine.data(),
                x86::kRing0ReadRoutine.size());
    std::memcpy(ram.frame(*stub).data() + kRing0WriteOffset, x86::kRing0WriteRoutine.data(),
                x86::kRing0WriteRoutine.size());
    ring0Read_ = base + kStubOffset + kRing0ReadOffset;
    ring0Write_ = base + kStubOffset + kRing0WriteOffset;

    systemRegisters_.cr0 =
        x86::kCr0Pe | x86::kCr0Mp | x86::kCr0Et | x86::kCr0Ne | x86::kCr0Wp | x86::kCr0Pg;
    systemRegisters_.cr4 = x86::kCr4Pae | x86::kCr4Osfxsr | x86::kCr4Osxmmexcpt;
    systemRegisters_.efer = (1u << 0) | (1u << 8) | (1u << 10) | (1u << 11);  // SCE LME LMA NXE
    systemRegisters_.gdtBase = (base + kGdtOffset).value();
    systemRegisters_.gdtLimit = sizeof table - 1;
    systemRegisters_.trSelector = x86::kTssSelector;
    systemRegisters_.tssBase = (base + kTssOffset).value();
    systemRegisters_.tssLimit = x86::kTssLimit;
    systemRegisters_.tlbFlushRoutine = (base + kStubOffset + kFlushRoutineOffset).value();
    return {};
}

std::expected<std::shared_ptr<ps::Process>, RunError> Kernel::createProcess(
    const NewProcess& spec) {
    auto machineError = [](std::string m) {
        return std::unexpected(RunError{RunError::Kind::Machine, std::move(m)});
    };
    auto badImage = [](std::string m) {
        return std::unexpected(RunError{RunError::Kind::BadImage, std::move(m)});
    };
    auto cpu = machine_.createProcessor(*this);
    if (!cpu)
        return machineError(cpu.error());
    // Its VAD nodes go to pool, charged to its quota: the keeper outlives the space.
    auto quota = std::make_shared<ex::PoolQuota>();
    auto vadNodes = std::make_unique<ps::VadNodes>(*pool_, quota);
    auto space = mm::AddressSpace::create(*mm_, **cpu);
    if (space)
        space->setVadPool(vadNodes.get());
    if (!space || !sharedUserData_->mapInto(*space))
        return machineError("not enough memory for a new address space");
    hal::SystemRegisters regs = systemRegisters_;
    regs.cr3 = space->tables().root().address().value();
    (*cpu)->loadSystemRegisters(regs);
    if (mode_ == ScheduleMode::Deterministic)
        (*cpu)->setBlockQuantum(quantumBlocks_);
    auto process = std::make_shared<ps::Process>(nextClientId_, std::move(*cpu), std::move(space));
    process->poolQuota = std::move(quota);
    process->vadNodes = std::move(vadNodes);
    if (ob::giveBody(*pool_, *process, nullptr) != NtStatus::Success) {
        process->teardown();
        return machineError("not enough pool for a new process object");
    }
    process->poolQuota->billedTo = process->body().value();
    nextClientId_ += 4;
    process->parentId = spec.parentId;
    process->imagePath = spec.image.string();
    process->currentDirectory = spec.currentDirectory;
    process->environment = spec.environment;
    process->fileRoot = fileRoot_;
    // A process that cannot start is torn down here, not by its destructor: a bug check its
    // teardown finds (a page table it cannot read back) then reaches the caller's trap entry.
    auto abandon = [&](std::string m) {
        process->teardown();
        return badImage(std::move(m));
    };

    ldr::ImageLoader loader(*process);
    auto exe = loader.loadExecutable(spec.image, spec.systemDirectory);
    if (!exe)
        return abandon(exe.error().message);
    const auto* ntdll = loader.find("ntdll.dll");
    auto threadStart = loader.resolveExport(*ntdll, NTOY_THREAD_START_EXPORT, 0, false);
    if (!threadStart)
        return abandon(fmt::format("{} does not export {}", ntdll->path, NTOY_THREAD_START_EXPORT));
    process->threadStart = threadStart->address;
    if (auto dispatcher = loader.resolveExport(*ntdll, "KiUserExceptionDispatcher", 0, false))
        process->exceptionDispatcher = dispatcher->address;
    if (auto dispatcher = loader.resolveExport(*ntdll, "KiUserApcDispatcher", 0, false))
        process->apcDispatcher = dispatcher->address;
    auto stack = ps::initialStackSize(*(*exe)->image);
    if (!stack)
        return abandon(stack.error());
    process->stackReserve = stack->reserve;
    process->stackCommit = stack->commit;

    // The guest sees its own paths: a command line from ntoy's has the executable's DOS path
    // for argv[0], as a Windows launcher would pass it, not the host path it was given as.
    std::string commandLine;
    if (spec.commandLine) {
        commandLine = *spec.commandLine;
    } else {
        std::vector<std::string> argv = spec.argv;
        if (argv.empty())
            argv.push_back((*exe)->guestPath);
        else
            argv.front() = (*exe)->guestPath;
        commandLine = ps::buildCommandLine(argv);
    }
    const ps::ProcessStrings strings{(*exe)->guestPath, commandLine, spec.currentDirectory,
                                     spec.environment};
    if (auto built = ps::buildProcessEnvironment(*process, (*exe)->base, strings); !built)
        return abandon(built.error());
    if (ntGlobalFlag_ != 0)
        (void)mm::UserMemory(process->space())
            .write(process->peb + NTOY_PEB_NT_GLOBAL_FLAG, ntGlobalFlag_);

    // The first thread starts in ntdll!RtlUserThreadStart(entry, PEB).
    processes_[process->id()] = process;
    std::string why;
    auto thread = createThread(*process, {(*exe)->base + (*exe)->image->entryPointRva(),
                                          process->peb, 0, 0, spec.suspended, &why});
    if (!thread) {
        processes_.erase(process->id());
        return abandon(why);
    }
    ++stats_.processesCreated;
    if (observer_) {
        observer_->processStart(*process);
        observer_->threadStart(**thread);
    }
    return process;
}

std::expected<std::shared_ptr<ps::Thread>, NtStatus> Kernel::createThread(ps::Process& process,
                                                                          const NewThread& spec) {
    auto owner = processRef(process.id());
    if (!owner || process.terminating())
        return std::unexpected(NtStatus::ProcessIsTerminating);
    const std::uint32_t id = nextClientId_;
    // As RtlCreateUserStack rounds them: a reserve of whole allocation units that holds the
    // commit, the guard page and the never-committed lowest page.
    std::uint64_t commit =
        alignUp(spec.stackCommit ? spec.stackCommit : process.stackCommit, kPageSize);
    std::uint64_t reserve = alignUp(spec.stackReserve ? spec.stackReserve : process.stackReserve,
                                    kAllocationGranularity);
    if (commit + 2 * kPageSize > reserve)
        reserve = alignUp(commit + 2 * kPageSize, 1ull << 20);
    // Its stack and TEB are two allocations, whose VAD nodes the process's quota must hold.
    if (!process.space().vadQuotaLeft(2)) {
        if (spec.why)
            *spec.why = "the process's quota holds no allocation for a thread's stack and TEB";
        return std::unexpected(NtStatus::QuotaExceeded);
    }
    auto environment =
        ps::buildThreadEnvironment(process, id, {reserve, commit}, process.threads().empty());
    if (!environment) {
        if (spec.why)
            *spec.why = environment.error();
        return std::unexpected(NtStatus::NoMemory);
    }
    auto kernelStack = allocateKernelStack();
    if (!kernelStack) {
        ps::freeThreadEnvironment(process, *environment);
        if (spec.why)
            *spec.why = "no kernel stack is left for a new thread";
        return std::unexpected(NtStatus::InsufficientResources);
    }
    auto thread = std::make_shared<ps::Thread>(id, owner);
    // Its ETHREAD is charged to its process's quota, as Windows charges it.
    if (const NtStatus s = ob::giveBody(*pool_, *thread, process.poolQuota);
        s != NtStatus::Success) {
        freeKernelStack(*kernelStack);
        ps::freeThreadEnvironment(process, *environment);
        if (spec.why)
            *spec.why = "no pool quota is left for a new thread object";
        return std::unexpected(s);
    }
    nextClientId_ += 4;
    thread->teb = environment->teb;
    thread->stackAllocation = environment->stackAllocation;
    thread->stackBase = environment->stackBase;
    thread->stackLimit = environment->stackLimit;
    thread->kernelStack = *kernelStack;

    // Its first registers: at the kernel's entry stub, which enters user mode the way the CPU
    // allows, iretq from ring 0 with the frame on the thread's kernel stack. The thread starts
    // in ntdll!RtlUserThreadStart(start, argument), its stack pointer as after a call, with
    // home space above it. Built on the processor between the caller's own registers.
    hal::Processor& p = process.cpu();
    std::unique_ptr<hal::SavedContext> caller;
    p.saveContext(caller);
    p.resetContext();
    const std::uint64_t userRsp = thread->stackBase.value() - 0x38;
    writeEntryFrame(*thread,
                    {process.threadStart.value(), x86::kUserCs, kUserFlags, userRsp, x86::kUserSs});
    p.setReg(hal::Reg::Rsp, entryFrameAddress(*thread).value());
    p.setReg(hal::Reg::Rip, userEntryStub_.value());
    p.setReg(hal::Reg::Rcx, spec.start.value());
    p.setReg(hal::Reg::Rdx, spec.argument.value());
    // Windows' initial floating-point state: all exceptions masked, round to nearest.
    p.setReg(hal::Reg::MxCsr, 0x1F80);
    p.setReg(hal::Reg::FpuControl, 0x27F);
    // Windows' user selectors (the stub loads DS and ES). DPL3 data selectors survive the
    // privilege change; GS's base is the TEB.
    p.setReg(hal::Reg::Fs, x86::kUserFs);
    p.setReg(hal::Reg::Gs, x86::kUserSs);
    p.setReg(hal::Reg::GsBase, thread->teb.value());
    p.saveContext(thread->context);
    p.restoreContext(*caller);
    // A process's first thread is on its processor from the start (a debugger may step it).
    if (!process.onCpu)
        switchTo(*thread);

    const bool first = process.threads().empty();
    process.threads().push_back(thread);
    ++liveThreads_;
    if (spec.suspended)
        thread->suspendCount = 1;
    scheduler_.ready(*thread);
    ++stats_.threadsCreated;
    ++process.threadsCreated;
    if (observer_ && !first)  // a process's first thread: after processStart
        observer_->threadStart(*thread);
    return thread;
}

void Kernel::terminateThread(ps::Thread& thread, std::uint32_t status) {
    if (thread.state == ps::Thread::State::Terminated)
        return;
    thread.exitStatus = status;
    thread.state = ps::Thread::State::Terminated;
    --liveThreads_;
    // The System process's threads are the kernel's, not a program's: traces leave them out.
    const bool system = isSystemThread(thread);
    if (observer_ && !system)
        observer_->threadExit(thread);
    scheduler_.remove(thread);
    waits_.threadEnded(thread);
    ps::Process& process = thread.process();
    if (&thread == running_)
        process.cpu().requestStop();
    // The last thread's end is the process's, with its status; the System process stays.
    const bool last = !system && std::ranges::all_of(process.threads(), [](const auto& t) {
        return t->state == ps::Thread::State::Terminated;
    });
    if (last)
        process.terminate(status);
}

std::expected<std::uint32_t, NtStatus> Kernel::suspendThread(ps::Thread& thread) {
    if (thread.state == ps::Thread::State::Terminated)
        return std::unexpected(NtStatus::ThreadIsTerminating);
    if (thread.suspendCount >= 127)  // MAXIMUM_SUSPEND_COUNT
        return std::unexpected(NtStatus::SuspendCountExceeded);
    const std::uint32_t previous = thread.suspendCount++;
    scheduler_.remove(thread);
    if (&thread == running_) {
        thread.state = ps::Thread::State::Ready;  // off the processor until resumed
        thread.process().cpu().requestStop();
    }
    return previous;
}

std::uint32_t Kernel::resumeThread(ps::Thread& thread) {
    const std::uint32_t previous = thread.suspendCount;
    if (previous > 0 && --thread.suspendCount == 0 && thread.state == ps::Thread::State::Ready)
        scheduler_.ready(thread);
    return previous;
}

ps::Process* Kernel::findProcess(std::uint32_t id) {
    auto it = processes_.find(id);
    return it == processes_.end() ? nullptr : it->second.get();
}

std::shared_ptr<ps::Process> Kernel::processRef(std::uint32_t id) {
    auto it = processes_.find(id);
    return it == processes_.end() ? nullptr : it->second;
}

ps::Process* Kernel::process() {
    if (auto p = focus_.lock(); p && !p->ended())
        return p.get();
    return processes_.empty() ? nullptr : processes_.begin()->second.get();
}

ps::Thread* Kernel::thread() {
    ps::Process* p = process();
    if (!p)
        return nullptr;
    if (auto chosen = focusThread_.lock();
        chosen && &chosen->process() == p && chosen->state != ps::Thread::State::Terminated)
        return chosen.get();
    if (p->onCpu)
        return p->onCpu;
    return p->threads().empty() ? nullptr : p->threads().front().get();
}

void Kernel::focusOn(ps::Process& process) {
    focus_ = processRef(process.id());
    focusThread_.reset();
}

void Kernel::focusOn(ps::Thread& thread) {
    focus_ = thread.processRef();
    // The process holds its threads by shared_ptr: find this one's.
    focusThread_.reset();
    for (const auto& t : thread.process().threads())
        if (t.get() == &thread)
            focusThread_ = t;
}

ps::Thread& Kernel::trappedThread(hal::Cpu& cpu) {
    if (system_ && static_cast<hal::Cpu*>(&system_->cpu()) == &cpu && system_->onCpu)
        return *system_->onCpu;
    for (auto& [id, process] : processes_)
        if (process->hasAddressSpace() && static_cast<hal::Cpu*>(&process->cpu()) == &cpu &&
            process->onCpu)
            return *process->onCpu;
    ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, 0, 0, cpu.reg(hal::Reg::Rip), 0,
                 "a trap from a processor with no thread on it");
}

void Kernel::switchTo(ps::Thread& thread) {
    ps::Process& process = thread.process();
    hal::Processor& cpu = process.cpu();
    if (process.onCpu != &thread) {
        if (process.onCpu)
            cpu.saveContext(process.onCpu->context);
        cpu.restoreContext(*thread.context);
        process.onCpu = &thread;
        ++stats_.contextSwitches;
    }
    process.space().setCurrentTeb(thread.teb);
    if (thread.resumeRax) {
        const std::uint64_t rax = *std::exchange(thread.resumeRax, std::nullopt);
        cpu.setReg(hal::Reg::Rax, rax);
        if (rax == raw(NtStatus::UserApc))  // an alertable wait ended for an APC: run it
            deliverUserApc(thread, cpu);
    }
    // RSP0: the CPU's stack for ring 0 is this thread's.
    const auto tss = mm_->systemTables().pteAt(tss_);
    mm_->pfns().memory().write(tss.pfn().address() + 4,
                               (thread.kernelStack + kKernelStackSlot).value());
}

namespace {

// Bytes in use per (tag, paged): what the pools hold.
std::map<std::pair<std::uint32_t, bool>, std::uint64_t> poolBytesByTag(const ex::Pool& pool) {
    std::map<std::pair<std::uint32_t, bool>, std::uint64_t> bytes;
    for (const ex::PoolTagUsage& u : pool.tagUsage()) {
        if (u.nonPagedBytes != 0)
            bytes[{u.tag, false}] = u.nonPagedBytes;
        if (u.pagedBytes != 0)
            bytes[{u.tag, true}] = u.pagedBytes;
    }
    return bytes;
}

}  // namespace

std::expected<void, RunError> Kernel::load(const std::filesystem::path& image,
                                           const std::vector<std::string>& argv,
                                           const std::filesystem::path& systemDir) {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    if (!processes_.empty()) {  // a debugger's processes, dropped before their end: as any exit
        for (auto& [id, process] : processes_)
            process->terminate(0);
        if (auto reaped = reap(); !reaped)
            return reaped;
    }
    exitStatus_.reset();
    firstProcessId_.reset();
    faultNumber_ = 0;
    beforeProcesses_ = mm::MemoryBaseline::of(*mm_);
    if (verifyExit_)
        poolBefore_ = poolBytesByTag(*pool_);
    const std::uint32_t id = nextClientId_;
    NewProcess spec;
    spec.image = image;
    spec.argv = argv;
    spec.systemDirectory = systemDir;
    // A guest path: where the host's current directory is under the root, else the root.
    spec.currentDirectory = fileRoot_ ? fileRoot_->initialDirectory() : "C:\\";
    auto process = createProcess(spec);
    if (!process) {
        // The half-built process went with the error: it must have given everything back.
        if (auto verified = verifyAfterExit(id, 0); !verified)
            return verified;
        return std::unexpected(process.error());
    }
    firstProcessId_ = (*process)->id();
    focus_ = *process;
    focusThread_.reset();
    return {};
}

void Kernel::releaseEndedThread(ps::Process& process, ps::Thread& thread) {
    scheduler_.remove(thread);
    if (process.onCpu == &thread)
        process.onCpu = nullptr;
    abandonRingZero(thread);
    freeKernelStack(thread.kernelStack);
    thread.context.reset();
}

std::expected<void, RunError> Kernel::reap() {
    // The System process's ended threads go; the process stays.
    if (system_)
        std::erase_if(system_->threads(), [&](const std::shared_ptr<ps::Thread>& thread) {
            if (thread->state != ps::Thread::State::Terminated)
                return false;
            releaseEndedThread(*system_, *thread);
            return true;
        });
    std::vector<std::shared_ptr<ps::Process>> finished;
    for (auto& [id, process] : processes_) {
        if (process->terminating())
            for (auto& thread : process->threads())
                terminateThread(*thread, *process->exitStatus());
        auto& threads = process->threads();
        for (auto it = threads.begin(); it != threads.end();) {
            ps::Thread& thread = **it;
            if (thread.state != ps::Thread::State::Terminated) {
                ++it;
                continue;
            }
            releaseEndedThread(*process, thread);
            // A process that ends gives its whole address space back at once.
            if (!process->terminating())
                ps::freeThreadEnvironment(*process, {thread.stackAllocation, thread.stackBase,
                                                     thread.stackLimit, thread.teb});
            else
                process->endedThreads.push_back({thread.id(), thread.teb, thread.stackBase});
            it = threads.erase(it);
        }
        if (threads.empty())
            finished.push_back(process);
    }  // Each goes as soon as it is finished, so that the last one's verification finds no
    // other's object still alive.
    for (auto& process : finished) {
        auto done = finishProcess(process);
        process.reset();
        if (!done)
            return done;
    }
    return {};
}

std::expected<void, RunError> Kernel::finishProcess(const std::shared_ptr<ps::Process>& process) {
    if (!process->exitStatus())
        process->setExit(0);
    const std::uint32_t id = process->id(), status = *process->exitStatus();
    if (firstProcessId_ == id) {
        exitStatus_ = status;
        exitReason_ = process->exitReason();
    }
    if (observer_)
        observer_->processExit(*process, status);
    processes_.erase(id);
    try {
        process->teardown();  // every frame and charge goes back
        // Objects its handles held died with them, freeing their bodies from destructors.
        if (auto stop = pool_->takePendingStop())
            throw *stop;
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        return std::unexpected(bugCheckError());
    }
    if (endedProcesses_.size() < kProcessRecordLimit) {
        const mm::AddressSpace::Peaks peaks = process->peaks();
        endedProcesses_.push_back(
            {id, process->parentId, std::filesystem::path(process->imagePath).filename().string(),
             status, process->threadsCreated, process->systemCalls, process->pageFaults(),
             peaks.committedPages, peaks.workingSetPages, peaks.reservedPages});
    } else {
        ++endedNotRecorded_;
    }
    process->markEnded();
    waits_.signaled(*process);
    return verifyAfterExit(id, status, process.get());
}

bool Kernel::yield(ps::Thread& running) {
    if (scheduler_.empty())
        return false;
    // Behind every ready thread: the run loop requeues it at the back.
    rescheduleRequested_ = true;
    running.process().cpu().requestStop();
    return true;
}

std::pair<VirtualAddress, VirtualAddress> Kernel::kernelStackBounds(
    const ps::Thread& thread) const {
    const VirtualAddress top = thread.kernelStack + kKernelStackSlot;
    return {top - kKernelStackPages * kPageSize, top};
}

VirtualAddress Kernel::entryFrameAddress(const ps::Thread& thread) {
    return thread.kernelStack + kKernelStackSlot - sizeof(EntryFrame);
}

Kernel::EntryFrame Kernel::readEntryFrame(const ps::Thread& thread) const {
    EntryFrame frame{};
    const VirtualAddress at = entryFrameAddress(thread);
    const auto pte = mm_->systemTables().pteAt(at);
    std::memcpy(frame.data(), mm_->pfns().memory().at(pte.pfn().address() + at.pageOffset()),
                sizeof frame);
    return frame;
}

void Kernel::writeEntryFrame(const ps::Thread& thread, const EntryFrame& frame) {
    const VirtualAddress at = entryFrameAddress(thread);
    const auto pte = mm_->systemTables().pteAt(at);
    std::memcpy(mm_->pfns().memory().at(pte.pfn().address() + at.pageOffset()), frame.data(),
                sizeof frame);
}

void Kernel::deliverUserApc(ps::Thread& thread, hal::Cpu& cpu, std::optional<std::uint64_t> rip) {
    ps::Process& process = thread.process();
    if (thread.userApcs.empty() || process.apcDispatcher.value() == 0)
        return;
    const ke::UserApc apc = thread.userApcs.front();
    thread.userApcs.pop_front();
    ke::Context context = ke::captureContext(cpu);
    if (rip)  // in a system call's trap, RIP is still at SYSCALL: the thread resumes after it
        context.rip = *rip;
    const std::uint64_t frame = alignDown(context.rsp - sizeof(ke::Context), 16);
    mm::UserMemory user(process.space());
    if (frame >= context.rsp || user.write(VirtualAddress(frame), context) != NtStatus::Success)
        return;  // no room on its stack: the APC is lost, as the thread could not take it
    cpu.setReg(hal::Reg::Rsp, frame);
    cpu.setReg(hal::Reg::Rip, process.apcDispatcher.value());
    cpu.setReg(hal::Reg::Rcx, apc.routine.value());
    cpu.setReg(hal::Reg::Rdx, apc.argument1);
    cpu.setReg(hal::Reg::R8, apc.argument2);
    cpu.setReg(hal::Reg::R9, apc.argument3);
}

std::expected<void, RunError> Kernel::runDeferredLeakCheck() {
    if (const auto deferred = std::exchange(deferredLeakCheck_, std::nullopt))
        return verifyAfterExit(deferred->first, deferred->second);
    return {};
}

bool Kernel::systemBusy() const {
    if (!system_)
        return false;
    return std::ranges::any_of(system_->threads(), [&](const auto& t) {
        return drainingDriverThreads_ || !t->driverThread;
    });
}

RunError Kernel::deadlockError() const {
    std::string who;
    for (const auto& [id, process] : processes_)
        for (const auto& thread : process->threads())
            who +=
                fmt::format("{}process {} thread {} {}", who.empty() ? "" : ", ", id, thread->id(),
                            thread->suspendCount ? "suspended" : "waiting with no timeout");
    return RunError{RunError::Kind::Machine,
                    fmt::format("every thread waits for ever (a deadlock): {}", who)};
}

std::expected<Kernel::RunState, RunError> Kernel::resume() {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    // An unhandled exception held for a debugger ends its process now.
    if (ps::Process* held = process())
        exceptions_.endHeld(*held);
    for (;;) {
        if (auto reaped = reap(); !reaped)
            return std::unexpected(reaped.error());
        if (bugCheck_)
            return std::unexpected(bugCheckError());
        if (!io_->closes()->empty() && ntoskrnl_)
            try {
                sendCloses();
            } catch (const ke::BugCheckStop& stop) {
                bugCheck_ = stop.check;
                return std::unexpected(bugCheckError());
            }
        // The last process's leak check waits for every System thread, the drivers' own too.
        if (processes_.empty() && deferredLeakCheck_ && drivers_.empty() &&
            (!system_ || system_->threads().empty()))
            if (auto verified = runDeferredLeakCheck(); !verified)
                return std::unexpected(verified.error());
        if (processes_.empty() && !systemBusy())
            return RunState::Exited;
        if (std::exchange(pauseRequested_, false))
            return RunState::Paused;
        waits_.expire(clock_.interruptTime());
        ps::Thread* thread = scheduler_.next();
        if (!thread) {
            // Every thread waits: the system is idle, which is when Windows' zero-page thread
            // runs. Then time goes straight to the earliest timeout, if there is one.
            constexpr std::uint64_t kZeroedPerIdle = 1024;
            mm_->zeroFreeFrames(kZeroedPerIdle);
            // A deadline beyond any the clock can reach (an interval of thousands of years) is
            // for ever: skipping to it would wrap interrupt time.
            if (auto deadline = waits_.nextDeadline(); deadline && *deadline < kClockCeiling) {
                clock_.skipTo(*deadline);
                publishTime();
                continue;
            }
            return std::unexpected(deadlockError());
        }
        switchTo(*thread);
        thread->state = ps::Thread::State::Running;
        // A queued DPC runs first, on whichever thread this is.
        runQueuedDpc(*thread, thread->process().cpu());
        running_ = thread;
        focus_ = thread->processRef();
        focusThread_.reset();
        hal::Processor& cpu = thread->process().cpu();
        // Time slices cost a check a block, so only while threads compete.
        if (const bool compete = mode_ == ScheduleMode::Timed && liveThreads_ > 1;
            thread->process().preemptible != compete) {
            cpu.setPreemptible(compete);
            thread->process().preemptible = compete;
        }
        if (timer_)
            timer_->start(&cpu);
        auto ran = cpu.run();
        if (timer_)
            timer_->start(nullptr);
        running_ = nullptr;
        if (bugCheck_)
            return std::unexpected(bugCheckError());
        if (!ran)
            return std::unexpected(RunError{RunError::Kind::Machine, ran.error()});
        // A driver routine in this thread's context starts or ends between runs.
        if (thread->state == ps::Thread::State::Running && !thread->process().terminating() &&
            ringZeroStep(*thread, cpu)) {
            if (bugCheck_)
                return std::unexpected(bugCheckError());
            scheduler_.readyFirst(*thread);
            continue;
        }
        if (thread->state != ps::Thread::State::Running || thread->process().terminating())
            continue;  // it waits, was suspended or ended: the loop sees to it
        if (mode_ == ScheduleMode::Deterministic && cpu.preempted()) {
            // Virtual time: the blocks run are the time taken.
            clock_.advance(ke::NtDuration(static_cast<std::int64_t>(quantumBlocks_) *
                                          kDeterministicBlockTime));
            publishTime();
        }
        if (cpu.preempted() || std::exchange(rescheduleRequested_, false)) {
            ++stats_.preemptions;
            scheduler_.ready(*thread);
            continue;
        }
        // A debugger's stop (breakpoint, step, pause, held exception): this thread goes on
        // first when the machine resumes.
        scheduler_.readyFirst(*thread);
        pauseRequested_ = false;
        return RunState::Paused;
    }
}

std::vector<const mm::AddressSpace*> Kernel::addressSpaces() const {
    std::vector<const mm::AddressSpace*> spaces;
    for (const auto& [id, process] : processes_)
        if (process->hasAddressSpace())
            spaces.push_back(&process->space());
    if (system_)
        spaces.push_back(&system_->space());
    return spaces;
}

std::optional<std::string> Kernel::verifyMemory() const {
    return mm::checkMemoryInvariants(*mm_, addressSpaces());
}

void Kernel::bugCheckIfBroken(std::uint64_t when, std::uint64_t p2, std::uint64_t p3,
                              std::uint64_t p4) const {
    // The PFN database's own lists first, for their own code; then everything built on them.
    if (auto broken = mm_->pfns().verify())
        ke::bugCheck(ke::BugCheckCode::PfnListCorrupt, kPfnCorrupt, when, p2, p3,
                     "PFN database: " + *broken);
    if (auto broken = mm::checkMappingsAndCharge(*mm_, addressSpaces()))
        ke::bugCheck(ke::BugCheckCode::MemoryManagement, when, p2, p3, p4, *broken);
}

std::expected<void, RunError> Kernel::verifyAfterExit(std::uint32_t processId,
                                                      std::uint32_t exitStatus,
                                                      const ob::Object* stillAlive) {
    if (!verifyExit_)
        return {};
    try {
        bugCheckIfBroken(kBrokenAfterExit, processId, exitStatus, 0);
        // Other processes still hold memory until the last one ends; drivers hold what the
        // processes' device handles made them keep until the closes have run.
        if (!processes_.empty())
            return {};
        // Loaded drivers may hold what the program made them allocate until they unload: the
        // check waits for that (unloadDrivers).
        if (!io_->closes()->empty() || (system_ && !system_->threads().empty()) ||
            !drivers_.empty()) {
            deferredLeakCheck_ = std::pair(processId, exitStatus);
            return {};
        }
        // Drivers' own threads and pool come and go beside the processes: with drivers, what
        // they held before the first process may be back by now, so only growth is a leak.
        const bool driversRan = systemImages_ != nullptr;
        if (auto leaked = mm::checkNothingLeaked(*mm_, beforeProcesses_, driversRan)) {
            const mm::MemoryBaseline after = mm::MemoryBaseline::of(*mm_);
            ke::bugCheck(ke::BugCheckCode::MemoryManagement, kLeakedAtExit, processId,
                         beforeProcesses_.available - after.available,
                         after.charge - beforeProcesses_.charge, *leaked);
        }
        // The pools, tag by tag: every object of the run is gone, but the ending process's
        // own, which its caller still holds.
        auto now = poolBytesByTag(*pool_);
        if (stillAlive && stillAlive->body().value() != 0) {
            const ob::BodyShape shape = *ob::bodyShapeOf(stillAlive->type());
            const std::uint64_t block =
                (ob::kObjectHeadersBytes + shape.bodyBytes + 2 * 16 - 1) / 16 * 16;
            if (auto it = now.find({shape.tag, false}); it != now.end() && it->second >= block)
                if ((it->second -= block) == 0)
                    now.erase(it);
        }
        if (now != poolBefore_) {
            auto keys = now;
            keys.insert(poolBefore_.begin(), poolBefore_.end());
            for (const auto& [key, unused] : keys) {
                const std::uint64_t before = poolBefore_.contains(key) ? poolBefore_.at(key) : 0;
                const std::uint64_t after = now.contains(key) ? now.at(key) : 0;
                if (after > before || (after < before && !driversRan))
                    ke::bugCheck(ke::BugCheckCode::MemoryManagement, kLeakedAtExit, processId,
                                 key.first, after,
                                 fmt::format("{} pool tag '{}' holds {} bytes after the last "
                                             "process, {} before the first",
                                             key.second ? "paged" : "nonpaged",
                                             ex::tagText(key.first), after, before));
            }
        }
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        return std::unexpected(bugCheckError());
    }
    return {};
}

void Kernel::requestPause() {
    pauseRequested_ = true;
    // The processor running now: in resume(), or one a debugger steps.
    if (running_)
        running_->process().cpu().requestStop();
    else if (ps::Process* p = process(); p && p->hasAddressSpace())
        p->cpu().requestStop();
}

void Kernel::setObserver(ke::KernelObserver* observer) {
    observer_ = observer;
    exceptions_.observer = observer;
    mm_->setPagingListener(observer ? this : nullptr);
}

ke::EventOrigin Kernel::pagerOrigin() {
    // The pager works for whichever thread faulted (or made a system call): the one running,
    // else the one the kernel is working for between runs.
    if (running_)
        return originOf(*running_);
    const ps::Thread* t = thread();
    return t ? originOf(*t) : ke::EventOrigin{};
}

void Kernel::trimmed(const mm::TrimEvent& e) {
    for (const auto& [id, process] : processes_)
        if (process->hasAddressSpace() && &process->space() == &e.space) {
            observer_->trim(pagerOrigin(), *process, e);
            return;
        }
}

void Kernel::pageIo(const mm::PageIoEvent& e) {
    observer_->pageIo(pagerOrigin(), e);
}

std::expected<std::uint32_t, RunError> Kernel::run(const std::filesystem::path& image,
                                                   const std::vector<std::string>& argv,
                                                   const std::filesystem::path& systemDir) {
    if (auto loaded = load(image, argv, systemDir); !loaded)
        return std::unexpected(loaded.error());
    for (;;) {
        auto state = resume();
        if (!state)
            return std::unexpected(state.error());
        if (*state == RunState::Exited)
            return *exitStatus_;
    }
}

template <typename F>
void Kernel::trapEntry(hal::Cpu& cpu, F&& handler) {
    if (bugCheck_) {  // a stopped machine runs nothing
        cpu.halt();
        return;
    }
    try {
        publishTime();  // whatever the trap, the guest sees the time of its last entry
        handler();
        // An object freed its body from a destructor, where a bug check cannot unwind.
        if (auto stop = pool_->takePendingStop())
            throw *stop;
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        if ((cpu.reg(hal::Reg::Cs) & 3) == 0) {
            std::array<std::uint64_t, 17> registers{};
            for (unsigned i = 0; i < 16; ++i)  // hal::Reg starts with the 16 GPRs, RAX first
                registers[i] = cpu.reg(static_cast<hal::Reg>(i));
            registers[16] = cpu.reg(hal::Reg::Rip);
            bugCheckRegisters_ = registers;
        }
        cpu.halt();
    }
}

void Kernel::chargeHandleTable(ps::Process& process) {
    // One paged-pool page ('Obtb') per 256 entries the table has grown to, the first from the
    // start, as Windows' handle tables grow a page at a time.
    constexpr std::uint32_t kHandleTableTag = 0x6274624F;  // 'Obtb'
    constexpr std::size_t kEntriesPerPage = kPageSize / 16;
    if (!process.hasAddressSpace())
        return;
    const std::size_t pages = process.handles().slots() / kEntriesPerPage + 1;
    while (process.handleTablePages.size() < pages) {
        const auto page = pool_->allocate(ex::PoolKind::Paged, kPageSize, kHandleTableTag);
        if (!page)
            return;  // the table lives on the host; its page waits for pool
        process.handleTablePages.add(*pool_, *page, kHandleTableTag);
    }
}

void Kernel::guarded(hal::Cpu& cpu, const std::function<void()>& work) {
    trapEntry(cpu, work);
}

RunError Kernel::bugCheckError() const {
    return RunError{RunError::Kind::BugCheck, ke::describe(*bugCheck_)};
}

void Kernel::systemCall(hal::Cpu& cpu) {
    trapEntry(cpu, [&] { dispatchSystemCall(cpu); });
}

void Kernel::exception(hal::Cpu& cpu, const hal::CpuException& e) {
    trapEntry(cpu, [&] { dispatchException(cpu, e); });
}

void Kernel::dispatchSystemCall(hal::Cpu& cpu) {
    ps::Thread& thread = trappedThread(cpu);
    ps::Process& process = thread.process();
    if (process.terminating() || thread.state == ps::Thread::State::Terminated) {
        cpu.requestStop();  // ended: nothing of it runs or is serviced again
        return;
    }
    if ((cpu.reg(hal::Reg::Cs) & 3) == 0) {
        dispatchKernelService(cpu, thread);
        return;
    }
    ++stats_.syscalls;
    ++process.systemCalls;
    // What SYSCALL saved and SYSRET restores, so RCX and R11 hold them afterwards, as on
    // Windows: the return address (RIP is at the 2-byte SYSCALL here) and RFLAGS.
    const std::uint64_t returnRip = cpu.reg(hal::Reg::Rip) + x86::kSyscallLength;
    const std::uint64_t flags = cpu.reg(hal::Reg::Rflags);
    const auto sysret = [&](NtStatus status) {
        cpu.setReg(hal::Reg::Rax, raw(status));
        cpu.setReg(hal::Reg::Rcx, returnRip);
        cpu.setReg(hal::Reg::R11, flags);
    };
    const std::uint64_t number = cpu.reg(hal::Reg::Rax);
    const ke::SystemCallEntry* entry = ke::findSystemCall(number);
    if (!entry) {
        sysret(NtStatus::InvalidSystemService);
        return;
    }
    ke::SystemCall call{process, cpu, mm::UserMemory(process.space()), exceptions_};
    call.thread = &thread;
    call.kernel = this;
    call.pool = pool_.get();
    call.waits = &waits_;
    call.interruptTime = clock_.interruptTime();
    call.systemTime = clock_.systemTime();
    const hal::Reg registerArgs[] = {hal::Reg::R10, hal::Reg::Rdx, hal::Reg::R8, hal::Reg::R9};
    for (std::size_t i = 0; i < entry->argumentCount && i < 4; ++i)
        call.args[i] = cpu.reg(registerArgs[i]);
    // The rest sit above the return address and the 32-byte home space.
    const std::uint64_t rsp = cpu.reg(hal::Reg::Rsp);
    for (std::size_t i = 4; i < entry->argumentCount; ++i) {
        auto v = call.user.read<std::uint64_t>(VirtualAddress(rsp + 0x28 + (i - 4) * 8));
        if (!v) {
            sysret(NtStatus::AccessViolation);
            return;
        }
        call.args[i] = *v;
    }
    const NtStatus status = entry->handler(call);
    if (!call.replacesContext)
        sysret(status);
    chargeHandleTable(process);
    // User APCs go to a thread that asked for them: an alertable wait that ended for one,
    // NtTestAlert, or NtContinue(context, TRUE) after the last one.
    if (thread.state == ps::Thread::State::Running && !thread.userApcs.empty() &&
        (status == NtStatus::UserApc || entry->handler == &ke::NtTestAlert ||
         (entry->handler == &ke::NtContinue && (call.args[1] & 0xFF) != 0)))
        deliverUserApc(thread, cpu, call.replacesContext ? std::nullopt : std::optional(returnRip));
    // The thread now waits, was suspended or ended, or its process ends: off the processor.
    // Or threads now compete and its processor is not yet preemptible: a new quantum.
    if (thread.state != ps::Thread::State::Running || process.terminating()) {
        cpu.requestStop();
    } else if (mode_ == ScheduleMode::Timed && liveThreads_ > 1 && !process.preemptible) {
        rescheduleRequested_ = true;
        cpu.requestStop();
    }
    if constexpr (kChecked)
        bugCheckIfBroken(kBrokenAfterSystemCall, number, raw(status), cpu.reg(hal::Reg::Rip));
    if (observer_) {
        const ke::OutputValues outputs = ke::readOutputs(*entry, call, status);
        observer_->systemCall(
            {entry->name, number,
             std::span<const std::uint64_t>(call.args.data(), entry->argumentCount), raw(status),
             outputs.span(), originOf(thread)});
    }
}

void Kernel::raiseFromCpu(hal::Cpu& cpu, NtStatus code, std::span<const std::uint64_t> info) {
    const ke::Context context = ke::captureContext(cpu);
    exceptions_.dispatch(trappedThread(cpu).process(), cpu, ke::makeRecord(code, context.rip, info),
                         context);
}

bool Kernel::kernelModeTrap(hal::Cpu& cpu, const hal::CpuException& e) {
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    // Code or data of a driver that is gone (a thread, a DPC or a pointer it left behind).
    if (const auto* gone = e.vector == hal::Vector::PageFault && systemImages_
                               ? systemImages_->unloadedAt(VirtualAddress(e.cr2))
                               : nullptr) {
        const bool write = (e.errorCode & hal::pf::kWrite) != 0;
        const bool fetch = (e.errorCode & hal::pf::kFetch) != 0;
        ke::bugCheck(
            ke::BugCheckCode::DriverUnloadedWithoutCancellingPendingOperations, e.cr2,
            write   ? 1
            : fetch ? 8
                    : 0,
            rip, 0,
            fmt::format("a {} of {:#x}, in {}+{:#x}, which was unloaded, {}",
                        fetch   ? "fetch"
                        : write ? "write"
                                : "read",
                        e.cr2, gone->name, e.cr2 - gone->base.value(), ring0Location(cpu, rip)));
    }
    // Code of a loaded image (ntoskrnl.exe or a driver) runs by the rules drivers live by;
    // the kernel's own routines (the test hooks' probes) by the older, simpler ones below.
    if (systemImages_ && systemImages_->containing(VirtualAddress(rip)))
        return driverTrap(cpu, e);
    // Ring-0 code (a kernel routine) faulting on system space: paged pool comes back and the
    // instruction retries, anything else is the bug check Windows gives. Any other trap at
    // CPL0 is a kernel bug.
    if (e.vector == hal::Vector::PageFault && mm::isSystemAddress(e.cr2)) {
        const mm::PageFaultOutcome o =
            mm_->systemSpace().handleKernelFault(VirtualAddress(e.cr2), e.errorCode, rip);
        ++faultNumber_;
        return o.response == mm::PageFaultResponse::Resolved;
    }
    if (e.vector == hal::Vector::PageFault)
        ke::bugCheck(ke::BugCheckCode::PageFaultInNonpagedArea, e.cr2,
                     (e.errorCode & hal::pf::kFetch)   ? 10
                     : (e.errorCode & hal::pf::kWrite) ? 2
                                                       : 0,
                     rip, e.errorCode, "a page fault in kernel mode on a user address");
    ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, static_cast<std::uint64_t>(e.vector),
                 e.errorCode, rip, 0, "a CPU exception in kernel mode");
}

bool Kernel::driverTrap(hal::Cpu& cpu, const hal::CpuException& e) {
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    const std::uint64_t irql = cpu.reg(hal::Reg::Cr8);
    const bool write = (e.errorCode & hal::pf::kWrite) != 0;
    const bool fetch = (e.errorCode & hal::pf::kFetch) != 0;
    const bool present = (e.errorCode & hal::pf::kPresent) != 0;
    const auto located = [&](std::string what) {
        return fmt::format("{} {}", what, ring0Location(cpu, rip));
    };
    // Any other CPU exception is an exception for the kernel's handlers (KernelExceptions.cpp).
    if (e.vector != hal::Vector::PageFault) {
        raiseInKernel(cpu,
                      e.vector == hal::Vector::DivideError     ? NtStatus::IntegerDivideByZero
                      : e.vector == hal::Vector::InvalidOpcode ? NtStatus::IllegalInstruction
                      : e.vector == hal::Vector::Breakpoint    ? NtStatus::Breakpoint
                                                               : NtStatus::PrivilegedInstruction,
                      {});
        return true;
    }
    ++faultNumber_;
    // Special pool's own pages first, at any IRQL: a touch past a block's end or of a freed
    // block, as Driver Verifier reports them.
    specialPoolFault(cpu, e.cr2, write, rip);
    // At DISPATCH_LEVEL and above the pager cannot run, so a page that is not there is a bug
    // check even when it could be paged in: the fault itself is the bug.
    constexpr std::uint64_t kDispatchLevel = 2;
    if (irql >= kDispatchLevel && !present) {
        const io::SystemImage* image = systemImages_->containing(VirtualAddress(rip));
        const bool inDriver = image && image != ntoskrnl_;
        ke::bugCheck(inDriver ? ke::BugCheckCode::DriverIrqlNotLessOrEqual
                              : ke::BugCheckCode::IrqlNotLessOrEqual,
                     e.cr2, irql,
                     inDriver ? (fetch   ? 8
                                 : write ? 1
                                         : 0)
                              : ((write ? 1 : 0) | (fetch ? 8 : 0)),
                     rip, located(fmt::format("a page fault on {:#x} at IRQL {}", e.cr2, irql)));
    }
    if (mm::isSystemAddress(e.cr2)) {
        try {
            const mm::PageFaultOutcome o =
                mm_->systemSpace().handleKernelFault(VirtualAddress(e.cr2), e.errorCode, rip);
            return o.response == mm::PageFaultResponse::Resolved;
        } catch (ke::BugCheckStop& stop) {
            stop.check.detail = located(stop.check.detail) + specialPoolNote(e.cr2);
            throw;
        }
    }
    // A user address: the current process's own pages, paged in as for its own code.
    ps::Thread& thread = trappedThread(cpu);
    if (!isSystemThread(thread) && thread.process().hasAddressSpace()) {
        const auto o = thread.process().space().handleFault(VirtualAddress(e.cr2), e.errorCode);
        if (o.response == mm::PageFaultResponse::Resolved)
            return true;
    }
    // An access violation on a user address: an exception, for a __try around the access (or
    // around the call that made it); with none, KMODE_EXCEPTION_NOT_HANDLED.
    const std::array<std::uint64_t, 2> information{write ? 1u : fetch ? 8u : 0u, e.cr2};
    raiseInKernel(cpu, NtStatus::AccessViolation, information);
    return true;
}

void Kernel::dispatchException(hal::Cpu& cpu, const hal::CpuException& e) {
    ps::Thread& thread = trappedThread(cpu);
    ps::Process& process = thread.process();
    if (process.terminating() || thread.state == ps::Thread::State::Terminated) {
        // ended: nothing of it runs or is serviced again
        cpu.requestStop();
        return;
    }
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    if (observer_ && e.vector != hal::Vector::PageFault)
        observer_->cpuException(e, rip);
    if ((cpu.reg(hal::Reg::Cs) & 3) != 3 && kernelModeTrap(cpu, e))
        return;
    if (e.vector == hal::Vector::PageFault && !e.software) {
        pageFault(cpu, e);
        return;
    }
    const ke::UserTrap trap =
        ke::classifyUserTrap(e, cpu, [&](std::uint64_t va, std::span<std::uint8_t> out) {
            return mm::readResidentUser(process.space(), VirtualAddress(va),
                                        std::as_writable_bytes(out));
        });
    switch (trap.action) {
        case ke::UserTrap::Action::SystemCall:
            dispatchSystemCall(cpu);
            return;
        case ke::UserTrap::Action::FailFast:
            exceptions_.failFast(process, ke::makeRecord(trap.code, trap.address, trap.parameters));
            return;
        case ke::UserTrap::Action::Raise:
            cpu.setReg(hal::Reg::Rip, trap.address);
            raiseFromCpu(cpu, trap.code, trap.parameters);
            return;
    }
}

void Kernel::pageFault(hal::Cpu& cpu, const hal::CpuException& e) {
    const ps::Thread& thread = trappedThread(cpu);
    ps::Process& process = thread.process();
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    ++faultNumber_;
    std::optional<mm::PageTables::Walk> walk;
    std::optional<mm::Vad> vad;
    if (observer_) {
        walk = process.space().tables().walk(VirtualAddress(e.cr2));
        if (const mm::Vad* v = process.space().findVad(VirtualAddress(e.cr2)))
            vad = *v;
    }
    const auto o = process.space().handleFault(VirtualAddress(e.cr2), e.errorCode);
    if (observer_) {
        const std::string image = std::filesystem::path(process.imagePath).filename().string();
        observer_->pageFault(
            {faultNumber_, rip, e.cr2, e.errorCode, *walk, vad, o, originOf(thread), image});
    }
    const std::uint64_t info[] = {static_cast<std::uint64_t>(o.access), e.cr2};
    switch (o.response) {
        case mm::PageFaultResponse::Resolved:
            return;
        case mm::PageFaultResponse::AccessViolation:
            raiseFromCpu(cpu, NtStatus::AccessViolation, info);
            return;
        case mm::PageFaultResponse::GuardPage:
            raiseFromCpu(cpu, NtStatus::GuardPageViolation, info);
            return;
        case mm::PageFaultResponse::StackOverflow:
            raiseFromCpu(cpu, NtStatus::StackOverflow, info);
            return;
        case mm::PageFaultResponse::InPageError: {
            // Windows' third parameter: the I/O's own status.
            constexpr std::uint64_t kIoDeviceError = 0xC0000185;
            const std::uint64_t inPage[] = {info[0], info[1], kIoDeviceError};
            raiseFromCpu(cpu, NtStatus::InPageError, inPage);
            return;
        }
        case mm::PageFaultResponse::OutOfMemory:
            // Commit promised this page a frame: none left is an accounting bug.
            ke::bugCheck(ke::BugCheckCode::NoPagesAvailable,
                         mm_->pfns().total() - mm_->pfns().available(), e.cr2,
                         mm_->commit().charge(), mm_->commit().limit(),
                         "no frame for a committed page");
    }
}

}  // namespace ntoy
