// One gdb session over a loaded process: answers gdb's packets, runs and steps the guest for
// it, and reports each stop, from the thread's first user-mode instruction until the
// process has ended and gdb has let go. gdb sees the process's threads by their client ids;
// the one the guest stopped in is current, Hg chooses whose registers g, G, p and P reach,
// and continuing runs them all.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/gdb/BreakInPoller.h"
#include "emulator/gdb/RemoteConnection.h"
#include "emulator/gdb/StopReply.h"
#include "kernel/Kernel.h"
#include "kernel/kd/ObserverFanOut.h"

namespace ntoy::gdb {

class RemoteSession {
public:
    // `executable` is the image's host path, which gdb reads symbols from; `alsoNotify`, if
    // any, keeps hearing the kernel's events (the tracer).
    RemoteSession(Kernel& kernel, RemoteConnection& connection, std::string executable,
                  ke::KernelObserver* alsoNotify = nullptr);
    ~RemoteSession();
    RemoteSession(const RemoteSession&) = delete;
    RemoteSession& operator=(const RemoteSession&) = delete;

    // Serves gdb until it goes. A guest it detached from runs to its end; one it killed, or
    // left behind by disconnecting, is ended. Returns the process's exit status.
    std::expected<std::uint32_t, RunError> serve();

private:
    // What the session does once a packet is answered.
    enum class Next : std::uint8_t { Serve, Detach, Kill, Hangup };
    enum class Resume : std::uint8_t { Continue, Step };

    // Hears of exceptions nobody handled: the kernel then holds the process stopped for us.
    class UnhandledExceptions final : public ke::KernelObserver {
    public:
        void exception(const ke::ExceptionEvent& e) override;
        std::optional<std::uint32_t> code;
    };

    struct BreakpointKinds {
        bool software = false;  // Z0
        bool hardware = false;  // Z1: the same engine breakpoint, reported as hwbreak
    };
    struct Watch {
        std::uint64_t address, length;
        hal::DebugTarget::WatchKind kind;
        bool operator==(const Watch&) const = default;
    };

    // The reply to `packet`, if it gets one.
    std::optional<std::string> handle(std::string_view packet, Next& next);
    std::string query(std::string_view packet);
    std::string transfer(std::string_view object, std::string_view annex, std::uint64_t offset,
                         std::uint64_t length);
    std::string readRegisterPacket(std::string_view args);
    std::string writeRegisterPacket(std::string_view args);
    std::string writeAllRegisters(std::string_view hex);
    std::string readMemory(std::string_view args);
    std::string writeMemory(std::string_view args, bool binary);
    std::string breakpoint(std::string_view packet, bool insert);
    std::string vCont(std::string_view actions);
    std::string monitor(std::string_view hexLine);
    std::string resume(Resume how, std::optional<std::uint64_t> at);

    // The stop reply for a pause, or for the end of the process.
    std::string stopAfterRun(std::expected<Kernel::RunState, RunError> state, Resume how);
    std::string describePause(Resume how);
    StopReason watchReason(const hal::DebugTarget::Stop& stop) const;
    // The process has gone with its engine: forget what lived in it.
    void processEnded();
    // Ends or finishes the guest once gdb has let go.
    std::expected<std::uint32_t, RunError> finish(Next how);

    // The process gdb debugs (the first), while it lives; children are not gdb's.
    bool alive() const { return process_ && process_->hasAddressSpace() && !process_->ended(); }
    // The live process's processor and its debug controls.
    hal::Processor& cpu() { return process_->cpu(); }
    hal::DebugTarget& target();
    // The thread the guest stopped in: the one on the process's processor.
    ps::Thread& stoppedThread();
    // The live thread of the process with client id `id`, if there is one.
    ps::Thread* liveThread(std::uint64_t id);
    // The same for gdb's hex id `text` ("3ec"), where "0" (any) and "-1" (all) are the
    // stopped one.
    ps::Thread* threadById(std::string_view text);
    // Runs fn(cpu, target) over the registers of the thread Hg chose, wherever they are.
    template <typename F>
    void withSelectedRegisters(F&& fn) {
        ps::Thread* thread = selected_ != 0 ? liveThread(selected_) : nullptr;
        kernel_.withUserRegisters(thread ? *thread : stoppedThread(),
                                  [&](hal::Cpu& cpu) { fn(cpu, target()); });
    }
    std::string threadList();
    std::string threadExtraInfo(std::string_view id);

    Kernel& kernel_;
    std::shared_ptr<ps::Process> process_;
    // The thread Hg chose, by id; 0 for the one the guest stopped in. A stop resets it.
    std::uint32_t selected_ = 0;
    RemoteConnection& connection_;
    std::string executable_;
    ke::KernelObserver* alsoNotify_;
    UnhandledExceptions unhandled_;
    kd::ObserverFanOut observers_;
    std::optional<BreakInPoller> poller_;
    std::map<std::uint64_t, BreakpointKinds> breakpoints_;
    std::vector<Watch> watchpoints_;
    std::string lastStop_;                    // the answer to `?`
    std::optional<std::string> libraryList_;  // the qXfer:libraries document being read
    std::optional<RunError> machineError_;
    bool hungUp_ = false;  // gdb went while the guest ran
};

}  // namespace ntoy::gdb
