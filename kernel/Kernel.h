// The hosted kernel: boots system space on a machine, runs processes from PE images, each
// with its threads, schedules the threads of all of them on their processors, and handles
// their traps (system calls and CPU exceptions).
#pragma once

#include <array>
#include <deque>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernel/ex/Pool.h"
#include "kernel/hal/Machine.h"
#include "kernel/io/IoManager.h"
#include "kernel/ke/BugCheck.h"
#include "kernel/ke/Clock.h"
#include "kernel/ke/ExceptionDispatch.h"
#include "kernel/ke/KernelObserver.h"
#include "kernel/ke/PreemptionTimer.h"
#include "kernel/ke/Scheduler.h"
#include "kernel/ke/SharedUserData.h"
#include "kernel/ke/Wait.h"
#include "kernel/mm/Invariants.h"
#include "kernel/mm/LockedPages.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/ps/Process.h"

// The checked kernel (CMake option NTOY_CHECKED) verifies the memory manager's invariants
// after every system call and every process exit.
#ifndef NTOY_CHECKED
#define NTOY_CHECKED 0
#endif

namespace ntoy::ke {
struct SystemCall;
}

namespace ntoy::io {
class FileRoot;
class SystemImages;
struct SystemImage;
}

namespace ntoy {

struct KernelStatistics {
    std::uint64_t syscalls = 0;
    std::uint64_t contextSwitches = 0;  // a different thread on the processor than last time
    std::uint64_t preemptions = 0;      // quanta that ended with the thread still runnable
    std::uint64_t processesCreated = 0;
    std::uint64_t threadsCreated = 0;
};

// One ended process, as `--stats` lists it. Sizes in pages.
struct ProcessRecord {
    std::uint32_t id = 0;
    std::uint32_t parentId = 0;
    std::string image;  // the executable's file name
    std::uint32_t exitStatus = 0;
    std::uint64_t threads = 0;
    std::uint64_t systemCalls = 0;
    std::uint64_t pageFaults = 0;
    std::uint64_t peakCommit = 0;
    std::uint64_t peakWorkingSet = 0;
    std::uint64_t peakVirtual = 0;
};

// How threads take turns. Timed: a host timer ends each quantum (kQuantum of host time).
// Deterministic: a quantum is a number of translated blocks the thread starts, so the
// interleaving depends on the program and its inputs alone.
enum class ScheduleMode : std::uint8_t { Timed, Deterministic };

struct Schedule {
    // A deterministic quantum: long enough that a switch is rare next to the work, short
    // enough that a waiting thread runs within milliseconds of host time.
    static constexpr std::uint64_t kDefaultQuantumBlocks = 20'000;

    ScheduleMode mode = ScheduleMode::Timed;
    // Deterministic only. Each value is another interleaving of the same program, which is
    // how a test explores them.
    std::uint64_t quantumBlocks = kDefaultQuantumBlocks;
};

// Why a run did not produce an exit status: the image could not be loaded, the machine failed
// (the host or the emulator), the kernel stopped it with a bug check, or a driver refused to
// load.
struct RunError {
    // DriverFailed: a driver's DriverEntry returned an error status (the driver was unloaded).
    enum class Kind { BadImage, Machine, BugCheck, DriverFailed } kind;
    std::string message;
};

class Kernel final : public hal::TrapHandler, public ke::ReadyQueue, private mm::PagingListener {
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

    static constexpr std::chrono::milliseconds kQuantum{10};
    // Interrupt time the kernel never skips past: about 14,600 years of 100 ns.
    static constexpr std::uint64_t kClockCeiling = 1ull << 62;
    // The virtual time one block takes under the deterministic schedule, in 100 ns units:
    // a default quantum is then 10 ms, the host timer's.
    static constexpr std::int64_t kDeterministicBlockTime = 5;

    // `pagingFile`, if any, backs commit beyond RAM (mm::MemoryManager).
    static std::expected<std::unique_ptr<Kernel>, std::string> boot(
        hal::Machine& machine, Schedule schedule = {},
        std::unique_ptr<mm::PagingFile> pagingFile = nullptr);
    ~Kernel() override;

