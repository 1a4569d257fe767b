// The report's model (docs/report.md) built from trace events: as they happen (`ntoy run
// --report`, the debugger's `.report`) or read back from a trace file (`ntoy report TRACE`).
// Either way it is the same events through the same code, so the two reports agree.
//
// What it keeps is bounded by the run, not by the file: per page fault a small record (no
// text), per memory sample its numbers, and at most kMaxSnapshots snapshots (the first ones
// and the last).
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel/kd/TraceWriter.h"

namespace ntoy::kd {

class ReportBuilder final : public TraceSink {
public:
    static constexpr std::size_t kMaxSnapshots = 12;
    static constexpr std::size_t kMaxBuckets = 200;
    static constexpr std::size_t kEventsPerBucket = 25;
    static constexpr std::size_t kMaxSamples = 400;

    // An event of the trace's schema; events of kinds it does not draw are counted only.
    void event(const Json& e) override;

    // The model. `now`, if given, is one more snapshot, the latest (the debugger's).
    Json model(const std::string& title, const std::string& source,
               const std::optional<Json>& now = std::nullopt) const;

    std::uint64_t events() const { return events_; }
    // The first process's image name, or "" before one started: the report's usual title.
    std::string firstImage() const;

private:
    struct ProcessRecord {
        std::uint32_t id = 0, parentId = 0;
        std::string image;
        double startT = 0;
        std::optional<double> exitT;
        Json exit;  // the process_exit event's counts, once it came
        std::map<std::string, std::uint64_t> faults;
        std::uint64_t peakCommit = 0, peakWorkingSet = 0;  // as the samples saw them
    };
    struct FaultRecord {
        double t = 0;
        std::uint64_t n = 0, va = 0, rip = 0, allocationBase = 0, pfn = 0;
        std::uint32_t processId = 0, threadId = 0;
        std::uint8_t kind = 0;  // index into kFaultKinds
        bool hasAllocation = false, hasPfn = false, image = false;
        std::string access, decision, traceKind;  // short: kept in the strings themselves
    };
    struct TagSample {
        std::string tag;
        std::uint64_t pagedBytes = 0, nonPagedBytes = 0, allocs = 0;
    };
    struct Sample {
        double t = 0;
        std::uint64_t commit = 0, pagefileUsed = 0, pagedPool = 0, nonPagedPool = 0;
        std::map<std::string, std::uint64_t> lists;
        std::vector<std::pair<std::uint32_t, std::uint64_t>> workingSets, commits;
        std::vector<TagSample> tags;
        Json faults;   // the kernel's counters
        Json tagRows;  // the pool_tags array as it came (the last one is poolmon's table)
    };

    ProcessRecord& process(std::uint32_t id);
    void addFault(const Json& e);
    void addSample(const Json& e);
    void addSnapshot(const Json& e);
    Json timeline(double end) const;
    Json poolTags() const;

    std::uint64_t events_ = 0;
    double lastT_ = 0;
    std::vector<ProcessRecord> processes_;
    std::vector<FaultRecord> faults_;
    std::vector<Sample> samples_;
    std::vector<Json> snapshots_;
    std::uint64_t snapshotsDropped_ = 0;
};

// The kinds the timeline stacks, in order: a page_fault event's kind, or for a refused one
// its decision.
inline constexpr std::array<std::string_view, 9> kFaultKinds = {
    "demand-zero",      "soft",          "hard", "copy-on-write", "guard page", "stack growth",
    "access violation", "in-page error", "other"};

// Reads a JSON Lines trace from `in` into `builder`; a message naming the line at the first
// that is not a JSON object with an "event".
std::expected<void, std::string> readTrace(std::istream& in, ReportBuilder& builder);

}  // namespace ntoy::kd
