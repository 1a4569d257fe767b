// KUSER_SHARED_DATA: one frame of the system's, mapped writable at KI_USER_SHARED_DATA in
// system space (so it is a kernel page, charged to the system's commit once, never freed) and
// read-only at 0x7FFE0000 in every process (AddressSpace::mapSystemPage), where user mode
// reads the time and the system's version without a system call. Layout:
// guest/include/ntoy/shared_user_data.h.
//
// The constant fields are written once, at boot; update() rewrites the three times from the
// clock. The kernel calls it whenever it has been entered (system calls, exceptions) and the
// scheduler at each quantum's end, so the page is current whenever the guest can look; it is
// a handful of stores.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/base/Types.h"
#include "kernel/ke/Clock.h"

namespace ntoy::mm {
class AddressSpace;
class MemoryManager;
}  // namespace ntoy::mm

namespace ntoy::ke {

class SharedUserData {
public:
    // Maps the frame in system space and fills it; empty if no frame or commit is left.
    static std::optional<SharedUserData> create(mm::MemoryManager& mm, const Clock& clock);

    Pfn frame() const { return frame_; }
    // Maps the page at 0x7FFE0000 in a new process's address space; false if its page table
    // could not be had (or the address is taken).
    bool mapInto(mm::AddressSpace& space) const;
    // Publishes the clock's interrupt time, system time and tick count.
    void update(const Clock& clock) const;

private:
    SharedUserData(Pfn frame, std::span<std::byte, kPageSize> page) : frame_(frame), page_(page) {}
    void fillConstants(std::uint64_t physicalPages) const;

    Pfn frame_;
    // The kernel's view of the frame (the direct map of RAM).
    std::span<std::byte, kPageSize> page_;
};

}  // namespace ntoy::ke
