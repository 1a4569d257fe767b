// Kernel-mode exceptions: an exception taken by ring-0 code (an access violation on a user
// address, a divide error, an invalid instruction) goes to ntoskrnl's dispatcher on the
// thread's kernel stack, with the frame Windows gives KiUserExceptionDispatcher in user mode
// (ntdll/exception_entry.h): the CONTEXT at RSP, the EXCEPTION_RECORD 0x4F0 above. ntoskrnl
// walks the frames' handlers (the x64 unwinder, ntdll/unwind.c) and resumes a context through
// NtoyKsContinue, or gives up through NtoyKsUnhandledException: KMODE_EXCEPTION_NOT_HANDLED.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/io/SystemImages.h"
#include "kernel/ke/Context.h"

namespace ntoy {
namespace {

constexpr std::uint64_t kRecordOffset = 0x4F0;
constexpr std::uint64_t kDoubleFault = 8;  // UNEXPECTED_KERNEL_MODE_TRAP's first parameter
// What the dispatch needs below the frame: the unwinder keeps CONTEXTs of its own.
constexpr std::uint64_t kDispatchRoom = 0x1800;

}  // namespace

void Kernel::raiseInKernel(hal::Cpu& cpu, NtStatus code,
                           std::span<const std::uint64_t> information) {
    ps::Thread& thread = trappedThread(cpu);
    const ke::Context context = ke::captureContext(cpu);
    ke::ExceptionRecord record{};
    record.exceptionCode = raw(code);
    record.exceptionAddress = context.rip;
    record.numberParameters = static_cast<std::uint32_t>(information.size());
    std::ranges::copy(information, record.exceptionInformation);
    // No room left on the kernel stack for the frame and its dispatch, or a stack pointer
    // off the thread's kernel stack: Windows' double fault.
    const auto [lowest, top] = kernelStackBounds(thread);
    const std::uint64_t frame = (context.rsp - kRecordOffset - sizeof record) & ~0xFull;
    if (context.rsp > top.value() || frame > context.rsp || frame < lowest.value() + kDispatchRoom)
        ke::bugCheck(
            ke::BugCheckCode::UnexpectedKernelModeTrap, kDoubleFault, context.rsp, context.rip, 0,
            "no kernel stack left to dispatch an exception, " + ring0Location(cpu, context.rip));
    writeSystem(VirtualAddress(frame), std::as_bytes(std::span(&context, 1)));
    writeSystem(VirtualAddress(frame + kRecordOffset), std::as_bytes(std::span(&record, 1)));
    cpu.setReg(hal::Reg::Rsp, frame);
    cpu.setReg(hal::Reg::Rip, kernelExceptionEntry_.value());
}

}  // namespace ntoy
