#include "kernel/mm/MemoryManager.h"

#include <algorithm>
#include <array>

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {
namespace {

// The frames the balance set manager keeps obtainable when a paging file is in use: trimming
// starts below the low mark and goes on to the high one.
std::uint64_t pagerLowMark(std::uint64_t frames) {
    return std::clamp<std::uint64_t>(frames / 64, 16, 256);
}
std::uint64_t pagerHighMark(std::uint64_t frames) {
    return 2 * pagerLowMark(frames);
}

// RAM plus the paging file, less the pager's working margin: a page charged against the limit
// always has a home then, in the file or in a frame outside that margin, so the pager can
// always get back to its high mark (by writing a Modified page or dropping a resident page's
// file copy) instead of trimming forever once commit is full.
std::uint64_t commitLimit(const hal::PhysicalMemory& ram, const PagingFile* file) {
    if (!file)
        return ram.frameCount();
    return ram.frameCount() + file->usablePages() - pagerHighMark(ram.frameCount());
}

Pfn allocateRoot(PfnDatabase& pfns) {
    // The very first frame of an empty database: cannot fail.
    return *pfns.allocateZeroed(PageUse::PageTable);
}

}  // namespace

MemoryManager::MemoryManager(hal::PhysicalMemory ram, hal::Mmu& systemMmu,
                             std::unique_ptr<PagingFile> pagingFile)
    : pfns_(ram),
      // the master PML4, charged from the start
      commit_(commitLimit(ram, pagingFile.get()), 1),
      systemTables_(pfns_, commit_, allocateRoot(pfns_)),
      systemMmu_(systemMmu),
      pagingFile_(std::move(pagingFile)) {
    // Every top-level entry of system space exists from boot (each address space copies them
    // once, when it is made): a table path to each region's first page.
    for (const SystemRegionRange& r : kSystemRegions) {
        const bool made = systemTables_.ensurePte(VirtualAddress(r.base)).has_value();
        NTOY_ASSERT(made, ke::BugCheckCode::NoPagesAvailable, r.base, pfns_.total(), 0, 0);
    }
    systemSpace_ = std::make_unique<SystemSpace>(*this);
}

std::optional<Pfn> MemoryManager::mapSystemPage(VirtualAddress va, MmProtection prot) {
    auto charge = commit_.charge(1);
    if (!charge)
        return std::nullopt;
    auto pte = systemTables_.ensurePte(va);
    auto frame = pte ? pfns_.allocateZeroed(PageUse::Kernel) : std::nullopt;
    if (!frame)
        return std::nullopt;
    charge->keep();
    pfns_.entry(*frame).pteAddress = *pte;
    systemTables_.write(*pte, Pte::valid(*frame, prot, false));
    systemMmu_.mapped(va, *frame);
    return frame;
}

void MemoryManager::unmapSystemPage(VirtualAddress va) {
    const auto at = systemTables_.findPte(va);
    const Pte pte = at ? systemTables_.read(*at) : Pte();
    // Unmapping a page that is not mapped is a kernel bug.
    NTOY_ASSERT(pte.isValid(), ke::BugCheckCode::MemoryManagement, va.value(), 0, 0, 0);
    systemTables_.write(*at, Pte());
    systemMmu_.unmapped(va);
    pfns_.release(pte.pfn());
    commit_.release(1);
}

bool MemoryManager::trimLargest(std::uint64_t pages) {
    // As Windows' working-set manager does: first the pages working sets hold above their
    // minimum, the largest excess first; only then below it, the largest set first.
    const auto excess = [](const AddressSpace* s) {
        const std::uint64_t size = s->workingSet().size();
        const std::uint64_t minimum = s->workingSetLimits().minimumPages;
        return size > minimum ? size - minimum : 0;
    };
    std::vector<AddressSpace*> order = spaces_;
    // The system working set (paged pool) first, above its minimum, as Windows trims the
    // system cache before processes; then with the processes, largest first.
    constexpr std::uint64_t kSystemMinimum = 16;
    const auto trimSystem = [&](std::uint64_t most) {
        const std::uint64_t n = systemSpace_->trim(std::min(pages, most));
        systemTrimmedPages_ += n;
        trimmedPages_ += n;
        return n != 0;
    };
    if (const std::uint64_t size = systemSpace_->workingSet().size();
        size > kSystemMinimum && trimSystem(size - kSystemMinimum))
        return true;
    for (const bool aboveMinimum : {true, false}) {
        if (aboveMinimum)
            std::ranges::sort(order, std::ranges::greater{}, excess);
        else
            std::ranges::sort(order, std::ranges::greater{},
                              [](const AddressSpace* s) { return s->workingSet().size(); });
        for (AddressSpace* space : order) {
            const std::uint64_t most = aboveMinimum ? excess(space) : space->workingSet().size();
            if (most == 0)
                break;
            if (const std::uint64_t n = space->trim(std::min(pages, most)); n != 0) {
                trimmedPages_ += n;
                notify({*space, n, TrimReason::Balance});
                return true;
            }
        }
    }
    return systemSpace_->workingSet().size() != 0 && trimSystem(systemSpace_->workingSet().size());
}

void MemoryManager::makeRoomForValidPage(bool tablesMayGo, const AddressSpace* faulting,
                                         VirtualAddress keepTableOf) {
    // Trim when fewer than kLow more pages may become valid, until kHigh may, a batch at a time
    // from whichever working set is largest then (a set whose pages are all locked gives none).
    constexpr std::uint64_t kLow = 32, kHigh = 256, kBatch = 64;
    if (systemMmu_.validPageHeadroom() < kLow)
        while (systemMmu_.validPageHeadroom() < kHigh && trimLargest(kBatch)) {
        }
    if (!pagingFile_)
        return;
    // Frames: the same, counting what can be handed out. Modified pages are written first,
    // since they cost no soft faults; trimming makes more of them.
    const std::uint64_t low = pagerLowMark(pfns_.total());
    const std::uint64_t high = pagerHighMark(pfns_.total());
    if (pfns_.obtainable() >= low)
        return;
    // Page tables first: one whose pages have all gone to the paging file holds a frame for
    // nothing. It goes out as a page does, through Modified and Standby.
    if (tablesMayGo)
        for (AddressSpace* space : spaces_)
            if (const std::uint64_t n = space->trimPageTables(
                    space == faulting ? std::optional(keepTableOf) : std::nullopt);
                n != 0) {
                pagedOutTables_ += n;
                notify({*space, n, TrimReason::PageTables});
            }
    while (pfns_.obtainable() < high) {
        const std::uint64_t wanted = high - pfns_.obtainable();
        if (pfns_.count(PageState::Modified) != 0 && writeModifiedPages(wanted) != 0)
            continue;
        if (!trimLargest(std::max(wanted, kBatch)))
            return;
    }
}

bool MemoryManager::retireFrame(Pfn pfn) {
    if (!pfns_.contains(pfn))
        return false;
    if (pfns_.entry(pfn).state == PageState::Bad || pfns_.entry(pfn).badPending)
        return true;
    if (!commit_.lowerLimit(1))
        return false;
    pfns_.markBad(pfn);
    return true;
}

std::uint64_t MemoryManager::reclaimCopies() {
    // The file is full. Commit counted one place per page, RAM or file; a page resident and
    // also copied in the file holds two, so its copy goes: it will be written again if it
    // leaves. (Standby copies stay: they are the only place those pages' contents are kept
    // once their frames go.)
    std::uint64_t n = 0;
    const auto& ram = pfns_.memory();
    for (Pfn f = ram.firstPfn(); f < ram.endPfn(); f = f + 1) {
        if (pfns_.entry(f).state == PageState::Active && pfns_.entry(f).pagefileSlot != 0) {
            dropPagefileCopy(f);
            ++n;
        }
    }
    return n;
}

void MemoryManager::dropPagefileCopy(Pfn pfn) {
    PfnEntry& e = pfns_.entry(pfn);
    if (e.pagefileSlot == 0)
        return;
    pagingFile_->release(e.pagefileSlot);
    e.pagefileSlot = 0;
    if (e.state == PageState::Standby)
        pfns_.markStale(pfn);
}

std::uint64_t MemoryManager::writeModifiedPages(std::uint64_t pages) {
    if (!pagingFile_)
        return 0;
    std::uint64_t written = 0;
    while (written < pages) {
        // A cluster: the oldest Modified frames, into neighbouring slots, one write.
        const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(
            {pages - written, PagingFile::kMaxCluster, pfns_.count(PageState::Modified)}));
        if (want == 0)
            break;
        auto run = pagingFile_->allocate(want);
        if (!run && reclaimCopies() != 0)
            run = pagingFile_->allocate(want);
        if (!run)
            break;  // full: the pages wait on Modified
        std::array<Pfn, PagingFile::kMaxCluster> frames{};
        std::array<const std::byte*, PagingFile::kMaxCluster> data{};
        std::optional<Pfn> at = pfns_.oldest(PageState::Modified);
        for (std::uint32_t i = 0; i < run->count; ++i, at = pfns_.next(*at)) {
            frames[i] = *at;
            data[i] = pfns_.memory().frame(*at).data();
        }
        const bool ok = pagingFile_->write(run->first, std::span(data.data(), run->count));
        if (listener_)
            listener_->pageIo({true, run->first, run->count, ok});
        if (!ok) {
            for (std::uint32_t i = 0; i < run->count; ++i)
                pagingFile_->release(run->first + i);
            break;
        }
        for (std::uint32_t i = 0; i < run->count; ++i)
            pfns_.markWritten(frames[i], run->first + i);
        written += run->count;
    }
    return written;
}

