// The reports' data: snapshots of a live kernel checked against the debugger's own counts
// (!memusage, !address -summary) and the kernel's, the report builder's aggregates from a
// trace with known events, and the page's self-containment.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "kernel/kd/Extensions.h"
#include "kernel/kd/MemorySnapshot.h"
#include "kernel/kd/ReportBuilder.h"
#include "kernel/kd/ReportPage.h"
#include "kernel/mm/SystemLayout.h"
#include "tests/debug/LiveKernel.h"

namespace ntoy::kd {
namespace {

using test::LiveKernel;

// The number after `label` in a debugger command's output ("Zeroed:     218 (...)").
std::uint64_t numberAfter(const std::string& text, const std::string& label, int base = 10) {
    const auto at = text.find(label);
    EXPECT_NE(at, std::string::npos) << label << " in:\n" << text;
    if (at == std::string::npos)
        return 0;
    std::istringstream in(text.substr(at + label.size()));
    std::string word;
    in >> word;
    std::erase(word, '`');
    return std::stoull(word, nullptr, base);
}

// !address -summary's Total Size for a row: "Image    3   00000000`00045000 ( 276.000 kB)".
std::uint64_t summarySize(const std::string& text, const std::string& row) {
    const auto at = text.find("\n" + row + " ");
    EXPECT_NE(at, std::string::npos) << row << " in:\n" << text;
    if (at == std::string::npos)
        return 0;
    std::istringstream in(text.substr(at + 1));
    std::string name, count, size;
    in >> name >> count >> size;
    std::erase(size, '`');
    return std::stoull(size, nullptr, 16);
}

const Json& row(const Json& rows, const char* key, const std::string& name) {
    for (const Json& r : rows)
        if (r[key] == name)
            return r;
    ADD_FAILURE() << "no row " << name;
    return rows[0];
}

class SnapshotTest : public ::testing::Test {
protected:
    void SetUp() override {
        live = LiveKernel::load("touch_pages.exe", {"40"});
        ASSERT_TRUE(live);
        // Paused mid-run, with the touched pages in the working set.
        int seen = 0;
        ASSERT_TRUE(live->runToFault([&](const mm::PageFaultOutcome& o) {
            return o.kind == mm::FaultKind::DemandZero && ++seen == 30;
        }));
        snapshot = memorySnapshot(live->kernel(), "test");
    }
    std::string run(const std::string& line) {
        auto r = runExtension(live->kernel(), line);
        EXPECT_TRUE(r) << line << ": " << r.error();
        return r.value_or("");
    }

