// The session's commands over the system's processes and threads, WinDbg's way: .process
// puts another process in view, ~ lists the threads of the one in view and ~N s puts one of
// them in view. A view only decides what r, k, x, db, u, !pte and the rest read; the guest
// goes on from where it stopped, and si steps only the thread it stopped in.
#include <fmt/format.h>

#include <charconv>

#include "emulator/debugger/DebugSession.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/WinDbgText.h"

namespace ntoy::dbg {
namespace {

constexpr std::string_view kThreadsUsage = "usage: ~ (list threads), ~N (one), ~N s (switch to it)";

// The thread at `index` of the process's threads, in creation order, as ~ numbers them.
ps::Thread* threadAt(ps::Process& process, std::size_t index) {
    return index < process.threads().size() ? process.threads()[index].get() : nullptr;
}

std::optional<std::size_t> indexOf(ps::Process& process, const ps::Thread& thread) {
    for (std::size_t i = 0; i < process.threads().size(); ++i)
        if (process.threads()[i].get() == &thread)
            return i;
    return std::nullopt;
}

}  // namespace

void DebugSession::viewChanged() {
    symbols_.update(*kernel_.process(), kernel_.systemImages());
    // Listings without an address go on from the new thread's registers.
    nextDisplay_.reset();
    nextUnassemble_.reset();
}

std::string DebugSession::threadLine(std::size_t index, ps::Thread& thread) {
    // WinDbg marks the thread in view with '.' and the one the last event came from with '#'.
    const bool inView = &thread == kernel_.thread();
    const bool stopped = thread.process().id() == stoppedProcess_ && thread.id() == stoppedThread_;
    const char mark = inView ? '.' : stopped ? '#' : ' ';
    std::string state(kd::threadStateName(thread));
    if (thread.suspendCount != 0)
        state += fmt::format(", suspended ({})", thread.suspendCount);
    return fmt::format("{} {:2}  Id: {}.{} Teb: {} {}\n", mark, index, thread.process().id(),
                       thread.id(), kd::address64(thread.teb.value()), state);
}

std::optional<std::string> DebugSession::notOnStoppedThread() {
    const ps::Process* process = kernel_.process();
    const ps::Thread* thread = kernel_.thread();
    if (process->id() == stoppedProcess_ && thread->id() == stoppedThread_)
        return std::nullopt;
    std::string back = fmt::format(".process {}", stoppedProcess_);
    if (process->id() == stoppedProcess_) {
        for (const auto& t : kernel_.process()->threads())
            if (t->id() == stoppedThread_)
                back = fmt::format("~{} s", *indexOf(*kernel_.process(), *t));
    }
    return fmt::format(
        "si steps only the thread the guest stopped in, {}.{}; the view is on {}.{} ({} goes "
        "back to it)",
        stoppedProcess_, stoppedThread_, process->id(), thread->id(), back);
}

void DebugSession::backToStoppedThread() {
    ps::Process* process = kernel_.findProcess(stoppedProcess_);
    if (!process || !process->hasAddressSpace())
        return;
    for (const auto& thread : process->threads())
        if (thread->id() == stoppedThread_)
            kernel_.focusOn(*thread);
}

void DebugSession::processViewCommand(Words args) {
    if (args.size() > 1)
        return error("usage: .process [PID]");
    if (!args.empty()) {
        auto process = kd::processById(kernel_, args[0]);
        if (!process)
            return error(process.error());
        kernel_.focusOn(**process);
        viewChanged();
    }
    const ps::Process& p = *kernel_.process();
    out_ << fmt::format("Implicit process is now {} ({}), thread {}\n", p.id(), kd::imageName(p),
                        kernel_.thread()->id());
}

void DebugSession::threadsCommand(std::string_view line) {
    // ~, ~N, ~N s and ~Ns, with or without spaces after the ~.
    std::string_view rest = line.substr(line.find('~') + 1);
    auto skipSpaces = [&] {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
    };
    skipSpaces();
    ps::Process& process = *kernel_.process();
    if (rest.empty()) {
        for (std::size_t i = 0; i < process.threads().size(); ++i)
            out_ << threadLine(i, *process.threads()[i]);
        return;
    }
    std::size_t index = 0;
    const auto [end, failed] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (failed != std::errc() || end == rest.data())
        return error(kThreadsUsage);
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    skipSpaces();
    const bool switchTo = rest == "s";
    if (!rest.empty() && !switchTo)
        return error(kThreadsUsage);
    ps::Thread* thread = threadAt(process, index);
    if (!thread)
        return error(fmt::format("no thread {} in process {}: it has {} (~ lists them)", index,
                                 process.id(), process.threads().size()));
    if (thread->state == ps::Thread::State::Terminated)
        return error(fmt::format("thread {} ({}.{}) has ended", index, process.id(), thread->id()));
    if (!switchTo) {
        out_ << threadLine(index, *thread);
        return;
    }
    kernel_.focusOn(*thread);
    viewChanged();
    printLocation();
}

}  // namespace ntoy::dbg
