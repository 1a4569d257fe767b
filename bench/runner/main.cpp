// bench/run: each pair runs the same work on ntoy and on a reference, alternating, several
// times; medians and ratios go to stdout as a table and to bench/results.json.
//
// ntoy's side runs `ntoy run` as a child process. Its rates subtract a baseline run of the
// same guest with a trivial count, so that they measure the work, not the start-up.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

#include "bench/runner/Measure.h"
#include "bench/runner/PoolPairs.h"
#include "bench/runner/References.h"

namespace {

using namespace ntoy::bench;
namespace fs = std::filesystem;

struct Options {
    fs::path ntoy, images, output;
    int rounds = 5;
};

struct Row {
    std::string name, ntoyText, referenceText, ratioText;
};

class Runner {
public:
    explicit Runner(Options o) : o_(std::move(o)) {}

    // Seconds for one `ntoy run` of `guest` with `arg`; fails loudly on a bad exit status.
    ChildRun ntoy(const std::string& guest, const std::string& arg,
                  const std::string& ram = "64M") {
        return ntoy(guest, arg.empty() ? std::vector<std::string>{} : std::vector{arg}, ram);
    }
    ChildRun ntoy(const std::string& guest, const std::vector<std::string>& args,
                  const std::string& ram = "64M", bool sampleMappings = false,
                  const std::vector<std::string>& flags = {}) {
        std::vector<std::string> argv{o_.ntoy.string(), "run", "--ram", ram};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.push_back((o_.images / guest).string());
        argv.insert(argv.end(), args.begin(), args.end());
        auto run = runChild(argv, sampleMappings);
        if (!run || run->exitStatus != 0)
            throw std::runtime_error(fmt::format("{} {} failed (exit status {})", guest,
                                                 fmt::join(args, " "), run ? run->exitStatus : -1));
        return *run;
    }
    // Work seconds for `guest N`: a run with N minus a run with `baseline`.
    double ntoyWork(const std::string& guest, std::uint64_t n, std::uint64_t baseline,
                    const std::string& ram = "64M") {
        return ntoyWork(guest, {std::to_string(n)}, {std::to_string(baseline)}, ram);
    }
    // The same with whole argument lists: a run with `full` minus a run with `baseline`.
    double ntoyWork(const std::string& guest, const std::vector<std::string>& full,
                    const std::vector<std::string>& baseline, const std::string& ram = "64M",
                    const std::vector<std::string>& flags = {}) {
        const double work = ntoy(guest, full, ram, false, flags).seconds;
        const double base = ntoy(guest, baseline, ram, false, flags).seconds;
        return std::max(work - base, 1e-6);
    }

    int rounds() const { return o_.rounds; }
    const Options& options() const { return o_; }

private:
    Options o_;
};

// Runs `a` and `b` alternately, `rounds` times; returns their medians.
std::pair<double, double> alternate(int rounds, const std::function<double()>& a,
                                    const std::function<double()>& b) {
    std::vector<double> as, bs;
    for (int i = 0; i < rounds; ++i) {
        as.push_back(a());
        bs.push_back(b());
    }
    return {median(as), median(bs)};
}

std::string rate(double perSecond, const char* unit) {
    if (perSecond >= 1e6)
        return fmt::format("{:.2f} M{}", perSecond / 1e6, unit);
    if (perSecond >= 1e3)
        return fmt::format("{:.1f} k{}", perSecond / 1e3, unit);
    return fmt::format("{:.1f} {}", perSecond, unit);
}

std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--ntoy")
            o.ntoy = next();
        else if (a == "--images")
            o.images = next();
        else if (a == "--output")
            o.output = next();
        else if (a == "--rounds")
            o.rounds = std::max(1, std::atoi(next().c_str()));
        else
            return std::nullopt;
    }
    if (o.ntoy.empty() || o.images.empty() || o.output.empty())
        return std::nullopt;
    return o;
}