    std::unique_ptr<LiveKernel> live;
    Json snapshot;
};

TEST_F(SnapshotTest, UseCountsAreThePfnDatabasesAndWhatMemusageShows) {
    const Json& counts = snapshot["physical"]["use_counts"];
    const Json& total = row(counts, "use", "Total");
    const std::string memusage = run("!memusage");
    for (const char* list :
         {"Zeroed", "Free", "Standby", "Modified", "ModifiedNoWrite", "Transition", "Bad"})
        EXPECT_EQ(total[list], numberAfter(memusage, fmt::format("{}:", list))) << list;
    EXPECT_EQ(total["Active"], numberAfter(memusage, "Active/Valid:"));
    EXPECT_EQ(total["total"], numberAfter(memusage, "TOTAL:"));
    const mm::PfnDatabase& pfns = live->kernel().memoryManager().pfns();
    EXPECT_EQ(row(counts, "use", "Process Private")["total"], pfns.count(mm::PageUse::UserPrivate));
    EXPECT_EQ(row(counts, "use", "Mapped Image")["total"], pfns.count(mm::PageUse::UserImage));
    EXPECT_EQ(row(counts, "use", "Page Table")["total"], pfns.count(mm::PageUse::PageTable));
    EXPECT_EQ(row(counts, "use", "Paged Pool")["total"].get<std::uint64_t>() +
                  row(counts, "use", "Nonpaged Pool")["total"].get<std::uint64_t>() +
                  row(counts, "use", "Kernel")["total"].get<std::uint64_t>(),
              pfns.count(mm::PageUse::Kernel));
    // Nonpaged pool's pages are always resident: every one is a frame of that use.
    EXPECT_EQ(row(counts, "use", "Nonpaged Pool")["total"],
              live->kernel().memoryManager().systemSpace().pages(mm::SystemRegion::NonPagedPool));
}

TEST_F(SnapshotTest, FramesRunLengthsCoverRamAndTheProcessOwnsItsPrivateFrames) {
    const Json& physical = snapshot["physical"];
    const std::uint64_t total = physical["total"];
    for (const char* field : {"state", "use", "owner"}) {
        std::uint64_t sum = 0;
        for (const Json& run : physical[field])
            sum += run[1].get<std::uint64_t>();
        EXPECT_EQ(sum, total) << field;
    }
    // Expand use and owner: every Process Private frame in use belongs to the process.
    auto expand = [&](const char* field) {
        std::vector<std::uint64_t> out;
        for (const Json& run : physical[field])
            out.insert(out.end(), run[1].get<std::size_t>(), run[0].get<std::uint64_t>());
        return out;
    };
    const auto uses = expand("use"), owners = expand("owner"), states = expand("state");
    std::uint64_t owned = 0;
    for (std::size_t i = 0; i < total; ++i)
        if (uses[i] == static_cast<std::uint64_t>(FrameUse::ProcessPrivate) &&
            states[i] == static_cast<std::uint64_t>(mm::PageState::Active)) {
            EXPECT_EQ(owners[i], live->process().id()) << "frame " << i;
            ++owned;
        }
    EXPECT_GT(owned, 30u);
}

TEST_F(SnapshotTest, AddressSpaceSummaryAgreesWithAddressSummaryAndTheWorkingSet) {
    ASSERT_EQ(snapshot["processes"].size(), 1u);
    const Json& process = snapshot["processes"][0];
    EXPECT_EQ(process["process_id"], live->process().id());
    EXPECT_EQ(process["image"], "touch_pages.exe");
    const Json& summary = process["summary"];
    const std::string text = run("!address -summary");
    EXPECT_EQ(row(summary, "type", "Image")["size"], summarySize(text, "Image"));
    EXPECT_EQ(row(summary, "type", "Stack")["size"], summarySize(text, "Stack"));
    EXPECT_EQ(row(summary, "type", "Free")["size"], summarySize(text, "Free"));
    EXPECT_EQ(row(summary, "type", "Image")["size"], summarySize(text, "MEM_IMAGE"));
    EXPECT_EQ(row(summary, "type", "Private")["size"].get<std::uint64_t>() +
                  row(summary, "type", "Heap")["size"].get<std::uint64_t>() +
                  row(summary, "type", "Stack")["size"].get<std::uint64_t>(),
              summarySize(text, "MEM_PRIVATE"));
    EXPECT_EQ(row(summary, "type", "Total")["committed"].get<std::uint64_t>() -
                  row(summary, "type", "Page Table")["committed"].get<std::uint64_t>(),
              summarySize(text, "MEM_COMMIT"));
    // The process's commit, and KUSER_SHARED_DATA's page (committed, but the system's).
    EXPECT_EQ(summarySize(text, "MEM_COMMIT"),
              (live->process().space().committedPages() + 1) * kPageSize);
    // The working set is the process's, page for page.
    const mm::AddressSpace& space = live->process().space();
    EXPECT_EQ(row(summary, "type", "Total")["working_set"].get<std::uint64_t>() -
                  row(summary, "type", "Page Table")["working_set"].get<std::uint64_t>(),
              space.workingSet().size() * kPageSize);
    // touch_pages' pages are its own allocation; the process heap is PEB.ProcessHeaps' first.
    EXPECT_GE(row(summary, "type", "Private")["working_set"].get<std::uint64_t>(), 30 * kPageSize);
    EXPECT_EQ(row(summary, "type", "Heap")["blocks"], 1);
    bool heapNamed = false;
    for (const Json& region : process["regions"])
        heapNamed |= region["type"] == "Heap" &&
                     region["details"] ==
                         fmt::format("Heap {}", region["alloc_base_hex"].get<std::string>());
    EXPECT_TRUE(heapNamed);
    std::uint64_t mapped = 0;
    for (const Json& run : process["pages"])
        mapped += run[2].get<std::uint64_t>();
    EXPECT_EQ(mapped, space.workingSet().size() + 1);  // and KUSER_SHARED_DATA
}

// A page table in the paging file: the snapshot reads the file's copy of it (no statistics,
// nothing paged in), so every region is known and the commit adds up to the process's.
TEST(SnapshotUnderPressure, ReadsPagedOutTablesWithoutPagingThemIn) {
    auto live = LiveKernel::load("page_life.exe", {}, 16ull << 20, 16384);
    ASSERT_TRUE(live);
    auto tableInPagingFile = [&] {
        bool found = false;
        live->process().space().tables().forEachLeafTable(
            [&](PhysicalAddress, mm::Pte pde, VirtualAddress) { found |= pde.isPagefile(); });
        return found;
    };
    ASSERT_TRUE(live->runToFault([&](const mm::PageFaultOutcome&) { return tableInPagingFile(); }))
        << "page_life never paged a table out";
    const mm::MemoryManager& mm = live->kernel().memoryManager();
    const auto reads = mm.pagingFile()->reads(), pagesRead = mm.pagingFile()->pagesRead();
    const auto tableFaults = mm.faults().pageTable;
    const Json snapshot = memorySnapshot(live->kernel(), "pressure");
    EXPECT_TRUE(tableInPagingFile()) << "the snapshot paged a table in";
    EXPECT_EQ(mm.pagingFile()->reads(), reads);
    EXPECT_EQ(mm.pagingFile()->pagesRead(), pagesRead);
    EXPECT_EQ(mm.faults().pageTable, tableFaults);
    const Json& process = snapshot["processes"][0];
    for (const Json& region : process["regions"])
        EXPECT_NE(region["state"], "unknown") << region.dump();
    const Json& summary = process["summary"];
    EXPECT_EQ(row(summary, "type", "Total")["committed"].get<std::uint64_t>() -
                  row(summary, "type", "Page Table")["committed"].get<std::uint64_t>(),
              (live->process().space().committedPages() + 1) * kPageSize);  // and KUSER_SHARED_DATA
}

// The snapshot at a process's exit, through the tracer's real path: its threads have ended,
// but their TEBs and stacks, still mapped, are named by them.
TEST(SnapshotAtExit, NamesTheEndedThreadsStacksAndTebs) {
    auto live = LiveKernel::load("touch_pages.exe", {"3"});
    ASSERT_TRUE(live);
    struct Keep final : TraceSink {
        std::vector<Json> snapshots;
        void event(const Json& e) override {
            if (e["event"] == "snapshot")
                snapshots.push_back(e);
        }
    } keep;
    TraceWriter tracer;
    tracer.addSink(keep);
    tracer.watch(live->kernel());
    live->kernel().setObserver(&tracer);
    ASSERT_TRUE(live->runToExit());
    live->kernel().setObserver(nullptr);
    ASSERT_FALSE(keep.snapshots.empty());
    const Json& exit = keep.snapshots.front();
    EXPECT_EQ(exit["label"], "exit of 1000 touch_pages.exe");
    ASSERT_EQ(exit["processes"].size(), 1u);
    bool stack = false, teb = false;
    for (const Json& region : exit["processes"][0]["regions"]) {
        stack |= region["details"] == "Thread 1004 stack";
        teb |= region["details"] == "TEB of thread 1004";
    }
    EXPECT_TRUE(stack);
    EXPECT_TRUE(teb);
}

TEST_F(SnapshotTest, LooksWithoutChangingAnything) {
    const mm::MemoryManager& mm = live->kernel().memoryManager();
    const std::uint64_t faults = live->process().pageFaults(), commit = mm.commit().charge(),
                        ws = live->process().space().workingSet().size();
    Json again = memorySnapshot(live->kernel(), "test");
    again.erase("t");  // the host clock moved on
    Json before = snapshot;
    before.erase("t");
    EXPECT_EQ(again, before);
    EXPECT_EQ(live->process().pageFaults(), faults);
    EXPECT_EQ(mm.commit().charge(), commit);
    EXPECT_EQ(live->process().space().workingSet().size(), ws);
}

TEST_F(SnapshotTest, MemorySampleCarriesTheCountersStatsPrints) {
    const Json sample = memorySample(live->kernel());
    const mm::MemoryManager& mm = live->kernel().memoryManager();
    EXPECT_EQ(sample["event"], "memory");
    EXPECT_EQ(sample["commit_pages"], mm.commit().charge());
    EXPECT_EQ(sample["faults"]["demand_zero"], mm.faults().demandZero);
    EXPECT_EQ(sample["lists"]["Zeroed"], mm.pfns().count(mm::PageState::Zeroed));
    ASSERT_EQ(sample["processes"].size(), 1u);
    EXPECT_EQ(sample["processes"][0]["working_set_pages"],
              live->process().space().workingSet().size());
    bool vads = false;
    for (const Json& t : sample["pool_tags"])
        vads |= t["tag"] == "VadS" && t["nonpaged_bytes"].get<std::uint64_t>() > 0;
    EXPECT_TRUE(vads) << "the process's VAD nodes are in nonpaged pool";
}

// ---- the builder ----------------------------------------------------------------------------

Json fault(double t, std::uint64_t n, std::uint32_t pid, const char* kind,
           const char* decision = "resolved") {
    return Json{{"event", "page_fault"},
                {"t", t},
                {"n", n},
                {"process_id", pid},
                {"thread_id", pid + 4},
                {"va", 0x210000 + n * 0x1000},
                {"rip", 0x140001000},
                {"access", "write"},
                {"kind", kind},
                {"decision", decision},
                {"allocation_base", 0x210000},
                {"region_type", "MEM_PRIVATE"},
                {"pfn", 0x500 + n}};
}

Json memory(double t, std::uint64_t commit, std::uint64_t ws, std::uint64_t procBytes) {
    return Json{{"event", "memory"},
                {"t", t},
                {"commit_pages", commit},
                {"pagefile_used_pages", 0},
                {"lists", {{"Zeroed", 100}, {"Active", commit}}},
                {"processes",
                 {{{"process_id", 1000}, {"working_set_pages", ws}, {"commit_pages", commit}}}},
                {"pool", {{"paged", 0}, {"nonpaged", procBytes}}},
                {"pool_tags",
                 {{{"tag", "Proc"},
                   {"nonpaged_bytes", procBytes},
                   {"nonpaged_allocs", 1},
                   {"nonpaged_frees", 0}},
                  {{"tag", "Thre"},
                   {"nonpaged_bytes", 100},
                   {"nonpaged_allocs", 3},
                   {"nonpaged_frees", 2}}}},
                {"faults", {{"demand_zero", commit}}}};
}

TEST(ReportBuilder, KnownEventsGiveKnownAggregates) {
    ReportBuilder b;
    b.event({{"event", "process_start"},
             {"t", 0.0},
             {"process_id", 1000},
             {"parent_id", 0},
             {"image", "a.exe"}});
    b.event(memory(0.0, 10, 5, 50));
    b.event(fault(1.0, 1, 1000, "demand-zero"));
    b.event(fault(2.0, 2, 1000, "copy-on-write"));
    b.event(fault(3.0, 3, 1000, "not committed", "access_violation"));
    b.event(memory(5.0, 30, 25, 500));
    b.event(fault(10.0, 4, 1000, "demand-zero"));
    b.event({{"event", "syscall"}, {"t", 10.0}, {"process_id", 1000}});
    b.event({{"event", "process_exit"},
             {"t", 10.0},
             {"process_id", 1000},
             {"exit_code_hex", "0x00000007"},
             {"peak_commit", 31},
             {"peak_working_set", 26}});
    b.event(memory(10.0, 8, 0, 40));
    EXPECT_EQ(b.events(), 10u);
    EXPECT_EQ(b.firstImage(), "a.exe");

    const Json m = b.model("a.exe", "test");
    EXPECT_EQ(m["fault_totals"]["demand-zero"], 2);
    EXPECT_EQ(m["fault_totals"]["copy-on-write"], 1);
    EXPECT_EQ(m["fault_totals"]["access violation"], 1);
    EXPECT_EQ(m["fault_totals"]["soft"], 0);
    // The last sample's counters are the kernel's.
    EXPECT_EQ(m["fault_counters"]["demand_zero"], 8);
    // Equal slices covering the 10 ms, at most 200; each fault in the one holding its time.
    const Json& buckets = m["timeline"]["buckets"];
    EXPECT_EQ(m["timeline"]["axis"], "ms");
    ASSERT_LE(buckets.size(), ReportBuilder::kMaxBuckets);
    ASSERT_GE(buckets.size(), 100u);  // the run fills at least half of them
    const double width = buckets[0]["t1"].get<double>();
    EXPECT_GE(buckets.back()["t1"].get<double>(), 10.0);
    auto holding = [&](double t) -> const Json& {
        return buckets[std::min<std::size_t>(static_cast<std::size_t>(t / width),
                                             buckets.size() - 1)];
    };
    auto at = [](std::string_view kind) {
        return std::ranges::find(kFaultKinds, kind) - kFaultKinds.begin();
    };
    EXPECT_EQ(holding(1.0)["counts"][at("demand-zero")], 1);
    EXPECT_EQ(holding(2.0)["counts"][at("copy-on-write")], 1);
    EXPECT_EQ(holding(3.0)["counts"][at("access violation")], 1);
    EXPECT_EQ(holding(10.0)["counts"][at("demand-zero")], 1);
    std::uint64_t total = 0;
    for (const Json& bucket : buckets)
        for (const Json& c : bucket["counts"])
            total += c.get<std::uint64_t>();
    EXPECT_EQ(total, 4u);
    const Json& refused = holding(3.0)["events"];
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0]["kind"], "not committed");
    EXPECT_EQ(refused[0]["va_hex"], "0x213000");
    EXPECT_EQ(refused[0]["region"], "MEM_PRIVATE 0x210000");
    EXPECT_EQ(refused[0]["result"], "not committed: access_violation");
    EXPECT_EQ(holding(1.0)["events"][0]["result"], "demand-zero: frame 0x501");
    // The process: its own faults, and the kernel's peaks from its exit.
    ASSERT_EQ(m["processes"].size(), 1u);
    const Json& p = m["processes"][0];
    EXPECT_EQ(p["faults"]["demand-zero"], 2);
    EXPECT_EQ(p["peak_commit_pages"], 31);
    EXPECT_EQ(p["peak_working_set_pages"], 26);
    EXPECT_EQ(p["exit_code_hex"], "0x00000007");
    EXPECT_DOUBLE_EQ(p["exit_t"].get<double>(), 10.0);
    // Samples in time order; the pools by tag, the largest first.
    const Json& samples = m["timeline"]["samples"];
    ASSERT_EQ(samples.size(), 3u);
    EXPECT_EQ(samples[1]["working_sets"]["1000"], 25);
    EXPECT_EQ(samples[1]["pool"]["nonpaged"], 500);
    EXPECT_EQ(m["pool_tags"]["tags"], Json::array({"Proc", "Thre"}));
    EXPECT_EQ(m["pool_tags"]["samples"][1]["nonpaged"], Json::array({500, 100}));
    EXPECT_EQ(m["pool_tags"]["samples"][1]["allocs"], Json::array({1, 1}));
    EXPECT_EQ(m["pool_tags"]["final"][0]["nonpaged_bytes"], 40);
}

