// A host reservation standing in for a range of guest virtual addresses. Unicorn 2.0.1 sends
// each access to the host memory at its *virtual* address, so for every valid PTE the frame
// it names is aliased here, at the page's offset, from the guest-RAM file. Frames shared by
// two address spaces are then really shared.
//
// Host mappings are the cost of a fault (one mmap splits and merges host VMAs), so the window
// works in *fragments*: the range one mmap made, up to kMaxRun pages of consecutive frames.
// Aliasing a page also aliases the pages after it that alias nothing yet to the frames after
// its frame (frames often leave the free list in order, so the next faults find their alias
// in place). Each page of a fragment is live (its PTE is valid: the kernel said mapped()) or
// not; unaliasing only clears the page's live bit, since the CPU cannot reach a page whose
// PTE is invalid (the TLB is flushed first). A fragment with no live page is stale, and its
// host range goes back to the reservation when mappings run short.
//
// The bound (issue 8): every fragment is one host mapping, and the gaps between them are at
// most one more each (PROT_NONE pieces merge with the reservation's), so a window uses at
// most 2F + 1 host mappings for F fragments. The machine's HostMappingBudget caps F over all
// windows so that the total stays under vm.max_map_count, and it tells the kernel how many
// more live fragments it may create; the kernel trims working sets before it runs out.
#pragma once

#include <cstddef>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/GuestRam.h"
#include "kernel/base/Types.h"

namespace ntoy::emu {

class AliasWindow;

// How many fragments the machine's windows may hold in total.
class HostMappingBudget {
public:
    explicit HostMappingBudget(std::uint64_t fragments) : limit_(fragments) {}
    HostMappingBudget(const HostMappingBudget&) = delete;
    HostMappingBudget& operator=(const HostMappingBudget&) = delete;

    std::uint64_t limit() const { return limit_; }
    std::uint64_t fragments() const { return fragments_; }
    std::uint64_t staleFragments() const { return stale_; }
    // Fragments that can still be created, stale ones counting as free (they are reclaimed on
    // demand): what the kernel must keep above zero by trimming.
    std::uint64_t headroom() const { return limit_ - (fragments_ - stale_); }

private:
    friend class AliasWindow;
    // Makes room for `count` more fragments, reclaiming stale ones (the asking window's first);
    // false if live fragments fill the budget.
    bool make(std::uint64_t count, AliasWindow& asking);

    std::uint64_t limit_;
    std::uint64_t fragments_ = 0;
    std::uint64_t stale_ = 0;
    std::vector<AliasWindow*> windows_;
};

class AliasWindow {
public:
    static std::expected<AliasWindow, std::string> reserve(const GuestRam& ram,
                                                           HostMappingBudget& budget,
                                                           VirtualAddress base, std::uint64_t size);
    AliasWindow(AliasWindow&&) noexcept;
    AliasWindow& operator=(AliasWindow&&) = delete;
    AliasWindow(const AliasWindow&) = delete;
    ~AliasWindow();

    VirtualAddress base() const { return base_; }
    std::uint64_t size() const { return size_; }
    std::byte* host() const { return host_; }
    bool contains(VirtualAddress va) const { return va >= base_ && va - base_ < size_; }

    // Makes the page at `va` show frame `pfn`, and live. False if the host refused the
    // mapping or the budget has no room (the kernel should have trimmed).
    bool alias(VirtualAddress va, Pfn pfn);
    // The page at `va` no longer needs to show its frame.
    void unalias(VirtualAddress va);

    std::uint64_t fragmentCount() const { return fragments_.size(); }
    // The frame the page at `va` shows while it is live; nothing if it is not (never aliased,
    // or unaliased since).
    std::optional<Pfn> shownFrame(VirtualAddress va) const;

    // The longest run one alias call maps: 256 KiB.
    static constexpr std::uint64_t kMaxRun = 64;

private:
    friend class HostMappingBudget;
    AliasWindow(const GuestRam& ram, HostMappingBudget& budget, VirtualAddress base,
                std::uint64_t size, std::byte* host);

    struct Fragment {
        std::uint64_t pages;
        std::uint64_t firstPfn;
        std::uint64_t live;  // bit i: page i has a valid PTE
    };
    using Fragments = std::map<std::uint64_t, Fragment>;  // by first virtual page number
    Fragments::iterator fragmentAt(std::uint64_t vpn);
    void insertFragment(std::uint64_t vpn, Fragment f);
    void eraseFragment(Fragments::iterator it);
    void setLive(Fragments::iterator it, std::uint64_t page, bool live);
    // Gives stale fragments' ranges back to the reservation; returns how many.
    std::uint64_t reclaim(std::uint64_t wanted);

    // The RAM file outlives every window (the machine owns both); its descriptor is copied,
    // not the GuestRam, which moves.
    int ramFd_;
    Pfn ramFirstPfn_;
    Pfn ramEndPfn_;
    HostMappingBudget* budget_;
    VirtualAddress base_;
    std::uint64_t size_;
    std::byte* host_;
    Fragments fragments_;
    std::set<std::uint64_t> stale_;  // first pages of fragments with no live page
};

}  // namespace ntoy::emu
