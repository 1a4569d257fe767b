#include "kernel/mm/PageTables.h"

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {
namespace {

unsigned indexAt(VirtualAddress va, int level) {
    const auto idx = PageTableIndices::of(va);
    const unsigned all[] = {idx.pml4, idx.pdpt, idx.pd, idx.pt};
    return all[level];
}

}  // namespace

std::optional<PageTables> PageTables::create(PfnDatabase& pfns, CommitCharge& commit) {
    auto charge = commit.charge(1);
    if (!charge)
        return std::nullopt;
    auto root = pfns.allocateZeroed(PageUse::PageTable);
    if (!root)
        return std::nullopt;
    charge->keep();
    return PageTables(pfns, commit, *root);
}

PageTables::Walk PageTables::walk(VirtualAddress va) const {
    Walk w;
    Pfn table = root_;
    for (int level = 0; level < 4; ++level) {
        Level l{table, indexAt(va, level), Pte()};
        l.entry = read(l.entryAddress());
        w.levels[level] = l;
        if (!l.entry.isValid())
            break;
        table = l.entry.pfn();
    }
    return w;
}

Pte PageTables::residentEntry(PhysicalAddress at) const {
    const Pte e = read(at);
    if (!pagedOut(e))
        return e;
    // Only a leaf table pages out, and only where an address space brings it back.
    NTOY_ASSERT(residency_ != nullptr, ke::BugCheckCode::MemoryManagement, 0x5201, at.value(),
                e.raw(), 0);
    if (residency_->onlyLooking()) {
        if (e.isTransition())
            return Pte::table(e.pfn(), true);  // its frame still holds it: read it there
        throw TableNotResident{at};
    }
    constexpr std::uint64_t kIoDeviceError = 0xC0000185;
    if (!residency_->makeTableResident(at))
        ke::bugCheck(ke::BugCheckCode::KernelDataInpageError, e.raw(), kIoDeviceError, at.value(),
                     0, "a page table could not be read back from the paging file");
    const Pte now = read(at);
    NTOY_ASSERT(now.isValid(), ke::BugCheckCode::MemoryManagement, 0x5202, at.value(), now.raw(),
                e.raw());
    return now;
}

std::optional<PhysicalAddress> PageTables::findPte(VirtualAddress va) const {
    const auto pde = findPde(va);
    if (!pde)
        return std::nullopt;
    const Pte e = residentEntry(*pde);  // only a leaf table pages out
    if (!e.isValid())
        return std::nullopt;
    return e.pfn().address() + indexAt(va, 3) * 8ull;
}

std::optional<PhysicalAddress> PageTables::findPde(VirtualAddress va) const {
    Pfn table = root_;
    for (int level = 0; level < 2; ++level) {
        const Pte e = read(table.address() + indexAt(va, level) * 8ull);
        if (!e.isValid())
            return std::nullopt;
        table = e.pfn();
    }
    return table.address() + indexAt(va, 2) * 8ull;
}

std::optional<Pte> PageTables::peekPte(VirtualAddress va) const {
    const auto pde = findPde(va);
    if (!pde)
        return Pte();
    const Pte e = read(*pde);
    if (pagedOut(e))
        return std::nullopt;
    return e.isValid() ? read(e.pfn().address() + indexAt(va, 3) * 8ull) : Pte();
}

Pte PageTables::pteAt(VirtualAddress va) const {
    const auto at = findPte(va);
    return at ? read(*at) : Pte();
}

VirtualAddress PageTables::nextPossiblyMapped(VirtualAddress va) const {
    Pfn table = root_;
    // Span covered by one entry at each level: 512 GiB, 1 GiB, 2 MiB.
    constexpr std::uint64_t kSpan[] = {1ull << 39, 1ull << 30, 1ull << 21};
    for (int level = 0; level < 3; ++level) {
        const Pte e = residentEntry(table.address() + indexAt(va, level) * 8ull);
        if (!e.isValid())
            return VirtualAddress(alignDown(va.value(), kSpan[level]) + kSpan[level]);
        table = e.pfn();
    }
    return va.pageBase();
}

std::optional<Pfn> PageTables::newTable(PhysicalAddress parentEntry, bool user) {
    auto charge = commit_->charge(1);
    if (!charge)
        return std::nullopt;
    auto table = pfns_->allocateZeroed(PageUse::PageTable);
    if (!table)
        return std::nullopt;
    charge->keep();
    pfns_->entry(*table).pteAddress = parentEntry;
    memory().write(parentEntry, Pte::table(*table, user).raw());
    ++pfns_->entry(parentEntry.pfn()).usedEntries;
    ++pfns_->entry(parentEntry.pfn()).framedEntries;
    return table;
}

std::optional<PhysicalAddress> PageTables::ensurePte(VirtualAddress va) {
    const bool user = isUserAddress(va.value());
    Pfn table = root_;
    for (int level = 0; level < 3; ++level) {
        const PhysicalAddress at = table.address() + indexAt(va, level) * 8ull;
        const Pte e = residentEntry(at);
        if (e.isValid()) {
            table = e.pfn();
            continue;
        }
        auto created = newTable(at, user);
        if (!created) {
            pruneEmptyTables(va);
            return std::nullopt;
        }
        table = *created;
    }
    return table.address() + indexAt(va, 3) * 8ull;
}

void PageTables::write(PhysicalAddress pteAddress, Pte pte) {
    const Pte old = read(pteAddress);
    auto& table = pfns_->entry(pteAddress.pfn());
    if (old.isZero() && !pte.isZero())
        ++table.usedEntries;
    if (!old.isZero() && pte.isZero())
        --table.usedEntries;
    if (!old.hasFrame() && pte.hasFrame())
        ++table.framedEntries;
    if (old.hasFrame() && !pte.hasFrame())
        --table.framedEntries;
    memory().write(pteAddress, pte.raw());
}

void PageTables::freeTable(Pfn table, PhysicalAddress parentEntry) {
    memory().write(parentEntry, std::uint64_t{0});
    --pfns_->entry(parentEntry.pfn()).usedEntries;
    --pfns_->entry(parentEntry.pfn()).framedEntries;
    pfns_->release(table);
    commit_->release(1);
}

void PageTables::pruneEmptyTables(VirtualAddress va) {
    // Collect the path, then free from the leaf table upwards while tables are empty. The
    // root stays.
    std::array<PhysicalAddress, 3> parentEntry{};
    std::array<Pfn, 3> tables{};
    Pfn table = root_;
    int depth = 0;
    for (; depth < 3; ++depth) {
        const PhysicalAddress at = table.address() + indexAt(va, depth) * 8ull;
        const Pte e = read(at);
        if (!e.isValid())
            break;
        parentEntry[depth] = at;
        tables[depth] = table = e.pfn();
    }
    for (int i = depth - 1; i >= 0; --i) {
        if (pfns_->entry(tables[i]).usedEntries != 0)
            break;
        freeTable(tables[i], parentEntry[i]);
    }
}

void PageTables::destroyLevel(Pfn table, int level, unsigned firstIndex, unsigned endIndex) {
    for (unsigned i = firstIndex; i < endIndex; ++i) {
        const PhysicalAddress at = table.address() + i * 8ull;
        const Pte e = read(at);
        // Tables holding entries were brought back when their pages were released.
        NTOY_ASSERT(!pagedOut(e), ke::BugCheckCode::MemoryManagement, 0x5203, at.value(), e.raw(),
                    0);
        if (!e.isValid())
            continue;
        if (level < 2)
            destroyLevel(e.pfn(), level + 1, 0, 512);
        freeTable(e.pfn(), at);
    }
}

void PageTables::destroy() {
    destroyLevel(root_, 0, 0, 256);  // the user half; the system half is shared
    for (unsigned i = 256; i < 512; ++i)
        memory().write(root_.address() + i * 8ull, std::uint64_t{0});
    pfns_->entry(root_).usedEntries = 0;
    pfns_->entry(root_).framedEntries = 0;
    pfns_->release(root_);
    commit_->release(1);
}

void PageTables::shareSystemHalf(const PageTables& master) {
    for (unsigned i = 256; i < 512; ++i) {
        const auto e = master.memory().read<std::uint64_t>(master.root().address() + i * 8ull);
        if (e != 0)
            write(root_.address() + i * 8ull, Pte(e));
    }
}

}  // namespace ntoy::mm