TEST(ReportBuilder, BoundsWhatItKeeps) {
    ReportBuilder b;
    for (int i = 0; i < 1000; ++i)
        b.event(memory(i, 1, 1, 1));
    for (int i = 0; i < 1000; ++i)
        b.event(fault(i * 0.5, i + 1, 1000, "demand-zero"));
    for (int i = 0; i < 15; ++i)
        b.event(
            {{"event", "snapshot"},
             {"t", i},
             {"label", fmt::format("s{}", i)},
             {"processes", i < 14 ? Json::array({Json{{"process_id", 1000}}}) : Json::array()}});
    const Json m = b.model("t", "test");
    const Json& samples = m["timeline"]["samples"];
    EXPECT_LE(samples.size(), ReportBuilder::kMaxSamples);
    EXPECT_DOUBLE_EQ(samples.back()["t"].get<double>(), 999.0);  // the last is always kept
    const Json& buckets = m["timeline"]["buckets"];
    ASSERT_LE(buckets.size(), ReportBuilder::kMaxBuckets);
    ASSERT_GT(buckets.size(), ReportBuilder::kMaxBuckets / 2);
    std::uint64_t listed = 0, counted = 0;
    for (const Json& bucket : buckets) {
        EXPECT_LE(bucket["events"].size(), ReportBuilder::kEventsPerBucket);
        listed += bucket["events"].size() + bucket["more"].get<std::uint64_t>();
        for (const Json& c : bucket["counts"])
            counted += c.get<std::uint64_t>();
    }
    EXPECT_EQ(listed, 1000u);
    EXPECT_EQ(counted, 1000u);
    // The first snapshots and the latest; the views open on the last with a process.
    const Json& snapshots = m["snapshots"];
    ASSERT_EQ(snapshots.size(), ReportBuilder::kMaxSnapshots);
    EXPECT_EQ(snapshots[0]["label"], "s0");
    EXPECT_EQ(snapshots[ReportBuilder::kMaxSnapshots - 2]["label"],
              "s13");  // the last with a process
    EXPECT_EQ(snapshots.back()["label"], "s14");
    EXPECT_EQ(m["snapshots_dropped"], 3);
    EXPECT_EQ(m["default_snapshot"], ReportBuilder::kMaxSnapshots - 2);
    // The debugger's "now" comes last.
    const Json now{{"event", "snapshot"},
                   {"t", 2000.0},
                   {"label", "now"},
                   {"processes", Json::array({Json{{"process_id", 1000}}})}};
    const Json withNow = b.model("t", "test", now);
    EXPECT_EQ(withNow["snapshots"].back()["label"], "now");
    EXPECT_EQ(withNow["default_snapshot"], ReportBuilder::kMaxSnapshots);
}

