// The ntoy command line.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "emulator/Machine.h"
#include "emulator/UnicornQuirks.h"
#include "kernel/ExitStatus.h"
#include "kernel/Kernel.h"
#include "kernel/io/FileRoot.h"
#include "kernel/kd/MemorySnapshot.h"
#include "kernel/kd/ReportBuilder.h"
#include "kernel/kd/ReportPage.h"
#include "tools/BugCheckScreen.h"
#include "tools/CommandLine.h"
#include "tools/DebugCommand.h"
#include "tools/GdbCommand.h"
#include "tools/GuestDirectory.h"
#include "tools/ImportsCommand.h"
#include "tools/Pagefile.h"
#include "tools/RamSize.h"
#include "tools/ReportCommand.h"
#include "tools/TraceFile.h"

#ifndef NTOY_VERSION
#define NTOY_VERSION "0.0.0"
#endif

namespace {

using ntoy::kExitMachine;
using ntoy::kExitUsage;

std::string statsJson(const ntoy::Kernel& kernel, const ntoy::emu::Machine& machine,
                      std::uint32_t exitCode) {
    const auto& mm = kernel.memoryManager();
    const auto& faults = mm.faults();
    const auto& pfns = mm.pfns();
    using ntoy::mm::PageState;
    nlohmann::ordered_json j;
    j["exit_code"] = exitCode;
    // The same counters as the trace's memory samples carry, so that reports match.
    j["page_faults"] = ntoy::kd::faultCountersJson(faults);
    j["syscalls"] = kernel.statistics().syscalls;
    j["trimmed_pages"] = mm.trimmedPages();
    j["paged_out_tables"] = mm.pagedOutTables();
    j["frames"] = {{"total", pfns.total()},
                   {"free", pfns.count(PageState::Free)},
                   {"zeroed", pfns.count(PageState::Zeroed)},
                   {"active", pfns.count(PageState::Active)},
                   {"modified", pfns.count(PageState::Modified)},
                   {"standby", pfns.count(PageState::Standby)},
                   {"bad", pfns.count(PageState::Bad)},
                   {"found_bad", mm.framesFoundBad()},
                   {"repurposed", pfns.repurposed()},
                   {"zeroed_while_idle", pfns.zeroedWhileIdle()},
                   {"page_tables", pfns.count(ntoy::mm::PageUse::PageTable)},
                   {"zeroed_on_demand", pfns.zeroedOnDemand()}};
    const ntoy::mm::PagingFile* file = mm.pagingFile();
    j["pagefile"] = {
        {"size", file ? file->pages() : 0},    {"used", file ? file->used() : 0},
        {"peak", file ? file->peak() : 0},     {"pages_written", file ? file->pagesWritten() : 0},
        {"writes", file ? file->writes() : 0}, {"pages_read", file ? file->pagesRead() : 0},
        {"reads", file ? file->reads() : 0}};
    j["commit"] = {{"charge", mm.commit().charge()},
                   {"limit", mm.commit().limit()},
                   {"peak", mm.commit().peak()}};
    // The pools, in bytes of allocated blocks (big allocations whole pages), and paged
    // pool's pages out of the system working set.
    const auto poolUsage = [](const ntoy::ex::PoolUsage& u) {
        return nlohmann::ordered_json{{"used", u.used},          {"peak", u.peak},
                                      {"limit", u.limit},        {"pages", u.pages + u.bigPages},
                                      {"allocations", u.allocs}, {"frees", u.frees}};
    };
    j["pool"] = {{"paged", poolUsage(kernel.pool().usage(true))},
                 {"nonpaged", poolUsage(kernel.pool().usage(false))},
                 {"system_working_set", mm.systemSpace().workingSet().size()},
                 {"system_trimmed_pages", mm.systemTrimmedPages()}};
    const auto& counts = kernel.statistics();
    j["scheduler"] = {{"processes_created", counts.processesCreated},
                      {"threads_created", counts.threadsCreated},
                      {"context_switches", counts.contextSwitches},
                      {"preemptions", counts.preemptions}};
    // Each process that ended, in the order they ended (sizes in pages, as above).
    auto processes = nlohmann::ordered_json::array();
    for (const ntoy::ProcessRecord& p : kernel.endedProcesses())
        processes.push_back({{"id", p.id},
                             {"parent_id", p.parentId},
                             {"image", p.image},
                             {"exit_code", p.exitStatus},
                             {"threads", p.threads},
                             {"syscalls", p.systemCalls},
                             {"page_faults", p.pageFaults},
                             {"peak_commit", p.peakCommit},
                             {"peak_working_set", p.peakWorkingSet},
                             {"peak_virtual", p.peakVirtual}});
    j["processes"] = std::move(processes);
    if (kernel.endedProcessesNotRecorded() != 0)
        j["processes_not_listed"] = kernel.endedProcessesNotRecorded();
    // The emulator under the kernel: what a slow run may be paying for.
    j["machine"] = {{"code_pages_dropped", machine.engineCounters().codePagesDropped},
                    {"host_mapping_fragments", machine.hostMappings().fragments()},
                    {"host_mapping_limit", machine.hostMappings().limit()},
                    {"store_bookkeeping_elided", ntoy::emu::storeBookkeepingElided()},
                    {"clean_stores", ntoy::emu::checkedTlbLayout().has_value()},
                    {"simd_checks", ntoy::emu::checkedCodeHookRange().has_value()},
                    {"simd_faults", machine.engineCounters().simdFaults}};
    // The exit was verified and passed (a failed verification is a bug check instead).
    j["verified"] = kernel.verifiesExit();
    return j.dump();
}

struct RunOptions {
    std::uint64_t ram = 0;
    ntoy::cli::PagefileOptions pagefile;
    bool stats = false;
    bool verify = false;
    bool kernelTestHooks = false;
    bool pageHeap = false;
    std::string schedule = "timed";
    std::uint64_t quantumBlocks = ntoy::Schedule::kDefaultQuantumBlocks;
    std::string traceFile;
    std::string reportFile;
    std::string gdbAddress;
    std::string root;
    std::vector<std::string> drivers;  // --driver, loaded in this order before the program
    std::vector<std::string> verifier;
};

void addDriverOptions(CLI::App& command, RunOptions& options, bool repeatDriver) {
    if (repeatDriver)
        command
            .add_option("--driver", options.drivers,
                        "Load the kernel-mode driver FILE.sys (and run its DriverEntry) before "
                        "the program starts; repeat for more. Its unload routine runs when the "
                        "program has ended (docs/drivers.md)")
            ->option_text("FILE.sys");
    command
        .add_option("--verifier", options.verifier,
                    "Driver Verifier's options, comma-separated: irql (force IRQL checking: "
                    "every raise to DISPATCH_LEVEL pages out everything pageable), "
                    "special-pool (each driver allocation at a page's end before a guard "
                    "page), pool-tracking (allocations left at unload are a bug check)")
        ->delimiter(',')
        ->option_text("OPTIONS");
}

// Runs `image` (none: `ntoy load`, the drivers alone), with the drivers loaded first.
int run(const std::string& image, const std::vector<std::string>& args,
        const std::filesystem::path& dlls, const RunOptions& options) {
    const auto verifier = ntoy::cli::parseVerifier(options.verifier);
    if (!verifier) {
        fmt::print(stderr, "ntoy: {}\n", verifier.error());
        return kExitUsage;
    }
    // The report is written when the run ends; a path that cannot be written is refused now,
    // before the guest runs, as the trace's is.
    if (!options.reportFile.empty())
        if (auto usable = ntoy::cli::checkReportPath(options.reportFile, options.traceFile);
            !usable) {
            fmt::print(stderr, "ntoy: {}\n", usable.error());
            return kExitUsage;
        }
    std::unique_ptr<ntoy::cli::TraceFile> trace;
    if (!options.traceFile.empty()) {
        auto opened = ntoy::cli::TraceFile::open(options.traceFile);
        if (!opened) {
            fmt::print(stderr, "ntoy: {}\n", opened.error());
            return kExitUsage;
        }
        trace = std::move(*opened);
    }
    std::unique_ptr<ntoy::kd::ReportBuilder> report;
    if (!options.reportFile.empty())
        report = std::make_unique<ntoy::kd::ReportBuilder>();
    // Declared before the kernel, which may tell its observer of processes it tears down.
    ntoy::kd::TraceWriter tracer;
    if (trace)
        tracer.addSink(trace->sink());
    if (report)
        tracer.addSink(*report);
    auto machine = ntoy::emu::Machine::create(options.ram);
    if (!machine) {
        fmt::print(stderr, "ntoy: {}\n", machine.error());
        return kExitMachine;
    }
    const ntoy::Schedule schedule{.mode = options.schedule == "deterministic"
                                              ? ntoy::ScheduleMode::Deterministic
                                              : ntoy::ScheduleMode::Timed,
                                  .quantumBlocks = options.quantumBlocks};
    auto pagefile = ntoy::cli::openPagefile(options.pagefile, options.ram);
    if (!pagefile) {
        fmt::print(stderr, "ntoy: {}\n", pagefile.error());
        return kExitUsage;
    }
    auto kernel = ntoy::Kernel::boot(**machine, schedule, std::move(*pagefile));
    if (!kernel) {
        fmt::print(stderr, "ntoy: {}\n", kernel.error());
        return kExitMachine;
    }
    if (auto retired = ntoy::cli::retireBadFrames(options.pagefile, (*kernel)->memoryManager());
        !retired) {
        fmt::print(stderr, "ntoy: {}\n", retired.error());
        return kExitUsage;
    }
    if (!options.root.empty()) {
        auto root = ntoy::io::FileRoot::open(options.root);
        if (!root) {
            fmt::print(stderr, "ntoy: --root {}\n", root.error());
            return kExitUsage;
        }
        (*kernel)->setFileRoot(std::move(*root));
    }
    std::vector<std::string> argv{image};
    argv.insert(argv.end(), args.begin(), args.end());
    ntoy::kd::TraceWriter* observer = tracer.hasSinks() ? &tracer : nullptr;
    if (observer) {
        tracer.watch(**kernel);
        (*kernel)->setObserver(observer);
    }
    if (options.verify)
        (*kernel)->setVerifyExit(true);
    if (options.kernelTestHooks)
        (*kernel)->enableTestHooks();
    if (options.pageHeap)
        (*kernel)->setNtGlobalFlag(ntoy::cli::kFlagHeapPageAllocs);
    (*kernel)->setVerifier(*verifier);
    std::fflush(stdout);
    // A failed run's last words: the error, and after a driver's bug check what the
    // instruction was and how the CPU walked to the address.
    const auto failed = [&](const std::string& subject, const ntoy::RunError& error) {
        fmt::print(stderr, "ntoy: {}: {}\n", subject, error.message);
        if (const auto& check = (*kernel)->bugCheck())
            fmt::print(stderr, "{}", ntoy::cli::bugCheckAnalysis(**kernel, *check));
        return ntoy::exitStatusFor(error);
    };
    for (const std::string& driver : options.drivers)
        if (auto loaded = (*kernel)->loadDriver(driver, dlls); !loaded)
            return failed(driver, loaded.error());
    std::expected<std::uint32_t, ntoy::RunError> status = 0u;
    if (!image.empty())
        status = options.gdbAddress.empty() ? (*kernel)->run(image, argv, dlls)
                                            : ntoy::cli::runUnderGdb(**kernel, image, argv, dlls,
                                                                     options.gdbAddress, observer);
    // The drivers' unload routines run once the program has ended.
    if (status)
        if (auto unloaded = (*kernel)->unloadDrivers(); !unloaded)
            status = std::unexpected(unloaded.error());
    const std::string subject = !image.empty() ? image : options.drivers.back();
    // The trace and the report end with the machine as the run left it, even when the run
    // failed: a bug check's report shows what led to it.
    if (observer) {
        tracer.finish();
        (*kernel)->setObserver(nullptr);
    }
    if (report) {
        const std::string title = std::filesystem::path(image).filename().string();
        if (auto written =
                ntoy::kd::writeReport(options.reportFile, report->model(title, "ntoy run"));
            !written) {
            // The run's output is lost: that is the command's failure, whatever the guest did,
            // unless the run failed worse (the machine, a bug check), which is said too.
            fmt::print(stderr, "ntoy: {}\n", written.error());
            if (!status) {
                fmt::print(stderr, "ntoy: {}: {}\n", subject, status.error().message);
                return std::max(kExitUsage, ntoy::exitStatusFor(status.error()));
            }
            if (options.stats)
                fmt::print(stderr, "{}\n", statsJson(**kernel, **machine, *status));
            return kExitUsage;
        }
    }
    if (!status)
        return failed(subject, status.error());
    if (options.stats)
        fmt::print(stderr, "{}\n", statsJson(**kernel, **machine, *status));
    return ntoy::guestExitStatus(*status, (*kernel)->exitReason());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "ntoy: an x86-64 emulator with a toy NT kernel, for PE32+ guests built with mingw-w64"};
    app.set_version_flag("--version", ntoy::Kernel::kChecked ? "ntoy " NTOY_VERSION
                                                               " (checked kernel)"
                                                             : "ntoy " NTOY_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  ntoy run images/hello.exe\n"
        "  ntoy run --stats images/touch_pages.exe 10000\n"
        "  ntoy run --ram 512M images/touch_pages.exe 100000\n"
        "  ntoy run --trace faults.jsonl images/touch_pages.exe 100\n"
        "  ntoy run --report report.html images/touch_demo.exe\n"
        "  ntoy report faults.jsonl -o report.html\n"
        "  ntoy run --root /tmp/sandbox images/files.exe\n"
        "  ntoy debug images/touch_demo.exe\n"
        "  ntoy imports prog.exe\n"
        "  ntoy load mydriver.sys\n"
        "  ntoy run --driver mydriver.sys prog.exe\n"
        "\n" +
        ntoy::cli::guestDllSearchDescription() +
        "\nExit status: the guest's exit code modulo 256 (128 plus the low 7 bits of the code if "
        "an unhandled exception ended it); 2 for a usage error or an image that cannot be "
        "loaded; 3 when the machine cannot run; 4 after a bug check.");

