#include "emulator/gdb/RemoteSession.h"

#include <fmt/format.h>

#include <algorithm>

#include "emulator/gdb/Hex.h"
#include "emulator/gdb/LibraryList.h"
#include "emulator/gdb/MonitorCommand.h"
#include "emulator/gdb/PacketFraming.h"
#include "emulator/gdb/TargetDescription.h"
#include "emulator/gdb/TargetRegisters.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/KernelState.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::gdb {
namespace {

// What a Windows debugger ends its debuggee with (DBG_TERMINATE_PROCESS).
constexpr std::uint32_t kDebuggerTerminated = 0x40010004;

// Error replies: gdb only shows the number.
constexpr std::string_view kBadPacket = "E01";
constexpr std::string_view kNoProcess = "E03";
constexpr std::string_view kBadAddress = "E14";  // EFAULT: the page is not there

// A hex number in `text` up to `separator` (or the end); the rest after it.
struct Field {
    std::uint64_t value;
    std::string_view rest;
};
std::optional<Field> hexField(std::string_view text, char separator) {
    const std::size_t end = text.find(separator);
    const auto value = parseHexNumber(text.substr(0, end));
    if (!value)
        return std::nullopt;
    return Field{*value, end == std::string_view::npos ? std::string_view() : text.substr(end + 1)};
}

// "ADDR,LENGTH" followed by `separator` or the end.
struct Range {
    std::uint64_t address, length;
    std::string_view rest;
};
std::optional<Range> addressRange(std::string_view text, char separator) {
    const auto address = hexField(text, ',');
    if (!address)
        return std::nullopt;
    const auto length = hexField(address->rest, separator);
    if (!length)
        return std::nullopt;
    return Range{address->value, length->value, length->rest};
}

}  // namespace

void RemoteSession::UnhandledExceptions::exception(const ke::ExceptionEvent& e) {
    if (!e.firstChance && !e.delivered)
        code = e.record.exceptionCode;
}

RemoteSession::RemoteSession(Kernel& kernel, RemoteConnection& connection, std::string executable,
                             ke::KernelObserver* alsoNotify)
    : kernel_(kernel),
      process_(kernel.process() ? kernel.processRef(kernel.process()->id()) : nullptr),
      connection_(connection),
      executable_(std::move(executable)),
      alsoNotify_(alsoNotify) {
    observers_.add(unhandled_);
    if (alsoNotify_)
        observers_.add(*alsoNotify_);
    kernel_.setObserver(&observers_);
    kernel_.exceptions().stopBeforeUnhandledExit = true;
}

RemoteSession::~RemoteSession() {
    kernel_.exceptions().stopBeforeUnhandledExit = false;
    kernel_.setObserver(alsoNotify_);
}

hal::DebugTarget& RemoteSession::target() {
    // Checked before the session starts (runUnderGdb): the process's processor has them.
    return *cpu().debugTarget();
}

ps::Thread& RemoteSession::stoppedThread() {
    if (process_->onCpu)
        return *process_->onCpu;
    return *process_->threads().front();
}

ps::Thread* RemoteSession::liveThread(std::uint64_t id) {
    if (!alive())
        return nullptr;
    for (const auto& thread : process_->threads())
        if (thread->id() == id && thread->state != ps::Thread::State::Terminated)
            return thread.get();
    return nullptr;
}

ps::Thread* RemoteSession::threadById(std::string_view text) {
    if (!alive())
        return nullptr;
    if (text == "0" || text == "-1")
        return &stoppedThread();
    const auto id = parseHexNumber(text);
    return id ? liveThread(*id) : nullptr;
}

std::string RemoteSession::threadList() {
    std::string reply = "m";
    for (const auto& thread : process_->threads())
        if (thread->state != ps::Thread::State::Terminated)
            reply += fmt::format("{}{:x}", reply.size() == 1 ? "" : ",", thread->id());
    return reply.size() == 1 ? "l" : reply;
}

std::string RemoteSession::threadExtraInfo(std::string_view id) {
    ps::Thread* thread = threadById(id);
    if (!thread)
        return std::string(kBadPacket);
    std::string text(kd::threadStateName(*thread));
    if (thread->suspendCount != 0)
        text += fmt::format(", suspended ({})", thread->suspendCount);
    return toHex(text);
}

