// A host reservation standing in for a range of guest virtual addresses. Unicorn 2.0.1 sends
// each access to the host memory at its *virtual* address, so for every valid PTE the frame
// it names is aliased here, at the page's offset, from the guest-RAM file. Frames shared by
// two address spaces are then really shared.
//
// Host mappings are the cost of a fault (one mmap splits and merges host VMAs), so the window
// remembers what each page aliases and works in runs:
//   - aliasing a page also aliases the pages after it to the frames after its frame, where
//     those pages alias nothing yet: frames are handed out in ascending order, so the next
//     faults usually find their alias in place;
//   - unaliasing only forgets. A page whose PTE is not valid cannot be reached by the CPU
//     (the kernel flushes the TLB before the guest runs again), so what its host alias shows
//     does not matter; it is replaced when the page is next aliased.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <unordered_map>

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

    // Makes the page at `va` show frame `pfn`. False if the host refused (its mapping limit,
    // vm.max_map_count).
    bool alias(VirtualAddress va, Pfn pfn);
    // The page at `va` no longer needs to show its frame.
    void unalias(VirtualAddress va) { aliases_.erase(va.pageNumber()); }

    // The longest run one alias call maps: 256 KiB.
    static constexpr std::uint64_t kMaxRun = 64;

private:
    AliasWindow(const GuestRam& ram, VirtualAddress base, std::uint64_t size, std::byte* host)
        : ramFd_(ram.fd()),
          ramFirstPfn_(ram.physicalMemory().firstPfn()),
          ramEndPfn_(ram.physicalMemory().endPfn()),
          base_(base),
          size_(size),
          host_(host) {}
    // The RAM file outlives every window (the machine owns both); its descriptor is copied,
    // not the GuestRam, which moves.
    int ramFd_;
    Pfn ramFirstPfn_;
    Pfn ramEndPfn_;
    VirtualAddress base_;
    std::uint64_t size_;
    std::byte* host_;
    // Virtual page number -> the frame its host page shows.
    std::unordered_map<std::uint64_t, std::uint64_t> aliases_;
};

}  // namespace ntoy::emu