    // Loads `image` with `argv` (argv[0] is the image path) and runs until every process it
    // starts has ended. Returns the first process's exit status.
    std::expected<std::uint32_t, RunError> run(const std::filesystem::path& image,
                                               const std::vector<std::string>& argv,
                                               const std::filesystem::path& systemDir);

    // The host directory every process sees as its drive C: (`ntoy run --root`); boot() makes
    // it the host's current directory, or leaves none when that cannot be opened.
    void setFileRoot(std::shared_ptr<const io::FileRoot> root) { fileRoot_ = std::move(root); }
    const io::FileRoot* fileRoot() const { return fileRoot_.get(); }

    // The same in steps, for the debugger: load, then resume until every process has ended
    // or someone asked for a pause.
    std::expected<void, RunError> load(const std::filesystem::path& image,
                                       const std::vector<std::string>& argv,
                                       const std::filesystem::path& systemDir);
    enum class RunState { Paused, Exited };
    std::expected<RunState, RunError> resume();
    // Stops the guest once the current trap (or instruction) is done; resume() returns Paused.
    void requestPause();
    // The process in view: the one whose thread ran last (or a debugger chose), while it
    // lives; null when none does.
    ps::Process* process();
    // Its thread in view: the one a debugger chose, while it lives, else the one on its
    // processor.
    ps::Thread* thread();
    // A debugger's view: `process`, with its thread on its processor, or `thread` and its
    // process. The view only decides what process() and thread() return; the next run
    // moves it to the thread that ran.
    void focusOn(ps::Process& process);
    void focusOn(ps::Thread& thread);
    // The live processes, by id.
    const std::map<std::uint32_t, std::shared_ptr<ps::Process>>& processes() const {
        return processes_;
    }
    // The first process's exit status, once it has ended.
    std::optional<std::uint32_t> exitStatus() const { return exitStatus_; }
    // How the first process ended (with exitStatus()).
    ps::ExitReason exitReason() const { return exitReason_; }
    // Set once the kernel has stopped the machine; it never runs a guest again.
    const std::optional<ke::BugCheck>& bugCheck() const { return bugCheck_; }
    // The registers of ring-0 code that bug checked (its stack for the bug-check screen's
    // `k`); nothing if the bug check did not come from ring 0.
    const std::optional<std::array<std::uint64_t, 17>>& bugCheckRegisters() const {
        return bugCheckRegisters_;
    }

    void setObserver(ke::KernelObserver* observer);

    // The memory manager's invariants now (mm/Invariants.h), over the loaded process if there
    // is one: the first broken one, described.
    std::optional<std::string> verifyMemory() const;
    // Whether a process's exit is verified: the invariants, and that every frame and page of
    // commit it took came back. On in the checked kernel; `ntoy run --verify` turns it on.
    void setVerifyExit(bool on) { verifyExit_ = on; }
    bool verifiesExit() const { return verifyExit_; }
    // PEB->NtGlobalFlag of every process created from now on, as gflags sets it on Windows:
    // `ntoy run --pageheap` puts FLG_HEAP_PAGE_ALLOCS there, and ntdll's heap reads it.
    void setNtGlobalFlag(std::uint32_t flags) { ntGlobalFlag_ = flags; }

    mm::MemoryManager& memoryManager() { return *mm_; }
    // The kernel test hooks (NtoyKernelTestHook: pool calls and ring-0 accesses on a guest's
    // behalf), which can bug check the machine on purpose: off unless asked for
    // (`ntoy run --kernel-test-hooks`).
    void enableTestHooks() { testHooks_ = true; }
    bool testHooksEnabled() const { return testHooks_; }
    // The ring-0 probes: one read or write of system memory at CPL0 (x86::kRing0ReadRoutine).
    VirtualAddress ring0ReadRoutine() const { return ring0Read_; }
    VirtualAddress ring0WriteRoutine() const { return ring0Write_; }
    // Kernel work done on `cpu`'s behalf outside a trap (a kernel routine's end): a bug check
    // it finds stops the machine as one in a trap would.
    void guarded(hal::Cpu& cpu, const std::function<void()>& work);
    // Paged and nonpaged pool, where the kernel's objects live.
    ex::Pool& pool() { return *pool_; }
    const ex::Pool& pool() const { return *pool_; }
    const mm::MemoryManager& memoryManager() const { return *mm_; }
    const KernelStatistics& statistics() const { return stats_; }
    // The processes that ended, in the order they ended: the first kProcessRecordLimit, and
    // how many more there were.
    static constexpr std::size_t kProcessRecordLimit = 10'000;
    const std::vector<ProcessRecord>& endedProcesses() const { return endedProcesses_; }
    std::uint64_t endedProcessesNotRecorded() const { return endedNotRecorded_; }
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

