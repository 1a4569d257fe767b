// Kernel-mode drivers: the System process and its threads, loading and unloading drivers, and
// the rules of ring-0 code (IRQL) the kernel enforces. The images themselves are
// io::SystemImages'; the services ntoskrnl.exe calls are in ke/KernelServices.cpp.
#include <fmt/format.h>

#include <cstring>

#include "kernel/Kernel.h"
#include "kernel/arch/X86.h"
#include "kernel/io/IoManager.h"
#include "kernel/io/SystemImages.h"
#include "kernel/ob/ObjectBody.h"
#include "ntoy/kernel_services.h"

namespace ntoy {
namespace {

// The DRIVER_OBJECT block in nonpaged pool, laid out as the WDK's x64 structures are
// (ntoy/ntddk.h): the object, its DRIVER_EXTENSION, the registry path's UNICODE_STRING, then
// the strings' characters.
constexpr std::uint32_t kDriverObjectTag = 0x76697244;  // 'Driv'
constexpr std::uint64_t kDriverObjectSize = 0x150, kDriverExtensionSize = 0x28;
constexpr std::uint64_t kDriverExtensionOffset = kDriverObjectSize;
constexpr std::uint64_t kRegistryPathOffset = kDriverExtensionOffset + kDriverExtensionSize;
constexpr std::uint64_t kStringsOffset = kRegistryPathOffset + 16;
constexpr std::uint64_t kDriverUnloadOffset = 0x68;
constexpr std::int16_t kIoTypeDriver = 4;
constexpr std::uint64_t kIrpMjMaximumFunction = 0x1B;

template <typename T>
void put(std::vector<std::byte>& block, std::uint64_t offset, T value) {
    std::memcpy(block.data() + offset, &value, sizeof value);
}

// A UNICODE_STRING at `at` for `text`, whose characters (and a terminator) go at `chars`.
void putString(std::vector<std::byte>& block, std::uint64_t at, std::uint64_t chars,
               VirtualAddress base, const std::u16string& text) {
    const auto bytes = static_cast<std::uint16_t>(text.size() * 2);
    put<std::uint16_t>(block, at, bytes);
    put<std::uint16_t>(block, at + 2, static_cast<std::uint16_t>(bytes + 2));
    put<std::uint64_t>(block, at + 8, (base + chars).value());
    std::memcpy(block.data() + chars, text.data(), bytes);
}

std::u16string widen(std::string_view ascii) {
    return {ascii.begin(), ascii.end()};
}

}  // namespace

ps::Process& Kernel::makeSystemProcess() {
    if (system_)
        return *system_;
    auto cpu = machine_.createProcessor(*this);
    if (!cpu)
        ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, 0, 0, 0, 0,
                     "no processor for the System process: " + cpu.error());
    auto space = mm::AddressSpace::create(*mm_, **cpu);
    if (!space)
        ke::bugCheck(ke::BugCheckCode::NoPagesAvailable, 0, 0, 0, 0,
                     "no memory for the System process's page tables");
    hal::SystemRegisters regs = systemRegisters_;
    regs.cr3 = space->tables().root().address().value();
    (*cpu)->loadSystemRegisters(regs);
    if (mode_ == ScheduleMode::Deterministic)
        (*cpu)->setBlockQuantum(quantumBlocks_);
    system_ = std::make_shared<ps::Process>(kSystemProcessId, std::move(*cpu), std::move(space));
    system_->imagePath = "System";
    // Its EPROCESS, which PsGetCurrentProcess gives drivers in its threads.
    if (ob::giveBody(*pool_, *system_, nullptr) != NtStatus::Success)
        ke::bugCheck(ke::BugCheckCode::NoPagesAvailable, 0, 0, 0, 0,
                     "no pool for the System process's object");
    return *system_;
}

