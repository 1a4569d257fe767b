#include "kernel/mm/PfnDatabase.h"

#include <fmt/format.h>

namespace ntoy::mm {

std::string_view pageStateName(PageState s) {
    static constexpr std::string_view kNames[] = {
        "Zeroed", "Free", "Standby", "Modified", "ModifiedNoWrite", "Bad", "Active", "Transition"};
    return kNames[static_cast<std::size_t>(s)];
}

std::string_view pageUseName(PageUse u) {
    static constexpr std::string_view kNames[] = {"none", "private", "image", "page table",
                                                  "kernel"};
    return kNames[static_cast<std::size_t>(u)];
}

PfnDatabase::PfnDatabase(hal::PhysicalMemory memory)
    : memory_(memory), entries_(memory.frameCount()) {
    // Fresh guest RAM is zero: every frame starts on the zeroed list, in ascending order so
    // that consecutive allocations get consecutive frames (their host aliases then merge).
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
}

std::uint32_t PfnDatabase::popFront(PageState list) {
    List& l = lists_[static_cast<std::size_t>(list)];
    const std::uint32_t i = l.head;
    if (i == PfnEntry::kNone)
        return i;
    l.head = entries_[i].next;
    if (l.head != PfnEntry::kNone)
        entries_[l.head].prev = PfnEntry::kNone;
    else
        l.tail = PfnEntry::kNone;
    --l.count;
    entries_[i].next = entries_[i].prev = PfnEntry::kNone;
    return i;
}

std::optional<Pfn> PfnDatabase::allocateZeroed(PageUse use) {
    std::uint32_t i = popFront(PageState::Zeroed);
    if (i == PfnEntry::kNone) {
        i = popFront(PageState::Free);
        if (i == PfnEntry::kNone)
            return std::nullopt;
        memory_.zero(pfnAt(i));
        ++zeroedOnDemand_;
    }
    PfnEntry& e = entries_[i];
    e.use = use;
    e.shareCount = 1;
    e.usedEntries = 0;
    e.pteAddress = PhysicalAddress();
    ++lists_[static_cast<std::size_t>(PageState::Active)].count;
    e.state = PageState::Active;
    ++useCounts_[static_cast<std::size_t>(use)];
    return pfnAt(i);
}

void PfnDatabase::release(Pfn pfn) {
    const std::uint32_t i = static_cast<std::uint32_t>(index(pfn));
    PfnEntry& e = entries_[i];
    --lists_[static_cast<std::size_t>(PageState::Active)].count;
    --useCounts_[static_cast<std::size_t>(e.use)];
    e.use = PageUse::None;
    e.shareCount = 0;
    e.usedEntries = 0;
    e.pteAddress = PhysicalAddress();
    pushBack(PageState::Free, i);
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
    for (PageState s : {PageState::Zeroed, PageState::Free}) {
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
    std::uint64_t byUse = 0;
    for (auto c : useCounts_)
        byUse += c;
    if (byUse != count(PageState::Active))
        return fmt::format("{} active frames but {} by use", count(PageState::Active), byUse);
    if (total() != available() + count(PageState::Active))
        return fmt::format("{} frames, but {} available and {} active", total(), available(),
                           count(PageState::Active));
    return std::nullopt;
}

}  // namespace ntoy::mm