std::expected<std::uint32_t, RunError> RemoteSession::serve() {
    if (!alive())
        return finish(Next::Detach);
    poller_.emplace(target(), connection_);
    // gdb starts where the guest's thread does, in user mode: the kernel's stub into it is
    // not the guest's to debug.
    for (int i = 0; i < 16 && mm::isSystemAddress(cpu().reg(hal::Reg::Rip)); ++i)
        if (auto entered = target().step(); !entered)
            return std::unexpected(RunError{RunError::Kind::Machine, entered.error()});
    lastStop_ = stopReply(Signal::Trap, readRegisters(cpu(), target()), stoppedThread().id());
    for (;;) {
        Next next = Next::Serve;
        const auto packet = connection_.receive();
        if (!packet) {
            next = Next::Hangup;
        } else if (auto reply = handle(*packet, next)) {
            connection_.send(*reply);
            // The OK still went out acknowledged; nothing after it is.
            if (*packet == "QStartNoAckMode")
                connection_.stopAcknowledging();
        }
        if (machineError_)
            return std::unexpected(*machineError_);
        if (hungUp_)
            next = Next::Hangup;
        if (next != Next::Serve)
            return finish(next);
    }
}

std::optional<std::string> RemoteSession::handle(std::string_view packet, Next& next) {
    if (packet.empty())
        return "";
    const std::string_view args = packet.substr(1);
    switch (packet.front()) {
        case '?':
            return lastStop_;
        case 'g': {
            if (!alive())
                return std::string(kNoProcess);
            std::string reply;
            withSelectedRegisters([&](hal::Cpu& cpu, hal::DebugTarget& target) {
                reply = readRegisters(cpu, target).encode();
            });
            return reply;
        }
        case 'G':
            return writeAllRegisters(args);
        case 'p':
            return readRegisterPacket(args);
        case 'P':
            return writeRegisterPacket(args);
        case 'm':
            return readMemory(args);
        case 'M':
            return writeMemory(args, false);
        case 'X':
            return writeMemory(args, true);
        case 'c':
        case 's': {
            const Resume how = packet.front() == 'c' ? Resume::Continue : Resume::Step;
            if (args.empty())
                return resume(how, std::nullopt);
            const auto at = parseHexNumber(args);
            return at ? resume(how, *at) : std::string(kBadPacket);
        }
        case 'C':
        case 'S': {
            // We cannot hand the guest a signal: C and S resume as c and s do.
            const Resume how = packet.front() == 'C' ? Resume::Continue : Resume::Step;
            const auto signal = hexField(args, ';');
            if (!signal)
                return std::string(kBadPacket);
            if (signal->rest.empty())
                return resume(how, std::nullopt);
            const auto at = parseHexNumber(signal->rest);
            return at ? resume(how, *at) : std::string(kBadPacket);
        }
        case 'Z':
            return breakpoint(args, true);
        case 'z':
            return breakpoint(args, false);
        case 'H': {
            // Hg: whose registers g, G, p and P reach. Hc: continuing runs every thread and a
            // step steps the stopped one, so any of ours will do.
            ps::Thread* thread = args.empty() ? nullptr : threadById(args.substr(1));
            if (!thread)
                return std::string(kBadPacket);
            if (args.front() == 'g')
                selected_ = args.substr(1) == "0" || args.substr(1) == "-1" ? 0 : thread->id();
            return "OK";
        }
        case 'T':
            return threadById(args) ? "OK" : std::string(kBadPacket);
        case 'k':
            next = Next::Kill;  // gdb expects no reply
            return std::nullopt;
        case 'D':
            next = Next::Detach;
            return "OK";
        case 'q':
        case 'Q':
            return query(packet);
        case 'v':
            if (packet == "vCont?")
                return "vCont;c;C;s;S";
            if (packet.starts_with("vCont;"))
                return vCont(packet.substr(6));
            if (packet.starts_with("vKill")) {
                next = Next::Kill;
                return "OK";
            }
            return "";
        default:
            return "";  // not supported
    }
}

