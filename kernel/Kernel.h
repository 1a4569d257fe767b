// The hosted kernel: boots system space on a machine, runs a process from a PE image, and
// handles its traps (system calls and CPU exceptions).
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/hal/Machine.h"
#include "kernel/ke/BugCheck.h"
#include "kernel/ke/Clock.h"
#include "kernel/ke/ExceptionDispatch.h"
#include "kernel/ke/KernelObserver.h"
#include "kernel/ke/SharedUserData.h"
#include "kernel/mm/Invariants.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/ps/Process.h"

// The checked kernel (CMake option NTOY_CHECKED) verifies the memory manager's invariants
// after every system call and every process exit.
#ifndef NTOY_CHECKED
#define NTOY_CHECKED 0
#endif

namespace ntoy {

struct KernelStatistics {
    std::uint64_t syscalls = 0;
};

// Why a run did not produce an exit status: the image could not be loaded, the machine failed
// (the host or the emulator), or the kernel stopped it with a bug check.
struct RunError {
    enum class Kind { BadImage, Machine, BugCheck } kind;
    std::string message;
};

class Kernel final : public hal::TrapHandler {
public:
    static constexpr bool kChecked = NTOY_CHECKED;
    // Parameter 1 of the MEMORY_MANAGEMENT bug checks the kernel's own verification raises
    // (parameter 2 of PFN_LIST_CORRUPT): when it found the damage. ntoy's values, clear of
    // Windows' subtypes.
    static constexpr std::uint64_t kBrokenAfterSystemCall = 0x4E540001;  // p2 number, p3 status,
                                                                         // p4 rip
    static constexpr std::uint64_t kBrokenAfterExit = 0x4E540002;  // p2 process, p3 exit status
    static constexpr std::uint64_t kLeakedAtExit = 0x4E540003;     // p2 process, p3 frames and
                                                                   // p4 pages of commit kept

    static std::expected<std::unique_ptr<Kernel>, std::string> boot(hal::Machine& machine);

    // Loads `image` with `argv` (argv[0] is the image path) and runs it to its end. Returns
    // the process's exit status.
    std::expected<std::uint32_t, RunError> run(const std::filesystem::path& image,
                                               const std::vector<std::string>& argv,
                                               const std::filesystem::path& systemDir);

    // The same in steps, for the debugger: load, then resume until the process ends or
    // someone asked for a pause.
    std::expected<void, RunError> load(const std::filesystem::path& image,
                                       const std::vector<std::string>& argv,
                                       const std::filesystem::path& systemDir);
    enum class RunState { Paused, Exited };
    std::expected<RunState, RunError> resume();
    // Stops the guest once the current trap (or instruction) is done; resume() returns Paused.
    void requestPause();
    // The loaded process, until it has ended.
    ps::Process* process() { return process_.get(); }
    std::optional<std::uint32_t> exitStatus() const { return exitStatus_; }
    // How the last process ended (with exitStatus()).
    ps::ExitReason exitReason() const { return exitReason_; }
    // Set once the kernel has stopped the machine; it never runs a guest again.
    const std::optional<ke::BugCheck>& bugCheck() const { return bugCheck_; }

    void setObserver(ke::KernelObserver* observer);

    // The memory manager's invariants now (mm/Invariants.h), over the loaded process if there
    // is one: the first broken one, described.
    std::optional<std::string> verifyMemory() const;
    // Whether a process's exit is verified: the invariants, and that every frame and page of
    // commit it took came back. On in the checked kernel; `ntoy run --verify` turns it on.
    void setVerifyExit(bool on) { verifyExit_ = on; }
    bool verifiesExit() const { return verifyExit_; }

    mm::MemoryManager& memoryManager() { return *mm_; }
    const mm::MemoryManager& memoryManager() const { return *mm_; }
    const KernelStatistics& statistics() const { return stats_; }
    ke::ExceptionDispatcher& exceptions() { return exceptions_; }
    // The kernel's clock (the host's by default) and the page that publishes it to user mode
    // (KUSER_SHARED_DATA). Every trap publishes the time; the scheduler advances a
    // deterministic clock, skips to the earliest deadline when every thread waits, and calls
    // publishTime() at each quantum's end.
    ke::Clock& clock() { return clock_; }
    const ke::Clock& clock() const { return clock_; }
    void setClock(ke::Clock clock) {
        clock_ = clock;
        publishTime();
    }
    void publishTime() const { sharedUserData_->update(clock_); }
    const ke::SharedUserData& sharedUserData() const { return *sharedUserData_; }

    void systemCall(hal::Cpu& cpu) override;
    void exception(hal::Cpu& cpu, const hal::CpuException& e) override;

private:
    explicit Kernel(hal::Machine& machine);
    std::expected<void, std::string> buildKernelWindow();
    std::expected<std::unique_ptr<ps::Process>, RunError> createProcess(
        const std::filesystem::path& image, const std::vector<std::string>& argv,
        const std::filesystem::path& systemDir);
    void raiseFromCpu(hal::Cpu& cpu, NtStatus code, std::span<const std::uint64_t> info);
    void pageFault(hal::Cpu& cpu, const hal::CpuException& e);
    [[noreturn]] void kernelModeTrap(hal::Cpu& cpu, const hal::CpuException& e);
    void dispatchSystemCall(hal::Cpu& cpu);
    void dispatchException(hal::Cpu& cpu, const hal::CpuException& e);
    // Runs a trap handler; a bug check inside it stops the processor for good.
    template <typename F>
    void trapEntry(hal::Cpu& cpu, F&& handler);
    RunError bugCheckError() const;
    // Every address space there is: the loaded process's, if any.
    std::vector<const mm::AddressSpace*> addressSpaces() const;
    // Raises the bug check for the first broken invariant; `when` and the parameters say what
    // the kernel had just done (see Kernel.cpp).
    void bugCheckIfBroken(std::uint64_t when, std::uint64_t p2, std::uint64_t p3,
                          std::uint64_t p4) const;
    // When exits are verified: the process that has just gone left the invariants whole and
    // gave back every frame and page of commit, or the machine stops with a bug check.
    std::expected<void, RunError> verifyAfterExit(std::uint32_t processId,
                                                  std::uint32_t exitStatus);

    hal::Machine& machine_;
    std::unique_ptr<mm::MemoryManager> mm_;
    hal::SystemRegisters systemRegisters_;
    VirtualAddress userEntryStub_;
    VirtualAddress kernelStackTop_;
    std::unique_ptr<ps::Process> process_;
    std::optional<std::uint32_t> exitStatus_;
    ps::ExitReason exitReason_ = ps::ExitReason::Exited;
    std::optional<ke::BugCheck> bugCheck_;
    ke::KernelObserver* observer_ = nullptr;
    std::uint64_t faultNumber_ = 0;
    ke::ExceptionDispatcher exceptions_;
    ke::Clock clock_ = ke::Clock::host();
    std::optional<ke::SharedUserData> sharedUserData_;  // set by boot()
    KernelStatistics stats_;
    // Windows-like ids: multiples of 4, well above 4 (the System process on Windows).
    std::uint32_t nextProcessId_ = 1000;
    bool verifyExit_ = kChecked;
    mm::MemoryBaseline beforeProcess_;
};

}  // namespace ntoy
