// The pool's structures in guest memory, in Windows' x64 layouts: what ring-0 code, the
// debugger's !pool family and the allocator all read.
#pragma once

#include <cstdint>

namespace ntoy::ex::layout {

inline constexpr std::uint64_t kUnit = 16;             // block sizes count 16-byte units
inline constexpr unsigned kUnitsPerPage = 256;         // 4096 / 16
inline constexpr std::uint64_t kMaxSmallBytes = 4064;  // POOL_BUDDY_MAX: larger is big pages

// POOL_HEADER (0x10 bytes), before every block under a page. Sizes in units.
struct PoolHeader {
    std::uint8_t previousSize;  // the block before it in the page; 0 for the page's first
    std::uint8_t poolIndex;     // the descriptor's index; kLookasideIndex while on a lookaside
    std::uint8_t blockSize;     // this block, header included
    std::uint8_t poolType;      // 0 free; else the base POOL_TYPE + 1, | kQuotaBit if charged
    std::uint32_t poolTag;
    std::uint64_t processBilled;  // the quota's process (its body in pool), or 0
};
static_assert(sizeof(PoolHeader) == 0x10);
inline constexpr std::uint8_t kLookasideIndex = 0xFF;
inline constexpr std::uint8_t kQuotaBit = 8;
// A free block on a list holds its LIST_ENTRY (Flink, Blink) right after the header; a block
// on a lookaside list holds its SLIST link there.
inline constexpr std::uint64_t kLinkOffset = 0x10;

// POOL_DESCRIPTOR, ntoy's: counters, then ListHeads[256] (one LIST_ENTRY per size in units),
// then the lookaside heads for sizes 1-32 (Next, Depth).
struct PoolDescriptorCounters {
    std::uint32_t poolType;
    std::uint32_t poolIndex;
    std::uint64_t runningAllocs, runningDeAllocs, totalPages, totalBigPages, totalBytes;
};
inline constexpr std::uint64_t kListHeadsOffset = 0x40;
inline constexpr std::uint64_t kLookasideOffset = kListHeadsOffset + 256 * 16;
inline constexpr std::uint64_t kDescriptorBytes = kLookasideOffset + 33 * 16;

// POOL_TRACKER_TABLE (0x28 bytes): one tag's counts.
struct PoolTrackerTable {
    std::uint32_t key;
    std::uint32_t nonPagedAllocs;
    std::uint32_t nonPagedFrees;
    std::uint32_t pad;
    std::uint64_t nonPagedBytes;
    std::uint32_t pagedAllocs;
    std::uint32_t pagedFrees;
    std::uint64_t pagedBytes;
};
static_assert(sizeof(PoolTrackerTable) == 0x28);
inline constexpr std::uint32_t kOverflowTag = 0x6C66764F;  // 'Ovfl'

// POOL_TRACKER_BIG_PAGES (0x18 bytes): one big allocation. Va's bit 0 set: a free entry.
struct PoolTrackerBigPages {
    std::uint64_t va;
    std::uint32_t key;
    std::uint32_t poolType;  // the base POOL_TYPE
    std::uint64_t numberOfBytes;
};
static_assert(sizeof(PoolTrackerBigPages) == 0x18);
inline constexpr std::uint64_t kBigEntryFree = 1;

}  // namespace ntoy::ex::layout