std::expected<std::shared_ptr<ps::Thread>, NtStatus> Kernel::createSystemThread(
    VirtualAddress routine, std::uint64_t a, std::uint64_t b, std::optional<VirtualAddress> entry) {
    ps::Process& process = makeSystemProcess();
    auto kernelStack = allocateKernelStack();
    if (!kernelStack)
        return std::unexpected(NtStatus::InsufficientResources);
    auto thread = std::make_shared<ps::Thread>(nextClientId_, system_);
    if (const NtStatus s = ob::giveBody(*pool_, *thread, nullptr); s != NtStatus::Success) {
        freeKernelStack(*kernelStack);
        return std::unexpected(s);
    }
    nextClientId_ += 4;
    thread->kernelStack = *kernelStack;
    thread->systemRoutine = routine;

    // It starts at CPL0 in ntoskrnl!NtoySystemThreadStart(routine, a, b), on its kernel stack
    // as after a call, with home space above: no user half, no TEB.
    if (!entry)
        entry = systemImages_->exportAddress(*ntoskrnl_, NTOY_SYSTEM_THREAD_START_EXPORT);
    hal::Processor& p = process.cpu();
    std::unique_ptr<hal::SavedContext> caller;
    p.saveContext(caller);
    p.resetContext();
    const VirtualAddress top = entryFrameAddress(*thread) + sizeof(EntryFrame);
    p.setReg(hal::Reg::Rsp, top.value() - 0x38);
    p.setReg(hal::Reg::Rip, entry->value());
    p.setReg(hal::Reg::Rcx, routine.value());
    p.setReg(hal::Reg::Rdx, a);
    p.setReg(hal::Reg::R8, b);
    p.setReg(hal::Reg::Rflags, 0x202);
    p.setReg(hal::Reg::MxCsr, 0x1F80);
    p.setReg(hal::Reg::FpuControl, 0x27F);
    p.setReg(hal::Reg::Cr8, 0);  // PASSIVE_LEVEL
    p.saveContext(thread->context);
    p.restoreContext(*caller);
    if (!process.onCpu)
        switchTo(*thread);
    process.threads().push_back(thread);
    ++liveThreads_;
    scheduler_.ready(*thread);
    ++stats_.threadsCreated;
    ++process.threadsCreated;
    return thread;
}

std::expected<std::uint32_t, RunError> Kernel::runUntilEnded(
    const std::shared_ptr<ps::Thread>& thread) {
    while (thread->state != ps::Thread::State::Terminated) {
        auto state = resume();
        if (!state)
            return std::unexpected(state.error());
        if (*state == RunState::Exited && thread->state != ps::Thread::State::Terminated)
            return std::unexpected(RunError{RunError::Kind::Machine,
                                            "the machine stopped before a system thread ended"});
    }
    return thread->exitStatus.value_or(0);
}

void Kernel::readSystem(VirtualAddress va, std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const VirtualAddress at = va + done;
        const std::size_t n =
            std::min<std::size_t>(out.size() - done, kPageSize - (at.value() & kPageMask));
        std::memcpy(out.data() + done, mm_->systemSpace().access(at, false), n);
        mm_->systemSpace().unpin(at);
        done += n;
    }
}

void Kernel::writeSystem(VirtualAddress va, std::span<const std::byte> in) {
    std::size_t done = 0;
    while (done < in.size()) {
        const VirtualAddress at = va + done;
        const std::size_t n =
            std::min<std::size_t>(in.size() - done, kPageSize - (at.value() & kPageMask));
        std::memcpy(mm_->systemSpace().access(at, true), in.data() + done, n);
        mm_->systemSpace().unpin(at);
        done += n;
    }
}

// Outside any trap: a bug check on the way (a pool header the driver broke, say) stops the
// machine here as in a trap.
std::expected<void, RunError> Kernel::loadDriver(const std::filesystem::path& driver,
                                                 const std::filesystem::path& systemDir) {
    try {
        return loadDriverUnguarded(driver, systemDir);
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        return std::unexpected(bugCheckError());
    }
}

std::expected<void, RunError> Kernel::unloadDrivers() {
    try {
        return unloadDriversUnguarded();
    } catch (const ke::BugCheckStop& stop) {
        bugCheck_ = stop.check;
        return std::unexpected(bugCheckError());
    }
}