// The slices cover the run, not only its faults: a run that goes on after its last fault (or
// a debugger stop later still) is drawn to its end.
TEST(ReportBuilder, TheTimelineCoversTheRunPastItsLastFault) {
    ReportBuilder b;
    b.event(fault(1.0, 1, 1000, "demand-zero"));
    b.event(fault(2.0, 2, 1000, "demand-zero"));
    b.event({{"event", "syscall"}, {"t", 140.0}});
    const Json buckets = b.model("t", "test")["timeline"]["buckets"];
    ASSERT_FALSE(buckets.empty());
    EXPECT_LE(buckets.size(), ReportBuilder::kMaxBuckets);
    EXPECT_GE(buckets.back()["t1"].get<double>(), 140.0);
    EXPECT_LE(buckets.back()["t0"].get<double>(), 140.0);
    const Json now{{"event", "snapshot"}, {"t", 1000.0}, {"label", "now"}};
    EXPECT_GE(b.model("t", "test", now)["timeline"]["buckets"].back()["t1"].get<double>(), 1000.0);
}

// A clock that never moved: slices of whole faults, one fault each for a short run.
TEST(ReportBuilder, AStillClockGivesSlicesOfFaults) {
    ReportBuilder b;
    for (int i = 1; i <= 22; ++i)
        b.event(fault(0.0, i, 1000, "demand-zero"));
    const Json timeline = b.model("t", "test")["timeline"];
    EXPECT_EQ(timeline["axis"], "fault number");
    ASSERT_EQ(timeline["buckets"].size(), 22u);
    for (const Json& bucket : timeline["buckets"])
        EXPECT_EQ(bucket["counts"][0], 1);
}

