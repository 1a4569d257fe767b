#include "kernel/ke/ExceptionDispatch.h"

#include <fmt/format.h>

#include "kernel/arch/X86.h"
#include "kernel/mm/UserMemory.h"
#include "kernel/ps/Process.h"
#include "kernel/ps/Thread.h"
#include "ntoy/process_layout.h"

namespace ntoy::ke {
namespace {

// KiUserExceptionDispatcher finds the CONTEXT at RSP and the EXCEPTION_RECORD at RSP+0x4F0
// (after the CONTEXT and a 0x20-byte machine-frame area), as on Windows x64.
constexpr std::uint64_t kRecordOffset = 0x4F0;
constexpr std::uint64_t kFrameSize = alignUp(kRecordOffset + sizeof(ExceptionRecord), 16);
constexpr std::uint64_t kTrapFlag = 0x100;

// The exception is the thread's on the processor: the one that trapped or called.
EventOrigin originIn(const ps::Process& process) {
    return {process.id(), process.onCpu ? process.onCpu->id() : 0};
}

}  // namespace

ExceptionRecord makeRecord(NtStatus code, std::uint64_t rip, std::span<const std::uint64_t> info) {
    ExceptionRecord r{};
    r.exceptionCode = raw(code);
    r.exceptionAddress = rip;
    for (std::uint64_t v : info)
        r.exceptionInformation[r.numberParameters++] = v;
    return r;
}

std::string describeUnhandled(const ExceptionRecord& r) {
    std::string line =
        fmt::format("ntoy: unhandled exception {:#010x} ({}) at rip {:#x}", r.exceptionCode,
                    ntStatusName(static_cast<NtStatus>(r.exceptionCode)), r.exceptionAddress);
    const auto code = static_cast<NtStatus>(r.exceptionCode);
    if ((code == NtStatus::AccessViolation || code == NtStatus::GuardPageViolation ||
         code == NtStatus::StackOverflow) &&
        r.numberParameters >= 2) {
        const char* access = r.exceptionInformation[0] == 1   ? "write"
                             : r.exceptionInformation[0] == 8 ? "execute"
                                                              : "read";
        line += fmt::format(": {} of address {:#x}", access, r.exceptionInformation[1]);
    }
    return line;
}

void ExceptionDispatcher::dispatch(ps::Process& process, hal::Cpu& cpu,
                                   const ExceptionRecord& record, const Context& context) {
    const std::uint64_t frame = alignDown(context.rsp - kFrameSize, 16);
    mm::UserMemory user(process.space());
    const bool ok = process.exceptionDispatcher.value() != 0 && frame < context.rsp &&
                    user.write(VirtualAddress(frame), context) == NtStatus::Success &&
                    user.write(VirtualAddress(frame + kRecordOffset), record) == NtStatus::Success;
    if (!ok) {
        // No room for the frame on the thread's own stack: the stack is exhausted, and that,
        // not the fault that got there, is what the process dies of (as on Windows).
        if (onThreadStack(process, context.rsp)) {
            const std::uint64_t info[] = {1, frame};
            unhandled(process, cpu,
                      makeRecord(NtStatus::StackOverflow, record.exceptionAddress, info), context);
        } else {
            unhandled(process, cpu, record, context);
        }
        return;
    }
    if (observer)
        observer->exception({record, true, true, originIn(process)});
    // The dispatcher runs as 64-bit code (the exception may come from compatibility mode)
    // without the trap flag, which the CONTEXT keeps.
    cpu.setReg(hal::Reg::Cs, x86::kUserCs);
    cpu.setReg(hal::Reg::Rflags, cpu.reg(hal::Reg::Rflags) & ~kTrapFlag);
    cpu.setReg(hal::Reg::Rsp, frame);
    cpu.setReg(hal::Reg::Rip, process.exceptionDispatcher.value());
}

bool ExceptionDispatcher::onThreadStack(ps::Process& process, std::uint64_t rsp) {
    // The current thread's, as its TEB describes it. At or just below the bottom counts: a
    // frame pushed from the last page runs off it.
    const auto stack = process.space().currentStack();
    return stack && rsp <= stack->top.value() && rsp + kFrameSize >= stack->bottom.value();
}

void ExceptionDispatcher::failFast(ps::Process& process, const ExceptionRecord& record) {
    if (observer)
        observer->exception({record, false, false, originIn(process)});
    fmt::print(stderr, "ntoy: fail fast (code {}) at rip {:#x}: {:#010x} ({})\n",
               record.numberParameters ? record.exceptionInformation[0] : 0,
               record.exceptionAddress, record.exceptionCode,
               ntStatusName(static_cast<NtStatus>(record.exceptionCode)));
    std::fflush(stderr);
    process.terminate(record.exceptionCode, ps::ExitReason::Exception);
}

void ExceptionDispatcher::unhandled(ps::Process& process, hal::Cpu& cpu,
                                    const ExceptionRecord& record, const Context& context) {
    if (observer)
        observer->exception({record, false, false, originIn(process)});
    if (stopBeforeUnhandledExit) {
        restoreContext(cpu, context);
        held_ = Held{process.id(), record};
        cpu.requestStop();
        return;
    }
    end(process, record);
}

bool ExceptionDispatcher::endHeld(ps::Process& process) {
    if (!held_ || held_->processId != process.id())
        return false;
    const ExceptionRecord record = held_->record;
    held_.reset();
    end(process, record);
    return true;
}

void ExceptionDispatcher::end(ps::Process& process, const ExceptionRecord& record) {
    fmt::print(stderr, "{}\n", describeUnhandled(record));
    std::fflush(stderr);
    process.terminate(record.exceptionCode, ps::ExitReason::Exception);
}

}  // namespace ntoy::ke
