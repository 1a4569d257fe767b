// !pool, !poolused and !poolfind: the executive's pools as WinDbg shows them, read from the
// guest structures the allocator keeps (PoolLayout.h).
//
//   !pool VA            the pool page holding VA, one line per POOL_HEADER, the block holding
//                       VA marked with '*'; or the big allocation holding VA:
//                         Pool page fffff8a000001040 region is Paged pool
//                          fffff8a000001000 size:   40 previous size:    0  (Allocated)  Even
//                         *fffff8a000001040 size:   80 previous size:   40  (Allocated) *Thre
//                          fffff8a0000010c0 size:  f40 previous size:   80  (Free)       Even
//   !poolused [F [TAG]] the tracker table: per tag, the allocations outstanding and the bytes
//                       they hold, nonpaged and paged; F 2 sorts by nonpaged bytes, 4 by paged
//                       bytes, else by tag; TAG ('?' matches any character) keeps one tag.
//   !poolfind TAG [P]   every block tagged TAG: the big-page table, then the small pages of
//                       nonpaged pool (P 0), paged pool (P 1), or both (no P).
//
// Sizes are bytes, in hex, as WinDbg prints them. A debugger must not page: a pool page in
// the paging file is reported, not read; one in transition (trimmed, its frame still on the
// Standby or Modified list) is read in its frame.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/Kernel.h"
#include "kernel/ex/Pool.h"
#include "kernel/ex/PoolLayout.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::kd {
namespace {

namespace layout = ex::layout;
using PageBytes = std::array<std::byte, kPageSize>;

// ---- system memory as a debugger reads it ---------------------------------------------------

enum class Residence : std::uint8_t { Resident, PagedOut, NotMapped };

// Copies `out.size()` bytes of system space at `va` from their frames: a valid page, or one in
// transition, whose frame still holds it. Stops at a page in the paging file (or whose table
// is) or that nothing maps, and says which; nothing is brought back.
Residence readSystem(const mm::MemoryManager& mm, VirtualAddress va, std::span<std::byte> out) {
    const hal::PhysicalMemory& ram = mm.pfns().memory();
    const std::uint64_t done = mm.systemTables().forEachPiece(
        va, out.size(), [&](mm::Pte pte) { return pte.hasFrame() && ram.contains(pte.pfn()); },
        [&](const std::byte* host, std::uint64_t offset, std::uint64_t n, mm::Pte) {
            std::memcpy(out.data() + offset, host, n);
        });
    if (done == out.size())
        return Residence::Resident;
    const std::optional<mm::Pte> pte = mm.systemTables().peekPte(va + done);
    return !pte || pte->isPagefile() ? Residence::PagedOut : Residence::NotMapped;
}

// Why readSystem did not read `page`, in one line.
std::string notResident(const mm::MemoryManager& mm, VirtualAddress page) {
    const std::optional<mm::Pte> pte = mm.systemTables().peekPte(page);
    if (!pte)
        return fmt::format("{:016x}: its page table is paged out, so it is not read", page.value());
    if (pte->isPagefile())
        return fmt::format(
            "{:016x}: the page is paged out (paging file slot {:x}), so it is not read: a "
            "debugger does not page; the guest's next access brings it back",
            page.value(), pte->pagefileSlot());
    return fmt::format("{:016x}: the page is not mapped (PTE {:016x})", page.value(), pte->raw());
}

// ---- tags and pools --------------------------------------------------------------------------

// A tag as typed: one to four characters, padded with spaces as drivers' tags are; '?'
// matches any character. Case matters, as it does to the pool.
struct TagPattern {
    std::array<char, 4> chars{};