std::string RemoteSession::query(std::string_view packet) {
    if (packet.starts_with("qSupported"))
        return fmt::format(
            "PacketSize={:x};QStartNoAckMode+;qXfer:features:read+;qXfer:exec-file:read+;"
            "qXfer:libraries:read+;swbreak+;hwbreak+",
            kMaxPacketSize);
    if (packet == "QStartNoAckMode")
        return "OK";
    if (packet.starts_with("qXfer:")) {
        // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
        std::string_view rest = packet.substr(6);
        const std::size_t objectEnd = rest.find(':');
        const std::string_view object = rest.substr(0, objectEnd);
        rest = objectEnd == std::string_view::npos ? "" : rest.substr(objectEnd + 1);
        if (!rest.starts_with("read:"))
            return "";
        rest = rest.substr(5);
        const std::size_t annexEnd = rest.find(':');
        if (annexEnd == std::string_view::npos)
            return std::string(kBadPacket);
        const auto range = addressRange(rest.substr(annexEnd + 1), '\0');
        if (!range)
            return std::string(kBadPacket);
        return transfer(object, rest.substr(0, annexEnd), range->address, range->length);
    }
    if (packet.starts_with("qAttached"))
        return "0";  // we created the process: gdb kills it when it quits
    if (packet == "qC")
        return alive() ? fmt::format("QC{:x}", stoppedThread().id()) : std::string(kNoProcess);
    if (packet == "qfThreadInfo")
        return alive() ? threadList() : "l";
    if (packet == "qsThreadInfo")
        return "l";  // qfThreadInfo said them all
    if (packet.starts_with("qThreadExtraInfo,"))
        return threadExtraInfo(packet.substr(17));
    if (packet.starts_with("qSymbol:"))
        return "OK";  // we look up no symbols
    if (packet.starts_with("qRcmd,"))
        return monitor(packet.substr(6));
    return "";
}

std::string RemoteSession::transfer(std::string_view object, std::string_view annex,
                                    std::uint64_t offset, std::uint64_t length) {
    if (object == "features")
        return annex == "target.xml" ? xferChunk(targetDescriptionXml(), offset, length)
                                     : "E00";  // no such annex
    if (object == "exec-file")                 // the annex names a process: there is only ours
        return xferChunk(executable_, offset, length);
    if (object == "libraries") {
        // gdb reads the document in pieces: it is made once, at the first, so they agree.
        if (offset == 0 || !libraryList_)
            libraryList_ =
                alive() ? libraryListXml(librariesOf(*process_, executable_)) : libraryListXml({});
        return xferChunk(*libraryList_, offset, length);
    }
    return "";
}

std::string RemoteSession::readRegisterPacket(std::string_view args) {
    const auto n = parseHexNumber(args);
    if (!n)
        return std::string(kBadPacket);
    if (!alive())
        return std::string(kNoProcess);
    if (*n >= kRegisterCount)
        return "E00";  // no such register
    std::string reply;
    withSelectedRegisters([&](hal::Cpu& cpu, hal::DebugTarget& target) {
        reply = *readRegisters(cpu, target).encodeOne(static_cast<unsigned>(*n));
    });
    return reply;
}

std::string RemoteSession::writeRegisterPacket(std::string_view args) {
    const auto n = hexField(args, '=');
    if (!n || n->value >= kRegisterCount)
        return std::string(kBadPacket);
    if (!alive())
        return std::string(kNoProcess);
    std::string reply = "OK";
    withSelectedRegisters([&](hal::Cpu& cpu, hal::DebugTarget& target) {
        const RegisterFile before = readRegisters(cpu, target);
        RegisterFile after = before;
        if (!after.decodeOne(static_cast<unsigned>(n->value), n->rest)) {
            reply = kBadPacket;
        } else if (auto written = writeRegisters(cpu, target, before, after); !written) {
            fmt::print(stderr, "ntoy: gdb: {}\n", written.error());
            reply = kBadPacket;
        }
    });
    return reply;
}

std::string RemoteSession::writeAllRegisters(std::string_view hex) {
    if (!alive())
        return std::string(kNoProcess);
    std::string reply = "OK";
    withSelectedRegisters([&](hal::Cpu& cpu, hal::DebugTarget& target) {
        const RegisterFile before = readRegisters(cpu, target);
        RegisterFile after = before;
        if (!after.decode(hex)) {
            reply = kBadPacket;
        } else if (auto written = writeRegisters(cpu, target, before, after); !written) {
            fmt::print(stderr, "ntoy: gdb: {}\n", written.error());
            reply = kBadPacket;
        }
    });
    return reply;
}

std::string RemoteSession::readMemory(std::string_view args) {
    const auto range = addressRange(args, '\0');
    if (!range)
        return std::string(kBadPacket);
    if (!alive())
        return std::string(kNoProcess);
    // Two hex digits a byte must fit in one packet.
    std::vector<std::byte> data(std::min<std::uint64_t>(range->length, kMaxPacketSize / 2));
    const std::size_t n = kd::readVirtual(process_->space(), VirtualAddress(range->address), data);
    if (n == 0 && !data.empty())
        return std::string(kBadAddress);
    return toHex(std::span(data).first(n));  // a partial read stops at the missing page
}

