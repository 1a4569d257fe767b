// A process: its processor (one engine per address space), its address space, its handles,
// and the user-mode environment the kernel built for it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/hal/Machine.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/ps/HandleTable.h"

namespace ntoy::ps {

// How a process ended: by its own (or another's) request, or by an exception no handler took.
enum class ExitReason : std::uint8_t { Exited, Exception };

struct LoadedImage {
    std::string name;  // as imported, e.g. "KERNEL32.dll"
    std::string path;
    VirtualAddress base;
    std::uint64_t size = 0;
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
    HandleTable& handles() { return handles_; }

    bool isCurrentProcessHandle(std::uint64_t h) const { return h == kCurrentProcessHandle; }

    std::vector<LoadedImage>& images() { return images_; }
    const std::vector<LoadedImage>& images() const { return images_; }

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
    HandleTable handles_;
    std::vector<LoadedImage> images_;
    std::optional<std::uint32_t> exitStatus_;
    ExitReason exitReason_ = ExitReason::Exited;
};

}  // namespace ntoy::ps
