// The machine's memory as the reports draw it (docs/report.md), as JSON objects that go into
// the trace as they are: `memory` samples (the running totals a timeline plots) and
// `snapshot`s (every process's address space, as VMMap lays it out, and every frame, as RAMMap
// does).
//
// Both only look: nothing is paged in or out, no counter moves. A page whose leaf table is in
// the paging file cannot be seen without paging the table in, so its stretch shows as one
// region saying so.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ntoy {
class Kernel;
}
namespace ntoy::mm {
struct FaultCounters;
}

namespace ntoy::kd {

using Json = nlohmann::ordered_json;

// Every frame's use as RAMMap names it, in the order of a snapshot's "uses".
enum class FrameUse : std::uint8_t {
    Unused,
    ProcessPrivate,
    MappedImage,
    PageTable,
    PagedPool,
    NonpagedPool,
    Kernel,
};
inline constexpr std::size_t kFrameUseCount = 7;

// An event's time, "t": the kernel's interrupt time in milliseconds since boot.
double eventTime(const Kernel& kernel);

// {"event": "memory", ...}: commit, the page lists, the paging file, every live process's
// working set and commit, the pools and their tags, and the kernel's fault counters (the
// ones --stats prints), all as they are now.
Json memorySample(Kernel& kernel);

// {"event": "snapshot", "label": label, ...}: every live process and every frame.
Json memorySnapshot(Kernel& kernel, const std::string& label);

// The kernel's page-fault counters by kind, as --stats prints them ("demand_zero", ...).
Json faultCountersJson(const mm::FaultCounters& faults);

// One pool tag's counts, as poolmon shows them: a memory sample's "pool_tags" row.
struct PoolTagRow {
    std::string tag;
    std::uint64_t pagedAllocs = 0, pagedFrees = 0, pagedBytes = 0;
    std::uint64_t nonPagedAllocs = 0, nonPagedFrees = 0, nonPagedBytes = 0;
};
Json poolTagJson(const PoolTagRow& row);

}  // namespace ntoy::kd