    auto* runCmd = app.add_subcommand("run", "Run a guest program");
    std::string ramText = "64M";
    RunOptions runOptions;
    std::string image;
    std::vector<std::string> guestArgs;
    ntoy::cli::addRamOption(*runCmd, ramText);
    ntoy::cli::addPagefileOptions(*runCmd, runOptions.pagefile);
    runCmd->add_flag("--stats", runOptions.stats, "End stderr with one JSON line of statistics");
    runCmd
        ->add_option("--schedule", runOptions.schedule,
                     "how threads take turns: timed (a 10 ms host-time quantum) or "
                     "deterministic (a quantum of --quantum translated blocks and virtual "
                     "time, so the interleaving depends on the program and its inputs alone)")
        ->check(CLI::IsMember({"timed", "deterministic"}));
    auto* quantumOption =
        runCmd
            ->add_option(
                "--quantum", runOptions.quantumBlocks,
                "with --schedule deterministic: the translated blocks a thread runs before "
                "the next ready thread's turn (default 20000). Each value is another "
                "interleaving of the same program")
            ->option_text("BLOCKS")
            ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
    runCmd->add_flag("--verify", runOptions.verify,
                     "After the guest ends, check the kernel's memory invariants and that every "
                     "frame and page of commit came back; a failure is a bug check (exit status "
                     "4). The checked kernel always does, and checks after every system call");
    runCmd->add_flag("--pageheap", runOptions.pageHeap, ntoy::cli::kPageHeapHelp);
    runCmd->add_flag("--kernel-test-hooks", runOptions.kernelTestHooks,
                     "Let the guest call NtoyKernelTestHook (pool calls and ring-0 accesses, "
                     "for kernel tests): it can bug check the machine on purpose");
    runCmd
        ->add_option("--trace", runOptions.traceFile,
                     "Write every kernel event to FILE (JSON Lines); - is standard output")
        ->option_text("FILE");
    runCmd
        ->add_option("--report", runOptions.reportFile,
                     "When the run ends, write an HTML report to FILE: each process's address "
                     "space (as VMMap), physical memory (as RAMMap), a fault timeline, the "
                     "processes side by side and the pools (docs/report.md)")
        ->option_text("FILE.html");
    runCmd
        ->add_option("--root", runOptions.root,
                     "The host directory the guest sees as its drive C: (default: the current "
                     "directory, where the guest also starts). Every file the guest opens is "
                     "confined beneath it: '..', absolute paths and symbolic links that lead "
                     "out are refused, and no host path is ever shown to the guest")
        ->option_text("DIR");
    addDriverOptions(*runCmd, runOptions, true);
    ntoy::cli::addGdbOption(*runCmd, runOptions.gdbAddress);
    ntoy::cli::addImageArguments(*runCmd, image, guestArgs, "The PE32+ image to run");

