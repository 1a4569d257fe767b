#include "tools/DebugCommand.h"
#include "kernel/ExitStatus.h"
#include "tools/CommandLine.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "emulator/Machine.h"
#include "emulator/debugger/DebugSession.h"
#include "emulator/debugger/Interrupts.h"
#include "emulator/debugger/LineInput.h"
#include "kernel/Kernel.h"
#include "kernel/kd/ObserverFanOut.h"
#include "kernel/kd/ReportBuilder.h"
#include "tools/RamSize.h"
#include "tools/TraceFile.h"

namespace ntoy::cli {
namespace {

constexpr int kExitBadArguments = kExitUsage;
constexpr std::string_view kPrompt = "ntoy> ";

}  // namespace

CLI::App* addDebugCommand(CLI::App& app, DebugOptions& options) {
    auto* cmd = app.add_subcommand(
        "debug",
        "Debug a guest: step through its page faults (help, at the prompt, lists the commands; "
        ".report FILE.html writes a report of the machine at a stop)");
    addRamOption(*cmd, options.ram);
    addPagefileOptions(*cmd, options.pagefile);
    cmd->add_option("--batch", options.batchFile,
                    "Run the debugger commands in FILE, echoed after the prompt, then exit")
        ->option_text("FILE");
    cmd->add_option("--trace", options.traceFile,
                    "Also write every kernel event to FILE (JSON Lines); - is standard output")
        ->option_text("FILE");
    cmd->add_flag("--pageheap", options.pageHeap, kPageHeapHelp);
    cmd->add_option("--driver", options.drivers,
                    "Load the kernel-mode driver FILE.sys (and run its DriverEntry) before the "
                    "program; repeat for more. lm lists it, k walks its routines' kernel "
                    "stacks (docs/drivers.md)")
        ->option_text("FILE.sys");
    cmd->add_option("--verifier", options.verifier,
                    "Driver Verifier's options for the drivers, comma-separated: irql, "
                    "special-pool, pool-tracking (as ntoy run's)")
        ->delimiter(',')
        ->option_text("OPTIONS");
    addImageArguments(*cmd, options.image, options.guestArgs, "The PE32+ image to debug");
    return cmd;
}

int runDebugCommand(const DebugOptions& options, const std::filesystem::path& systemDir) {
    auto ram = parseRamSize(options.ram);
    if (!ram) {
        fmt::print(stderr, "ntoy: {}\n", ram.error());
        return kExitBadArguments;
    }
    std::ifstream batch;
    if (!options.batchFile.empty()) {
        batch.open(options.batchFile);
        if (!batch) {
            fmt::print(stderr, "ntoy: cannot read the batch file {}\n", options.batchFile);
            return kExitBadArguments;
        }
    }
    std::unique_ptr<TraceFile> trace;
    if (!options.traceFile.empty()) {
        auto opened = TraceFile::open(options.traceFile);
        if (!opened) {
            fmt::print(stderr, "ntoy: {}\n", opened.error());
            return kExitBadArguments;
        }
        trace = std::move(*opened);
    }
    // The session's events go to the report builder (.report), and to the trace file if any.
    // Both outlive the kernel, which may tell its observer of processes it tears down.
    kd::ReportBuilder report;
    kd::TraceWriter tracer;
    tracer.addSink(report);
    if (trace)
        tracer.addSink(trace->sink());
    auto disassembler = dbg::Disassembler::create();
    if (!disassembler) {
        fmt::print(stderr, "ntoy: {}\n", disassembler.error());
        return kExitMachine;
    }
    auto machine = emu::Machine::create(*ram);
    if (!machine) {
        fmt::print(stderr, "ntoy: {}\n", machine.error());
        return kExitMachine;
    }
    auto pagefile = openPagefile(options.pagefile, *ram);
    if (!pagefile) {
        fmt::print(stderr, "ntoy: {}\n", pagefile.error());
        return kExitBadArguments;
    }
    auto kernel = Kernel::boot(**machine, {}, std::move(*pagefile));
    if (!kernel) {
        fmt::print(stderr, "ntoy: {}\n", kernel.error());
        return kExitMachine;
    }
    if (auto retired = retireBadFrames(options.pagefile, (*kernel)->memoryManager()); !retired) {
        fmt::print(stderr, "ntoy: {}\n", retired.error());
        return kExitBadArguments;
    }
    if (options.pageHeap)
        (*kernel)->setNtGlobalFlag(kFlagHeapPageAllocs);
    const auto verifier = parseVerifier(options.verifier);
    if (!verifier) {
        fmt::print(stderr, "ntoy: {}\n", verifier.error());
        return kExitBadArguments;
    }
    (*kernel)->setVerifier(*verifier);
    // The drivers first, as ntoy run loads them; they stay loaded for the session.
    for (const std::string& driver : options.drivers)
        if (auto loaded = (*kernel)->loadDriver(driver, systemDir); !loaded) {
            fmt::print(stderr, "ntoy: {}: {}\n", driver, loaded.error().message);
            return exitStatusFor(loaded.error());
        }
    std::vector<std::string> argv{options.image};
    argv.insert(argv.end(), options.guestArgs.begin(), options.guestArgs.end());
    // The tracer hears the process start; the debugger joins it once the process exists.
    tracer.watch(**kernel);
    (*kernel)->setObserver(&tracer);
    if (auto loaded = (*kernel)->load(options.image, argv, systemDir); !loaded) {
        fmt::print(stderr, "ntoy: {}: {}\n", options.image, loaded.error().message);
        return exitStatusFor(loaded.error());
    }
    if (!(*kernel)->process()->cpu().debugTarget()) {
        fmt::print(stderr, "ntoy: this machine's processor has no debug controls\n");
        return kExitMachine;
    }

    auto interrupts = dbg::Interrupts::create();
    if (!interrupts) {
        fmt::print(stderr, "ntoy: {}\n", interrupts.error());
        return kExitMachine;
    }
    dbg::DebugSession session(**kernel, *disassembler, std::cout, interrupts->get());
    kd::ObserverFanOut observers;
    observers.add(session.observer());
    observers.add(tracer);
    session.setReportBuilder(report);
    (*kernel)->setObserver(&observers);

    dbg::TerminalInput terminal(**interrupts);
    dbg::BatchInput batchInput(batch, std::cout);
    dbg::LineInput& input = batch.is_open() ? static_cast<dbg::LineInput&>(batchInput) : terminal;
    session.start(std::filesystem::path(options.image).filename().string());
    while (!session.ended()) {
        auto line = input.next(kPrompt);
        if (!line) {
            if (!batch.is_open())
                std::cout << "q\n";  // end of input at the terminal (^D): as if typed
            break;
        }
        session.execute(*line);
    }
    if (trace)
        tracer.finish();  // the trace ends with the machine as the session left it
    (*kernel)->setObserver(nullptr);
    std::cout.flush();
    return session.exitCode();
}

}  // namespace ntoy::cli
