// Threads: NtCreateThreadEx, NtTerminateThread, NtSuspendThread, NtResumeThread,
// NtGetContextThread, NtSetContextThread, NtQueryInformationThread, and user APCs
// (NtQueueApcThread, NtTestAlert, NtAlertThread).
#include "kernel/Kernel.h"
#include "kernel/ke/Context.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {
namespace {

using ob::referenceForCaller;
namespace access = ob::access;

constexpr std::uint32_t kCreateSuspended = 0x1;  // THREAD_CREATE_FLAGS_CREATE_SUSPENDED

std::expected<std::shared_ptr<ps::Thread>, NtStatus> threadFor(SystemCall& call,
                                                               std::uint64_t handle,
                                                               ob::AccessMask desired) {
    return referenceForCaller<ps::Thread>(call, handle, desired);
}

// A thread of an ended process has no processor left to read or write.
bool hasRegisters(const ps::Thread& thread) {
    return thread.state != ps::Thread::State::Terminated && thread.process().hasAddressSpace();
}

// NtSuspendThread and NtResumeThread: `change` applied to the thread, and the previous count
// written to the optional PreviousSuspendCount.
template <typename Change>
NtStatus changeSuspendCount(SystemCall& call, Change&& change) {
    const VirtualAddress previousOut = call.pointer(1);
    if (previousOut.value() != 0)
        if (auto s = call.user.probeForWrite(previousOut, 4); s != NtStatus::Success)
            return s;
    auto thread = threadFor(call, call.arg(0), access::kThreadSuspendResume);
    if (!thread)
        return thread.error();
    const std::expected<std::uint32_t, NtStatus> previous = change(**thread);
    if (!previous)
        return previous.error();
    if (previousOut.value() != 0)
        (void)call.user.write(previousOut, *previous);
    return NtStatus::Success;
}

}  // namespace

NtStatus NtCreateThreadEx(SystemCall& call) {
    const VirtualAddress handleOut = call.pointer(0);
    const auto desired = static_cast<ob::AccessMask>(call.arg(1));
    const std::uint64_t processHandle = call.arg(3);
    const VirtualAddress start = call.pointer(4), argument = call.pointer(5);
    const auto flags = static_cast<std::uint32_t>(call.arg(6));
    const std::uint64_t zeroBits = call.arg(7), stackCommit = call.arg(8),
                        stackReserve = call.arg(9);
    if (auto s = call.user.probeForWrite(handleOut, 8); s != NtStatus::Success)
        return s;
    auto attributes = ob::captureObjectAttributes(call, call.pointer(2));
    if (!attributes)
        return attributes.error();
    if ((flags & ~0xFFu) != 0 || zeroBits > 53)
        return NtStatus::InvalidParameter;
    if (start.value() == 0 || !mm::isUserAddress(start.value()))
        return NtStatus::InvalidParameter;
    auto process =
        referenceForCaller<ps::Process>(call, processHandle, access::kProcessCreateThread);
    if (!process)
        return process.error();
    if (!(*process)->hasAddressSpace() || (*process)->terminating())
        return NtStatus::ProcessIsTerminating;
    auto thread = call.kernel->createThread(
        **process, {start, argument, stackReserve, stackCommit, (flags & kCreateSuspended) != 0});
    if (!thread)
        return thread.error();
    const ob::AccessMask granted =
        ob::grantedAccess(ob::ObjectType::Thread, desired ? desired : access::kThreadAllAccess);
    const NtStatus s = ob::insertForCaller(call, handleOut, *thread, granted, *attributes);
    if (s != NtStatus::Success)
        call.kernel->terminateThread(**thread, raw(s));  // nothing half-done: it never runs
    return s;
}

NtStatus NtTerminateThread(SystemCall& call) {
    const auto status = static_cast<std::uint32_t>(call.arg(1));
    // NULL is the caller, as on Windows, unless it is its process's last thread.
    std::shared_ptr<ps::Thread> thread;
    if (call.arg(0) == 0) {
        thread = std::static_pointer_cast<ps::Thread>(ob::callingThread(call).shared_from_this());
    } else {
        auto found = threadFor(call, call.arg(0), access::kThreadTerminate);
        if (!found)
            return found.error();
        thread = *found;
    }
    if (thread->state == ps::Thread::State::Terminated)
        return NtStatus::ThreadIsTerminating;
    call.kernel->terminateThread(*thread, status);
    return NtStatus::Success;
}

NtStatus NtSuspendThread(SystemCall& call) {
    return changeSuspendCount(
        call, [&](ps::Thread& thread) { return call.kernel->suspendThread(thread); });
}

NtStatus NtResumeThread(SystemCall& call) {
    return changeSuspendCount(call, [&](ps::Thread& thread) {
        return std::expected<std::uint32_t, NtStatus>(call.kernel->resumeThread(thread));
    });
}

NtStatus NtGetContextThread(SystemCall& call) {
    const VirtualAddress out = call.pointer(1);
    auto requested = call.user.read<Context>(out);
    if (!requested)
        return requested.error();
    auto thread = threadFor(call, call.arg(0), access::kThreadGetContext);
    if (!thread)
        return thread.error();
    if (!hasRegisters(**thread))
        return NtStatus::ThreadIsTerminating;
    Context context{};
    call.kernel->withUserRegisters(**thread, [&](hal::Cpu& cpu) {
        context = captureContext(cpu);
        if ((cpu.reg(hal::Reg::Cs) & 3) == 0) {  // not yet in user mode: as it will enter it
            const auto frame = call.kernel->readEntryFrame(**thread);
            context.rip = frame[0];
            context.segCs = static_cast<std::uint16_t>(frame[1]);
            context.eFlags = static_cast<std::uint32_t>(frame[2]);
            context.rsp = frame[3];
            context.segSs = static_cast<std::uint16_t>(frame[4]);
            context.segDs = context.segEs = context.segSs;
        }
    });
    context.contextFlags = requested->contextFlags;
    return call.user.write(out, context);
}

