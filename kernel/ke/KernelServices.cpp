// The kernel services: what ntoskrnl.exe's exports ask of the hosted kernel from ring 0
// (ntoy/kernel_services.h). A SYSCALL at CPL0 comes here; the arguments are the x64
// convention's, the result goes to RAX, and RCX and R11 are left alone (ring-0 code has no
// SYSRET to undo). A bug check here names the calling driver.
#include <fmt/format.h>
#include <unistd.h>

#include <array>

#include "kernel/Kernel.h"
#include "kernel/io/SystemImages.h"
#include "kernel/ke/Context.h"
#include "ntoy/kernel_services.h"

namespace ntoy {
namespace {

enum class Service : std::uint64_t {
#define NTOY_KS_ENUM(number, name, argument_count) name = number,
    NTOY_KERNEL_SERVICES(NTOY_KS_ENUM)
#undef NTOY_KS_ENUM
};

// DbgPrint's line: ntoskrnl.exe truncates it at 512 bytes, as Windows does.
constexpr std::uint64_t kDebugPrintLimit = 512;

}  // namespace

// A driver's UNICODE_STRING (in system memory, as a driver's are).
std::u16string Kernel::readDriverString(VirtualAddress at) {
    const auto length = readSystemValue<std::uint16_t>(at);
    const auto buffer = readSystemValue<std::uint64_t>(at + 8);
    std::u16string text(length / 2, u'\0');
    if (!text.empty())
        readSystem(VirtualAddress(buffer), std::as_writable_bytes(std::span(text)));
    return text;
}

void Kernel::dispatchKernelService(hal::Cpu& cpu, ps::Thread& thread) {
    std::array<std::uint64_t, 6> a{cpu.reg(hal::Reg::R10),
                                   cpu.reg(hal::Reg::Rdx),
                                   cpu.reg(hal::Reg::R8),
                                   cpu.reg(hal::Reg::R9),
                                   0,
                                   0};
    const auto result = [&](std::uint64_t v) { cpu.setReg(hal::Reg::Rax, v); };
    // The driver a call came from: its return address's image, or when that is ntoskrnl's
    // own (the driver tail-called it), the driver routine the thread is running.
    const auto callerName = [&](std::uint64_t caller) {
        const io::SystemImage* image =
            systemImages_ ? systemImages_->containing(VirtualAddress(caller)) : nullptr;
        if (systemImages_ && (!image || image == ntoskrnl_)) {
            const VirtualAddress routine =
                thread.ringZero ? thread.ringZero->routine : thread.systemRoutine;
            if (const io::SystemImage* running = systemImages_->containing(routine))
                image = running;
        }
        return image ? image->name : std::string("kernel");
    };
    switch (static_cast<Service>(cpu.reg(hal::Reg::Rax))) {
        case Service::NtoyKsEndSystemThread:
            terminateThread(thread, static_cast<std::uint32_t>(a[0]));
            cpu.requestStop();
            return;
        case Service::NtoyKsDebugPrint: {
            std::string text(std::min(a[1], kDebugPrintLimit), '\0');
            readSystem(VirtualAddress(a[0]), std::as_writable_bytes(std::span(text)));
            const std::string line = fmt::format("{}: {}", callerName(a[2]), text);
            for (std::size_t done = 0; done < line.size();) {
                const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
                if (n <= 0)
                    break;
                done += static_cast<std::size_t>(n);
            }
            result(0);
            return;
        }
        case Service::NtoyKsAllocatePool:
            // ExAllocatePool2: zeroed unless POOL_FLAG_UNINITIALIZED.
            result(verifiedAllocate(ex::Pool::kindOfFlags(a[0]), a[1],
                                    static_cast<std::uint32_t>(a[2]),
                                    (a[0] & ex::pool_flag::kUninitialized) == 0, a[3])
                       .value());
            return;
        case Service::NtoyKsAllocatePoolType:
            // ExAllocatePoolWithTag: not zeroed.
            result(verifiedAllocate(ex::Pool::kindOfType(static_cast<std::uint32_t>(a[0])), a[1],
                                    static_cast<std::uint32_t>(a[2]), false, a[3])
                       .value());
            return;
        case Service::NtoyKsFreePool:
            verifiedFree(VirtualAddress(a[0]), a[1] == 0 ? std::nullopt
                                                         : std::optional<std::uint32_t>(
                                                               static_cast<std::uint32_t>(a[1])));
            result(0);
            return;
        case Service::NtoyKsBugCheck: {
            // The fifth and sixth arguments: above the stub's return address and the home
            // space.
            readSystem(VirtualAddress(cpu.reg(hal::Reg::Rsp) + 0x28),
                       std::as_writable_bytes(std::span(&a[4], 2)));
            ke::bugCheck(static_cast<ke::BugCheckCode>(a[0]), a[1], a[2], a[3], a[4],
                         "KeBugCheckEx called " + ring0Location(cpu, a[5]));
        }
        case Service::NtoyKsCurrentIds:
            switch (a[0]) {
                case NTOY_KS_CURRENT_PROCESS_ID:
                    result(thread.process().id());
                    return;
                case NTOY_KS_CURRENT_THREAD_ID:
                    result(thread.id());
                    return;
                case NTOY_KS_CURRENT_PROCESS:
                    result(thread.process().body().value());
                    return;
                default:
                    result(thread.body().value());
                    return;
            }
        case Service::NtoyKsCreateSystemThread: {
            // PsCreateSystemThread: a System thread at ntoskrnl's shim (a[0]) for the driver's
            // start routine (a[1]) and context, and a kernel handle to it.
            readSystem(VirtualAddress(cpu.reg(hal::Reg::Rsp) + 0x28),
                       std::as_writable_bytes(std::span(&a[4], 1)));
            auto created = createSystemThread(VirtualAddress(a[0]), a[1], a[2]);
            if (!created) {
                result(raw(created.error()));
                return;
            }
            ps::Thread& started = **created;
            started.systemRoutine = VirtualAddress(a[1]);  // named after the driver's routine
            started.driverThread = true;
            auto handle = system_->handles().insert(*created, ob::access::kThreadAllAccess);
            if (!handle) {
                terminateThread(started, raw(handle.error()));
                result(raw(handle.error()));
                return;
            }
            writeSystemValue<std::uint64_t>(VirtualAddress(a[3]), handle->value());
            if (a[4] != 0) {
                writeSystemValue<std::uint64_t>(VirtualAddress(a[4]), system_->id());
                writeSystemValue<std::uint64_t>(VirtualAddress(a[4]) + 8, started.id());
            }
            result(0);
            return;
        }
        case Service::NtoyKsClose:
            // A kernel handle: the System process's table, whatever process is current.
            result(raw(system_ ? system_->handles().close(ob::Handle(a[0]))
                               : NtStatus::InvalidHandle));
            return;
        case Service::NtoyKsDelay: {
            // KeDelayExecutionThread: a wait, so never at DISPATCH_LEVEL or above.
            constexpr std::uint64_t kDispatchLevel = 2;
            if (const std::uint64_t irql = cpu.reg(hal::Reg::Cr8); irql >= kDispatchLevel)
                ke::bugCheck(ke::BugCheckCode::IrqlNotLessOrEqual, 0, irql, 0,
                             cpu.reg(hal::Reg::Rip),
                             "KeDelayExecutionThread at IRQL " + std::to_string(irql) + ", " +
                                 ring0Location(cpu, cpu.reg(hal::Reg::Rip)));
            const auto interval = static_cast<std::int64_t>(a[0]);
            // Alertable waits are for user APCs, which ntoy delivers only to user mode: a
            // ring-0 wait is never alerted.
            constexpr bool alertable = false;
            if (interval == 0 && !alertable) {
                result(raw(waits_.yield(thread)));
            } else {
                const std::uint64_t now = clock_.interruptTime();
                const auto outcome = waits_.delay(
                    thread, alertable, ke::deadlineFor(interval, now, clock_.systemTime()), now);
                // A wait that blocks ends with its status in RAX (resumeRax).
                result(raw(outcome.isBlocked() ? NtStatus::Pending : outcome.status));
            }
            if (thread.state != ps::Thread::State::Running)
                cpu.requestStop();
            return;
        }
        case Service::NtoyKsIsAddressValid: {
            const VirtualAddress va(a[0]);
            const mm::PageTables& tables = mm::isSystemAddress(va.value())
                                               ? mm_->systemTables()
                                               : thread.process().space().tables();
            const auto pte = tables.findPte(va);
            result(pte && tables.read(*pte).isValid() ? 1 : 0);
            return;
        }
        case Service::NtoyKsCreateDevice: {
            readSystem(VirtualAddress(cpu.reg(hal::Reg::Rsp) + 0x28),
                       std::as_writable_bytes(std::span(&a[4], 2)));
            result(raw(createDevice(VirtualAddress(a[0]), a[1], a[2], a[3], a[4] != 0,
                                    VirtualAddress(a[5]))));
            return;
        }
        case Service::NtoyKsDeleteDevice:
            deleteDevice(VirtualAddress(a[0]));
            result(0);
            return;
        case Service::NtoyKsSymbolicLink: {
            const std::u16string link = readDriverString(VirtualAddress(a[0]));
            result(raw(a[1] == 0 ? io_->removeLink(link)
                                 : io_->addLink(link, readDriverString(VirtualAddress(a[1])))));
            return;
        }
        case Service::NtoyKsQueueDpc: {
            constexpr std::uint64_t kDpcData = 0x38;  // non-NULL while queued
            if (readSystemValue<std::uint64_t>(VirtualAddress(a[0]) + kDpcData) != 0) {
                result(0);
                return;
            }
            writeSystemValue<std::uint64_t>(VirtualAddress(a[0]) + kDpcData, 1);
            dpcQueue_.push_back(VirtualAddress(a[0]));
            result(1);
            return;
        }
        case Service::NtoyKsProbeAndLockPages: {
            constexpr std::uint64_t kUserMode = 1, kIoReadAccess = 0;
            result(raw(probeAndLockMdl(thread, VirtualAddress(a[0]), a[1] == kUserMode,
                                       a[2] != kIoReadAccess, a[3])));
            return;
        }
        case Service::NtoyKsUnlockPages:
            unlockMdl(VirtualAddress(a[0]), a[1]);
            result(0);
            return;
        case Service::NtoyKsMapLockedPages:
            result(mapMdl(VirtualAddress(a[0]), a[1]));
            return;
        case Service::NtoyKsUnmapLockedPages:
            unmapMdl(VirtualAddress(a[0]), VirtualAddress(a[1]), a[2]);
            result(0);
            return;
        case Service::NtoyKsBuildMdlForNonPagedPool:
            buildMdlForNonPagedPool(VirtualAddress(a[0]), a[1]);
            result(0);
            return;
        case Service::NtoyKsFreeMdl:
            freeingMdl(VirtualAddress(a[0]), a[1]);
            result(0);
            return;
        case Service::NtoyKsImageBase: {
            const io::SystemImage* image =
                systemImages_ ? systemImages_->containing(VirtualAddress(a[0])) : nullptr;
            result(image ? image->base.value() : 0);
            return;
        }
        case Service::NtoyKsStackBounds: {
            const auto [lowest, top] = kernelStackBounds(thread);
            result(a[0] == 0 ? lowest.value() : top.value());
            return;
        }
        case Service::NtoyKsContinue: {
            // A context the unwinder made: ring-0 code on this thread's kernel stack, or a
            // driver handing over garbage, which may not leave ring 0 for user code.
            ke::Context context{};
            readSystem(VirtualAddress(a[0]), std::as_writable_bytes(std::span(&context, 1)));
            const auto [lowest, top] = kernelStackBounds(thread);
            if (!mm::isSystemAddress(context.rip) || context.rsp < lowest.value() ||
                context.rsp > top.value())
                ke::bugCheck(ke::BugCheckCode::KmodeExceptionNotHandled,
                             raw(NtStatus::InvalidUnwindTarget), context.rip, 0, context.rsp,
                             "a kernel-mode context resumed off its kernel stack or outside "
                             "system space, " +
                                 ring0Location(cpu, cpu.reg(hal::Reg::Rip)));
            ke::restoreKernelContext(cpu, context);
            return;
        }
        case Service::NtoyKsUnhandledException: {
            ke::ExceptionRecord record{};
            readSystem(VirtualAddress(a[0]), std::as_writable_bytes(std::span(&record, 1)));
            const std::uint32_t count = std::min<std::uint32_t>(record.numberParameters, 15);
            const std::uint64_t p0 = count > 0 ? record.exceptionInformation[0] : 0;
            const std::uint64_t p1 = count > 1 ? record.exceptionInformation[1] : 0;
            const auto code = static_cast<NtStatus>(record.exceptionCode);
            const std::string where = ring0Location(cpu, record.exceptionAddress);
            ke::bugCheck(ke::BugCheckCode::KmodeExceptionNotHandled, record.exceptionCode,
                         record.exceptionAddress, p0, p1,
                         code == NtStatus::AccessViolation && count >= 2
                             ? fmt::format("an access violation on {:#x} {}", p1, where)
                             : fmt::format("{} ({:#010x}) raised {}, which no handler took",
                                           ntStatusName(code), record.exceptionCode, where));
        }
        case Service::NtoyKsCompleteRequest:
            // Completing an IRP that is not in flight (twice, or one never sent) is Windows'
            // MULTIPLE_IRP_COMPLETE_REQUESTS.
            if (!irpsInFlight_.contains(a[0]) || completedIrps_.contains(a[0]))
                ke::bugCheck(ke::BugCheckCode::MultipleIrpCompleteRequests, a[0], 0, 0, 0,
                             "IoCompleteRequest of an IRP already completed or never sent, " +
                                 ring0Location(cpu, cpu.reg(hal::Reg::Rip)));
            completedIrps_.insert(a[0]);
            // One the dispatch routine left pending and completes now: its request was
            // finished then, so it goes now.
            if (pendingIrps_.erase(a[0]) != 0)
                freeIrp(VirtualAddress(a[0]));
            result(0);
            return;
        case Service::NtoyKsRoutineDone: {
            if (!thread.ringZero || !thread.ringZero->entered)
                ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, 0, a[0],
                             cpu.reg(hal::Reg::Rip), 0, "a driver routine ended that never began");
            // A routine must leave the IRQL as it found it (Windows: a system service returning
            // at raised IRQL, a DPC that changed it).
            if (const std::uint64_t irql = cpu.reg(hal::Reg::Cr8); irql != thread.ringZero->irql)
                ke::bugCheck(thread.ringZero->interrupt
                                 ? ke::BugCheckCode::IrqlUnexpectedValue
                                 : ke::BugCheckCode::IrqlGtZeroAtSystemService,
                             thread.ringZero->routine.value(), irql, thread.ringZero->irql, 0,
                             "a driver routine returned at IRQL " + std::to_string(irql) +
                                 ", not " + std::to_string(thread.ringZero->irql) + ": " +
                                 ring0Location(cpu, thread.ringZero->routine.value()));
            thread.ringZero->ended = true;
            thread.ringZero->result = a[0];
            // A system thread's own routine (a close) ends the thread; a DPC it ran for a
            // moment only returns it to what it was doing (ringZeroStep).
            if (isSystemThread(thread) && !thread.ringZero->interrupt) {
                // A system thread's routine (a close): finished here, and the thread with it.
                const std::uint64_t status =
                    thread.ringZero->done ? thread.ringZero->done(a[0]) : a[0];
                thread.ringZero.reset();
                terminateThread(thread, static_cast<std::uint32_t>(status));
            }
            cpu.requestStop();
            return;
        }
    }
    // ntoskrnl.exe is ntoy's own: an unknown service is a kernel bug.
    ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, 0, cpu.reg(hal::Reg::Rax),
                 cpu.reg(hal::Reg::Rip), 0, "an unknown kernel service");
}

}  // namespace ntoy
