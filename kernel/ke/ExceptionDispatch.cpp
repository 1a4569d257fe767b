#include "kernel/ke/ExceptionDispatch.h"

#include <fmt/format.h>

#include "kernel/mm/UserMemory.h"

namespace ntoy::ke {
namespace {

// KiUserExceptionDispatcher finds the CONTEXT at RSP and the EXCEPTION_RECORD at RSP+0x4F0
// (after the CONTEXT and a 0x20-byte machine-frame area), as on Windows x64.
constexpr std::uint64_t kRecordOffset = 0x4F0;
constexpr std::uint64_t kFrameSize = alignUp(kRecordOffset + sizeof(ExceptionRecord), 16);

}  // namespace

ExceptionRecord makeRecord(NtStatus code, std::uint64_t rip,
                           std::initializer_list<std::uint64_t> info) {
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
        unhandled(process, cpu, record, context);
        return;
    }
    if (observer)
        observer->exception({record, true, true});
    cpu.setReg(hal::Reg::Rsp, frame);
    cpu.setReg(hal::Reg::Rip, process.exceptionDispatcher.value());
}

void ExceptionDispatcher::unhandled(ps::Process& process, hal::Cpu& cpu,
                                    const ExceptionRecord& record, const Context& context) {
    if (observer)
        observer->exception({record, false, false});
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
    process.terminate(record.exceptionCode);
}

}  // namespace ntoy::ke
