#include "kernel/mm/PfnDatabase.h"

#include <fmt/format.h>

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/Pte.h"

namespace ntoy::mm {

std::string_view pageStateName(PageState s) {
    static constexpr std::string_view kNames[] = {
        "Zeroed", "Free", "Standby", "Modified", "ModifiedNoWrite", "Bad", "Active", "Transition"};
    return kNames[static_cast<std::size_t>(s)];
}

std::string_view pageUseName(PageUse u) {
    static constexpr std::string_view kNames[] = {"none",       "private", "image",
                                                  "page table", "kernel",  "locked for I/O"};
    return kNames[static_cast<std::size_t>(u)];
}

PfnDatabase::PfnDatabase(hal::PhysicalMemory memory)
    : memory_(memory), entries_(memory.frameCount()) {
    // Fresh guest RAM is zero: every frame starts on the zeroed list, in frame order, as on a
    // freshly booted machine (and so that runs are reproducible frame for frame).
    for (std::uint32_t i = 0; i < entries_.size(); ++i)
        pushBack(PageState::Zeroed, i);
}

void PfnDatabase::pushBack(PageState list, std::uint32_t i) {
    List& l = lists_[static_cast<std::size_t>(list)];
    PfnEntry& e = entries_[i];
    e.state = list;
    e.next = PfnEntry::kNone;
    e.prev = l.tail;
    if (l.tail != PfnEntry::kNone)
        entries_[l.tail].next = i;
    else
        l.head = i;
    l.tail = i;
    ++l.count;
    if (list == PageState::Standby && e.badPending)
        ++badOnStandby_;
}

std::uint32_t PfnDatabase::popFront(PageState list) {
    const std::uint32_t i = lists_[static_cast<std::size_t>(list)].head;
    if (i != PfnEntry::kNone)
        unlink(i);
    return i;
}

void PfnDatabase::unlink(std::uint32_t i) {
    PfnEntry& e = entries_[i];
    List& l = lists_[static_cast<std::size_t>(e.state)];
    (e.prev != PfnEntry::kNone ? entries_[e.prev].next : l.head) = e.next;
    (e.next != PfnEntry::kNone ? entries_[e.next].prev : l.tail) = e.prev;
    --l.count;
    e.next = e.prev = PfnEntry::kNone;
    if (e.state == PageState::Standby && e.badPending)
        --badOnStandby_;
}

std::optional<Pfn> PfnDatabase::allocate(PageUse use, bool zero) {
    std::uint32_t i = popFront(PageState::Zeroed);
    if (i == PfnEntry::kNone) {
        i = popFront(PageState::Free);
        if (i == PfnEntry::kNone) {
            // A frame found bad while its page waited on Standby leaves service now.
            for (;;) {
                i = popFront(PageState::Standby);
                if (i == PfnEntry::kNone)
                    return std::nullopt;
                repurpose(i);
                if (!entries_[i].badPending)
                    break;
                entries_[i].use = PageUse::None;
                pushBack(PageState::Bad, i);
            }
        }
        if (zero) {
            memory_.zero(pfnAt(i));
            ++zeroedOnDemand_;
        }
    }
    PfnEntry& e = entries_[i];
    e.use = use;
    e.shareCount = 1;
    e.usedEntries = 0;
    e.framedEntries = 0;
    e.discardable = false;
    e.pteAddress = PhysicalAddress();
    e.wsIndex = PfnEntry::kNone;
    ++lists_[static_cast<std::size_t>(PageState::Active)].count;
    e.state = PageState::Active;
    ++useCounts_[static_cast<std::size_t>(use)];
    return pfnAt(i);
}

void PfnDatabase::repurpose(std::uint32_t i) {
    // The page keeps its contents in the paging file alone: its transition PTE becomes a
    // pagefile PTE with the same protection, and the slot now belongs to it.
    PfnEntry& e = entries_[i];
    const Pte owner = memory_.read<Pte>(e.pteAddress);
    NTOY_ASSERT(owner.isTransition() && owner.pfn() == pfnAt(i) && e.pagefileSlot != 0,
                ke::BugCheckCode::PfnListCorrupt, 0x9C, pfnAt(i).value(), owner.raw(),
                e.pagefileSlot);
    memory_.write(e.pteAddress, Pte::pagefile(e.pagefileSlot, owner.softProtection()));
    --entries_[index(e.pteAddress.pfn())].framedEntries;  // the owner's table
    --useCounts_[static_cast<std::size_t>(e.use)];
    e.pagefileSlot = 0;
    ++repurposed_;
}

void PfnDatabase::release(Pfn pfn) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    NTOY_ASSERT((e.state == PageState::Active || e.state == PageState::Modified ||
                 e.state == PageState::Standby) &&
                    e.pagefileSlot == 0,
                ke::BugCheckCode::PfnListCorrupt, 0x99, pfn.value(),
                static_cast<std::uint64_t>(e.state), e.pagefileSlot);
    if (e.ioLocks != 0) {
        // Its page is gone, but an MDL still names the frame: it waits for the last unlock.
        NTOY_ASSERT(e.state == PageState::Active, ke::BugCheckCode::PfnListCorrupt, 0x9F,
                    pfn.value(), static_cast<std::uint64_t>(e.state), e.ioLocks);
        --useCounts_[static_cast<std::size_t>(e.use)];
        ++useCounts_[static_cast<std::size_t>(PageUse::IoLocked)];
        e.use = PageUse::IoLocked;
        e.pteAddress = PhysicalAddress();
        e.wsIndex = PfnEntry::kNone;
        return;
    }
    if (isLinked(e.state))
        unlink(i);
    else
        --lists_[static_cast<std::size_t>(PageState::Active)].count;
    --useCounts_[static_cast<std::size_t>(e.use)];
    e.use = PageUse::None;
    e.shareCount = 0;
    e.usedEntries = 0;
    e.framedEntries = 0;
    e.discardable = false;
    e.pteAddress = PhysicalAddress();
    e.wsIndex = PfnEntry::kNone;
    pushBack(e.badPending ? PageState::Bad : PageState::Free, i);
}

