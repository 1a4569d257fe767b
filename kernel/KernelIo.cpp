// IRPs: how a system call on an open device reaches its driver. The kernel builds the IRP and
// its one stack location in nonpaged pool, then the calling thread itself runs the driver's
// dispatch routine at CPL0 on its kernel stack (the seeds' "in the context of the thread
// that sent the request"): its user registers are put aside between runs, it starts in
// ntoskrnl!NtoyCallDriverRoutine, and NtoyKsRoutineDone brings it back to user mode with the
// call's status. Closes, which come when a handle's last reference goes (even at a process's
// end), run from system threads.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/arch/X86.h"
#include "kernel/io/IoManager.h"
#include "kernel/io/SystemImages.h"
#include "kernel/ke/SystemCall.h"

namespace ntoy {

std::uint64_t Kernel::dispatchRoutine(VirtualAddress device, std::uint8_t major) {
    const auto driver = readSystemValue<std::uint64_t>(device + io::wdk::kDeviceDriverObject);
    return readSystemValue<std::uint64_t>(VirtualAddress(driver) + io::wdk::kDriverMajorFunction +
                                          8ull * major);
}

std::expected<VirtualAddress, NtStatus> Kernel::buildIrp(const IrpRequest& r, bool fromUserMode) {
    const std::uint64_t size = io::wdk::kIrpSize + io::wdk::kStackLocationSize;
    const auto block = pool_->allocate(ex::PoolKind::NonPagedNx, size, io::wdk::kIrpTag);
    if (!block)
        return std::unexpected(NtStatus::InsufficientResources);
    const VirtualAddress irp = *block;
    const VirtualAddress stack = irp + io::wdk::kIrpSize;
    std::vector<std::byte> bytes(size);
    const auto put = [&](std::uint64_t offset, auto value) {
        std::memcpy(bytes.data() + offset, &value, sizeof value);
    };
    put(0x00, io::wdk::kTypeIrp);
    put(0x02, static_cast<std::uint16_t>(size));
    put(io::wdk::kIrpSystemBuffer, r.systemBuffer.value());
    put(io::wdk::kIrpMdlAddress, r.mdl.value());
    put(io::wdk::kIrpRequestorMode, static_cast<std::uint8_t>(fromUserMode ? 1 : 0));
    put(io::wdk::kIrpStackCount, std::uint8_t{1});
    put(io::wdk::kIrpCurrentLocation, std::uint8_t{1});
    put(io::wdk::kIrpUserBuffer, r.userBuffer.value());
    put(io::wdk::kIrpCurrentStackLocation, stack.value());
    put(io::wdk::kIrpOriginalFileObject, r.fileObject.value());
    const std::uint64_t s = io::wdk::kIrpSize;
    put(s + io::wdk::kStackMajor, r.major);
    for (std::size_t i = 0; i < r.parameters.size(); ++i)
        put(s + io::wdk::kStackParameters + 8 * i, r.parameters[i]);
    put(s + io::wdk::kStackDeviceObject, r.device.value());
    put(s + io::wdk::kStackFileObject, r.fileObject.value());
    writeSystem(irp, bytes);
    irpsInFlight_.insert(irp.value());
    if (r.mdl.value() != 0)
        irpMdls_[irp.value()] = r.mdl;
    return irp;
}

void Kernel::freeIrp(VirtualAddress irp) {
    irpsInFlight_.erase(irp.value());
    completedIrps_.erase(irp.value());
    // A direct request's locked buffer lasts as long as its IRP: one left pending keeps it
    // until the driver completes it.
    if (const auto mdl = irpMdls_.extract(irp.value()))
        releaseUserBuffer(mdl.mapped());
    pool_->free(irp, io::wdk::kIrpTag);
}

std::pair<NtStatus, std::uint64_t> Kernel::irpOutcome(VirtualAddress irp, std::uint64_t returned) {
    // A completed IRP says how it went in its IoStatus; one the driver returned without
    // completing (a driver bug, or STATUS_PENDING, which ntoy does not keep yet) is finished
    // with what the routine returned.
    if (!completedIrps_.contains(irp.value()))
        return {static_cast<NtStatus>(static_cast<std::uint32_t>(returned)), 0};
    return {static_cast<NtStatus>(readSystemValue<std::uint32_t>(irp + io::wdk::kIrpIoStatus)),
            readSystemValue<std::uint64_t>(irp + io::wdk::kIrpIoStatus + 8)};
}

NtStatus Kernel::sendIrp(ke::SystemCall& call, IrpRequest request) {
    const std::uint64_t routine = dispatchRoutine(request.device, request.major);
    const auto fail = [&](NtStatus status) {
        if (request.mdl.value() != 0)
            releaseUserBuffer(request.mdl);
        return request.finish(status, 0);
    };
    if (routine == 0)
        return fail(NtStatus::InvalidDeviceRequest);
    auto irp = buildIrp(request, true);
    if (!irp)
        return fail(irp.error());
    ps::Thread& thread = *call.thread;
    const std::uint64_t returnRip = call.cpu.reg(hal::Reg::Rip) + x86::kSyscallLength;
    thread.ringZero = ps::Thread::RingZeroCall{
        .routine = VirtualAddress(routine),
        .a = request.device.value(),
        .b = irp->value(),
        .returnRip = returnRip,
        .returnFlags = call.cpu.reg(hal::Reg::Rflags),
        .done =
            [this, irp = *irp, finish = std::move(request.finish)](std::uint64_t returned) {
                const auto [status, information] = irpOutcome(irp, returned);
                const NtStatus result = finish(status, information);
                // A pending IRP stays for the driver to complete later (its request is over
                // here: ntoy has no asynchronous completion yet); any other goes.
                if (status != NtStatus::Pending)
                    freeIrp(irp);
                else
                    pendingIrps_.insert(irp.value());
                return static_cast<std::uint64_t>(raw(result));
            },
        .entered = false,
        .ended = false,
        .result = 0};
    call.replacesContext = true;
    call.cpu.requestStop();
    return NtStatus::Success;
}

bool Kernel::ringZeroStep(ps::Thread& thread, hal::Processor& cpu) {
    if (!thread.ringZero)
        return false;
    ps::Thread::RingZeroCall& rz = *thread.ringZero;
    if (!rz.entered) {
        // User mode as SYSRET would leave it, RAX aside: that comes when the routine is done.
        if (!rz.interrupt) {
            cpu.setReg(hal::Reg::Rip, rz.returnRip);
            cpu.setReg(hal::Reg::Rcx, rz.returnRip);
            cpu.setReg(hal::Reg::R11, rz.returnFlags);
        }
        cpu.saveContext(thread.userContext);
        cpu.resetContext();
        const VirtualAddress top = entryFrameAddress(thread) + sizeof(EntryFrame);
        cpu.setReg(hal::Reg::Rsp, top.value() - 0x38);
        cpu.setReg(hal::Reg::Rip, callRoutineEntry_.value());
        cpu.setReg(hal::Reg::Rcx, rz.routine.value());
        cpu.setReg(hal::Reg::Rdx, rz.a);
        cpu.setReg(hal::Reg::R8, rz.b);
        cpu.setReg(hal::Reg::Rflags, 0x202);
        cpu.setReg(hal::Reg::MxCsr, 0x1F80);
        cpu.setReg(hal::Reg::FpuControl, 0x27F);
        cpu.setReg(hal::Reg::Cr8, rz.irql);
        rz.entered = true;
        return true;
    }
    if (!rz.ended)
        return false;
    cpu.restoreContext(*thread.userContext);
    std::uint64_t status = rz.result;
    if (rz.done)
        guarded(cpu, [&] { status = rz.done(rz.result); });
    if (!rz.interrupt)
        cpu.setReg(hal::Reg::Rax, status);
    thread.ringZero.reset();
    return true;
}

void Kernel::abandonRingZero(ps::Thread& thread) {
    auto call = std::exchange(thread.ringZero, std::nullopt);
    if (!call || !call->done || call->ended)
        return;
    try {
        call->done(raw(NtStatus::Cancelled));
    } catch (const ke::BugCheckStop& stop) {
        if (!bugCheck_)
            bugCheck_ = stop.check;
    }
}

bool Kernel::runQueuedDpc(ps::Thread& thread, hal::Processor& cpu) {
    // One at a time, on a thread that is not in a driver routine already (no nesting).
    if (dpcQueue_.empty() || thread.ringZero || !ntoskrnl_)
        return false;
    const VirtualAddress dpc = dpcQueue_.front();
    dpcQueue_.pop_front();
    constexpr std::uint8_t kDispatchLevel = 2;
    thread.ringZero = ps::Thread::RingZeroCall{.routine = runDpcRoutine_,
                                               .a = dpc.value(),
                                               .b = 0,
                                               .returnRip = 0,
                                               .returnFlags = 0,
                                               .done = nullptr,
                                               .entered = false,
                                               .ended = false,
                                               .result = 0,
                                               .interrupt = true,
                                               .irql = kDispatchLevel};
    return ringZeroStep(thread, cpu);
}

void Kernel::sendCloses() {
    auto& closes = *io_->closes();
    // A few at a time: each takes a system thread and its kernel stack.
    constexpr int kClosesAtOnce = 16;
    for (int sent = 0; sent < kClosesAtOnce && !closes.empty(); ++sent) {
        const io::PendingClose c = closes.front();
        const auto freeFile = [this, c] {
            pool_->free(c.fileObject, io::wdk::kFileObjectTag);
            io::Device* d = io_->device(c.device);
            if (d && --d->opens == 0 && d->deleted) {
                io_->removeDevice(c.device);
                pool_->free(c.device, io::wdk::kDeviceObjectTag);
            }
        };
        const std::uint64_t routine =
            c.opened ? dispatchRoutine(c.device, io::wdk::kIrpMjClose) : 0;
        IrpRequest request;
        request.major = io::wdk::kIrpMjClose;
        request.device = c.device;
        request.fileObject = c.fileObject;
        if (routine == 0) {
            closes.pop_front();
            freeFile();
            continue;
        }
        // Out of pool or kernel stacks: the close waits for the next turn, never dropped.
        auto irp = buildIrp(request, false);
        if (!irp)
            return;
        auto thread = createSystemThread(VirtualAddress(routine), c.device.value(), irp->value(),
                                         callRoutineEntry_);
        if (!thread) {
            freeIrp(*irp);
            return;
        }
        closes.pop_front();
        (*thread)->ringZero =
            ps::Thread::RingZeroCall{.routine = VirtualAddress(routine),
                                     .a = c.device.value(),
                                     .b = irp->value(),
                                     .returnRip = 0,
                                     .returnFlags = 0,
                                     .done =
                                         [this, irp = *irp, freeFile](std::uint64_t returned) {
                                             irpOutcome(irp, returned);
                                             freeIrp(irp);
                                             freeFile();
                                             return returned;
                                         },
                                     .entered = true,
                                     .ended = false,
                                     .result = 0};
    }
}

}  // namespace ntoy