std::expected<void, RunError> Kernel::loadDriverUnguarded(const std::filesystem::path& driver,
                                                          const std::filesystem::path& systemDir) {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    const auto badImage = [](std::string m) {
        return std::unexpected(RunError{RunError::Kind::BadImage, std::move(m)});
    };
    if (!systemImages_)
        systemImages_ = std::make_unique<io::SystemImages>(*mm_);
    if (!ntoskrnl_) {
        auto kernel = systemImages_->load(systemDir / "ntoskrnl.exe", nullptr);
        if (!kernel)
            return badImage(fmt::format("cannot load ntoskrnl.exe from {}: {}", systemDir.string(),
                                        kernel.error().message));
        ntoskrnl_ = *kernel;
        for (const char* name :
             {NTOY_SYSTEM_THREAD_START_EXPORT, NTOY_CALL_ROUTINE_EXPORT, NTOY_RUN_DPC_EXPORT,
              NTOY_INVALID_REQUEST_EXPORT, NTOY_KERNEL_EXCEPTION_EXPORT})
            if (!io::SystemImages::exportAddress(*ntoskrnl_, name))
                return badImage(fmt::format("{} does not export {}", ntoskrnl_->path, name));
        callRoutineEntry_ = *io::SystemImages::exportAddress(*ntoskrnl_, NTOY_CALL_ROUTINE_EXPORT);
        runDpcRoutine_ = *io::SystemImages::exportAddress(*ntoskrnl_, NTOY_RUN_DPC_EXPORT);
        kernelExceptionEntry_ =
            *io::SystemImages::exportAddress(*ntoskrnl_, NTOY_KERNEL_EXCEPTION_EXPORT);
    }
    const std::string name = driver.filename().string();
    for (const LoadedDriver& d : drivers_)
        if (d.image->name == name)
            return badImage(fmt::format("{} is loaded already", name));
    auto loaded = systemImages_->load(driver, ntoskrnl_);
    if (!loaded)
        return badImage(loaded.error().message);
    io::SystemImage& image = **loaded;
    if (!image.image->hasEntryPoint()) {
        systemImages_->unload(image);
        return badImage(fmt::format("{} has no entry point (DriverEntry)", name));
    }

    // Its DRIVER_OBJECT, named \Driver\<name>, and the registry path of its service key.
    const std::string service = driver.stem().string();
    const std::u16string driverName = u"\\Driver\\" + widen(service);
    const std::u16string registryPath =
        u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" + widen(service);
    const std::u16string serviceKey = widen(service);
    const std::uint64_t nameAt = kStringsOffset;
    const std::uint64_t registryAt = nameAt + (driverName.size() + 1) * 2;
    const std::uint64_t serviceAt = registryAt + (registryPath.size() + 1) * 2;
    const std::uint64_t size = serviceAt + (serviceKey.size() + 1) * 2;
    const auto block = pool_->allocate(ex::PoolKind::NonPagedNx, size, kDriverObjectTag);
    if (!block) {
        systemImages_->unload(image);
        return std::unexpected(
            RunError{RunError::Kind::Machine, "no nonpaged pool left for a DRIVER_OBJECT"});
    }
    const VirtualAddress object = *block;
    std::vector<std::byte> bytes(size);
    put<std::int16_t>(bytes, 0x00, kIoTypeDriver);
    put<std::int16_t>(bytes, 0x02, static_cast<std::int16_t>(kDriverObjectSize));
    put<std::uint64_t>(bytes, 0x18, image.base.value());                      // DriverStart
    put<std::uint32_t>(bytes, 0x20, static_cast<std::uint32_t>(image.size));  // DriverSize
    put<std::uint64_t>(bytes, 0x30, (object + kDriverExtensionOffset).value());
    putString(bytes, 0x38, nameAt, object, driverName);
    const std::uint64_t entry = (image.base + image.image->entryPointRva()).value();
    put<std::uint64_t>(bytes, 0x58, entry);  // DriverInit
    const std::uint64_t invalid =
        io::SystemImages::exportAddress(*ntoskrnl_, NTOY_INVALID_REQUEST_EXPORT)->value();
    for (std::uint64_t major = 0; major <= kIrpMjMaximumFunction; ++major)
        put<std::uint64_t>(bytes, io::wdk::kDriverMajorFunction + 8 * major, invalid);
    put<std::uint64_t>(bytes, kDriverExtensionOffset, object.value());
    putString(bytes, kDriverExtensionOffset + 0x18, serviceAt, object, serviceKey);
    putString(bytes, kRegistryPathOffset, registryAt, object, registryPath);
    writeSystem(object, bytes);

    const auto giveUp = [&] {
        pool_->free(object, kDriverObjectTag);
        systemImages_->unload(image);
    };
    auto thread = createSystemThread(VirtualAddress(entry), object.value(),
                                     (object + kRegistryPathOffset).value());
    if (!thread) {
        giveUp();
        return std::unexpected(
            RunError{RunError::Kind::Machine, "no kernel stack or pool left for a system thread"});
    }
    auto status = runUntilEnded(*thread);
    if (!status)
        return std::unexpected(status.error());
    if ((*status & 0x80000000u) != 0) {
        giveUp();
        return std::unexpected(RunError{
            RunError::Kind::DriverFailed,
            fmt::format("{}: DriverEntry failed with {:#010x} ({}); the driver was unloaded", name,
                        *status, ntStatusName(static_cast<NtStatus>(*status)))});
    }
    systemImages_->discardInit(image);
    drivers_.push_back({&image, object});
    return {};
}