    std::uint32_t value() const {
        std::uint32_t v = 0;
        for (unsigned i = 0; i < 4; ++i)
            v |= std::uint32_t{static_cast<unsigned char>(chars[i])} << (8 * i);
        return v;
    }
    bool matches(std::uint32_t tag) const {
        for (unsigned i = 0; i < 4; ++i) {
            const auto c = static_cast<char>(static_cast<unsigned char>(tag >> (8 * i)));
            if (chars[i] != '?' && chars[i] != c)
                return false;
        }
        return true;
    }
    std::string text() const { return std::string(chars.begin(), chars.end()); }
};

std::expected<TagPattern, std::string> parseTag(std::string_view text) {
    if (text.empty() || text.size() > 4)
        return std::unexpected(fmt::format("'{}' is not a pool tag (1 to 4 characters)", text));
    TagPattern tag;
    tag.chars.fill(' ');
    std::ranges::copy(text, tag.chars.begin());
    return tag;
}

// As WinDbg names the pools.
std::string_view poolName(ex::PoolKind kind) {
    switch (kind) {
        case ex::PoolKind::Paged:
            return "Paged pool";
        case ex::PoolKind::NonPagedNx:
            return "Nonpaged pool";
        case ex::PoolKind::NonPagedExecute:
            return "Nonpaged pool (executable)";
    }
    return "?";
}

constexpr ex::PoolKind kAllKinds[] = {ex::PoolKind::NonPagedNx, ex::PoolKind::NonPagedExecute,
                                      ex::PoolKind::Paged};

// ---- a small-block page, header by header ----------------------------------------------------

struct Block {
    std::uint64_t va;  // its POOL_HEADER
    layout::PoolHeader header;
    bool previousWrong;  // its PreviousSize is not the size of the block before it
    std::uint64_t bytes() const { return header.blockSize * layout::kUnit; }
    bool holds(std::uint64_t address) const { return address >= va && address - va < bytes(); }
};

struct PageWalk {
    std::vector<Block> blocks;
    std::optional<std::string> broken;  // the header where the chain breaks, if it does
};

// The blocks of the page at `page`, from its first header, each header's BlockSize leading to
// the next, as the allocator lays them out.
PageWalk walkPage(std::uint64_t page, const PageBytes& bytes) {
    PageWalk walk;
    unsigned offset = 0, previous = 0;
    while (offset < layout::kUnitsPerPage) {
        layout::PoolHeader h;
        std::memcpy(&h, bytes.data() + offset * layout::kUnit, sizeof h);
        const std::uint64_t va = page + offset * layout::kUnit;
        if (h.blockSize == 0 || offset + h.blockSize > layout::kUnitsPerPage) {
            walk.broken = fmt::format(
                "{:016x}: bad pool header (BlockSize {:x} at unit {:x} of the "
                "page); the walk stops here",
                va, h.blockSize, offset);
            break;
        }
        walk.blocks.push_back({va, h, h.previousSize != previous});
        previous = h.blockSize;
        offset += h.blockSize;
    }
    return walk;
}

std::string_view blockState(const layout::PoolHeader& h) {
    if (h.poolType != 0)
        return "(Allocated)";
    return h.poolIndex == layout::kLookasideIndex ? "(Lookaside)" : "(Free)";
}

// "fffffa8000012340 size:   80 previous size:   40  (Allocated) Even", with `marker` before
// the address and the tag.
std::string blockLine(const Block& b, std::string_view marker) {
    return fmt::format("{}{:016x} size: {:>4x} previous size: {:>4x}  {:<11} {}{}", marker, b.va,
                       b.bytes(), b.header.previousSize * layout::kUnit, blockState(b.header),
                       marker, ex::tagText(b.header.poolTag));
}

// ---- !pool ---------------------------------------------------------------------------------

ExtensionResult smallPage(const mm::MemoryManager& mm, ex::PoolKind kind, VirtualAddress va) {
    std::string out = fmt::format("Pool page {:016x} region is {}\n", va.value(), poolName(kind));
    PageBytes bytes{};
    if (readSystem(mm, va.pageBase(), bytes) != Residence::Resident)
        return out + notResident(mm, va.pageBase()) + '\n';
    const PageWalk walk = walkPage(va.pageBase().value(), bytes);
    for (const Block& b : walk.blocks) {
        out += blockLine(b, b.holds(va.value()) ? "*" : " ");
        // A quota-charged block names the process billed (its EPROCESS), as WinDbg does.
        if ((b.header.poolType & layout::kQuotaBit) != 0 && b.header.processBilled != 0)
            out += fmt::format(" Process: {:016x}", b.header.processBilled);
        out += '\n';
        if (b.previousWrong)
            out += fmt::format("{:>18}previous size is wrong: the block before is not {:x} bytes\n",
                               "", b.header.previousSize * layout::kUnit);
    }
    if (walk.broken)
        out += *walk.broken + '\n';
    return out;
}

// Why `va`, in `kind`'s range, is in no pool page: the pool's own tables live there too.
std::string notAPoolPage(const ex::Pool& pool, ex::PoolKind kind, VirtualAddress va) {
    struct Part {
        std::string what;
        VirtualAddress base;
        std::uint64_t bytes;
    };
    std::vector<Part> parts = {
        {"the pool tracker table (POOL_TRACKER_TABLE)", pool.trackerTable(),
         pool.trackerEntries() * sizeof(layout::PoolTrackerTable)},
        {"the big-page table (POOL_TRACKER_BIG_PAGES)", pool.bigPageTable(),
         pool.bigPageEntries() * sizeof(layout::PoolTrackerBigPages)},
    };
    for (const ex::PoolKind k : kAllKinds)
        parts.push_back({fmt::format("the {} descriptor (POOL_DESCRIPTOR)", ex::poolKindName(k)),
                         pool.descriptor(k), layout::kDescriptorBytes});
    for (const Part& p : parts)
        if (va >= p.base && va - p.base < p.bytes)
            return fmt::format("{:x} is in {}'s range but in no pool page: it is {} at {:x}",
                               va.value(), ex::poolKindName(kind), p.what, p.base.value());
    return fmt::format("{:x} is in {}'s range but no pool page or big allocation holds it",
                       va.value(), ex::poolKindName(kind));
}

std::string notInPool(std::uint64_t va) {
    const auto& paged = mm::systemRegion(mm::SystemRegion::PagedPool);
    const auto& nonPaged = mm::systemRegion(mm::SystemRegion::NonPagedPool);
    return fmt::format("{:x} is not in pool (paged pool is {:x}-{:x}, nonpaged pool {:x}-{:x})", va,
                       paged.base, paged.end() - 1, nonPaged.base, nonPaged.end() - 1);
}

// ---- !poolfind -----------------------------------------------------------------------------

// The small blocks of `kind` tagged `tag`, one line each, and the pages it could not read.
void findInSmallPages(const mm::MemoryManager& mm, const ex::Pool& pool, ex::PoolKind kind,
                      const TagPattern& tag, std::string& out, std::uint64_t& found,
                      std::uint64_t& skipped) {
    PageBytes bytes{};
    for (const VirtualAddress page : pool.smallPages(kind)) {
        if (const Residence r = readSystem(mm, page, bytes); r != Residence::Resident) {
            out += r == Residence::PagedOut
                       ? fmt::format("{:016x}: page paged out, skipped\n", page.value())
                       : notResident(mm, page) + ", skipped\n";
            ++skipped;
            continue;
        }
        const PageWalk walk = walkPage(page.value(), bytes);
        for (const Block& b : walk.blocks)
            if (tag.matches(b.header.poolTag)) {
                out += blockLine(b, "") + '\n';
                ++found;
            }
        if (walk.broken)
            out += *walk.broken + '\n';
    }
}

}  // namespace

