// A host reservation standing in for a range of guest virtual addresses. Unicorn 2.0.1 sends
// each access to the host memory at its *virtual* address, so for every valid PTE the frame
// it names is aliased here, at the page's offset, from the guest-RAM file. Frames shared by
// two address spaces are then really shared.
#pragma once

#include <cstddef>
#include <expected>
#include <string>

#include "emulator/GuestRam.h"
#include "kernel/base/Types.h"

namespace ntoy::emu {

class AliasWindow {
public:
    static std::expected<AliasWindow, std::string> reserve(const GuestRam& ram, VirtualAddress base,
                                                           std::uint64_t size);
    AliasWindow(AliasWindow&&) noexcept;
    AliasWindow& operator=(AliasWindow&&) = delete;
    AliasWindow(const AliasWindow&) = delete;
    ~AliasWindow();

    VirtualAddress base() const { return base_; }
    std::uint64_t size() const { return size_; }
    std::byte* host() const { return host_; }
    bool contains(VirtualAddress va) const { return va >= base_ && va - base_ < size_; }

    // Alias `count` frames from `pfn` at `va` onwards. False if the host refused (its
    // mapping limit, vm.max_map_count).
    bool alias(VirtualAddress va, Pfn pfn, std::uint64_t count);
    // Back to inaccessible: a stale translation would now crash loudly instead of reading
    // a frame that belongs to someone else.
    void unalias(VirtualAddress va, std::uint64_t count);

private:
    AliasWindow(const GuestRam& ram, VirtualAddress base, std::uint64_t size, std::byte* host)
        : ramFd_(ram.fd()),
          ramFirstPfn_(ram.physicalMemory().firstPfn()),
          base_(base),
          size_(size),
          host_(host) {}
    // The RAM file outlives every window (the machine owns both); its descriptor is copied,
    // not the GuestRam, which moves.
    int ramFd_;
    Pfn ramFirstPfn_;
    VirtualAddress base_;
    std::uint64_t size_;
    std::byte* host_;
};

}  // namespace ntoy::emu