    // --- Processes and threads, for system calls.
    struct NewProcess {
        std::filesystem::path image;
        std::vector<std::string> argv;  // when the command line is not given whole
        std::optional<std::string> commandLine;
        std::filesystem::path systemDirectory;
        std::string currentDirectory;
        std::u16string environment;
        std::uint32_t parentId = 0;
        bool suspended = false;
    };
    // A process with its first thread, ready to run (or suspended).
    std::expected<std::shared_ptr<ps::Process>, RunError> createProcess(const NewProcess& spec);
    struct NewThread {
        VirtualAddress start, argument;
        std::uint64_t stackReserve = 0, stackCommit = 0;  // 0: the executable's
        bool suspended = false;
        std::string* why = nullptr;  // where to say why it failed, if anyone wants to know
    };
    // A thread in `process` that starts in ntdll!RtlUserThreadStart(start, argument).
    std::expected<std::shared_ptr<ps::Thread>, NtStatus> createThread(ps::Process& process,
                                                                      const NewThread& spec);
    // Ends `thread` with `status`; the last thread's end is its process's.
    void terminateThread(ps::Thread& thread, std::uint32_t status);
    // Suspend and resume counts, as NtSuspendThread / NtResumeThread return them.
    std::expected<std::uint32_t, NtStatus> suspendThread(ps::Thread& thread);
    std::uint32_t resumeThread(ps::Thread& thread);
    ps::Process* findProcess(std::uint32_t id);
    std::shared_ptr<ps::Process> processRef(std::uint32_t id);
    ke::Scheduler& scheduler() { return scheduler_; }
    ke::WaitManager& waits() { return waits_; }
    // Runs `fn` with `thread`'s registers on its processor (it may be off it), for
    // NtGetContextThread and NtSetContextThread; what `fn` changes stays the thread's.
    template <typename F>
    void withUserRegisters(ps::Thread& thread, F&& fn) {
        ps::Process& process = thread.process();
        hal::Processor& cpu = process.cpu();
        // In a driver routine (ps::Thread::RingZeroCall) its registers are the driver's: its
        // user registers wait in userContext, and only those are the caller's to see.
        if (thread.ringZero && thread.ringZero->entered && thread.userContext) {
            std::unique_ptr<hal::SavedContext> current;
            cpu.saveContext(current);
            cpu.restoreContext(*thread.userContext);
            fn(static_cast<hal::Cpu&>(cpu));
            cpu.saveContext(thread.userContext);
            cpu.restoreContext(*current);
            return;
        }
        withThreadRegisters(thread, std::forward<F>(fn));
    }
    // The registers `thread` runs with now, a driver routine's included (the debugger's view).
    template <typename F>
    void withThreadRegisters(ps::Thread& thread, F&& fn) {
        ps::Process& process = thread.process();
        hal::Processor& cpu = process.cpu();
        if (process.onCpu == &thread) {
            fn(static_cast<hal::Cpu&>(cpu));
            return;
        }
        std::unique_ptr<hal::SavedContext> onCpu;
        cpu.saveContext(onCpu);
        cpu.restoreContext(*thread.context);
        fn(static_cast<hal::Cpu&>(cpu));
        cpu.saveContext(thread.context);
        cpu.restoreContext(*onCpu);
    }
    // A thread that has not entered user mode yet (its registers are at the kernel's entry
    // stub) keeps its user RIP, CS, RFLAGS, RSP and SS in the IRETQ frame on its kernel stack.
    using EntryFrame = std::array<std::uint64_t, 5>;
    EntryFrame readEntryFrame(const ps::Thread& thread) const;
    void writeEntryFrame(const ps::Thread& thread, const EntryFrame& frame);
    static VirtualAddress entryFrameAddress(const ps::Thread& thread);
    // Enters ntdll!KiUserApcDispatcher for the thread's oldest queued user APC, with its
    // interrupted state on its stack (ntoy/process_layout.h); nothing if none is queued.
    // `rip`: where it resumes, when that is not RIP (in a system call's trap).
    void deliverUserApc(ps::Thread& thread, hal::Cpu& cpu,
                        std::optional<std::uint64_t> rip = std::nullopt);