ExtensionResult poolCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() != 1)
        return std::unexpected("usage: !pool VA");
    auto value = parseWinDbgNumber(args[0]);
    if (!value)
        return std::unexpected(value.error());
    const VirtualAddress va(*value);
    const std::optional<ex::PoolKind> kind = ex::Pool::kindOf(va);
    if (!kind)
        return std::unexpected(notInPool(*value));
    const ex::Pool& pool = kernel.pool();
    if (std::ranges::binary_search(pool.smallPages(*kind), va.pageBase()))
        return smallPage(kernel.memoryManager(), *kind, va);
    // One pass over the big-page table finds the allocation whatever page of it VA is in.
    for (const ex::Pool::BigPage& big : pool.bigPages())
        if (va >= big.va && va - big.va < alignUp(big.bytes, kPageSize))
            return fmt::format("{:016x} is a big allocation: {} bytes, tag '{}', {}\n",
                               big.va.value(), big.bytes, ex::tagText(big.tag), poolName(big.kind));
    return std::unexpected(notAPoolPage(pool, *kind, va));
}

ExtensionResult poolusedCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.size() > 2)
        return std::unexpected(
            "usage: !poolused [FLAGS [TAG]] (FLAGS 2: sort by nonpaged bytes, 4: by paged)");
    std::uint64_t flags = 0;
    if (!args.empty()) {
        auto value = parseWinDbgNumber(args[0]);
        if (!value)
            return std::unexpected(value.error());
        flags = *value;
    }
    std::optional<TagPattern> only;
    if (args.size() == 2) {
        auto tag = parseTag(args[1]);
        if (!tag)
            return std::unexpected(tag.error());
        only = *tag;
    }
    std::vector<ex::PoolTagUsage> tags = kernel.pool().tagUsage();
    std::erase_if(tags, [&](const ex::PoolTagUsage& t) {
        const bool used = t.nonPagedAllocs != 0 || t.pagedAllocs != 0 || t.nonPagedBytes != 0 ||
                          t.pagedBytes != 0;
        return !used || (only && !only->matches(t.tag));
    });
    std::string_view sortedBy = "Tag";
    const auto byTag = [](const ex::PoolTagUsage& a, const ex::PoolTagUsage& b) {
        return ex::tagText(a.tag) < ex::tagText(b.tag);
    };
    if ((flags & 2) != 0) {
        sortedBy = "NonPaged Pool Consumed";
        std::ranges::sort(tags, [&](const ex::PoolTagUsage& a, const ex::PoolTagUsage& b) {
            return a.nonPagedBytes != b.nonPagedBytes ? a.nonPagedBytes > b.nonPagedBytes
                                                      : byTag(a, b);
        });
    } else if ((flags & 4) != 0) {
        sortedBy = "Paged Pool Consumed";
        std::ranges::sort(tags, [&](const ex::PoolTagUsage& a, const ex::PoolTagUsage& b) {
            return a.pagedBytes != b.pagedBytes ? a.pagedBytes > b.pagedBytes : byTag(a, b);
        });
    } else {
        std::ranges::sort(tags, byTag);
    }
    // Allocs is what is outstanding (allocations less frees), Used the bytes they hold.
    const auto row = [](std::string_view tag, std::int64_t npAllocs, std::uint64_t npBytes,
                        std::int64_t pAllocs, std::uint64_t pBytes) {
        return fmt::format(" {:<6}{:>10} {:>10} {:>10} {:>10}\n", tag, npAllocs, npBytes, pAllocs,
                           pBytes);
    };
    std::string out = fmt::format(" Sorting by {}\n\n", sortedBy);
    // "Paged" centred over its two columns, with no trailing blanks.
    out += fmt::format(" {:<6}{:^21} {:>13}\n", "Tag", "NonPaged", "Paged");
    out +=
        fmt::format(" {:<6}{:>10} {:>10} {:>10} {:>10}\n", "", "Allocs", "Used", "Allocs", "Used");
    std::int64_t totalNpAllocs = 0, totalPAllocs = 0;
    std::uint64_t totalNpBytes = 0, totalPBytes = 0;
    for (const ex::PoolTagUsage& t : tags) {
        const std::int64_t npAllocs = std::int64_t{t.nonPagedAllocs} - t.nonPagedFrees;
        const std::int64_t pAllocs = std::int64_t{t.pagedAllocs} - t.pagedFrees;
        out += row(ex::tagText(t.tag), npAllocs, t.nonPagedBytes, pAllocs, t.pagedBytes);
        totalNpAllocs += npAllocs;
        totalPAllocs += pAllocs;
        totalNpBytes += t.nonPagedBytes;
        totalPBytes += t.pagedBytes;
    }
    out += row("TOTAL", totalNpAllocs, totalNpBytes, totalPAllocs, totalPBytes);
    return out;
}