bool PfnDatabase::lockForIo(Pfn pfn) {
    PfnEntry& e = entry(pfn);
    NTOY_ASSERT(e.state == PageState::Active && e.use != PageUse::IoLocked,
                ke::BugCheckCode::PfnListCorrupt, 0x9E, pfn.value(),
                static_cast<std::uint64_t>(e.state), static_cast<std::uint64_t>(e.use));
    if (e.ioLocks == 0xFFFF)
        return false;
    ++e.ioLocks;
    return true;
}

void PfnDatabase::unlockForIo(Pfn pfn) {
    PfnEntry& e = entry(pfn);
    // PFN_LIST_CORRUPT 7: a page's lock count going below zero.
    NTOY_ASSERT(e.ioLocks != 0, ke::BugCheckCode::PfnListCorrupt, 7, pfn.value(), 0, 0);
    if (--e.ioLocks != 0)
        return;
    if (e.use == PageUse::IoLocked) {
        release(pfn);
        return;
    }
    // Its page left while it was held (deactivate): the frame goes to its list now.
    const Pte owner = e.pteAddress.value() != 0 ? memory_.read<Pte>(e.pteAddress) : Pte();
    if (owner.isTransition() && owner.pfn() == pfn)
        deactivate(pfn, e.pagefileSlot != 0 ? PageState::Standby : PageState::Modified);
}

void PfnDatabase::deactivate(Pfn pfn, PageState list) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    NTOY_ASSERT(
        e.state == PageState::Active && (list == PageState::Modified || list == PageState::Standby),
        ke::BugCheckCode::PfnListCorrupt, 0x9A, pfn.value(), static_cast<std::uint64_t>(e.state),
        static_cast<std::uint64_t>(list));
    e.wsIndex = PfnEntry::kNone;
    // An MDL holds it: its page may leave the working set (a protection that forbids access
    // makes its PTE transition), but the frame stays Active, on no list, so that nothing can
    // repurpose it, until the last unlock puts it on its list.
    if (e.ioLocks != 0)
        return;
    --lists_[static_cast<std::size_t>(PageState::Active)].count;
    e.wsIndex = PfnEntry::kNone;
    pushBack(list, i);
}

void PfnDatabase::activate(Pfn pfn) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    if (e.state == PageState::Active && e.ioLocks != 0)
        return;  // held by an MDL: it never left (deactivate)
    NTOY_ASSERT(e.state == PageState::Modified || e.state == PageState::Standby,
                ke::BugCheckCode::PfnListCorrupt, 0x9B, pfn.value(),
                static_cast<std::uint64_t>(e.state), 0);
    unlink(i);
    ++lists_[static_cast<std::size_t>(PageState::Active)].count;
    e.state = PageState::Active;
}

void PfnDatabase::markWritten(Pfn pfn, std::uint32_t slot) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    NTOY_ASSERT(e.state == PageState::Modified && e.pagefileSlot == 0 && slot != 0,
                ke::BugCheckCode::PfnListCorrupt, 0x9D, pfn.value(),
                static_cast<std::uint64_t>(e.state), e.pagefileSlot);
    unlink(i);
    e.pagefileSlot = slot;
    pushBack(PageState::Standby, i);
}