NtStatus NtSetContextThread(SystemCall& call) {
    auto context = call.user.read<Context>(call.pointer(1));
    if (!context)
        return context.error();
    auto thread = threadFor(call, call.arg(0), access::kThreadSetContext);
    if (!thread)
        return thread.error();
    if (!hasRegisters(**thread))
        return NtStatus::ThreadIsTerminating;
    if (thread->get() == call.thread) {  // the caller: as NtContinue
        restoreContext(call.cpu, *context);
        call.replacesContext = true;
        return NtStatus::Success;
    }
    call.kernel->withUserRegisters(**thread, [&](hal::Cpu& cpu) {
        if ((cpu.reg(hal::Reg::Cs) & 3) != 0) {
            restoreContext(cpu, *context);
            return;
        }
        // Not yet in user mode: the general registers now, the rest into its entry frame.
        const hal::Reg kept[] = {hal::Reg::Rip, hal::Reg::Rsp, hal::Reg::Cs,    hal::Reg::Ss,
                                 hal::Reg::Ds,  hal::Reg::Es,  hal::Reg::Rflags};
        std::array<std::uint64_t, std::size(kept)> values{};
        for (std::size_t i = 0; i < std::size(kept); ++i)
            values[i] = cpu.reg(kept[i]);
        restoreContext(cpu, *context);
        for (std::size_t i = 0; i < std::size(kept); ++i)
            cpu.setReg(kept[i], values[i]);
        auto frame = call.kernel->readEntryFrame(**thread);
        frame[0] = context->rip;
        frame[2] = (context->eFlags & 0xCD5) | 0x202;  // user flags; IF stays on
        frame[3] = context->rsp;
        call.kernel->writeEntryFrame(**thread, frame);
    });
    return NtStatus::Success;
}

NtStatus NtQueryInformationThread(SystemCall& call) {
    constexpr std::uint32_t kBasicInformation = 0, kAmILastThread = 12;
    const auto infoClass = static_cast<std::uint32_t>(call.arg(1));
    const VirtualAddress info = call.pointer(2), returnLength = call.pointer(4);
    if (infoClass != kBasicInformation && infoClass != kAmILastThread)
        return NtStatus::InvalidInfoClass;
    const std::uint32_t size = infoClass == kBasicInformation ? 0x30 : 4;
    if (auto s = ob::probeQueryBuffers(call, size); s != NtStatus::Success)
        return s;
    auto thread = threadFor(call, call.arg(0), access::kThreadQueryLimitedInformation);
    if (!thread)
        return thread.error();
    NtStatus s;
    if (infoClass == kBasicInformation) {
        struct {
            std::uint32_t exitStatus;
            std::uint32_t pad;
            std::uint64_t teb;
            std::uint64_t process, thread;
            std::uint64_t affinity;
            std::int32_t priority, basePriority;
        } basic{};
        static_assert(sizeof basic == 0x30);
        const ps::Thread& t = **thread;
        basic.exitStatus = t.exitStatus ? *t.exitStatus : raw(NtStatus::Pending);
        basic.teb = t.teb.value();
        basic.process = t.process().id();
        basic.thread = t.id();
        basic.affinity = 1;
        basic.priority = basic.basePriority = 8;
        s = call.user.write(info, basic);
    } else {
        const ps::Process& p = (*thread)->process();
        const auto live = std::ranges::count_if(
            p.threads(), [](const auto& t) { return t->state != ps::Thread::State::Terminated; });
        s = call.user.write(info, std::uint32_t{live == 1});
    }
    if (s == NtStatus::Success && returnLength.value() != 0)
        s = call.user.write(returnLength, size);
    return s;
}

NtStatus NtQueueApcThread(SystemCall& call) {
    const VirtualAddress routine = call.pointer(1);
    auto thread = threadFor(call, call.arg(0), access::kThreadSetContext);
    if (!thread)
        return thread.error();
    if (routine.value() == 0 || !mm::isUserAddress(routine.value()))
        return NtStatus::InvalidParameter;
    if ((*thread)->state == ps::Thread::State::Terminated)
        return NtStatus::ThreadIsTerminating;
    ob::waitsOf(call).queueUserApc(**thread, {routine, call.arg(2), call.arg(3), call.arg(4)});
    return NtStatus::Success;
}

NtStatus NtTestAlert(SystemCall& call) {
    ps::Thread& thread = ob::callingThread(call);
    if (std::exchange(thread.alerted, false))
        return NtStatus::Alerted;
    // A queued APC is delivered by the dispatcher on the way out (Kernel::deliverUserApc).
    return NtStatus::Success;
}

NtStatus NtAlertThread(SystemCall& call) {
    auto thread = threadFor(call, call.arg(0), access::kThreadAlert);
    if (!thread)
        return thread.error();
    ob::waitsOf(call).alert(**thread);
    return NtStatus::Success;
}

}  // namespace ntoy::ke