TEST(ReportBuilder, SamplesStayWithinTheirLimitAtEveryCount) {
    for (const int n : {399, 400, 401, 799, 800, 801, 1598, 3194, 3195, 3196}) {
        ReportBuilder b;
        for (int i = 0; i < n; ++i)
            b.event(memory(i, 1, 1, 1));
        const Json samples = b.model("t", "test")["timeline"]["samples"];
        EXPECT_LE(samples.size(), ReportBuilder::kMaxSamples) << n;
        EXPECT_DOUBLE_EQ(samples.back()["t"].get<double>(), n - 1) << n;
        EXPECT_DOUBLE_EQ(samples.front()["t"].get<double>(), 0.0) << n;
    }
}

TEST(ReportBuilder, HostileValuesNeitherThrowNorBreakTheBuckets) {
    ReportBuilder b;
    std::istringstream in(
        "{\"event\":\"page_fault\",\"t\":-5,\"process_id\":99999999999}\n"
        "{\"event\":\"page_fault\",\"t\":1e300,\"kind\":7,\"pfn\":-3,\"va\":\"x\"}\n"
        "{\"event\":\"memory\",\"lists\":[1],\"processes\":{\"a\":1},\"pool_tags\":[1,\"x\"]}\n"
        "{\"event\":\"process_exit\",\"process_id\":\"1000\",\"peak_commit\":\"many\"}\n"
        "{\"event\":\"snapshot\",\"processes\":7}\n");
    ASSERT_TRUE(readTrace(in, b));
    EXPECT_EQ(b.events(), 5u);
    Json m;
    ASSERT_NO_THROW(m = b.model("t", "test"));
    std::uint64_t counted = 0;
    for (const Json& bucket : m["timeline"]["buckets"])
        for (const Json& c : bucket["counts"])
            counted += c.get<std::uint64_t>();
    EXPECT_EQ(counted, 2u);  // both faults, in the first and last buckets
    ASSERT_NO_THROW((void)reportHtml(m));
    // A number past a double's range is not a trace event, or a time of 0: never a crash.
    std::istringstream huge("{\"event\":\"page_fault\",\"t\":1e999}\n");
    ReportBuilder c;
    (void)readTrace(huge, c);
    ASSERT_NO_THROW((void)c.model("t", "test"));
}