std::expected<void, RunError> Kernel::unloadDriversUnguarded() {
    if (bugCheck_)
        return std::unexpected(bugCheckError());
    // Handles closed by the processes' ends send their IRP_MJ_CLOSE first (while that makes
    // progress: closes that can never get a thread are not waited for forever).
    while (!io_->closes()->empty() || systemBusy()) {
        const std::size_t waiting = io_->closes()->size();
        if (auto state = resume(); !state)
            return std::unexpected(state.error());
        if (io_->closes()->size() == waiting && !systemBusy())
            break;
    }
    while (!drivers_.empty()) {
        const LoadedDriver d = drivers_.back();
        std::uint64_t unload = 0;
        readSystem(d.driverObject + kDriverUnloadOffset,
                   std::as_writable_bytes(std::span(&unload, 1)));
        // A driver without an unload routine cannot be unloaded: it stays until the machine
        // stops, as on Windows.
        if (unload == 0) {
            drivers_.pop_back();
            continue;
        }
        auto thread = createSystemThread(VirtualAddress(unload), d.driverObject.value(), 0);
        if (!thread)
            return std::unexpected(RunError{RunError::Kind::Machine,
                                            "no kernel stack or pool left for a system thread"});
        if (auto ended = runUntilEnded(*thread); !ended)
            return std::unexpected(ended.error());
        checkLockedPages(*d.image);
        if (verifier_.poolTracking)
            checkLeaks(*d.image);
        drivers_.pop_back();
        pool_->free(d.driverObject, kDriverObjectTag);
        systemImages_->unload(*d.image);
    }
    // The drivers' own threads that are still there run out now; one that wakes in its
    // unloaded driver is DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS. One that waits
    // for ever is left waiting when the machine stops.
    drainingDriverThreads_ = true;
    while (system_ && !system_->threads().empty()) {
        auto state = resume();
        if (!state) {
            if (bugCheck_)
                return std::unexpected(state.error());
            break;  // only waits that never end are left
        }
        if (*state == RunState::Exited)
            break;
    }
    drainingDriverThreads_ = false;
    // The last process's leak check, which waited for the drivers to go (any thread of theirs
    // still here waits for ever, and holds what it holds).
    return runDeferredLeakCheck();
}

std::string Kernel::ring0Location(hal::Cpu& cpu, std::uint64_t rip) {
    const ps::Thread* thread = nullptr;
    for (const auto& [id, process] : processes_)
        if (&process->cpu() == &cpu && process->onCpu)
            thread = process->onCpu;
    if (system_ && &system_->cpu() == &cpu && system_->onCpu)
        thread = system_->onCpu;
    const std::string where =
        systemImages_ ? systemImages_->locate(VirtualAddress(rip)) : fmt::format("{:#x}", rip);
    if (!thread)
        return fmt::format("at {} (IRQL {})", where, cpu.reg(hal::Reg::Cr8));
    return fmt::format("at {} (IRQL {}, process {} ({}), thread {:#x})", where,
                       cpu.reg(hal::Reg::Cr8),
                       std::filesystem::path(thread->process().imagePath).filename().string(),
                       thread->process().id(), thread->id());
}

void Kernel::irqlChanged(hal::Cpu& cpu, std::uint8_t from, std::uint8_t to) {
    guarded(cpu, [&] {
        constexpr std::uint8_t kDispatchLevel = 2;
        // Force IRQL checking: at a raise to DISPATCH_LEVEL, everything pageable goes, so that
        // a touch of it there faults (and bug checks) every time instead of by bad luck.
        if (!verifier_.irqlChecking || from >= kDispatchLevel || to < kDispatchLevel)
            return;
        // Two turns: the first clears the Accessed bits the last touches set.
        for (int turn = 0; turn < 2; ++turn) {
            mm_->systemSpace().trim(mm_->systemSpace().workingSet().size());
            for (auto& [id, process] : processes_)
                if (process->hasAddressSpace())
                    process->space().trim(process->space().workingSet().size());
        }
        mm_->systemMmu().flushTlb();
    });
}

}  // namespace ntoy