    // --- Kernel-mode drivers (docs/drivers.md). The System process (id 4, no user half) runs
    // them in system threads that start at CPL0 on a kernel stack.
    static constexpr std::uint32_t kSystemProcessId = 4;
    // Driver Verifier's options (`--verifier`).
    struct Verifier {
        // Force IRQL checking: every raise to DISPATCH_LEVEL or above pages out everything
        // pageable, so that a touch of pageable memory there always bug checks.
        bool irqlChecking = false;
        // Special pool: a driver's allocations each end at a page's end before a guard page.
        bool specialPool = false;
        // Pool tracking: a driver's allocations still there at its unload are a bug check.
        bool poolTracking = false;
    };
    void setVerifier(const Verifier& verifier) { verifier_ = verifier; }
    // Loads a driver: ntoskrnl.exe from `systemDir` first if it is not loaded yet, then the
    // driver's image, its DRIVER_OBJECT and registry path, and runs its DriverEntry to the
    // end in a system thread. A DriverEntry that fails unloads the driver again; the error
    // says with what status.
    std::expected<void, RunError> loadDriver(const std::filesystem::path& driver,
                                             const std::filesystem::path& systemDir);
    // Runs each loaded driver's unload routine (the last loaded first), then unloads it.
    std::expected<void, RunError> unloadDrivers();
    // The images in system space (ntoskrnl.exe and the drivers); null before the first driver.
    const io::SystemImages* systemImages() const { return systemImages_.get(); }
    // The System process, once a driver made it.
    ps::Process* systemProcess() { return system_.get(); }
    // The CPU's IRQL changed from `from` to `to` (MOV CR8).
    void irqlChanged(hal::Cpu& cpu, std::uint8_t from, std::uint8_t to) override;
    // Devices, symbolic links and open devices (KernelIo.cpp).
    io::IoManager& ioManager() { return *io_; }
    // MDLs (KernelMdl.cpp), a driver's through the kernel services and the I/O manager's for
    // direct I/O. The kernel keeps its own record of each locked MDL, so a driver that
    // scribbles on one cannot unlock frames it never locked.
    // MmProbeAndLockPages: the MDL's range (user addresses in `thread`'s process, or system
    // addresses when not `userMode`) made resident and locked for a read or a write, its
    // frames written into the MDL. STATUS_ACCESS_VIOLATION and the like for a range the
    // access cannot have, with nothing locked.
    NtStatus probeAndLockMdl(ps::Thread& thread, VirtualAddress mdl, bool userMode, bool write,
                             std::uint64_t caller);
    // MmUnlockPages (its system mapping goes first, if any).
    void unlockMdl(VirtualAddress mdl, std::uint64_t caller);
    // MmMapLockedPagesSpecifyCache in system space: the mapping's address of the MDL's first
    // byte, or 0 when the region is full.
    std::uint64_t mapMdl(VirtualAddress mdl, std::uint64_t caller);
    // MmUnmapLockedPages of a system mapping.
    void unmapMdl(VirtualAddress va, VirtualAddress mdl, std::uint64_t caller);
    // MmBuildMdlForNonPagedPool: the frames of an MDL describing nonpaged memory.
    void buildMdlForNonPagedPool(VirtualAddress mdl, std::uint64_t caller);
    // At `driver`'s unload: an MDL it locked and never unlocked is
    // DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS (0xCB).
    void checkLockedPages(const io::SystemImage& driver);
    // IoFreeMdl's check: an MDL freed with its pages locked is a driver bug.
    void freeingMdl(VirtualAddress mdl, std::uint64_t caller);
    // The I/O manager's MDL for a direct request's user buffer (METHOD_IN/OUT_DIRECT,
    // DO_DIRECT_IO), locked for `write` (the device writes the buffer); releaseUserBuffer
    // unmaps, unlocks and frees it when the request is over.
    std::expected<VirtualAddress, NtStatus> lockUserBuffer(ps::Thread& thread,
                                                           VirtualAddress buffer,
                                                           std::uint32_t length, bool write);
    void releaseUserBuffer(VirtualAddress mdl);
    // An IRP for a driver: what the I/O system calls send.
    struct IrpRequest {
        std::uint8_t major = 0;
        VirtualAddress device, fileObject;
        // The stack location's Parameters, as quadwords (ntoy/ntddk.h's union).
        std::array<std::uint64_t, 4> parameters{};
        VirtualAddress systemBuffer;  // METHOD_BUFFERED and DO_BUFFERED_IO: nonpaged pool
        VirtualAddress userBuffer;    // Irp->UserBuffer
        VirtualAddress mdl;           // Irp->MdlAddress: direct I/O's locked user buffer
        // Once the dispatch routine has returned, with the IRP's final status and
        // Information: finishes the request (copies out, frees) and gives the system call's
        // status.
        std::function<NtStatus(NtStatus status, std::uint64_t information)> finish;
    };
    // Sends `request` to its device's driver: the dispatch routine runs at CPL0 in the calling
    // thread's context once the system call's trap has returned, and the call returns when
    // it has (the trap's RAX is set then). The trap must report `replacesContext`. A driver
    // without a routine for the request completes it with STATUS_INVALID_DEVICE_REQUEST at
    // once, here.
    NtStatus sendIrp(ke::SystemCall& call, IrpRequest request);
    // Host access to system memory, a page at a time (a paged-out page comes back).
    void readSystemMemory(VirtualAddress va, std::span<std::byte> out) { readSystem(va, out); }
    void writeSystemMemory(VirtualAddress va, std::span<const std::byte> in) {
        writeSystem(va, in);
    }
    template <typename T>
    T readSystemValue(VirtualAddress va) {
        T v{};
        readSystem(va, std::as_writable_bytes(std::span(&v, 1)));
        return v;
    }
    template <typename T>
    void writeSystemValue(VirtualAddress va, T v) {
        writeSystem(va, std::as_bytes(std::span(&v, 1)));
    }

