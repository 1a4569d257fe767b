// A process: its processor (one engine per address space), its address space, its handles,
// and the user-mode environment the kernel built for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/hal/Machine.h"
#include "kernel/ldr/PeImage.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/ob/HandleTable.h"

namespace ntoy::ps {

// How a process ended: by its own (or another's) request, or by an exception no handler took.
enum class ExitReason : std::uint8_t { Exited, Exception };

// An image mapped in the process: what the kernel's loader (ldr/ImageLoader) made of it, and
// what ntdll's loader learns of it through NtQueryMappedImages.
struct LoadedImage {
    std::string name;  // its file name, as found in its directory, e.g. "kernel32.dll"
    std::string path;  // the host path it was read from
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
};

class Process {
public:
    Process(std::uint32_t id, std::unique_ptr<hal::Processor> cpu,
            std::unique_ptr<mm::AddressSpace> space)
        : id_(id), cpu_(std::move(cpu)), space_(std::move(space)) {}
    ~Process() { space_.reset(); }  // give frames back while the processor still exists

    std::uint32_t id() const { return id_; }
    hal::Processor& cpu() { return *cpu_; }
    mm::AddressSpace& space() { return *space_; }
    const mm::AddressSpace& space() const { return *space_; }
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
    VirtualAddress teb, peb;
    VirtualAddress exceptionDispatcher;  // ntdll!KiUserExceptionDispatcher, if exported

    void terminate(std::uint32_t status, ExitReason reason = ExitReason::Exited) {
        if (!exitStatus_) {
            exitStatus_ = status;
            exitReason_ = reason;
        }
        cpu_->requestStop();
    }
    std::optional<std::uint32_t> exitStatus() const { return exitStatus_; }
    ExitReason exitReason() const { return exitReason_; }

private:
    std::uint32_t id_;
    std::unique_ptr<hal::Processor> cpu_;
    std::unique_ptr<mm::AddressSpace> space_;
    ob::HandleTable handles_;
    std::list<LoadedImage> images_;
    ImageSearchPath imageSearchPath_;
    std::uint32_t lastImageSerial_ = 0;
    std::optional<std::uint32_t> exitStatus_;
    ExitReason exitReason_ = ExitReason::Exited;
};

}  // namespace ntoy::ps
