// A process: a dispatcher object (signalled when it ends) that owns, while it lives, its
// processor (one engine per address space), its address space, its handles and its threads,
// and the user-mode environment the kernel built for it. The object outlives all of that:
// handles to an ended process still read its exit status.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/ex/Pool.h"
#include "kernel/hal/Machine.h"
#include "kernel/ke/BugCheck.h"
#include "kernel/ke/Dispatcher.h"
#include "kernel/ldr/PeImage.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/ob/HandleTable.h"
#include "kernel/ps/Thread.h"

namespace ntoy::io {
class FileRoot;
}

namespace ntoy::ps {

// How a process ended: by its own (or another's) request, or by an exception no handler took.
enum class ExitReason : std::uint8_t { Exited, Exception };

// An image mapped in the process: what the kernel's loader (ldr/ImageLoader) made of it, and
// what ntdll's loader learns of it through NtQueryMappedImages.
struct LoadedImage {
    std::string name;  // its file name, as found in its directory, e.g. "kernel32.dll"
    std::string path;  // the host path it was read from
    // The path the guest is shown (module lists, GetModuleFileName): the DOS path of its
    // folder under the file root, C:\\Windows\\System32 for the system folder. Host paths
    // never reach the guest.
    std::string guestPath;
    VirtualAddress base;
    std::uint64_t size = 0;
    std::shared_ptr<const ldr::PeImage> image;
    std::uint32_t serial = 0;  // the order images were mapped in, from 1; never reused
    // The images its imports were bound to, forwarders followed: what it keeps loaded.
    std::vector<VirtualAddress> bindings;
};

// Where the process's DLLs come from: the executable's folder, then the system folder.
struct ImageSearchPath {
    std::filesystem::path applicationDirectory;
    std::filesystem::path systemDirectory;
    // The same folders as the guest sees them, DOS paths ending in a backslash. An
    // executable outside the file root appears at the root.
    std::string applicationGuestDirectory = "C:\\";
    std::string systemGuestDirectory = "C:\\Windows\\System32\\";
};

class Process final : public ke::DispatcherObject {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Process;
    Process(std::uint32_t id, std::unique_ptr<hal::Processor> cpu,
            std::unique_ptr<mm::AddressSpace> space)
        : ke::DispatcherObject(ob::ObjectType::Process),
          id_(id),
          cpu_(std::move(cpu)),
          space_(std::move(space)) {}
    ~Process() override {
        try {
            teardown();
        } catch (const ke::BugCheckStop&) {
            // Every path that can report one tears the process down first; this is the
            // machine going away after a stop.
        }
    }

    std::uint32_t id() const { return id_; }
    // Only while the process lives (until teardown).
    hal::Processor& cpu() { return *cpu_; }
    mm::AddressSpace& space() { return *space_; }
    const mm::AddressSpace& space() const { return *space_; }
    bool hasAddressSpace() const { return space_ != nullptr; }
    ob::HandleTable& handles() { return handles_; }

    bool isCurrentProcessHandle(std::uint64_t h) const {
        return ob::Handle(h) == ob::kCurrentProcess;
    }

    // In the order they were mapped; the executable first. A list: entries stay put while
    // others come and go.
    std::list<LoadedImage>& images() { return images_; }
    const std::list<LoadedImage>& images() const { return images_; }
    ImageSearchPath& imageSearchPath() { return imageSearchPath_; }
    std::uint32_t takeImageSerial() { return ++lastImageSerial_; }

    // User-mode environment.
    VirtualAddress peb;
    VirtualAddress exceptionDispatcher;  // ntdll!KiUserExceptionDispatcher, if exported
    VirtualAddress apcDispatcher;        // ntdll!KiUserApcDispatcher, if exported
    VirtualAddress threadStart;          // ntdll!RtlUserThreadStart
    std::uint64_t stackReserve = 0, stackCommit = 0;  // the executable's, for new threads
    std::uint32_t parentId = 0;
    std::string imagePath;         // the host path of its executable
    std::string currentDirectory;  // as the guest sees it
    std::u16string environment;    // its initial environment block, for children
    // Its drive C: (the kernel's, shared by every process); none in unit tests.
    std::shared_ptr<const io::FileRoot> fileRoot;

