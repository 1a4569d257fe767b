#include "kernel/Kernel.h"

#include <fmt/format.h>

#include "kernel/arch/X86.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ke/UserTraps.h"
#include "kernel/ldr/ImageLoader.h"
#include "kernel/mm/ResidentMemory.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ps/ProcessEnvironment.h"
#include "ntoy/process_layout.h"

namespace ntoy {
namespace {

using mm::MmProtection;

// The kernel window's pages.
constexpr std::uint64_t kGdtOffset = 0x0000;
constexpr std::uint64_t kTssOffset = 0x1000;
constexpr std::uint64_t kStubOffset = 0x2000;
constexpr std::uint64_t kFlushRoutineOffset = 0x10;    // in the stub page
constexpr std::uint64_t kKernelStackOffset = 0x10000;  // the page below stays unmapped
constexpr std::uint64_t kKernelStackPages = 4;

constexpr std::uint64_t kUserFlags = 0x202;  // IF and the reserved bit 1

// PFN_LIST_CORRUPT's parameter 1 for a PFN database that does not add up: "a PTE or PFN is
// corrupt", as Windows says.
constexpr std::uint64_t kPfnCorrupt = 0x99;

}  // namespace

Kernel::Kernel(hal::Machine& machine)
    : machine_(machine),
      mm_(std::make_unique<mm::MemoryManager>(machine.physicalMemory(), machine.systemMmu())) {}

std::expected<std::unique_ptr<Kernel>, std::string> Kernel::boot(hal::Machine& machine) {
    std::unique_ptr<Kernel> kernel(new Kernel(machine));
    if (auto ok = kernel->buildKernelWindow(); !ok)
        return std::unexpected(ok.error());
    kernel->sharedUserData_ = ke::SharedUserData::create(*kernel->mm_, kernel->clock_);
    if (!kernel->sharedUserData_)
        return std::unexpected("not enough RAM to boot");
    return kernel;
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
    for (std::uint64_t i = 0; i < kKernelStackPages; ++i)
        if (!mm_->mapSystemPage(base + kKernelStackOffset + i * kPageSize, rw))
            return std::unexpected("not enough RAM to boot");

    const auto& ram = mm_->pfns().memory();
    const auto table = x86::buildGdt((base + kTssOffset).value());
    std::memcpy(ram.frame(*gdt).data(), table.data(), sizeof table);
    kernelStackTop_ = base + kKernelStackOffset + kKernelStackPages * kPageSize;
    ram.write(tss->address() + 4, kernelStackTop_.value());  // RSP0
    ram.write(tss->address() + 0x66, std::uint16_t{0x68});   // no I/O permission bitmap
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

std::expected<std::unique_ptr<ps::Process>, RunError> Kernel::createProcess(
    const std::filesystem::path& image, const std::vector<std::string>& argv,
    const std::filesystem::path& systemDir) {
    auto machineError = [](std::string m) {
        return std::unexpected(RunError{RunError::Kind::Machine, std::move(m)});
    };
    auto cpu = machine_.createProcessor(*this);
    if (!cpu)
        return machineError(cpu.error());
    auto space = mm::AddressSpace::create(*mm_, **cpu);
    if (!space || !sharedUserData_->mapInto(*space))
        return machineError("not enough memory for a new address space");
    hal::SystemRegisters regs = systemRegisters_;
    regs.cr3 = space->tables().root().address().value();
    (*cpu)->loadSystemRegisters(regs);
    auto process = std::make_unique<ps::Process>(nextProcessId_, std::move(*cpu), std::move(space));
    nextProcessId_ += 4;

    ldr::ImageLoader loader(*process);
    auto exe = loader.loadExecutable(image, systemDir);
    if (!exe)
        return std::unexpected(RunError{RunError::Kind::BadImage, exe.error().message});
    const auto* ntdll = loader.find("ntdll.dll");
    auto threadStart = loader.resolveExport(*ntdll, NTOY_THREAD_START_EXPORT, 0, false);
    if (!threadStart)
        return std::unexpected(
            RunError{RunError::Kind::BadImage,
                     fmt::format("{} does not export {}", ntdll->path, NTOY_THREAD_START_EXPORT)});
    if (auto dispatcher = loader.resolveExport(*ntdll, "KiUserExceptionDispatcher", 0, false))
        process->exceptionDispatcher = dispatcher->address;

    auto thread = ps::buildEnvironment(*process, *(*exe)->image, (*exe)->base, image.string(),
                                       ps::buildCommandLine(argv));
    if (!thread)
        return std::unexpected(RunError{RunError::Kind::BadImage, thread.error()});

    // Enter user mode the way the CPU allows: iretq from ring 0, with the frame on the kernel
    // stack. The thread starts in ntdll!RtlUserThreadStart(entry, PEB), its stack pointer as
    // after a call, with home space above it.
    hal::Processor& p = process->cpu();
    const std::uint64_t userRsp = thread->stackBase.value() - 0x38;
    const std::uint64_t frame[5] = {threadStart->address.value(), x86::kUserCs, kUserFlags, userRsp,
                                    x86::kUserSs};
    const VirtualAddress frameAt = kernelStackTop_ - sizeof frame;
    const auto pte = mm_->systemTables().pteAt(frameAt);
    std::memcpy(mm_->pfns().memory().at(pte.pfn().address() + frameAt.pageOffset()), frame,
                sizeof frame);
    p.setReg(hal::Reg::Rsp, frameAt.value());
    p.setReg(hal::Reg::Rip, userEntryStub_.value());
    p.setReg(hal::Reg::Rcx, ((*exe)->base + (*exe)->image->entryPointRva()).value());
    p.setReg(hal::Reg::Rdx, thread->peb.value());
    // Windows' initial floating-point state: all exceptions masked, round to nearest.
    p.setReg(hal::Reg::MxCsr, 0x1F80);
    p.setReg(hal::Reg::FpuControl, 0x27F);
    // Windows' user selectors (the stub loads DS and ES). DPL3 data selectors survive the
    // privilege change; GS's base is the TEB.
    p.setReg(hal::Reg::Fs, x86::kUserFs);
    p.setReg(hal::Reg::Gs, x86::kUserSs);
    p.setReg(hal::Reg::GsBase, thread->teb.value());
    return process;
}

std::expected<void, RunError> Kernel::load(const std::filesystem::path& image,
                                           const std::vector<std::string>& argv,
                                           const std::filesystem::path& systemDir) {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    if (process_) {  // a debugger's process, dropped before its end: as any exit
        const std::uint32_t id = process_->id();
        process_.reset();
        if (auto verified = verifyAfterExit(id, 0); !verified)
            return verified;
    }
    exitStatus_.reset();
    faultNumber_ = 0;
    beforeProcess_ = mm::MemoryBaseline::of(*mm_);
    const std::uint32_t id = nextProcessId_;
    auto process = createProcess(image, argv, systemDir);
    if (!process) {
        // The half-built process went with the error: it must have given everything back.
        if (auto verified = verifyAfterExit(id, 0); !verified)
            return verified;
        return std::unexpected(process.error());
    }
    process_ = std::move(*process);
    if (observer_)
        observer_->processStart(*process_);
    return {};
}

std::expected<Kernel::RunState, RunError> Kernel::resume() {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    if (!process_)
        return RunState::Exited;
    // An unhandled exception held for a debugger ends the process now.
    exceptions_.endHeld(*process_);
    // A debugger's single step may already have ended the process: then only finish it.
    if (!process_->exitStatus()) {
        auto ran = process_->cpu().run();
        if (bugCheck_)
            return std::unexpected(bugCheckError());
        if (!ran) {
            process_.reset();
            return std::unexpected(RunError{RunError::Kind::Machine, ran.error()});
        }
        if (!process_->exitStatus())
            return RunState::Paused;
    }
    exitStatus_ = process_->exitStatus();
    exitReason_ = process_->exitReason();
    if (observer_)
        observer_->processExit(*exitStatus_);
    const std::uint32_t id = process_->id();
    process_.reset();  // every frame and charge goes back
    if (auto verified = verifyAfterExit(id, *exitStatus_); !verified)
        return std::unexpected(verified.error());
    return RunState::Exited;
}

std::vector<const mm::AddressSpace*> Kernel::addressSpaces() const {
    std::vector<const mm::AddressSpace*> spaces;
    if (process_)
        spaces.push_back(&process_->space());
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
                                                      std::uint32_t exitStatus) {
    if (!verifyExit_)
        return {};
    try {
        bugCheckIfBroken(kBrokenAfterExit, processId, exitStatus, 0);
        if (auto leaked = mm::checkNothingLeaked(*mm_, beforeProcess_)) {
            const mm::MemoryBaseline after = mm::MemoryBaseline::of(*mm_);
            ke::bugCheck(ke::BugCheckCode::MemoryManagement, kLeakedAtExit, processId,
                         beforeProcess_.available - after.available,
                         after.charge - beforeProcess_.charge, *leaked);
        }
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        return std::unexpected(bugCheckError());
    }
    return {};
}

void Kernel::requestPause() {
    if (process_)
        process_->cpu().requestStop();
}

void Kernel::setObserver(ke::KernelObserver* observer) {
    observer_ = observer;
    exceptions_.observer = observer;
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
        cpu.requestStop();
        return;
    }
    try {
        publishTime();  // whatever the trap, the guest sees the time of its last entry
        handler();
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        cpu.requestStop();
    }
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
    ps::Process& process = *process_;
    if (process.exitStatus()) {  // ended: nothing of it runs or is serviced again
        cpu.requestStop();
        return;
    }
    ++stats_.syscalls;
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
    if constexpr (kChecked)
        bugCheckIfBroken(kBrokenAfterSystemCall, number, raw(status), cpu.reg(hal::Reg::Rip));
    if (observer_) {
        const ke::OutputValues outputs = ke::readOutputs(*entry, call, status);
        observer_->systemCall(
            {entry->name, number,
             std::span<const std::uint64_t>(call.args.data(), entry->argumentCount), raw(status),
             outputs.span()});
    }
}

void Kernel::raiseFromCpu(hal::Cpu& cpu, NtStatus code, std::span<const std::uint64_t> info) {
    const ke::Context context = ke::captureContext(cpu);
    exceptions_.dispatch(*process_, cpu, ke::makeRecord(code, context.rip, info), context);
}

void Kernel::kernelModeTrap(hal::Cpu& cpu, const hal::CpuException& e) {
    // Only the kernel's own stubs run at CPL0 today, and they never fault: a trap there is a
    // kernel bug. (Kernel-mode guest code will need its own handling.)
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    if (e.vector == hal::Vector::PageFault)
        ke::bugCheck(ke::BugCheckCode::PageFaultInNonpagedArea, e.cr2,
                     (e.errorCode & hal::pf::kWrite) ? 1 : 0, rip, e.errorCode,
                     "a page fault in kernel mode");
    ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, static_cast<std::uint64_t>(e.vector),
                 e.errorCode, rip, 0, "a CPU exception in kernel mode");
}

void Kernel::dispatchException(hal::Cpu& cpu, const hal::CpuException& e) {
    ps::Process& process = *process_;
    if (process.exitStatus()) {  // ended: nothing of it runs or is serviced again
        cpu.requestStop();
        return;
    }
    const std::uint64_t rip = cpu.reg(hal::Reg::Rip);
    if (observer_ && e.vector != hal::Vector::PageFault)
        observer_->cpuException(e, rip);
    if ((cpu.reg(hal::Reg::Cs) & 3) != 3)
        kernelModeTrap(cpu, e);
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
    ps::Process& process = *process_;
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
    if (observer_)
        observer_->pageFault({faultNumber_, rip, e.cr2, e.errorCode, *walk, vad, o});
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
        case mm::PageFaultResponse::OutOfMemory:
            // Commit promised this page a frame: none left is an accounting bug.
            ke::bugCheck(ke::BugCheckCode::NoPagesAvailable,
                         mm_->pfns().total() - mm_->pfns().available(), e.cr2,
                         mm_->commit().charge(), mm_->commit().limit(),
                         "no frame for a committed page");
    }
}

}  // namespace ntoy