    auto* loadCmd = app.add_subcommand(
        "load", "Load a kernel-mode driver: run its DriverEntry, then its unload routine");
    std::string loadRamText = "64M";
    RunOptions loadOptions;
    std::string loadDriver;
    ntoy::cli::addRamOption(*loadCmd, loadRamText);
    ntoy::cli::addPagefileOptions(*loadCmd, loadOptions.pagefile);
    loadCmd->add_flag("--stats", loadOptions.stats, "End stderr with one JSON line of statistics");
    addDriverOptions(*loadCmd, loadOptions, false);
    loadCmd->add_option("driver", loadDriver, "The driver (FILE.sys)")->required();

    ntoy::cli::DebugOptions debugOptions;
    auto* debugCmd = ntoy::cli::addDebugCommand(app, debugOptions);

    ntoy::cli::ImportsOptions importsOptions;
    auto* importsCmd = ntoy::cli::addImportsCommand(app, importsOptions);

    ntoy::cli::ReportOptions reportOptions;
    auto* reportCmd = ntoy::cli::addReportCommand(app, reportOptions);

    auto split = ntoy::cli::splitCommandLine(app, argc, argv);
    if (!split) {
        fmt::print(stderr, "ntoy: {}\n", split.error());
        return kExitUsage;
    }
    if (auto done = ntoy::cli::parseCommandLine(app, split->ntoy))
        return *done;
    if (reportCmd->parsed())
        return ntoy::cli::runReportCommand(reportOptions);
    if (loadCmd->parsed()) {
        const auto systemDir = ntoy::cli::guestDllDirectory();
        auto loadRam = ntoy::cli::parseRamSize(loadRamText);
        if (!systemDir || !loadRam) {
            fmt::print(stderr, "ntoy: {}\n", !systemDir ? systemDir.error() : loadRam.error());
            return kExitUsage;
        }
        loadOptions.ram = *loadRam;
        loadOptions.drivers = {loadDriver};
        return run({}, {}, *systemDir, loadOptions);
    }
    const auto dlls = ntoy::cli::guestDllDirectory();
    if (!dlls) {
        fmt::print(stderr, "ntoy: {}\n", dlls.error());
        return kExitUsage;
    }
    if (importsCmd->parsed()) {
        if (!split->guest.empty()) {
            fmt::print(stderr, "ntoy: imports checks one image; '{}' is one too many\n",
                       split->guest.front());
            return kExitUsage;
        }
        return ntoy::cli::runImportsCommand(importsOptions, *dlls);
    }
    if (debugCmd->parsed()) {
        debugOptions.guestArgs = std::move(split->guest);
        return ntoy::cli::runDebugCommand(debugOptions, *dlls);
    }
    auto ram = ntoy::cli::parseRamSize(ramText);
    if (!ram) {
        fmt::print(stderr, "ntoy: {}\n", ram.error());
        return kExitUsage;
    }
    runOptions.ram = *ram;
    if (quantumOption->count() > 0 && runOptions.schedule != "deterministic") {
        fmt::print(stderr, "ntoy: --quantum counts blocks, so it needs --schedule deterministic\n");
        return kExitUsage;
    }
    return run(image, split->guest, *dlls, runOptions);
}