std::optional<std::string> findOnPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path)
        return std::nullopt;
    std::string p = path;
    for (std::size_t start = 0; start <= p.size();) {
        const std::size_t end = std::min(p.find(':', start), p.size());
        const fs::path candidate = fs::path(p.substr(start, end - start)) / name;
        if (access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) {
        fmt::print(stderr,
                   "usage: ntoy_bench --ntoy PATH --images DIR --output FILE [--rounds N]\n");
        return 2;
    }
    Runner r(*options);
    const int rounds = r.rounds();
    std::vector<Row> rows;
    nlohmann::ordered_json results;

    try {
        constexpr std::uint64_t kRssPages = 100'000;
        // Memory first: Linux carries a parent's peak RSS into the child it spawns, so these
        // must run while this runner is still small (before its own native page touching).
        const double rssHello = r.ntoy("hello.exe", "").maxRssMib;
        const double rss100k =
            r.ntoy("fault_storm.exe", std::to_string(kRssPages), "512M").maxRssMib;
        results["rss_hello_mib"] = rssHello;
        results["rss_100k_pages_mib"] = rss100k;
        rows.push_back(
            {"peak RSS: hello (64M RAM)", fmt::format("{:.1f} MiB", rssHello), "-", "-"});
        rows.push_back(
            {"peak RSS: 100k pages (512M RAM)", fmt::format("{:.1f} MiB", rss100k),
             fmt::format("{:.1f} MiB guest pages", kRssPages * 4096.0 / (1 << 20)),
             fmt::format("{:.1f} MiB host overhead", rss100k - kRssPages * 4096.0 / (1 << 20))});

        // 8. the host memory of each extra live process: peak RSS with 32 children alive
        //    against none. With the memory figures, for the same reason (it read 0 after the
        //    native pairs had raised this runner's peak).
        constexpr std::uint64_t kHeld = 32;
        std::vector<double> perProcess, mappingsPerProcess;
        for (int i = 0; i < rounds; ++i) {
            const ChildRun many =
                r.ntoy("bench_spawn.exe", std::vector<std::string>{"hold", std::to_string(kHeld)},
                       "64M", true);
            const ChildRun none =
                r.ntoy("bench_spawn.exe", std::vector<std::string>{"hold", "0"}, "64M", true);
            perProcess.push_back((many.maxRssMib - none.maxRssMib) / kHeld);
            mappingsPerProcess.push_back(
                (static_cast<double>(many.maxMappings) - static_cast<double>(none.maxMappings)) /
                kHeld);
        }
        results["rss_per_live_process_mib"] = median(perProcess);
        results["mappings_per_live_process"] = median(mappingsPerProcess);
        rows.push_back(
            {"host RSS per live process", fmt::format("{:.2f} MiB", median(perProcess)), "-", "-"});
        rows.push_back({"host mappings per live process",
                        fmt::format("{:.1f}", median(mappingsPerProcess)), "-", "-"});

        // 1. compute: ntoy vs bare Unicorn (same machine code); native for the cycle ratio.
        constexpr std::uint64_t kIterations = 300'000'000;
        const auto [ntoyCompute, bareCompute] = alternate(
            rounds, [&] { return r.ntoyWork("bench_compute.exe", kIterations, 1); },
            [&] { return bareUnicornCompute(kIterations); });
        const double nativeSeconds = median(
            {nativeCompute(kIterations), nativeCompute(kIterations), nativeCompute(kIterations)});
        results["compute_ratio"] = bareCompute / ntoyCompute;
        results["cycle_ratio"] = ntoyCompute / nativeSeconds;
        rows.push_back({"compute (300M iterations)", fmt::format("{:.3f} s", ntoyCompute),
                        fmt::format("{:.3f} s bare Unicorn", bareCompute),
                        fmt::format("{:.3f} of bare Unicorn", bareCompute / ntoyCompute)});
        rows.push_back({"compute vs native", fmt::format("{:.3f} s", ntoyCompute),
                        fmt::format("{:.3f} s native", nativeSeconds),
                        fmt::format("{:.1f}x native time", ntoyCompute / nativeSeconds)});

        // 1b. compute with competition: three processes of 300M iterations, all ready at
        // once, so that the scheduler slices time between them (issue 10: time slicing must
        // not slow compute), against bare Unicorn's 900M in the same run. Long runs, so that
        // three processes' start-up (subtracted) is small next to the work.
        const auto [ntoyShared, bareShared] = alternate(
            rounds,
            [&] {
                return r.ntoyWork("bench_compute.exe", {std::to_string(kIterations), "2"},
                                  {"1", "2"});
            },
            [&] { return bareUnicornCompute(3 * kIterations); });
        results["compute_competing_ratio"] = bareShared / ntoyShared;
        rows.push_back({"compute, 3 processes ready (3 x 300M)",
                        fmt::format("{:.3f} s", ntoyShared),
                        fmt::format("{:.3f} s bare Unicorn", bareShared),
                        fmt::format("{:.3f} of bare Unicorn", bareShared / ntoyShared)});

        // 2. demand-zero faults: 100,000 fresh pages.
        constexpr std::uint64_t kPages = 100'000;
        const auto [ntoyFaults, nativeFaults] = alternate(
            rounds, [&] { return r.ntoyWork("fault_storm.exe", kPages, 1, "512M"); },
            [&] { return nativeDemandZero(kPages); });
        std::vector<double> memfd;
        for (int i = 0; i < rounds; ++i)
            memfd.push_back(nativeMemfdSharedTouch(kPages));
        const double memfdFaults = median(memfd);
        results["demand_zero_faults_per_s"] = kPages / ntoyFaults;
        results["native_faults_per_s"] = kPages / nativeFaults;
        results["memfd_shared_faults_per_s"] = kPages / memfdFaults;
        results["demand_zero_ratio_to_native"] = nativeFaults / ntoyFaults;
        results["demand_zero_ratio_to_memfd_floor"] = memfdFaults / ntoyFaults;
        rows.push_back({"demand-zero faults (100k pages)", rate(kPages / ntoyFaults, "faults/s"),
                        rate(kPages / nativeFaults, "faults/s native"),
                        fmt::format("{:.2f} of native", nativeFaults / ntoyFaults)});
        // The floor of this design: ntoy's guest RAM is a shared memfd, so each fresh guest
        // page costs the host at least a shared-memory fault.
        rows.push_back({"demand-zero vs memfd floor", rate(kPages / ntoyFaults, "faults/s"),
                        rate(kPages / memfdFaults, "faults/s memfd shared"),
                        fmt::format("{:.2f} of the floor", memfdFaults / ntoyFaults)});

        // 3. system calls: NtQueryVirtualMemory on a committed page.
        constexpr std::uint64_t kCalls = 2'000'000;
        std::vector<double> calls;
        for (int i = 0; i < rounds; ++i)
            calls.push_back(r.ntoyWork("bench_syscalls.exe", kCalls, 1));
        const double callSeconds = median(calls);
        results["syscalls_per_s"] = kCalls / callSeconds;
        rows.push_back({"system calls (NtQueryVirtualMemory)",
                        rate(kCalls / callSeconds, "calls/s"), "-", "-"});

        // 4. reserve, commit, touch, release 64 KB.
        constexpr std::uint64_t kRounds = 5'000;
        const auto [ntoyRctr, nativeRctr] = alternate(
            rounds, [&] { return r.ntoyWork("bench_reserve_commit.exe", kRounds, 1); },
            [&] { return nativeReserveCommitTouchRelease(kRounds); });
        results["reserve_commit_touch_release_ratio"] = nativeRctr / ntoyRctr;
        rows.push_back({"reserve+commit+touch+release 64 KB", rate(kRounds / ntoyRctr, "rounds/s"),
                        rate(kRounds / nativeRctr, "rounds/s native"),
                        fmt::format("{:.3f} of native", nativeRctr / ntoyRctr)});

        // 5. start-up: hello.exe against /bin/true.
        const auto [hello, truth] = alternate(
            rounds, [&] { return r.ntoy("hello.exe", "").seconds; },
            [&] { return runChild({"/bin/true"}).value_or(ChildRun{}).seconds; });
        results["startup_ratio"] = hello / truth;
        rows.push_back({"start-up (hello.exe)", fmt::format("{:.1f} ms", hello * 1e3),
                        fmt::format("{:.2f} ms /bin/true", truth * 1e3),
                        fmt::format("{:.0f}x /bin/true", hello / truth)});

        // 6. thread switches: two threads ping-ponging on events, against two pthreads on a
        //    condition variable. A round trip is two switches.
        constexpr std::uint64_t kTrips = 200'000;
        const auto [ntoyTrips, nativeTrips] = alternate(
            rounds, [&] { return r.ntoyWork("bench_ping_pong.exe", kTrips, 1); },
            [&] { return nativePingPong(kTrips); });
        results["thread_switches_per_s"] = 2 * kTrips / ntoyTrips;
        results["native_thread_switches_per_s"] = 2 * kTrips / nativeTrips;
        rows.push_back({"thread switches (event ping-pong)",
                        rate(2 * kTrips / ntoyTrips, "switches/s"),
                        rate(2 * kTrips / nativeTrips, "switches/s pthreads"),
                        fmt::format("{:.2f} of native", nativeTrips / ntoyTrips)});

        // 7. process creation and exit, one after another, against posix_spawn of /bin/true.
        constexpr std::uint64_t kSpawns = 50;
        const auto [ntoySpawns, nativeSpawns] = alternate(
            rounds, [&] { return r.ntoyWork("bench_spawn.exe", kSpawns, 0); },
            [&] { return nativeSpawn(kSpawns); });
        results["process_create_exit_ms"] = ntoySpawns / kSpawns * 1e3;
        results["native_spawn_ms"] = nativeSpawns / kSpawns * 1e3;
        rows.push_back({"process create+exit", fmt::format("{:.2f} ms", ntoySpawns / kSpawns * 1e3),
                        fmt::format("{:.2f} ms posix_spawn", nativeSpawns / kSpawns * 1e3),
                        fmt::format("{:.1f}x native time", ntoySpawns / nativeSpawns)});

        // 10. the heap: HeapAlloc/HeapFree pairs of mixed small sizes on the process heap (what
        //    msvcrt's malloc and free call), against glibc's malloc/free on the same sequence.
        constexpr std::uint64_t kPairs = 1'000'000;
        const auto [ntoyPairs, nativePairs] = alternate(
            rounds, [&] { return r.ntoyWork("bench_heap.exe", kPairs, 1); },
            [&] { return nativeHeapPairs(kPairs); });
        results["heap_pairs_per_s"] = kPairs / ntoyPairs;
        results["native_heap_pairs_per_s"] = kPairs / nativePairs;
        results["heap_pairs_ratio_to_native"] = nativePairs / ntoyPairs;
        rows.push_back({"heap alloc/free pairs (HeapAlloc/HeapFree)",
                        rate(kPairs / ntoyPairs, "pairs/s"),
                        rate(kPairs / nativePairs, "pairs/s glibc malloc/free"),
                        fmt::format("{:.3f} of native", nativePairs / ntoyPairs)});

        // 13. what a report costs (issue 14): 100,000 demand-zero faults recorded for
        //    --report (an event each, memory samples, the snapshots), against the same run
        //    without it. Both are the 100k-page run minus a 1-page run, so the snapshots and
        //    the page's writing count only as far as they grow with the run.
        {
            const std::filesystem::path report = std::filesystem::temp_directory_path() /
                                                 fmt::format("ntoy-bench-{}.html", getpid());
            const std::vector<std::string> withReport{"--report", report.string()};
            const auto [reported, plain] = alternate(
                rounds,
                [&] {
                    return r.ntoyWork("fault_storm.exe", {std::to_string(kPages)}, {"1"}, "512M",
                                      withReport);
                },
                [&] { return r.ntoyWork("fault_storm.exe", kPages, 1, "512M"); });
            std::error_code ignored;
            std::filesystem::remove(report, ignored);
            results["report_faults_per_s"] = kPages / reported;
            results["report_cost_ratio"] = plain / reported;
            rows.push_back({"demand-zero faults with --report", rate(kPages / reported, "faults/s"),
                            rate(kPages / plain, "faults/s without"),
                            fmt::format("{:.2f} of without", plain / reported)});
        }

        // 12. the pools (issue 13): ExAllocatePool2/ExFreePoolWithTag pairs of 64 bytes (a
        //     lookaside list's) and 4 KB (a big allocation: whole pages mapped and unmapped),
        //     against glibc's malloc/free of the same sizes.
        for (const std::uint64_t bytes : {std::uint64_t{64}, std::uint64_t{4096}}) {
            const std::uint64_t pairs = bytes == 64 ? 2'000'000 : 100'000;
            std::string why;
            const auto [poolSeconds, mallocSeconds] = alternate(
                rounds,
                [&] {
                    const auto s = poolPairs(pairs, bytes, why);
                    if (!s)
                        throw std::runtime_error("pool benchmark: " + why);
                    return *s;
                },
                [&] { return nativeMallocPairs(pairs, bytes); });
            const std::string key = fmt::format("pool_pairs_{}_per_s", bytes);
            results[key] = pairs / poolSeconds;
            results[fmt::format("native_malloc_pairs_{}_per_s", bytes)] = pairs / mallocSeconds;
            results[fmt::format("pool_pairs_{}_ratio_to_native", bytes)] =
                mallocSeconds / poolSeconds;
            rows.push_back({fmt::format("pool alloc/free pairs, {} bytes", bytes),
                            rate(pairs / poolSeconds, "pairs/s"),
                            rate(pairs / mallocSeconds, "pairs/s glibc malloc/free"),
                            fmt::format("{:.3f} of native", mallocSeconds / poolSeconds)});
        }

        // 11. paging (issue 12): soft faults against the host's minor faults; hard faults
        //     (random reads of a guest four times RAM) and a sequential sweep of it, against
        //     pread of as many pages from a file in the page cache (the I/O floor).
        constexpr std::uint64_t kSoft = 500'000;
        const auto [ntoySoft, nativeSoft] = alternate(
            rounds,
            [&] {
                return r.ntoyWork("bench_paging.exe", {"soft", std::to_string(kSoft)},
                                  {"soft", "0"});
            },
            [&] { return nativeSoftFaults(kSoft); });
        results["soft_faults_per_s"] = kSoft / ntoySoft;
        results["native_minor_faults_per_s"] = kSoft / nativeSoft;
        rows.push_back({"soft faults (256 pages, emptied and touched)",
                        rate(kSoft / ntoySoft, "faults/s"),
                        rate(kSoft / nativeSoft, "minor faults/s native"),
                        fmt::format("{:.3f} of native", nativeSoft / ntoySoft)});
        const std::vector<std::string> paging{"--pagefile", "128M"};
        constexpr std::uint64_t kMegabytes = 64, kFilePages = kMegabytes * 256;
        constexpr std::uint64_t kRandomReads = 100'000, kPasses = 4;
        const auto [ntoyHard, preadRandom] = alternate(
            rounds,
            [&] {
                return r.ntoyWork(
                    "bench_paging.exe",
                    {"random", std::to_string(kMegabytes), std::to_string(kRandomReads)},
                    {"random", std::to_string(kMegabytes), "0"}, "16M", paging);
            },
            [&] { return nativePreadPages(kFilePages, kRandomReads, true); });
        results["hard_faults_per_s"] = kRandomReads / ntoyHard;
        results["pread_random_pages_per_s"] = kRandomReads / preadRandom;
        results["hard_fault_ratio_to_pread"] = preadRandom / ntoyHard;
        rows.push_back({"hard faults (random reads, 64M on 16M RAM)",
                        rate(kRandomReads / ntoyHard, "faults/s"),
                        rate(kRandomReads / preadRandom, "pages/s pread"),
                        fmt::format("{:.3f} of pread", preadRandom / ntoyHard)});
        const auto [ntoySweep, preadSweep] = alternate(
            rounds,
            [&] {
                return r.ntoyWork("bench_paging.exe",
                                  {"sweep", std::to_string(kMegabytes), std::to_string(kPasses)},
                                  {"sweep", std::to_string(kMegabytes), "0"}, "16M", paging);
            },
            [&] { return nativePreadPages(kFilePages, kPasses * kFilePages, false); });
        results["overcommit_sweep_pages_per_s"] = kPasses * kFilePages / ntoySweep;
        results["pread_sequential_pages_per_s"] = kPasses * kFilePages / preadSweep;
        results["overcommit_sweep_ratio_to_pread"] = preadSweep / ntoySweep;
        rows.push_back({"4x over-commit sweep (64M on 16M RAM)",
                        rate(kPasses * kFilePages / ntoySweep, "pages/s"),
                        rate(kPasses * kFilePages / preadSweep, "pages/s pread"),
                        fmt::format("{:.3f} of pread", preadSweep / ntoySweep)});

        // 9. the peer emulator: qemu-x86_64 on the same loop as a static ELF.
        results["qemu_compute_ratio"] = nullptr;
        if (auto qemu = findOnPath("qemu-x86_64")) {
            const fs::path dir = fs::temp_directory_path();
            auto full = writeComputeElf(kIterations, dir.string());
            std::vector<double> qs;
            for (int i = 0; full && i < rounds; ++i) {
                auto run = runChild({*qemu, *full});
                if (run && run->exitStatus == 0)
                    qs.push_back(run->seconds);
            }
            if (!qs.empty()) {
                const double q = median(qs);
                results["qemu_compute_ratio"] = q / ntoyCompute;
                rows.push_back({"compute vs qemu-x86_64", fmt::format("{:.3f} s", ntoyCompute),
                                fmt::format("{:.3f} s qemu-x86_64", q),
                                fmt::format("{:.2f} of qemu's time", ntoyCompute / q)});
            }
        } else {
            rows.push_back({"compute vs qemu-x86_64", "-", "qemu-user not installed", "-"});
        }

    } catch (const std::exception& e) {
        fmt::print(stderr, "bench: {}\n", e.what());
        return 1;
    }

    std::size_t w[4] = {4, 4, 9, 5};
    for (const Row& row : rows) {
        w[0] = std::max(w[0], row.name.size());
        w[1] = std::max(w[1], row.ntoyText.size());
        w[2] = std::max(w[2], row.referenceText.size());
        w[3] = std::max(w[3], row.ratioText.size());
    }
    fmt::print("{:<{}}  {:>{}}  {:>{}}  {:>{}}\n", "pair", w[0], "ntoy", w[1], "reference", w[2],
               "ratio", w[3]);
    for (const Row& row : rows)
        fmt::print("{:<{}}  {:>{}}  {:>{}}  {:>{}}\n", row.name, w[0], row.ntoyText, w[1],
                   row.referenceText, w[2], row.ratioText, w[3]);
    fmt::print("medians of {} alternating rounds\n", rounds);

    std::ofstream out(options->output);
    out << results.dump(2) << '\n';
    return out ? 0 : 1;
}