void PfnDatabase::markStale(Pfn pfn) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    NTOY_ASSERT(e.state == PageState::Standby && e.pagefileSlot == 0,
                ke::BugCheckCode::PfnListCorrupt, 0x9E, pfn.value(),
                static_cast<std::uint64_t>(e.state), e.pagefileSlot);
    unlink(i);
    pushBack(PageState::Modified, i);
}

bool PfnDatabase::markBad(Pfn pfn) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    if (e.state == PageState::Bad)
        return true;
    if (!e.badPending && e.state == PageState::Standby)
        ++badOnStandby_;
    e.badPending = true;
    if (e.state != PageState::Zeroed && e.state != PageState::Free)
        return false;
    unlink(i);
    pushBack(PageState::Bad, i);
    return true;
}

std::uint64_t PfnDatabase::zeroFreeFrames(std::uint64_t count) {
    std::uint64_t n = 0;
    for (; n < count; ++n) {
        const std::uint32_t i = popFront(PageState::Free);
        if (i == PfnEntry::kNone)
            break;
        memory_.zero(pfnAt(i));
        pushBack(PageState::Zeroed, i);
    }
    zeroedWhileIdle_ += n;
    return n;
}

std::optional<Pfn> PfnDatabase::oldest(PageState list) const {
    const std::uint32_t i = lists_[static_cast<std::size_t>(list)].head;
    return i == PfnEntry::kNone ? std::nullopt : std::optional(pfnAt(i));
}

std::optional<Pfn> PfnDatabase::next(Pfn pfn) const {
    const std::uint32_t i = entries_[index(pfn)].next;
    return i == PfnEntry::kNone ? std::nullopt : std::optional(pfnAt(i));
}

std::optional<std::string> PfnDatabase::verify() const {
    std::array<std::uint64_t, kPageStateCount> seen{};
    for (const auto& e : entries_)
        ++seen[static_cast<std::size_t>(e.state)];
    for (std::size_t s = 0; s < kPageStateCount; ++s) {
        if (seen[s] != lists_[s].count)
            return fmt::format("{} frames are {} but the list count says {}", seen[s],
                               pageStateName(static_cast<PageState>(s)), lists_[s].count);
    }
    for (PageState s : {PageState::Zeroed, PageState::Free, PageState::Standby, PageState::Modified,
                        PageState::Bad}) {
        std::uint64_t n = 0;
        std::uint32_t prev = PfnEntry::kNone;
        for (std::uint32_t i = lists_[static_cast<std::size_t>(s)].head; i != PfnEntry::kNone;
             i = entries_[i].next) {
            if (entries_[i].state != s || entries_[i].prev != prev)
                return fmt::format("frame {:#x} is linked into the {} list wrongly",
                                   pfnAt(i).value(), pageStateName(s));
            prev = i;
            if (++n > entries_.size())
                return fmt::format("the {} list loops", pageStateName(s));
        }
        if (n != count(s))
            return fmt::format("the {} list links {} frames but counts {}", pageStateName(s), n,
                               count(s));
    }
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
        const PfnEntry& e = entries_[i];
        const bool slotAllowed = e.state == PageState::Active || e.state == PageState::Standby;
        if ((e.state == PageState::Standby && e.pagefileSlot == 0) ||
            (!slotAllowed && e.pagefileSlot != 0))
            return fmt::format("frame {:#x} is {} with paging-file slot {:#x}", pfnAt(i).value(),
                               pageStateName(e.state), e.pagefileSlot);
    }
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
        const PfnEntry& e = entries_[i];
        if ((e.ioLocks != 0 && e.state != PageState::Active) ||
            (e.use == PageUse::IoLocked && e.ioLocks == 0))
            return fmt::format("frame {:#x} is {} / {} with {} I/O locks", pfnAt(i).value(),
                               pageStateName(e.state), pageUseName(e.use), e.ioLocks);
    }
    std::uint64_t badOnStandby = 0;
    for (const PfnEntry& e : entries_)
        badOnStandby += e.state == PageState::Standby && e.badPending;
    if (badOnStandby != badOnStandby_)
        return fmt::format("{} Standby frames are found bad but the count says {}", badOnStandby,
                           badOnStandby_);
    std::uint64_t byUse = 0;
    for (auto c : useCounts_)
        byUse += c;
    if (byUse != inUse())
        return fmt::format("{} frames in use but {} by use", inUse(), byUse);
    if (total() != available() + inUse() + count(PageState::Bad))
        return fmt::format("{} frames, but {} available, {} in use and {} bad", total(),
                           available(), inUse(), count(PageState::Bad));
    return std::nullopt;
}

}  // namespace ntoy::mm
