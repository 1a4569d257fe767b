#include "kernel/kd/MemorySnapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "guest/include/ntoy/process_layout.h"
#include "kernel/Kernel.h"
#include "kernel/ex/Pool.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/KernelState.h"
#include "kernel/mm/RegionQuery.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ps/Thread.h"

namespace ntoy::kd {
namespace {

constexpr std::array<std::string_view, kFrameUseCount> kUseNames = {
    "Unused",     "Process Private", "Mapped Image", "Page Table",
    "Paged Pool", "Nonpaged Pool",   "Kernel"};
constexpr std::uint64_t kLeafSpan = 1ull << 21;  // what one leaf table maps
constexpr std::uint32_t kPageGuard = 0x100, kPageNoAccess = 0x01;
// A process's regions listed per snapshot (the summary counts them all): a program that makes
// hundreds of thousands of allocations would make a report no browser opens.
constexpr std::size_t kMaxRegions = 5000;

std::string hex(std::uint64_t v) {
    return fmt::format("{:#x}", v);
}

// Calls visit(pfn) for every frame of the user half's page tables: the PML4, and each table
// below it that holds a frame (a leaf table in transition too). Returns how many leaf tables
// are in the paging file: committed, with no frame.
template <typename Visit>
std::uint64_t forEachTableFrame(const mm::PageTables& tables, Visit&& visit) {
    constexpr unsigned kUserPml4Entries = 256, kEntries = 512;
    auto entry = [&](Pfn table, unsigned i) { return tables.read(table.address() + i * 8ull); };
    std::uint64_t inPagingFile = 0;
    visit(tables.root());
    for (unsigned i = 0; i < kUserPml4Entries; ++i) {
        const mm::Pte pml4e = entry(tables.root(), i);
        if (!pml4e.isValid())
            continue;
        visit(pml4e.pfn());
        for (unsigned j = 0; j < kEntries; ++j) {
            const mm::Pte pdpte = entry(pml4e.pfn(), j);
            if (!pdpte.isValid())
                continue;
            visit(pdpte.pfn());
            for (unsigned k = 0; k < kEntries; ++k) {
                const mm::Pte pde = entry(pdpte.pfn(), k);
                if (pde.hasFrame())
                    visit(pde.pfn());
                else if (!pde.isZero())
                    ++inPagingFile;
            }
        }
    }
    return inPagingFile;
}

// The heaps PEB.ProcessHeaps lists (ntdll keeps it), read without paging anything in: a heap
// whose list is paged out is simply not known.
std::vector<std::uint64_t> processHeaps(const ps::Process& process) {
    auto read = [&](std::uint64_t va, void* out, std::size_t size) {
        return readVirtual(process.space(), VirtualAddress(va),
                           std::span(static_cast<std::byte*>(out), size)) == size;
    };
    std::uint32_t count = 0;
    std::uint64_t array = 0;
    const std::uint64_t peb = process.peb.value();
    if (peb == 0 || !read(peb + NTOY_PEB_NUMBER_OF_HEAPS, &count, sizeof count) ||
        !read(peb + NTOY_PEB_PROCESS_HEAPS, &array, sizeof array) || array == 0)
        return {};
    std::vector<std::uint64_t> heaps(std::min<std::uint32_t>(count, 4096));
    if (!heaps.empty() && !read(array, heaps.data(), heaps.size() * sizeof(std::uint64_t)))
        return {};
    std::ranges::sort(heaps);
    return heaps;
}

// A page of the working set: where, its frame, and how VMMap counts it.
struct ResidentPage {
    std::uint64_t vpn = 0, pfn = 0;
    bool locked = false;
    bool system = false;  // a system page mapped in (KUSER_SHARED_DATA): not in the working set
};

std::vector<ResidentPage> residentPages(const ps::Process& process) {
    const mm::AddressSpace& space = process.space();
    std::vector<ResidentPage> pages;
    pages.reserve(space.workingSet().size());
    space.workingSet().forEach([&](std::uint32_t slot, VirtualAddress va) {
        const std::optional<mm::Pte> pte = space.tables().peekPte(va);
        if (!pte || !pte->isValid())
            return;
        pages.push_back({va.pageNumber(), pte->pfn().value(), space.workingSet().locked(slot)});
    });
    // The system's pages the process maps are drawn too (the processes side by side share
    // them), but count in no working set.
    for (const auto& [start, vad] : space.vads())
        if (vad.systemPage)
            for (std::uint64_t vpn = vad.startVpn; vpn <= vad.endVpn; ++vpn)
                if (const auto pte = space.tables().peekPte(VirtualAddress(vpn << kPageShift));
                    pte && pte->isValid())
                    pages.push_back({vpn, pte->pfn().value(), false, true});
    std::ranges::sort(pages, {}, &ResidentPage::vpn);
    return pages;
}

// VMMap's columns for a run of addresses (or a type's total).
struct Amounts {
    std::uint64_t size = 0, committed = 0, workingSet = 0, privateBytes = 0, locked = 0;
    std::uint64_t blocks = 0;
    void add(const Amounts& a) {
        size += a.size;
        committed += a.committed;
        workingSet += a.workingSet;
        privateBytes += a.privateBytes;
        locked += a.locked;
        blocks += a.blocks;
    }
};

constexpr std::array<std::string_view, 8> kSummaryRows = {"Total", "Image",  "Private",    "Heap",
                                                          "Stack", "Mapped", "Page Table", "Free"};

std::size_t summaryRow(std::string_view type) {
    return static_cast<std::size_t>(std::ranges::find(kSummaryRows, type) - kSummaryRows.begin());
}

// Who a region is: VMMap's type and the details column.
struct RegionIdentity {
    std::string_view type;
    std::string details;
};

// A process's threads: the live ones, and those that ended with it (their TEBs and stacks
// stay until it is torn down).
std::vector<ps::Process::EndedThread> threadsOf(const ps::Process& process) {
    std::vector<ps::Process::EndedThread> threads = process.endedThreads;
    for (const auto& thread : process.threads())
        threads.push_back({thread->id(), thread->teb, thread->stackBase});
    return threads;
}

RegionIdentity identify(const ps::Process& process, const mm::Vad& vad,
                        const std::vector<std::uint64_t>& heaps,
                        const std::vector<ps::Process::EndedThread>& threads) {
    const AllocationUsage usage = allocationUsage(process, vad);
    if (vad.type == mm::VadType::Image)
        return {"Image", usage.imagePath};
    if (vad.threadStack) {
        for (const auto& thread : threads)
            if (thread.stackBase.value() != 0 && vad.contains(thread.stackBase - 1))
                return {"Stack", fmt::format("Thread {} stack", thread.id)};
        return {"Stack", "thread stack"};
    }
    if (std::ranges::binary_search(heaps, vad.start().value()))
        return {"Heap", fmt::format("Heap {:#x}", vad.start().value())};
    if (vad.systemPage)
        return {"Private", "KUSER_SHARED_DATA"};
    for (const auto& thread : threads)
        if (thread.teb.value() != 0 && vad.contains(thread.teb))
            return {"Private", fmt::format("TEB of thread {}", thread.id)};
    if (usage.usage == "PEB")
        return {"Private", "PEB"};
    return {"Private", ""};
}

// A region as the snapshot lists it: MEMORY_BASIC_INFORMATION, and whether its pages' states
// could be read at all.
struct Region {
    mm::MemoryBasicInformation info{};
    bool known = true;
};

// The region at `va` within its leaf table's stretch, when that table is in the paging file:
// read from the file's copy of the table (peek: no statistics, nothing changes), with
// queryRegion's rules (a run of pages in one state and protection). Unknown if the copy
// cannot be read.
Region fromPagedOutTable(const mm::MemoryManager& mm, const mm::AddressSpace& space,
                         std::uint64_t va) {
    const std::uint64_t stretchEnd = (va | (kLeafSpan - 1)) + 1;
    const mm::Vad* vad = space.vads().find(VirtualAddress(va));
    Region r;
    r.info.baseAddress = va;
    r.info.allocationBase = vad ? vad->start().value() : va;
    r.info.allocationProtect = vad ? vad->allocationProtect : 0;
    r.info.type = vad && vad->type == mm::VadType::Image ? mm::mem::kImage : mm::mem::kPrivate;
    const std::uint64_t end = vad ? std::min(stretchEnd, vad->end().value()) : stretchEnd;
    r.info.regionSize = end - va;
    r.info.state = vad ? mm::mem::kCommit : mm::mem::kFree;
    const auto pde = space.tables().findPde(VirtualAddress(va));
    const mm::Pte entry = pde ? space.tables().read(*pde) : mm::Pte();
    std::array<std::byte, kPageSize> table{};
    if (vad == nullptr || !entry.isPagefile() || mm.pagingFile() == nullptr ||
        !mm.pagingFile()->peek(entry.pagefileSlot(), table)) {
        r.known = false;
        return r;
    }
    auto pteAt = [&](std::uint64_t at) {
        std::uint64_t raw = 0;
        std::memcpy(&raw, table.data() + ((at >> kPageShift) & 511) * 8, sizeof raw);
        return mm::Pte(raw);
    };
    const auto first = mm::pageRegionState(pteAt(va));
    std::uint64_t runEnd = va + kPageSize;
    while (runEnd < end && mm::pageRegionState(pteAt(runEnd)) == first)
        runEnd += kPageSize;
    r.info.regionSize = runEnd - va;
    r.info.state = first.first;
    r.info.protect = first.second;
    return r;
}

// Every region of the user half, as !address lists them, read without paging anything in:
// one leaf table's stretch at a time (a walk past it could meet a table in the paging file),
// the pieces of a region joined again.
std::vector<Region> regionsOf(const mm::MemoryManager& mm, const mm::AddressSpace& space) {
    std::vector<Region> regions;
    for (std::uint64_t va = 0; va <= mm::kHighestUserAddress;) {
        Region r;
        try {
            const std::uint64_t stretchEnd = (va | (kLeafSpan - 1)) + 1;
            r.info = mm::queryRegion(space, VirtualAddress(va), VirtualAddress(stretchEnd));
        } catch (const mm::TableNotResident&) {
            r = fromPagedOutTable(mm, space, va);
        }
        va = r.info.baseAddress + r.info.regionSize;
        if (!regions.empty()) {
            Region& last = regions.back();
            const mm::MemoryBasicInformation& a = last.info;
            const mm::MemoryBasicInformation& b = r.info;
            if (last.known && r.known && a.baseAddress + a.regionSize == b.baseAddress &&
                a.state == b.state && a.protect == b.protect && a.type == b.type &&
                a.allocationBase == b.allocationBase) {
                last.info.regionSize += b.regionSize;
                continue;
            }
        }
        regions.push_back(r);
    }
    return regions;
}

Json amountsJson(std::string_view type, const Amounts& a) {
    return Json{{"type", type},
                {"size", a.size},
                {"committed", a.committed},
                {"working_set", a.workingSet},
                {"private", a.privateBytes},
                {"locked", a.locked},
                {"blocks", a.blocks}};
}

Json processSnapshot(const mm::MemoryManager& mm, const ps::Process& process,
                     std::uint64_t tableFrames, std::uint64_t residentTables) {
    const mm::AddressSpace& space = process.space();
    const std::vector<ResidentPage> pages = residentPages(process);
    const std::vector<std::uint64_t> heaps = processHeaps(process);
    const std::vector<ps::Process::EndedThread> threads = threadsOf(process);
    // The working set's pages in [start, end): VMMap's working set, locked and private.
    auto count = [&](std::uint64_t start, std::uint64_t end, Amounts& a) {
        auto it = std::ranges::lower_bound(pages, start >> kPageShift, {}, &ResidentPage::vpn);
        for (; it != pages.end() && it->vpn < (end >> kPageShift); ++it) {
            if (it->system)
                continue;
            a.workingSet += kPageSize;
            a.locked += it->locked ? kPageSize : 0;
        }
    };
    std::array<Amounts, kSummaryRows.size()> summary{};
    std::vector<std::uint64_t> allocationsSeen;
    Json regions = Json::array();
    std::uint64_t regionsNotListed = 0;
    for (const Region& region : regionsOf(mm, space)) {
        const mm::MemoryBasicInformation& info = region.info;
        const bool known = region.known;
        const std::uint64_t end = info.baseAddress + info.regionSize;
        if (info.state == mm::mem::kFree) {
            Amounts& free = summary[summaryRow("Free")];
            free.size += info.regionSize;
            ++free.blocks;
            continue;
        }
        const mm::Vad* vad = space.vads().find(VirtualAddress(info.allocationBase));
        if (vad == nullptr)  // queryRegion found one: a broken tree is not the report's to hide
            continue;
        const RegionIdentity who = identify(process, *vad, heaps, threads);
        Amounts a;
        a.size = info.regionSize;
        const bool committed = info.state == mm::mem::kCommit;
        a.committed = committed && known ? info.regionSize : 0;
        count(info.baseAddress, end, a);
        // Private bytes: committed ones, except in an image, where they are the pages copied
        // on write (whose WRITECOPY became READWRITE), resident or not.
        const auto prot = mm::MmProtection::fromWin32(info.protect);
        const bool written = prot && prot->writable() && !prot->copyOnWrite();
        a.privateBytes = who.type != "Image" || written ? a.committed : 0;
        if (!std::ranges::binary_search(allocationsSeen, info.allocationBase)) {
            allocationsSeen.insert(std::ranges::upper_bound(allocationsSeen, info.allocationBase),
                                   info.allocationBase);
            a.blocks = 1;
        }
        summary[summaryRow(who.type)].add(a);
        Json r;
        r["base"] = info.baseAddress;
        r["base_hex"] = hex(info.baseAddress);
        r["size"] = info.regionSize;
        r["alloc_base_hex"] = hex(info.allocationBase);
        r["state"] = !known ? "unknown" : committed ? "commit" : "reserve";
        r["type"] = who.type;
        r["protect"] = committed && known ? mm::win32ProtectionName(info.protect) : std::string();
        r["guard"] = committed && (info.protect & kPageGuard) != 0;
        r["noaccess"] = committed && known && (info.protect & 0xFF) == kPageNoAccess;
        r["committed"] = a.committed;
        r["working_set"] = a.workingSet;
        r["private"] = a.privateBytes;
        r["locked"] = a.locked;
        r["details"] = known ? who.details
                             : "states not known: this stretch's page table is in the paging "
                               "file and could not be read";
        if (regions.size() < kMaxRegions)
            regions.push_back(std::move(r));
        else
            ++regionsNotListed;
    }
    Amounts& tables = summary[summaryRow("Page Table")];
    tables.size = tables.committed = tables.privateBytes = tableFrames * kPageSize;
    tables.workingSet = residentTables * kPageSize;
    for (std::size_t i = 1; i + 1 < kSummaryRows.size(); ++i)
        summary[0].add(summary[i]);
    Json rows = Json::array();
    for (std::size_t i = 0; i < kSummaryRows.size(); ++i)
        rows.push_back(amountsJson(kSummaryRows[i], summary[i]));
    // The working set as runs of consecutive pages in consecutive frames.
    Json runs = Json::array();
    for (std::size_t i = 0; i < pages.size();) {
        std::size_t j = i + 1;
        while (j < pages.size() && pages[j].vpn == pages[j - 1].vpn + 1 &&
               pages[j].pfn == pages[j - 1].pfn + 1)
            ++j;
        runs.push_back(Json::array({pages[i].vpn, pages[i].pfn, j - i}));
        i = j;
    }
    Json p;
    p["process_id"] = process.id();
    p["image"] = imageName(process);
    p["user_end"] = mm::kHighestUserAddress + 1;
    p["summary"] = std::move(rows);
    p["regions"] = std::move(regions);
    p["regions_not_listed"] = regionsNotListed;
    p["pages"] = std::move(runs);
    return p;
}

// [value, count] runs of a per-frame array.
template <typename T>
Json runLength(const std::vector<T>& values) {
    Json runs = Json::array();
    for (std::size_t i = 0; i < values.size();) {
        std::size_t j = i + 1;
        while (j < values.size() && values[j] == values[i])
            ++j;
        runs.push_back(Json::array({values[i], j - i}));
        i = j;
    }
    return runs;
}

}  // namespace

Json memorySample(Kernel& kernel) {
    const mm::MemoryManager& mm = kernel.memoryManager();
    const mm::PfnDatabase& pfns = mm.pfns();
    Json j;
    j["event"] = "memory";
    j["t"] = eventTime(kernel);
    j["commit_pages"] = mm.commit().charge();
    j["commit_limit_pages"] = mm.commit().limit();
    j["commit_peak_pages"] = mm.commit().peak();
    const mm::PagingFile* file = mm.pagingFile();
    j["pagefile_pages"] = file ? file->pages() : 0;
    j["pagefile_used_pages"] = file ? file->used() : 0;
    Json lists;
    for (std::size_t s = 0; s < mm::kPageStateCount; ++s)
        lists[std::string(mm::pageStateName(static_cast<mm::PageState>(s)))] =
            pfns.count(static_cast<mm::PageState>(s));
    j["lists"] = std::move(lists);
    Json processes = Json::array();
    for (const auto& [id, process] : kernel.processes())
        processes.push_back({{"process_id", id},
                             {"working_set_pages", process->space().workingSet().size()},
                             {"commit_pages", process->space().committedPages()}});
    j["processes"] = std::move(processes);
    const ex::Pool& pool = kernel.pool();
    j["pool"] = {{"paged", pool.usage(true).used}, {"nonpaged", pool.usage(false).used}};
    Json tags = Json::array();
    for (const ex::PoolTagUsage& t : pool.tagUsage())
        tags.push_back(poolTagJson({ex::tagText(t.tag), t.pagedAllocs, t.pagedFrees, t.pagedBytes,
                                    t.nonPagedAllocs, t.nonPagedFrees, t.nonPagedBytes}));
    j["pool_tags"] = std::move(tags);
    j["faults"] = faultCountersJson(mm.faults());
    return j;
}

Json memorySnapshot(Kernel& kernel, const std::string& label) {
    mm::MemoryManager& mm = kernel.memoryManager();
    // Looking must not page: a walk that would bring a table back throws instead.
    mm::MemoryManager::LookOnly looking(mm);
    const mm::PfnDatabase& pfns = mm.pfns();
    const std::uint64_t total = pfns.total();
    const Pfn first = pfns.memory().firstPfn();
    auto indexOf = [&](Pfn pfn) -> std::optional<std::size_t> {
        if (!pfns.contains(pfn))
            return std::nullopt;
        return static_cast<std::size_t>(pfn - first);
    };
    // Whose each frame is: the page tables' frames first, by walking each process's tables;
    // then every other frame in use through the table holding its PTE.
    std::vector<std::uint32_t> owner(total, 0);
    Json processes = Json::array();
    for (const auto& [id, process] : kernel.processes()) {
        std::uint64_t frames = 0, resident = 0;
        const std::uint64_t inPagingFile =
            forEachTableFrame(process->space().tables(), [&](Pfn pfn) {
                ++frames;
                if (const auto i = indexOf(pfn)) {
                    owner[*i] = id;
                    resident += pfns.entry(pfn).state == mm::PageState::Active ? 1 : 0;
                }
            });
        processes.push_back(processSnapshot(mm, *process, frames + inPagingFile, resident));
    }
    // The pools' frames are the ones their regions' leaf tables map.
    enum class TableOf : std::uint8_t { Other, PagedPool, NonpagedPool };
    std::vector<TableOf> systemTable(total, TableOf::Other);
    for (const mm::SystemRegion region :
         {mm::SystemRegion::PagedPool, mm::SystemRegion::NonPagedPool}) {
        const mm::SystemRegionRange& r = mm::systemRegion(region);
        for (std::uint64_t va = r.base; va < r.end(); va += kLeafSpan) {
            const auto pde = mm.systemTables().findPde(VirtualAddress(va));
            if (!pde)
                continue;
            const mm::Pte e = mm.systemTables().read(*pde);
            if (const auto i = e.hasFrame() ? indexOf(e.pfn()) : std::nullopt)
                systemTable[*i] = region == mm::SystemRegion::PagedPool ? TableOf::PagedPool
                                                                        : TableOf::NonpagedPool;
        }
    }
    std::vector<std::uint8_t> states(total), uses(total);
    std::array<std::array<std::uint64_t, mm::kPageStateCount>, kFrameUseCount> counts{};
    for (std::size_t i = 0; i < total; ++i) {
        const mm::PfnEntry& e = pfns.entry(first + i);
        const auto table = e.pteAddress.value() != 0 ? indexOf(e.pteAddress.pfn()) : std::nullopt;
        FrameUse use = FrameUse::Unused;
        switch (e.use) {
            case mm::PageUse::None:
                break;
            case mm::PageUse::UserPrivate:
                use = FrameUse::ProcessPrivate;
                break;
            case mm::PageUse::UserImage:
                use = FrameUse::MappedImage;
                break;
            case mm::PageUse::PageTable:
                use = FrameUse::PageTable;
                break;
            case mm::PageUse::Kernel:
                use = !table                                         ? FrameUse::Kernel
                      : systemTable[*table] == TableOf::PagedPool    ? FrameUse::PagedPool
                      : systemTable[*table] == TableOf::NonpagedPool ? FrameUse::NonpagedPool
                                                                     : FrameUse::Kernel;
                break;
            case mm::PageUse::IoLocked:  // a freed page an MDL still locks
                use = FrameUse::Kernel;
                break;
        }
        const bool inUse = e.state != mm::PageState::Zeroed && e.state != mm::PageState::Free &&
                           e.state != mm::PageState::Bad;
        if (inUse && owner[i] == 0 && table)
            owner[i] = owner[*table];
        if (!inUse)
            owner[i] = 0;
        states[i] = static_cast<std::uint8_t>(e.state);
        uses[i] = static_cast<std::uint8_t>(use);
        ++counts[static_cast<std::size_t>(use)][static_cast<std::size_t>(e.state)];
    }
    Json useCounts = Json::array();
    std::array<std::uint64_t, mm::kPageStateCount> byList{};
    auto row = [&](std::string_view name, const std::array<std::uint64_t, mm::kPageStateCount>& c) {
        Json r;
        r["use"] = name;
        std::uint64_t sum = 0;
        for (std::uint64_t n : c)
            sum += n;
        r["total"] = sum;
        for (const mm::PageState s :
             {mm::PageState::Active, mm::PageState::Standby, mm::PageState::Modified,
              mm::PageState::ModifiedNoWrite, mm::PageState::Transition, mm::PageState::Zeroed,
              mm::PageState::Free, mm::PageState::Bad})
            r[std::string(mm::pageStateName(s))] = c[static_cast<std::size_t>(s)];
        useCounts.push_back(std::move(r));
    };
    for (std::size_t u = 0; u < kFrameUseCount; ++u) {
        row(kUseNames[u], counts[u]);
        for (std::size_t s = 0; s < mm::kPageStateCount; ++s)
            byList[s] += counts[u][s];
    }
    row("Total", byList);
    Json physical;
    physical["first_pfn"] = first.value();
    physical["total"] = total;
    Json lists = Json::array();
    for (std::size_t s = 0; s < mm::kPageStateCount; ++s)
        lists.push_back(mm::pageStateName(static_cast<mm::PageState>(s)));
    physical["lists"] = std::move(lists);
    physical["uses"] = kUseNames;
    physical["state"] = runLength(states);
    physical["use"] = runLength(uses);
    physical["owner"] = runLength(owner);
    physical["use_counts"] = std::move(useCounts);

    Json j;
    j["event"] = "snapshot";
    j["t"] = eventTime(kernel);
    j["label"] = label;
    j["processes"] = std::move(processes);
    j["physical"] = std::move(physical);
    return j;
}

double eventTime(const Kernel& kernel) {
    return static_cast<double>(kernel.clock().interruptTime()) / 10'000.0;
}

Json poolTagJson(const PoolTagRow& row) {
    return Json{{"tag", row.tag},
                {"paged_allocs", row.pagedAllocs},
                {"paged_frees", row.pagedFrees},
                {"paged_bytes", row.pagedBytes},
                {"nonpaged_allocs", row.nonPagedAllocs},
                {"nonpaged_frees", row.nonPagedFrees},
                {"nonpaged_bytes", row.nonPagedBytes}};
}

Json faultCountersJson(const mm::FaultCounters& f) {
    return Json{{"demand_zero", f.demandZero},
                {"soft", f.soft},
                {"access_violation", f.accessViolation},
                {"guard", f.guard},
                {"other", f.other},
                {"stack_growth", f.stackGrowth},
                {"copy_on_write", f.copyOnWrite},
                {"hard", f.hard},
                {"in_page_error", f.inPageError},
                {"page_table", f.pageTable}};
}

}  // namespace ntoy::kd