    // Its live threads, in creation order.
    std::vector<std::shared_ptr<Thread>>& threads() { return threads_; }
    const std::vector<std::shared_ptr<Thread>>& threads() const { return threads_; }
    // Threads that ended with the process (it was terminating), whose TEBs and stacks stay
    // mapped until it is torn down: what a look at the ending process (a report's snapshot at
    // its exit) names them by.
    struct EndedThread {
        std::uint32_t id = 0;
        VirtualAddress teb, stackBase;
    };
    std::vector<EndedThread> endedThreads;
    // The thread whose registers are on the processor now, if any.
    Thread* onCpu = nullptr;
    // Whether the processor is preemptible now (hal::Processor::setPreemptible).
    bool preemptible = false;

    // Its pool quota, charged for the objects it creates (which may outlive it), and the
    // pages of its handle table ('Obtb', freed when it ends).
    std::shared_ptr<ex::PoolQuota> poolQuota = std::make_shared<ex::PoolQuota>();
    ex::PoolBlocks handleTablePages;
    // Its VAD nodes' keeper (the address space's VadPool), alive until the space is gone.
    std::unique_ptr<mm::VadPool> vadNodes;

    // What it did, kept past its end (VM_COUNTERS of an ended process, `--stats`).
    std::uint64_t systemCalls = 0;
    std::uint64_t threadsCreated = 0;
    mm::AddressSpace::Peaks peaks() const { return space_ ? space_->peaks() : finalPeaks_; }
    std::uint64_t pageFaults() const { return space_ ? space_->pageFaults() : finalPageFaults_; }

    // The first end wins: its status is the exit status.
    void setExit(std::uint32_t status, ExitReason reason = ExitReason::Exited) {
        if (!exitStatus_) {
            exitStatus_ = status;
            exitReason_ = reason;
        }
    }
    std::optional<std::uint32_t> exitStatus() const { return exitStatus_; }
    ExitReason exitReason() const { return exitReason_; }
    // Ends the process: the kernel ends every thread before any of them runs again. Safe
    // from a trap handler of any process.
    void terminate(std::uint32_t status, ExitReason reason = ExitReason::Exited) {
        setExit(status, reason);
        terminating_ = true;
        if (cpu_)
            cpu_->requestStop();
    }
    bool terminating() const { return terminating_; }
    // Ended: no thread left, address space and handles gone; only the object remains.
    bool ended() const { return ended_; }
    void markEnded() { ended_ = true; }

    // Gives back everything but the object: the address space (frames and commit), then the
    // processor, the handles and the images. Idempotent. Releasing the address space may bug
    // check (a page table the paging file cannot give back): the rest goes all the same, and
    // then the bug check goes on to the caller, whose trap entry reports it.
    void teardown() {
        std::optional<ke::BugCheckStop> stopped;
        if (space_) {
            try {
                space_->releaseAll();
            } catch (const ke::BugCheckStop& stop) {
                stopped = stop;  // the rest goes all the same, then the caller hears of it
            }
        }
        threads_.clear();
        onCpu = nullptr;
        images_.clear();
        if (space_) {
            finalPeaks_ = space_->peaks();
            finalPageFaults_ = space_->pageFaults();
        }
        space_.reset();  // frames go back while the processor still exists
        cpu_.reset();
        handles_.closeAll();  // objects it held may go now, other processes among them
        handleTablePages.releaseAll();
        if (stopped)
            throw *stopped;
    }

    bool signaledFor(const Thread&) const override { return ended_; }

private:
    std::uint32_t id_;
    std::unique_ptr<hal::Processor> cpu_;
    std::unique_ptr<mm::AddressSpace> space_;
    mm::AddressSpace::Peaks finalPeaks_;
    std::uint64_t finalPageFaults_ = 0;
    ob::HandleTable handles_;
    std::list<LoadedImage> images_;
    ImageSearchPath imageSearchPath_;
    std::uint32_t lastImageSerial_ = 0;
    std::vector<std::shared_ptr<Thread>> threads_;
    std::optional<std::uint32_t> exitStatus_;
    ExitReason exitReason_ = ExitReason::Exited;
    bool terminating_ = false;
    bool ended_ = false;
};

}  // namespace ntoy::ps
