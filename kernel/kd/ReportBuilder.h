// The report's model (docs/report.md) built from trace events: as they happen (`ntoy run
// --report`, the debugger's `.report`) or read back from a trace file (`ntoy report TRACE`).
// Either way it is the same events through the same code, so the two reports agree.
//
// What it keeps does not grow with the run: the faults as counts per kind in at most
// 2 x kMaxBuckets time slices (slices double in width as the run grows) with the first
// kEventsPerBucket of each kept for listing; at most 2 x kMaxSamples memory samples (every
// other one dropped, evenly, when there are more; the latest always kept); the pool tags'
// peaks; and at most kMaxSnapshots snapshots: the first ones, the latest with a process in it,
// and the latest. Only the processes' list grows, by one small record per process.
//
// A trace file is anyone's: every field is read as the type it should have, or as absent.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel/kd/TraceWriter.h"
#include "kernel/mm/PfnDatabase.h"

namespace ntoy::kd {

// The kinds the timeline stacks, in order: a page_fault event's kind, or for a refused one
// its decision.
inline constexpr std::array<std::string_view, 9> kFaultKinds = {
    "demand-zero",      "soft",          "hard", "copy-on-write", "guard page", "stack growth",
    "access violation", "in-page error", "other"};

class ReportBuilder final : public TraceSink {
public:
    static constexpr std::size_t kMaxSnapshots = 12;
    static constexpr std::size_t kMaxBuckets = 200;
    static constexpr std::size_t kEventsPerBucket = 25;
    static constexpr std::size_t kMaxSamples = 400;
    static constexpr std::size_t kTagsPerPool = 15;  // drawn per pool; the rest as "(other)"
    static constexpr std::size_t kMaxTags = 4096;    // tags followed; past them, "(other)"
    static constexpr std::size_t kMaxSampleProcesses = 1024;

    // An event of the trace's schema; events of kinds it does not draw are counted only.
    void event(const Json& e) override;
    // Only the kinds it draws: the writer builds no others for it.
    bool wants(std::string_view event) const override;
    bool wantsEveryField() const override { return false; }

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
        std::string exitCodeHex;
        std::optional<std::uint64_t> threads, syscalls, pageFaults, peakCommitExit,
            peakWorkingSetExit, peakVirtual;
        std::array<std::uint64_t, kFaultKinds.size()> faults{};
        std::uint64_t peakCommit = 0, peakWorkingSet = 0;  // as the samples saw them
    };
    struct Fault {
        double t = 0;
        std::uint64_t n = 0, va = 0, rip = 0, allocationBase = 0, pfn = 0;
        std::uint32_t processId = 0, threadId = 0;
        std::uint8_t kind = 0;  // index into kFaultKinds
        bool hasAllocation = false, hasPfn = false, image = false;
        std::string access, decision, traceKind;
    };
    // Faults per slice of [0, slices x width): counts per kind and the first events.
    class Histogram {
    public:
        explicit Histogram(double width) : width_(width) {}
        // Widens the slices (each pair becomes one) until they cover [0, position].
        void reach(double position);
        void add(double position, const Fault& f);
        // At most kMaxBuckets buckets covering [0, end], which reach() has covered.
        Json buckets(double end) const;

    private:
        struct Slice {
            std::array<std::uint64_t, kFaultKinds.size()> counts{};
            std::vector<Fault> events;
            std::uint64_t more = 0;
            void keep(Fault f);  // listed, or counted as one more
            void absorb(Slice&& other);
        };
        std::vector<Slice> slices_ = std::vector<Slice>(2 * kMaxBuckets);
        double width_;  // doubles until the run fits
    };
    using TagSample = PoolTagRow;
    struct Sample {
        double t = 0;
        std::uint64_t commit = 0, pagefileUsed = 0, pagedPool = 0, nonPagedPool = 0;
        std::uint64_t commitLimit = 0, commitPeak = 0, pagefilePages = 0;
        std::vector<std::pair<std::string, std::uint64_t>> lists;
        std::vector<std::pair<std::uint32_t, std::uint64_t>> workingSets, commits;
        std::vector<TagSample> tags;
        std::vector<std::pair<std::string, std::uint64_t>> faults;  // the kernel's counters
    };
    struct Snapshot {
        std::uint64_t sequence = 0;
        Json body;
    };

    ProcessRecord& process(std::uint32_t id);
    void addFault(const Json& e);
    void addSample(const Json& e);
    void addSnapshot(const Json& e);
    std::vector<const Sample*> keptSamples() const;
    Json timeline(double end, const std::vector<const Sample*>& samples) const;
    Json poolTags(const std::vector<const Sample*>& samples) const;

    std::uint64_t events_ = 0;
    double lastT_ = 0;
    std::vector<ProcessRecord> processes_;
    std::unordered_map<std::uint32_t, std::size_t> processIndex_;
    // By time (ms, from 1 us slices), and by the faults' order for a run whose clock never
    // moved (from one fault a slice).
    Histogram byTime_{1.0 / 1024}, byNumber_{1.0};
    std::uint64_t faults_ = 0;
    std::vector<Sample> samples_;
    std::uint64_t sampleStride_ = 1, samplesSeen_ = 0;
    std::optional<Sample> latestSample_;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> tagPeaks_;  // paged, nonpaged
    std::vector<Snapshot> firstSnapshots_;
    std::optional<Snapshot> latestWithProcesses_, latestSnapshot_;
    std::uint64_t snapshotsSeen_ = 0;
};

// Reads a JSON Lines trace from `in` into `builder`; a message naming the line at the first
// that is not a JSON object with an "event" (or nests deeper than kMaxTraceDepth), whose
// time is before the line's before it, or that starts a process already started (both say
// two traces were joined). A last line cut short (no newline, not JSON: a run stopped while
// writing it) is left out and said so.
inline constexpr int kMaxTraceDepth = 32;
struct TraceRead {
    std::uint64_t lines = 0;  // read into the builder
    bool cutShort = false;
};
std::expected<TraceRead, std::string> readTrace(std::istream& in, ReportBuilder& builder);

}  // namespace ntoy::kd