ExtensionResult poolfindCommand(Kernel& kernel, ExtensionArguments args) {
    if (args.empty() || args.size() > 2)
        return std::unexpected(
            "usage: !poolfind TAG [0|1] (0: nonpaged pool, 1: paged pool, neither: both)");
    auto tag = parseTag(args[0]);
    if (!tag)
        return std::unexpected(tag.error());
    bool nonPaged = true, paged = true;
    if (args.size() == 2) {
        auto which = parseWinDbgNumber(args[1]);
        if (!which || *which > 1)
            return std::unexpected(fmt::format(
                "'{}' is not a pool to search (0: nonpaged pool, 1: paged pool)", args[1]));
        nonPaged = *which == 0;
        paged = *which == 1;
    }
    const auto wanted = [&](ex::PoolKind k) { return ex::isPaged(k) ? paged : nonPaged; };
    const ex::Pool& pool = kernel.pool();
    const mm::MemoryManager& mm = kernel.memoryManager();
    const std::string tagName = fmt::format("0x{:08x} ({})", tag->value(), tag->text());
    const std::uint64_t table = pool.bigPageTable().value();
    std::string out = fmt::format(
        "Scanning large pool allocation table for tag {} ({:016x} : {:016x})\n\n", tagName, table,
        table + pool.bigPageEntries() * sizeof(layout::PoolTrackerBigPages));
    std::uint64_t found = 0, skipped = 0;
    for (const ex::Pool::BigPage& big : pool.bigPages())
        if (wanted(big.kind) && tag->matches(big.tag)) {
            out += fmt::format("{:016x} : tag {}, size {:#10x}, {}\n", big.va.value(),
                               ex::tagText(big.tag), big.bytes, poolName(big.kind));
            ++found;
        }
    const auto search = [&](std::string_view name, mm::SystemRegion region,
                            std::initializer_list<ex::PoolKind> kinds) {
        const auto& r = mm::systemRegion(region);
        out += fmt::format("\nSearching {} pool ({:016x} : {:016x}) for tag {}\n\n", name, r.base,
                           r.end(), tagName);
        for (const ex::PoolKind k : kinds)
            findInSmallPages(mm, pool, k, *tag, out, found, skipped);
    };
    if (nonPaged)
        search("NonPaged", mm::SystemRegion::NonPagedPool,
               {ex::PoolKind::NonPagedNx, ex::PoolKind::NonPagedExecute});
    if (paged)
        search("Paged", mm::SystemRegion::PagedPool, {ex::PoolKind::Paged});
    out += fmt::format("\n{} block{} found", found, found == 1 ? "" : "s");
    if (skipped != 0)
        out += fmt::format("; {} paged-out page{} skipped", skipped, skipped == 1 ? "" : "s");
    out += '\n';
    return out;
}

}  // namespace ntoy::kd
