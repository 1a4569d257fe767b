// !process [PID [FLAGS]]: the live processes as WinDbg's !process lays them out, adapted to
// ntoy: a process is named by its client id (decimal, as ntoy prints ids everywhere), not by
// the address of an EPROCESS, and its threads by theirs. PID 0 means every process; FLAGS
// with bit 1 or 2 set (2, 4, 6, 7...) add each process's threads with their state, TEB and
// where they stand.
#include <fmt/format.h>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"

namespace ntoy::kd {
namespace {

constexpr std::string_view kUsage = "usage: !process [PID [FLAGS]] (PID 0: every process)";
// WinDbg's flag bits that ask for the thread list.
constexpr std::uint64_t kThreadFlags = 0x6;

std::string processState(const ps::Process& process) {
    if (process.terminating())
        return fmt::format("Exiting, status {:#010x}", process.exitStatus().value_or(0));
    return "Active";
}

std::string threadBlock(Kernel& kernel, ps::Thread& thread) {
    const ThreadPointers at = threadPointers(kernel, thread);
    std::string out = fmt::format("        THREAD {}  Cid {:04x}.{:04x}  Teb: {:016x}  {}",
                                  thread.id(), thread.process().id(), thread.id(),
                                  thread.teb.value(), threadStateName(thread));
    if (thread.suspendCount != 0)
        out += fmt::format(", suspended ({})", thread.suspendCount);
    out += fmt::format("\n            Rip: {:016x}  Rsp: {:016x}\n", at.rip, at.rsp);
    return out;
}

std::string processBlock(Kernel& kernel, ps::Process& process, bool threads) {
    std::string out = fmt::format("PROCESS {}\n", process.id());
    out += fmt::format("    Cid: {:04x}    ParentCid: {:04x}    Peb: {:016x}\n", process.id(),
                       process.parentId, process.peb.value());
    out += fmt::format("    DirBase: {:016x}  Threads: {}  HandleCount: {}\n",
                       process.space().tables().root().address().value(), process.threads().size(),
                       process.handles().count());
    out += fmt::format("    Image: {}\n", imageName(process));
    out += fmt::format("    State: {}\n", processState(process));
    if (threads) {
        out += '\n';
        for (const auto& thread : process.threads())
            out += threadBlock(kernel, *thread);
    }
    return out;
}

}  // namespace

ExtensionResult processCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() > 2)
        return std::unexpected(std::string(kUsage));
    std::uint64_t flags = 0;
    if (args.size() == 2) {
        auto f = parseWinDbgNumber(args[1]);
        if (!f)
            return std::unexpected(f.error());
        flags = *f;
    }
    const bool threads = (flags & kThreadFlags) != 0;
    if (!args.empty() && args[0] == "0") {
        std::string out = "**** NT ACTIVE PROCESS DUMP ****\n";
        for (const auto& [id, process] : kernel.processes()) {
            if (!process->hasAddressSpace())
                continue;  // ended, waiting to be reaped
            out += processBlock(kernel, *process, threads);
            out += '\n';
        }
        return out;
    }
    ps::Process* process = nullptr;
    if (args.empty()) {
        auto current = currentProcess(kernel);
        if (!current)
            return std::unexpected(current.error());
        process = *current;
    } else {
        auto named = processById(kernel, args[0]);
        if (!named)
            return std::unexpected(named.error());
        process = *named;
    }
    return processBlock(kernel, *process, args.size() < 2 || threads);
}

}  // namespace ntoy::kd