    // ke::ReadyQueue, for the waits.
    void ready(ps::Thread& thread) override { scheduler_.ready(thread); }
    bool yield(ps::Thread& running) override;

private:
    Kernel(hal::Machine& machine, Schedule schedule, std::unique_ptr<mm::PagingFile> pagingFile);
    // The pager's events, passed on to the observer with the process they concern.
    void trimmed(const mm::TrimEvent& e) override;
    void pageIo(const mm::PageIoEvent& e) override;
    ke::EventOrigin pagerOrigin();
    std::expected<void, std::string> buildKernelWindow();
    // Kernel stacks, one a thread, in slots of the kernel window.
    std::optional<VirtualAddress> allocateKernelStack();
    void freeKernelStack(VirtualAddress slot);
    // The process and thread a trap came from.
    ps::Thread& trappedThread(hal::Cpu& cpu);
    // Puts `thread`'s registers on its processor.
    void switchTo(ps::Thread& thread);
    // Ends the threads of terminating processes, frees ended threads and finishes processes
    // that have none left.
    std::expected<void, RunError> reap();
    // An ended thread off the scheduler and its processor, its kernel stack and registers gone.
    void releaseEndedThread(ps::Process& process, ps::Thread& thread);
    std::expected<void, RunError> finishProcess(const std::shared_ptr<ps::Process>& process);
    RunError deadlockError() const;
    // Whether the System process has threads the machine waits for: every one but the
    // drivers' own (PsCreateSystemThread), and those too once the drivers are unloaded.
    bool systemBusy() const;
    // Kernel-mode exceptions (KernelExceptions.cpp): ring-0 code's exception goes to
    // ntoskrnl's dispatcher on the thread's kernel stack, as a user-mode one goes to ntdll's.
    void raiseInKernel(hal::Cpu& cpu, NtStatus code, std::span<const std::uint64_t> information);
    // The thread's kernel stack: its lowest mapped address and its top.
    std::pair<VirtualAddress, VirtualAddress> kernelStackBounds(const ps::Thread& thread) const;
    // The last process's leak check, if it waits for System threads to end.
    std::expected<void, RunError> runDeferredLeakCheck();
    void raiseFromCpu(hal::Cpu& cpu, NtStatus code, std::span<const std::uint64_t> info);
    void pageFault(hal::Cpu& cpu, const hal::CpuException& e);
    // A trap at CPL0: true once resolved (the instruction retries); otherwise a bug check.
    bool kernelModeTrap(hal::Cpu& cpu, const hal::CpuException& e);
    // The same for code of a loaded image: IRQL rules, user pages of the current process, and
    // the bug checks Windows gives a driver.
    bool driverTrap(hal::Cpu& cpu, const hal::CpuException& e);
    void dispatchSystemCall(hal::Cpu& cpu);
    std::expected<void, RunError> loadDriverUnguarded(const std::filesystem::path& driver,
                                                      const std::filesystem::path& systemDir);
    std::expected<void, RunError> unloadDriversUnguarded();
    // A SYSCALL at CPL0: a service of ntoskrnl.exe's (ntoy/kernel_services.h).
    void dispatchKernelService(hal::Cpu& cpu, ps::Thread& thread);
    // Driver support (KernelDrivers.cpp).
    ps::Process& makeSystemProcess();
    // A system thread that starts in `entry` (ntoskrnl's NtoySystemThreadStart, or
    // NtoyCallDriverRoutine for a ring-zero call) with `routine`, `a` and `b`.
    std::expected<std::shared_ptr<ps::Thread>, NtStatus> createSystemThread(
        VirtualAddress routine, std::uint64_t a, std::uint64_t b,
        std::optional<VirtualAddress> entry = std::nullopt);
    // The ring-zero call of `thread` (ps::Thread::RingZeroCall): entered or left here, between
    // runs; true if it moved.
    bool ringZeroStep(ps::Thread& thread, hal::Processor& cpu);
    // A thread ended inside a driver routine (its process was terminated): its request is
    // finished as cancelled, so that its IRP and buffers go back.
    void abandonRingZero(ps::Thread& thread);
    // The oldest queued DPC, run on `thread` (whatever process it is in) at DISPATCH_LEVEL
    // before it goes on; true if one started.
    bool runQueuedDpc(ps::Thread& thread, hal::Processor& cpu);
    // IRP_MJ_CLOSE for every device handle gone, each from a system thread.
    void sendCloses();
    std::expected<VirtualAddress, NtStatus> buildIrp(const IrpRequest& request, bool fromUserMode);
    void freeIrp(VirtualAddress irp);
    // The driver's dispatch routine for `major` on `device` (0: none).
    std::uint64_t dispatchRoutine(VirtualAddress device, std::uint8_t major);
    // What a dispatch routine left in the IRP: its IoStatus if it completed it, else what it
    // returned.
    std::pair<NtStatus, std::uint64_t> irpOutcome(VirtualAddress irp, std::uint64_t returned);
    std::u16string readDriverString(VirtualAddress unicodeString);
    // IoCreateDevice and IoDeleteDevice.
    NtStatus createDevice(VirtualAddress driverObject, std::uint64_t extensionSize,
                          std::uint64_t name, std::uint64_t deviceType, bool exclusive,
                          VirtualAddress deviceOut);
    void deleteDevice(VirtualAddress device);
    // Runs the scheduler until `thread` has ended; its exit status.
    std::expected<std::uint32_t, RunError> runUntilEnded(const std::shared_ptr<ps::Thread>& thread);
    // Host access to system memory, a page at a time (a paged-out page comes back).
    void readSystem(VirtualAddress va, std::span<std::byte> out);
    void writeSystem(VirtualAddress va, std::span<const std::byte> in);
    // What a bug check's detail says about where ring-0 code was: the image and offset of
    // `rip`, the IRQL, the process and thread.
    std::string ring0Location(hal::Cpu& cpu, std::uint64_t rip);
    // Driver Verifier's pool options (DriverVerifier.cpp). A driver's pool calls go through
    // these; `caller` is the driver code's address.
    struct VerifiedBlock {
        VirtualAddress block;
        std::uint64_t bytes = 0;
        std::uint32_t tag = 0;
        std::uint64_t caller = 0;
        bool special = false;
        std::string driver;
        bool freed = false;
    };
    VirtualAddress verifiedAllocate(std::optional<ex::PoolKind> kind, std::uint64_t bytes,
                                    std::uint32_t tag, bool zero, std::uint64_t caller);
    void verifiedFree(VirtualAddress block, std::optional<std::uint32_t> tag);
    // The driver image holding `caller`, not ntoskrnl.exe; null if none.
    const io::SystemImage* driverOf(std::uint64_t caller) const;
    std::string describeBlock(const VerifiedBlock& block) const;
    // What a fault on `address` hit in special pool, for a bug check's detail (or nothing).
    std::string specialPoolNote(std::uint64_t address) const;
    // A fault on a special pool page: DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xD6) or
    // DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xD5); nothing for any other address.
    void specialPoolFault(hal::Cpu& cpu, std::uint64_t address, bool write, std::uint64_t rip);
    // Pool tracking at `driver`'s unload.
    void checkLeaks(const io::SystemImage& driver);
    bool isSystemThread(const ps::Thread& thread) const {
        return system_ && &thread.process() == system_.get();
    }
    void dispatchException(hal::Cpu& cpu, const hal::CpuException& e);
    // Runs a trap handler; a bug check inside it stops the processor for good.
    template <typename F>
    void trapEntry(hal::Cpu& cpu, F&& handler);
    RunError bugCheckError() const;
    // Every address space there is: those of the live processes.
    std::vector<const mm::AddressSpace*> addressSpaces() const;
    // Raises the bug check for the first broken invariant; `when` and the parameters say what
    // the kernel had just done (see Kernel.cpp).
    void bugCheckIfBroken(std::uint64_t when, std::uint64_t p2, std::uint64_t p3,
                          std::uint64_t p4) const;
    // When exits are verified: the process that has just gone left the invariants whole and
    // gave back every frame and page of commit, or the machine stops with a bug check.
    // Keeps one handle-table page in paged pool per 256 entries of `process`'s table.
    void chargeHandleTable(ps::Process& process);
    // `stillAlive`: the ending process's object, which its caller holds (its body stays).
    std::expected<void, RunError> verifyAfterExit(std::uint32_t processId, std::uint32_t exitStatus,
                                                  const ob::Object* stillAlive = nullptr);

