#include "emulator/debugger/StopObserver.h"

#include <fmt/format.h>

#include <filesystem>

#include "kernel/mm/AddressSpace.h"

#include "emulator/debugger/CodeView.h"
#include "kernel/kd/PageFaultReport.h"

namespace ntoy::dbg {

void StopObserver::stopWith(std::string report) {
    reports_.push_back(std::move(report));
    kernel_.requestPause();
}

void StopObserver::processStart(const ps::Process& process) {
    if (!interrupts)
        return;
    // The kernel's own object, for its processor (the event gives a const one).
    if (ps::Process* p = kernel_.findProcess(process.id()))
        if (hal::DebugTarget* target = p->cpu().debugTarget())
            target->setPauseCheck(interrupts);
}

void StopObserver::pageFault(const ke::PageFaultEvent& e) {
    using TableFault = mm::PageFaultOutcome::TableFault;
    // A nested fault that read the table from the paging file read from it too.
    const bool hard =
        e.outcome.kind == mm::FaultKind::Hard || e.outcome.tableFault == TableFault::Hard;
    const bool nested = e.outcome.tableFault != TableFault::None;
    if (!breakOn.fault && !stepping && !(breakOn.hardFault && hard) &&
        !(breakOn.tableFault && nested))
        return;
    std::string instruction;
    if (ps::Process* p = kernel_.process())
        instruction = instructionTextAt(p->space(), disassembler_, e.rip);
    stopWith(kd::describePageFault(e, instruction));
}

void StopObserver::systemCall(const ke::SystemCallEvent& e) {
    if (!breakOn.syscall)
        return;
    std::string args;
    for (std::uint64_t a : e.args)
        args += fmt::format("{}{:#x}", args.empty() ? "" : ", ", a);
    std::string outputs;
    for (const ke::SystemCallOutput& o : e.outputs)
        outputs += fmt::format("{}{}={:#x}", outputs.empty() ? ": " : ", ", o.name, o.value);
    stopWith(fmt::format("system call {}({}) = {:#010x} {}{}\n", e.name, args, e.status,
                         ntStatusName(static_cast<NtStatus>(e.status)), outputs));
}

void StopObserver::trim(ke::EventOrigin, const ps::Process& process, const mm::TrimEvent& e) {
    if (!breakOn.trim)
        return;
    const std::string name =
        process.images().empty()
            ? std::string("?")
            : std::filesystem::path(process.images().front().path).filename().string();
    if (e.reason == mm::TrimReason::PageTables) {
        stopWith(fmt::format(
            "trim: {} page tables of process {} ({}) were paged out: none of their pages has a "
            "frame (each is demand-zero or in the paging file)\n",
            e.pages, process.id(), name));
        return;
    }
    stopWith(
        fmt::format("trim: {} pages left the working set of process {} ({}): {}; it holds {} now\n",
                    e.pages, process.id(), name,
                    e.reason == mm::TrimReason::Balance ? "the balance set manager needed frames"
                    : e.reason == mm::TrimReason::Empty ? "the process emptied it"
                                                        : "it reached its hard maximum",
                    e.space.workingSet().size()));
}

void StopObserver::exception(const ke::ExceptionEvent& e) {
    if (!holdsUnhandled())
        return;
    const ke::ExceptionRecord& r = e.record;
    unhandledHeld_ = !e.delivered;
    std::string report =
        fmt::format("exception {:#010x} {} at {:#x}: {}\n", r.exceptionCode,
                    ntStatusName(static_cast<NtStatus>(r.exceptionCode)), r.exceptionAddress,
                    e.delivered ? "first chance, delivered to KiUserExceptionDispatcher"
                                : "not handled: stopped before the process ends");
    if (r.numberParameters != 0) {
        report += "  parameters:";
        for (std::uint32_t i = 0; i < r.numberParameters && i < std::size(r.exceptionInformation);
             ++i)
            report += fmt::format(" {:#x}", r.exceptionInformation[i]);
        report += '\n';
    }
    stopWith(std::move(report));
}

}  // namespace ntoy::dbg