TEST(ReportBuilder, ReadTraceNamesTheFirstBadLine) {
    ReportBuilder b;
    std::istringstream good(
        "{\"event\":\"page_fault\",\"t\":1,\"kind\":\"soft\"}\n\n"
        "{\"event\":\"syscall\"}\n");
    EXPECT_TRUE(readTrace(good, b));
    EXPECT_EQ(b.events(), 2u);
    std::istringstream bad("{\"event\":\"syscall\"}\n[1,2]\n");
    const auto read = readTrace(bad, b);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error(), "line 2: not a trace event (a JSON object with an \"event\")");
    // A last line cut short is left out, and said so; one in the middle is an error.
    std::istringstream cut("{\"event\":\"syscall\"}\n{\"event\":");
    const auto partial = readTrace(cut, b);
    ASSERT_TRUE(partial);
    EXPECT_TRUE(partial->cutShort);
    EXPECT_EQ(partial->lines, 1u);
    std::istringstream middle("{\"event\":\n{\"event\":\"syscall\"}\n");
    EXPECT_FALSE(readTrace(middle, b));
    // Windows' line ends are read; a file of one line that is not a trace is not one, cut
    // short or not.
    std::istringstream crlf("{\"event\":\"syscall\"}\r\n\r\n{\"event\":\"syscall\"}\r\n");
    ASSERT_TRUE(readTrace(crlf, b));
    std::istringstream hello("hello");
    EXPECT_FALSE(readTrace(hello, b));
    std::istringstream notEvent("{\"event\":\"syscall\"}\n{\"a\":1}");
    EXPECT_FALSE(readTrace(notEvent, b));
    // Two traces joined: time goes back, or a process starts twice.
    std::istringstream back("{\"event\":\"syscall\",\"t\":5}\n{\"event\":\"syscall\",\"t\":1}\n");
    EXPECT_EQ(readTrace(back, b).error(),
              "line 2: its time (1 ms) is before the line's before it (5 ms): two traces joined?");
    std::istringstream twice(
        "{\"event\":\"process_start\",\"process_id\":1000}\n"
        "{\"event\":\"process_start\",\"process_id\":1000}\n");
    EXPECT_EQ(readTrace(twice, b).error(),
              "line 2: process 1000 starts a second time: two traces joined?");
}