std::string RemoteSession::writeMemory(std::string_view args, bool binary) {
    const auto range = addressRange(args, ':');
    if (!range)
        return std::string(kBadPacket);
    const auto data = binary ? unescapeBinary(range->rest) : fromHex(range->rest);
    if (!data || data->size() != range->length)
        return std::string(kBadPacket);
    if (!alive())
        return std::string(kNoProcess);
    const std::size_t n =
        kd::writeVirtual(process_->space(), VirtualAddress(range->address), *data);
    return n == data->size() ? "OK" : std::string(kBadAddress);
}

std::string RemoteSession::breakpoint(std::string_view args, bool insert) {
    const auto type = hexField(args, ',');
    if (!type)
        return std::string(kBadPacket);
    // Conditions and commands after `;` are not advertised, so gdb sends none.
    const auto range = addressRange(type->rest.substr(0, type->rest.find(';')), '\0');
    if (!range)
        return std::string(kBadPacket);
    if (type->value > 4)
        return "";  // not a kind we know
    if (!alive())
        return std::string(kNoProcess);
    hal::DebugTarget& t = target();
    const VirtualAddress va(range->address);
    if (type->value <= 1) {
        // gdb's kind is the breakpoint instruction's length; the engine needs no instruction.
        const bool software = type->value == 0;
        auto it = breakpoints_.find(va.value());
        if (insert) {
            if (it == breakpoints_.end()) {
                if (!t.addBreakpoint(va))
                    return std::string(kBadPacket);
                it = breakpoints_.emplace(va.value(), BreakpointKinds{}).first;
            }
            (software ? it->second.software : it->second.hardware) = true;
            return "OK";
        }
        if (it == breakpoints_.end())
            return std::string(kBadPacket);
        (software ? it->second.software : it->second.hardware) = false;
        if (!it->second.software && !it->second.hardware) {
            t.removeBreakpoint(va);
            breakpoints_.erase(it);
        }
        return "OK";
    }
    const Watch watch{range->address, range->length,
                      type->value == 2   ? hal::DebugTarget::WatchKind::Write
                      : type->value == 3 ? hal::DebugTarget::WatchKind::Read
                                         : hal::DebugTarget::WatchKind::Access};
    if (insert) {
        if (!t.addWatchpoint(va, watch.length, watch.kind))
            return std::string(kBadPacket);
        watchpoints_.push_back(watch);
        return "OK";
    }
    const auto it = std::ranges::find(watchpoints_, watch);
    if (it == watchpoints_.end() || !t.removeWatchpoint(va, watch.length, watch.kind))
        return std::string(kBadPacket);
    watchpoints_.erase(it);
    return "OK";
}

std::string RemoteSession::vCont(std::string_view actions) {
    // Actions are tried in order; the first that names one of our threads (or no thread) is
    // ours. Only the thread the guest stopped in can step: it alone is on the processor.
    while (!actions.empty()) {
        const std::size_t end = actions.find(';');
        std::string_view action = actions.substr(0, end);
        actions = end == std::string_view::npos ? std::string_view() : actions.substr(end + 1);
        const std::size_t colon = action.find(':');
        ps::Thread* named = nullptr;
        if (colon != std::string_view::npos) {
            named = threadById(action.substr(colon + 1));
            if (!named)
                continue;
            action = action.substr(0, colon);
        }
        if (action.empty())
            return std::string(kBadPacket);
        switch (action.front()) {
            case 'c':
            case 'C':  // with a signal we cannot deliver
                return resume(Resume::Continue, std::nullopt);
            case 's':
            case 'S':
                if (named && named != &stoppedThread()) {
                    fmt::print(stderr,
                               "ntoy: gdb: only thread {}, where the guest stopped, can step\n",
                               stoppedThread().id());
                    return std::string(kBadPacket);
                }
                return resume(Resume::Step, std::nullopt);
            default:
                return std::string(kBadPacket);  // not among those vCont? offered
        }
    }
    return std::string(kBadPacket);
}

std::string RemoteSession::monitor(std::string_view hexLine) {
    const auto line = fromHex(hexLine);
    if (!line)
        return std::string(kBadPacket);
    const std::string text(reinterpret_cast<const char*>(line->data()), line->size());
    for (const std::string& packet : consoleOutputPackets(runMonitorCommand(kernel_, text)))
        connection_.send(packet);
    return "OK";
}