namespace ntoy {

NtStatus Kernel::createDevice(VirtualAddress driverObject, std::uint64_t extensionSize,
                              std::uint64_t name, std::uint64_t deviceType, bool exclusive,
                              VirtualAddress deviceOut) {
    if (extensionSize > 0x10000)  // far beyond any real extension; bounds a hostile one
        return NtStatus::InvalidParameter;
    const std::u16string deviceName = name != 0 ? readDriverString(VirtualAddress(name)) : u"";
    if (!deviceName.empty() && io_->resolve(deviceName))
        return NtStatus::ObjectNameCollision;
    const std::uint64_t extensionAt = alignUp(io::wdk::kDeviceObjectSize, 16);
    const std::uint64_t size = extensionAt + extensionSize;
    const auto block =
        pool_->allocate(ex::PoolKind::NonPagedNx, size, io::wdk::kDeviceObjectTag, {}, true);
    if (!block)
        return NtStatus::InsufficientResources;
    const VirtualAddress device = *block;
    const auto first = readSystemValue<std::uint64_t>(driverObject + io::wdk::kDriverDeviceObject);
    writeSystemValue(device + 0x00, io::wdk::kTypeDevice);
    writeSystemValue(device + 0x02, static_cast<std::uint16_t>(size));
    writeSystemValue(device + io::wdk::kDeviceDriverObject, driverObject.value());
    writeSystemValue(device + io::wdk::kDeviceNextDevice, first);
    writeSystemValue(device + io::wdk::kDeviceFlags, io::wdk::kDoDeviceInitializing);
    writeSystemValue(device + io::wdk::kDeviceExtension,
                     extensionSize != 0 ? (device + extensionAt).value() : 0);
    writeSystemValue(device + io::wdk::kDeviceType, static_cast<std::uint32_t>(deviceType));
    writeSystemValue(device + io::wdk::kDeviceStackSize, std::uint8_t{1});
    if (!deviceName.empty())
        if (const NtStatus s = io_->addDevice({deviceName, device, driverObject, exclusive, 0});
            s != NtStatus::Success) {
            pool_->free(device, io::wdk::kDeviceObjectTag);
            return s;
        }
    writeSystemValue(driverObject + io::wdk::kDriverDeviceObject, device.value());
    writeSystemValue(deviceOut, device.value());
    return NtStatus::Success;
}

void Kernel::deleteDevice(VirtualAddress device) {
    // Out of its driver's list.
    const auto driver =
        VirtualAddress(readSystemValue<std::uint64_t>(device + io::wdk::kDeviceDriverObject));
    const auto next = readSystemValue<std::uint64_t>(device + io::wdk::kDeviceNextDevice);
    VirtualAddress link = driver + io::wdk::kDriverDeviceObject;
    for (int guard = 0; guard < 4096; ++guard) {
        const auto at = readSystemValue<std::uint64_t>(link);
        if (at == 0)
            break;
        if (at == device.value()) {
            writeSystemValue(link, next);
            break;
        }
        link = VirtualAddress(at) + io::wdk::kDeviceNextDevice;
    }
    // Its name goes now; the object once no open file refers to it (the last close frees it).
    if (io::Device* d = io_->device(device); d && d->opens != 0) {
        io_->unname(device);
        return;
    }
    io_->removeDevice(device);
    pool_->free(device, io::wdk::kDeviceObjectTag);
}

}  // namespace ntoy