// ---- the page ---------------------------------------------------------------------------------

TEST(ReportPage, IsOneFileWithItsScriptsAndData) {
    ReportBuilder b;
    b.event(fault(1.0, 1, 1000, "demand-zero"));
    Json m = b.model("</script><script>alert(1)</script>", "test");
    m["comment"] = "x<!--<script>";            // would make the end of the data script not end it
    m["odd"] = std::string("\xff\xfe bytes");  // a name that is not UTF-8
    const std::string html = reportHtml(m);
    // The template's placeholders are filled (the script may name one to check for that).
    for (const char* placeholder : {"/*NTOY:CSS*/", "/*NTOY:CHARTJS*/"})
        EXPECT_EQ(html.find(placeholder), std::string::npos) << placeholder;
    // Chart.js, or where the build had none, the page saying so.
    EXPECT_TRUE(html.find("Chart.js v") != std::string::npos ||
                html.find("built without Chart.js") != std::string::npos);
    const std::string opening = "id=\"report-data\">";
    const auto data = html.find(opening);
    ASSERT_NE(data, std::string::npos);
    EXPECT_EQ(html.find_first_not_of(" \n", data + opening.size()),
              html.find("{\"version\":1", data));
    // No text in the model ends its script element or opens a comment in it: <, > and & are
    // \u escapes, the same JSON strings.
    EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
    EXPECT_EQ(html.find("<!--<script>"), std::string::npos);
    EXPECT_NE(html.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"), std::string::npos);
    EXPECT_NE(html.find("x\\u003c!--\\u003cscript\\u003e"), std::string::npos);
    // Nothing is fetched: no external scripts, styles or fonts.
    for (const char* external :
         {"src=\"http", "href=\"http", "src='http", "@import", "url(http", "<link"})
        EXPECT_EQ(html.find(external), std::string::npos) << external;
}

}  // namespace
}  // namespace ntoy::kd