    hal::Machine& machine_;
    std::unique_ptr<mm::MemoryManager> mm_;
    std::unique_ptr<ex::Pool> pool_;  // before every object: they give their bodies back to it
    // The paging file's bitmap, in nonpaged pool as Windows keeps it.
    VirtualAddress pagefileBitmap_;
    hal::SystemRegisters systemRegisters_;
    VirtualAddress userEntryStub_;
    VirtualAddress ring0Read_, ring0Write_;  // the ring-0 probes (x86::kRing0ReadRoutine)
    bool testHooks_ = false;
    VirtualAddress tss_;
    std::vector<std::uint32_t> freeKernelStacks_;
    std::uint32_t kernelStacksUsed_ = 0;
    ScheduleMode mode_;
    std::uint64_t quantumBlocks_;
    std::map<std::uint32_t, std::shared_ptr<ps::Process>> processes_;
    ke::Scheduler scheduler_;
    ke::WaitManager waits_{*this};
    ps::Thread* running_ = nullptr;  // the thread on a processor in run(), if any
    std::weak_ptr<ps::Process> focus_;
    std::weak_ptr<ps::Thread> focusThread_;  // a debugger's choice in focus_, if any
    std::optional<std::uint32_t> firstProcessId_;
    bool pauseRequested_ = false;
    // Threads not yet ended, in all processes: more than one, and processors are preemptible.
    std::uint64_t liveThreads_ = 0;
    bool rescheduleRequested_ = false;
    std::optional<std::uint32_t> exitStatus_;
    ps::ExitReason exitReason_ = ps::ExitReason::Exited;
    std::optional<ke::BugCheck> bugCheck_;
    ke::KernelObserver* observer_ = nullptr;
    std::vector<ProcessRecord> endedProcesses_;
    std::uint64_t endedNotRecorded_ = 0;
    std::uint64_t faultNumber_ = 0;
    ke::ExceptionDispatcher exceptions_;
    ke::Clock clock_ = ke::Clock::host();
    std::optional<ke::SharedUserData> sharedUserData_;  // set by boot()
    std::shared_ptr<const io::FileRoot> fileRoot_;
    KernelStatistics stats_;
    // Windows-like client ids, one sequence for processes and threads: multiples of 4, well
    // above 4 (the System process on Windows).
    std::uint32_t nextClientId_ = 1000;
    bool verifyExit_ = kChecked;
    std::uint32_t ntGlobalFlag_ = 0;
    // Memory before the first process: all of it must be back when the last one ends.
    mm::MemoryBaseline beforeProcesses_;
    // ... and the pools' bytes by (tag, paged), when exits are verified.
    std::map<std::pair<std::uint32_t, bool>, std::uint64_t> poolBefore_;
    // Drivers: the System process, the images in system space, the drivers loaded (last
    // loaded last) with their DRIVER_OBJECTs in nonpaged pool.
    std::shared_ptr<ps::Process> system_;
    std::unique_ptr<io::SystemImages> systemImages_;
    io::SystemImage* ntoskrnl_ = nullptr;
    struct LoadedDriver {
        io::SystemImage* image = nullptr;
        VirtualAddress driverObject;
    };
    std::vector<LoadedDriver> drivers_;
    std::unique_ptr<io::IoManager> io_ = std::make_unique<io::IoManager>();
    VirtualAddress callRoutineEntry_;        // ntoskrnl!NtoyCallDriverRoutine
    VirtualAddress runDpcRoutine_;           // ntoskrnl!NtoyRunDpc
    VirtualAddress kernelExceptionEntry_;    // ntoskrnl!NtoyKernelExceptionDispatcher
    std::deque<VirtualAddress> dpcQueue_;    // KDPCs queued, oldest first
    bool drainingDriverThreads_ = false;
    std::optional<std::array<std::uint64_t, 17>>
        bugCheckRegisters_;  // 16 GPRs, then RIP     // the drivers are gone: their threads run out
    std::uint64_t specialNext_ = 0;          // the next special pool page
    std::map<std::uint64_t, VerifiedBlock> specialPages_;   // by page, freed ones too
    std::map<std::uint64_t, VerifiedBlock> trackedBlocks_;  // pool tracking, by block
    struct LockedMdl {
        std::vector<Pfn> frames;
        VirtualAddress mapping;  // its system mapping's first page, if mapped
        std::uint64_t caller = 0;
    };
    std::map<std::uint64_t, LockedMdl> lockedMdls_;  // by MDL address
    std::unique_ptr<mm::LockedMappings> lockedMappings_;
    std::set<std::uint64_t> completedIrps_;  // IRPs IoCompleteRequest has seen
    std::set<std::uint64_t> irpsInFlight_;   // built and not yet freed
    std::set<std::uint64_t> pendingIrps_;    // left pending by their dispatch routine
    std::map<std::uint64_t, VirtualAddress> irpMdls_;  // direct I/O's MDL of each IRP
    // The last process's leak check, waiting for the device closes its end queued, the System
    // threads and, when drivers are loaded, their unload.
    std::optional<std::pair<std::uint32_t, std::uint32_t>> deferredLeakCheck_;
    Verifier verifier_;
    std::unique_ptr<ke::PreemptionTimer> timer_;  // last: stopped first
};

}  // namespace ntoy