std::optional<std::vector<Pfn>> MemoryManager::readPages(std::uint32_t first, std::size_t count,
                                                         PageUse use, bool& noFrame) {
    noFrame = false;
    std::vector<Pfn> frames;
    std::array<std::byte*, PagingFile::kMaxCluster> data{};
    const auto giveBack = [&] {
        for (Pfn f : frames)
            pfns_.release(f);
    };
    for (std::size_t i = 0; i < count; ++i) {
        auto frame = pfns_.allocateForOverwrite(use);
        if (!frame) {
            giveBack();
            noFrame = true;
            return std::nullopt;
        }
        frames.push_back(*frame);
        data[i] = pfns_.memory().frame(*frame).data();
    }
    const bool ok =
        pagingFile_->read(first, std::span(data.data(), count), use == PageUse::PageTable);
    if (listener_)
        listener_->pageIo({false, first, static_cast<std::uint32_t>(count), ok});
    if (!ok) {
        giveBack();
        return std::nullopt;
    }
    // The page faulted in keeps its copy (a clean page that leaves again needs no write)
    // while the file has room to spare; else its slot goes back at once, so that clean copies
    // never crowd out the pages that live in the file alone. Pages read ahead go to Standby,
    // which needs the copy.
    const bool keepCopy = pagingFile_->freeSlots() >= pagingFile_->usablePages() / 8;
    for (std::size_t i = 0; i < count; ++i) {
        const auto slot = static_cast<std::uint32_t>(first + i);
        if (i == 0 && !keepCopy)
            pagingFile_->release(slot);
        else
            pfns_.entry(frames[i]).pagefileSlot = slot;
    }
    return frames;
}

}  // namespace ntoy::mm
