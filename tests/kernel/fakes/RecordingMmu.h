// An MMU that records what the kernel tells it and models the emulator's host aliases: a
// page is aliased from mapped() until unmapped(), and any unmapped()/downgraded() leaves the
// TLB stale until flushTlb(). Tests check the kernel's two MMU promises against it: every
// valid PTE was announced, and no guest access happens while a change is unflushed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "kernel/hal/Mmu.h"
#include "kernel/mm/AddressSpace.h"

namespace ntoy::test {

class RecordingMmu final : public hal::Mmu {
public:
    enum class EventKind : std::uint8_t { Mapped, Unmapped, Downgraded, CodeModified, Flush };
    struct Event {
        EventKind kind;
        VirtualAddress va;
        Pfn pfn;                   // Mapped only
        std::uint64_t length = 0;  // CodeModified only
    };
    struct Counts {
        std::uint64_t mapped = 0, unmapped = 0, downgraded = 0, codeModified = 0, flushes = 0;
        // flushTlb() calls that had an unmapped/downgraded change to publish.
        std::uint64_t effectiveFlushes = 0;
    };

    void mapped(VirtualAddress va, Pfn pfn) override;
    void unmapped(VirtualAddress va) override;
    void downgraded(VirtualAddress va) override;
    void codeModified(VirtualAddress va, std::uint64_t length) override;
    void flushTlb() override;
    // Unlimited unless a test models the machine's limit.
    std::uint64_t validPageHeadroom() const override { return headroom_ ? headroom_() : ~0ull; }
    void modelHeadroom(std::function<std::uint64_t()> headroom) { headroom_ = std::move(headroom); }
    std::optional<Pfn> shownFrame(VirtualAddress va) const override { return aliasOf(va); }

    const Counts& counts() const { return counts_; }
    const std::vector<Event>& events() const { return events_; }
    // Forgets counts and events, keeping the aliases and the pending flush.
    void clearRecord();

    // The frame aliased at `va`'s page, if any.
    std::optional<Pfn> aliasOf(VirtualAddress va) const;
    const std::unordered_map<VirtualAddress, Pfn>& aliases() const { return aliases_; }
    // An unmapped()/downgraded() change the CPU may not have seen yet.
    bool flushPending() const { return flushPending_; }

    // A guest access through this MMU: counts as a violation if the TLB is stale.
    void guestAccess(VirtualAddress va);
    const std::vector<VirtualAddress>& accessesWhileStale() const { return accessesWhileStale_; }

private:
    std::unordered_map<VirtualAddress, Pfn> aliases_;
    bool flushPending_ = false;
    Counts counts_;
    std::vector<Event> events_;
    std::vector<VirtualAddress> accessesWhileStale_;
    std::function<std::uint64_t()> headroom_;
};

// Aliases the MMU still holds whose page no longer owns that frame: a host mapping of a
// frame that may already belong to someone else.
std::vector<VirtualAddress> staleAliases(const mm::AddressSpace& space, const RecordingMmu& mmu);

}  // namespace ntoy::test
