// Page-table entries, in the formats the CPU and Windows' memory manager give them.
//
// Valid (P = 1): the hardware format. Bits 52-56, which the CPU ignores, hold the page's MM
// protection, so that a valid page's exact protection (PAGE_EXECUTE vs PAGE_EXECUTE_READ, say)
// lives in its PTE like everything else.
//
// Invalid (P = 0): Windows' x64 software formats.
//   zero                    not committed: reserved if an allocation covers it, else free
//   demand-zero             Protection (bits 5-9) != 0, nothing else: committed, no frame yet
//   transition              Transition (bit 11) with the frame in bits 12-51: the page keeps
//                           its frame, which waits on the Modified or Standby list, but is out
//                           of its working set (trimmed, or NOACCESS, or GUARD); an access it
//                           allows is a soft fault that makes it valid again
//   pagefile                PageFileHigh (bits 32-63) != 0: the page's contents are in the
//                           paging file at that slot (PageFileLow, bits 1-4, names the
//                           paging file: ntoy has one, number 0); an access it allows is a
//                           hard fault that reads the page back
#pragma once

#include <cstdint>

#include "kernel/base/Types.h"
#include "kernel/mm/Protection.h"

namespace ntoy::mm {

// Hardware bits of a valid entry, at every level.
enum class PteBit : std::uint64_t {
    Present = 1ull << 0,
    Write = 1ull << 1,
    User = 1ull << 2,
    WriteThrough = 1ull << 3,
    CacheDisable = 1ull << 4,
    Accessed = 1ull << 5,
    Dirty = 1ull << 6,
    LargePage = 1ull << 7,
    Global = 1ull << 8,
    CopyOnWrite = 1ull << 9,  // software: write faults copy the page (Windows' bit too)
    NoExecute = 1ull << 63,
};

class Pte {
public:
    static constexpr std::uint64_t kFrameMask = 0x000F'FFFF'FFFF'F000;
    static constexpr unsigned kValidProtectionShift = 52;
    static constexpr unsigned kSoftProtectionShift = 5;
    static constexpr std::uint64_t kTransition = 1ull << 11;
    static constexpr std::uint64_t kPrototype = 1ull << 10;

    constexpr Pte() = default;
    constexpr explicit Pte(std::uint64_t raw) : raw_(raw) {}

    // A valid leaf entry mapping `pfn` for user or kernel mode with the rights `prot` grants.
    static constexpr Pte valid(Pfn pfn, MmProtection prot, bool user) {
        std::uint64_t raw = (pfn.address().value() & kFrameMask) | bit(PteBit::Present) |
                            (std::uint64_t{prot.bits()} << kValidProtectionShift);
        if (user)
            raw |= bit(PteBit::User);
        if (prot.writable() && !prot.copyOnWrite())
            raw |= bit(PteBit::Write);
        if (prot.copyOnWrite())
            raw |= bit(PteBit::CopyOnWrite);
        if (!prot.executable())
            raw |= bit(PteBit::NoExecute);
        if (prot.isNoCache())
            raw |= bit(PteBit::CacheDisable);
        return Pte(raw);
    }
    // A non-leaf entry: permissive, so that the leaf alone decides.
    static constexpr Pte table(Pfn pfn, bool user) {
        return Pte((pfn.address().value() & kFrameMask) | bit(PteBit::Present) |
                   bit(PteBit::Write) | (user ? bit(PteBit::User) : 0));
    }
    static constexpr Pte demandZero(MmProtection prot) {
        return Pte(std::uint64_t{prot.bits()} << kSoftProtectionShift);
    }
    static constexpr unsigned kPageFileHighShift = 32;
    static constexpr Pte pagefile(std::uint32_t slot, MmProtection prot) {
        return Pte((std::uint64_t{slot} << kPageFileHighShift) |
                   (std::uint64_t{prot.bits()} << kSoftProtectionShift));
    }
    static constexpr Pte transition(Pfn pfn, MmProtection prot) {
        return Pte((pfn.address().value() & kFrameMask) | kTransition |
                   (std::uint64_t{prot.bits()} << kSoftProtectionShift));
    }

    constexpr std::uint64_t raw() const { return raw_; }
    constexpr bool isZero() const { return raw_ == 0; }
    constexpr bool isValid() const { return has(PteBit::Present); }
    constexpr bool has(PteBit b) const { return (raw_ & bit(b)) != 0; }

    // Valid entries
    constexpr Pfn pfn() const { return PhysicalAddress(raw_ & kFrameMask).pfn(); }
    constexpr MmProtection validProtection() const {
        return MmProtection(static_cast<std::uint8_t>((raw_ >> kValidProtectionShift) & 0x1F));
    }
    constexpr Pte without(PteBit b) const { return Pte(raw_ & ~bit(b)); }

    // Invalid entries
    constexpr MmProtection softProtection() const {
        return MmProtection(static_cast<std::uint8_t>((raw_ >> kSoftProtectionShift) & 0x1F));
    }
    constexpr bool isTransition() const { return !isValid() && (raw_ & kTransition) != 0; }
    constexpr bool isPagefile() const {
        return !isValid() && (raw_ & (kTransition | kPrototype)) == 0 && pagefileSlot() != 0;
    }
    // The pagefile slot of a pagefile entry.
    constexpr std::uint32_t pagefileSlot() const {
        return static_cast<std::uint32_t>(raw_ >> kPageFileHighShift);
    }
    constexpr bool isDemandZero() const {
        return !isValid() && (raw_ & ~(std::uint64_t{0x1F} << kSoftProtectionShift)) == 0 &&
               softProtection().bits() != 0;
    }

    // The protection of a committed page in any format; zero for an uncommitted one.
    constexpr MmProtection protection() const {
        return isValid() ? validProtection() : softProtection();
    }
    // A committed page is one whose PTE holds a protection.
    constexpr bool isCommitted() const { return protection().bits() != 0; }
    // The frame a page owns, valid or not.
    constexpr bool hasFrame() const { return isValid() || isTransition(); }

    constexpr auto operator<=>(const Pte&) const = default;

private:
    static constexpr std::uint64_t bit(PteBit b) { return static_cast<std::uint64_t>(b); }
    std::uint64_t raw_ = 0;
};

// The four table indices of a virtual address, PML4 first.
struct PageTableIndices {
    unsigned pml4, pdpt, pd, pt;
    static constexpr PageTableIndices of(VirtualAddress va) {
        const std::uint64_t v = va.value();
        return {static_cast<unsigned>((v >> 39) & 511), static_cast<unsigned>((v >> 30) & 511),
                static_cast<unsigned>((v >> 21) & 511), static_cast<unsigned>((v >> 12) & 511)};
    }
};

}  // namespace ntoy::mm