std::string RemoteSession::resume(Resume how, std::optional<std::uint64_t> at) {
    if (!alive())
        return lastStop_;  // it has ended: gdb hears how again
    selected_ = 0;         // the next stop's thread is current
    if (at)
        cpu().setReg(hal::Reg::Rip, *at);
    // Stopped for an unhandled exception: resuming lets the kernel end the process.
    if (unhandled_.code)
        return stopAfterRun(kernel_.resume(), how);
    if (how == Resume::Continue)
        return stopAfterRun(kernel_.resume(), how);
    if (auto stepped = target().step(); !stepped) {
        machineError_ = RunError{RunError::Kind::Machine, stepped.error()};
        return lastStop_ = terminatedReply(Signal::Kill);
    }
    // The instruction may have been the exit call: then the kernel only finishes the process.
    if (process_->exitStatus())
        return stopAfterRun(kernel_.resume(), how);
    return describePause(how);
}

std::string RemoteSession::stopAfterRun(std::expected<Kernel::RunState, RunError> state,
                                        Resume how) {
    if (!state) {
        processEnded();
        machineError_ = state.error();
        return lastStop_ = terminatedReply(Signal::Kill);
    }
    if (*state == Kernel::RunState::Paused)
        return describePause(how);
    processEnded();
    lastStop_ = unhandled_.code ? terminatedReply(signalForException(*unhandled_.code))
                                : exitedReply(*kernel_.exitStatus());
    return lastStop_;
}

std::string RemoteSession::describePause(Resume how) {
    const RegisterFile regs = readRegisters(cpu(), target());
    if (unhandled_.code)
        return lastStop_ =
                   stopReply(signalForException(*unhandled_.code), regs, stoppedThread().id());
    const auto activity = poller_ ? poller_->take() : RemoteConnection::Activity::None;
    if (activity == RemoteConnection::Activity::Closed)
        hungUp_ = true;
    using StopCause = hal::DebugTarget::StopCause;
    const hal::DebugTarget::Stop& stop = target().lastStop();
    StopReason reason;
    if (stop.cause == StopCause::Breakpoint && how == Resume::Continue) {
        const auto it = breakpoints_.find(stop.address);
        reason.kind = it != breakpoints_.end() && !it->second.software
                          ? StopReason::Kind::HardwareBreakpoint
                          : StopReason::Kind::SoftwareBreakpoint;
    } else if (stop.cause == StopCause::Watchpoint) {
        reason = watchReason(stop);
    } else if (activity == RemoteConnection::Activity::Interrupt) {
        return lastStop_ = stopReply(Signal::Int, regs, stoppedThread().id());
    }
    return lastStop_ = stopReply(Signal::Trap, regs, stoppedThread().id(), reason);
}

StopReason RemoteSession::watchReason(const hal::DebugTarget::Stop& stop) const {
    // The watchpoint gdb set that this access hit: one of the access's own kind first.
    using Kind = hal::DebugTarget::WatchKind;
    const Kind accessKind = stop.write ? Kind::Write : Kind::Read;
    const Watch* hit = nullptr;
    for (const Watch& w : watchpoints_) {
        if (stop.address < w.address || stop.address - w.address >= w.length)
            continue;
        if (w.kind == accessKind) {
            hit = &w;
            break;
        }
        if (w.kind == Kind::Access && !hit)
            hit = &w;
    }
    if (!hit)
        return {};
    const auto kind = hit->kind == Kind::Write  ? StopReason::Kind::Watch
                      : hit->kind == Kind::Read ? StopReason::Kind::ReadWatch
                                                : StopReason::Kind::AccessWatch;
    return {kind, stop.address};
}

void RemoteSession::processEnded() {
    if (poller_) {
        poller_->abandon();
        poller_.reset();
    }
    breakpoints_.clear();
    watchpoints_.clear();
}

std::expected<std::uint32_t, RunError> RemoteSession::finish(Next how) {
    if (alive()) {
        if (how == Next::Hangup)
            fmt::print(stderr, "ntoy: gdb disconnected without detaching; ending the guest\n");
        // gdb has let go: nothing stops the guest for it any more.
        for (const auto& [va, kinds] : breakpoints_)
            target().removeBreakpoint(VirtualAddress(va));
        for (const Watch& w : watchpoints_)
            target().removeWatchpoint(VirtualAddress(w.address), w.length, w.kind);
        breakpoints_.clear();
        watchpoints_.clear();
        poller_.reset();
        kernel_.exceptions().stopBeforeUnhandledExit = false;
        // A held exception ends the process by itself, with its own code.
        if (how != Next::Detach && !unhandled_.code)
            process_->terminate(kDebuggerTerminated, ps::ExitReason::Exception);
        for (;;) {
            auto state = kernel_.resume();
            if (!state)
                return std::unexpected(state.error());
            if (*state == Kernel::RunState::Exited)
                break;
        }
    }
    return kernel_.exitStatus().value_or(kDebuggerTerminated);
}

}  // namespace ntoy::gdb
