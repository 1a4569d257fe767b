// .report FILE.html: the report (docs/report.md) of the machine as it is at this stop (one more
// snapshot, labelled "now (debugger)"), with the timeline of the run so far from the events
// the session's report builder has heard.
#include <fmt/format.h>

#include "emulator/debugger/DebugSession.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/MemorySnapshot.h"
#include "kernel/kd/ReportPage.h"

namespace ntoy::dbg {

void DebugSession::reportCommand(Words args) {
    if (args.size() != 1)
        return error("usage: .report FILE.html");
    if (report_ == nullptr)
        return error(".report: this session does not record the kernel's events");
    // The run so far, with the machine's totals at this stop as its latest sample (the last
    // one taken may be some faults old).
    kd::ReportBuilder run = *report_;
    run.event(kd::memorySample(kernel_));
    const kd::Json now = kd::memorySnapshot(kernel_, "now (debugger)");
    std::string title = run.firstImage();
    if (const ps::Process* process = kernel_.process())
        title = kd::imageName(*process);
    const std::string path(args[0]);
    if (auto written = kd::writeReport(path, run.model(title, "ntoy debug", now)); !written)
        return error(fmt::format(".report: {}", written.error()));
    out_ << fmt::format("report written to {} ({} events so far)\n", path, report_->events());
}

}  // namespace ntoy::dbg
