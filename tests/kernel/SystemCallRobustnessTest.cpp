// Every system-call handler, called thousands of times with random and boundary arguments
// (fixed seeds): each call must return an NTSTATUS, throw nothing, finish promptly and keep
// the memory manager's invariants; a process's exit must give back every frame and every
// page of commit it took.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <algorithm>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "kernel/mm/Invariants.h"
#include "tests/kernel/SystemCallArguments.h"
#include "tests/kernel/fakes/AllocationCap.h"
#include "tests/kernel/fakes/GuestView.h"
#include "tests/kernel/fakes/Printers.h"
#include "tests/kernel/fakes/SilencedConsole.h"
#include "tests/kernel/fakes/SystemCallHarness.h"
#include "tests/kernel/fakes/TestSystem.h"

#ifndef NTOY_ROBUSTNESS_CALLS
#define NTOY_ROBUSTNESS_CALLS 6000
#endif

namespace ntoy::test {
namespace {

constexpr std::size_t kCallsPerRun = NTOY_ROBUSTNESS_CALLS;
// Every so many calls the process exits and a new one starts, so exits are checked often.
constexpr std::size_t kCallsPerProcess = 750;
// A system call that takes longer than this lets the guest stall the kernel. The slowest
// legitimate call here (decommitting 1 TB of absent tables) takes milliseconds.
#ifdef NTOY_SANITIZED_BUILD
constexpr auto kSlowCall = std::chrono::milliseconds(750);
#else
constexpr auto kSlowCall = std::chrono::milliseconds(250);
#endif
// RAM for the test machine: small, so that commit runs out often.
constexpr std::uint64_t kFrames = 1024;
// No handler may need more host memory than this for one call: guest RAM is 4 MB.
constexpr std::size_t kAllocationLimit = 16u << 20;
const ScratchLayout kScratch{VirtualAddress(0x3000'0000)};

// Every call that works without a whole kernel behind it. Those that make, end, stop or
// switch threads and processes need the kernel's processors and scheduler: the guest suite
// (guest/tests/threads) and the guest fuzzer drive them through the real kernel.
std::vector<std::uint64_t> systemCallNumbers() {
    constexpr std::string_view kNeedTheKernel[] = {
        "NtCreateThreadEx",   "NtTerminateThread",  "NtSuspendThread", "NtResumeThread",
        "NtGetContextThread", "NtSetContextThread", "NtOpenProcess",   "NtCreateProcessFromImage"};
    std::vector<std::uint64_t> numbers;
    for (std::uint64_t n = 0; ke::findSystemCall(n); ++n)
        if (std::ranges::find(kNeedTheKernel, ke::findSystemCall(n)->name) ==
            std::end(kNeedTheKernel))
            numbers.push_back(n);
    return numbers;
}

// Problems that do not make the kernel's state suspect: counted per kind, reported once at
// the end with the first call that showed them.
class ProblemLog {
public:
    void add(const std::string& kind, const std::string& firstExample) {
        auto [it, fresh] = problems_.try_emplace(kind, Entry{firstExample, 0});
        ++it->second.count;
    }
    void report() const {
        for (const auto& [kind, e] : problems_)
            ADD_FAILURE() << kind << " (" << e.count << " calls); the first: " << e.first;
    }

private:
    struct Entry {
        std::string first;
        std::uint64_t count;
    };
    std::map<std::string, Entry> problems_;
};

class RobustnessRun {
public:
    explicit RobustnessRun(std::uint64_t seed) : arguments_(seed, kScratch) {}

    // Makes `calls` calls, each to the number `choose` returns; stops at the first broken
    // invariant, which it reports with the call that broke it.
    template <typename Choose>
    void run(std::size_t calls, Choose&& choose) {
        AllocationCap cap(kAllocationLimit);
        baseline_ = mm::MemoryBaseline::of(system_.mm());
        if (makeCalls(calls, choose))
            (void)endProcess();
        problems_.report();
    }

private:
    template <typename Choose>
    bool makeCalls(std::size_t calls, Choose& choose) {
        for (std::size_t i = 0; i < calls; ++i) {
            if (!process_ || i % kCallsPerProcess == 0) {
                if (!recycleProcess())
                    return false;
            } else if (!restoreScratch()) {
                if (!recycleProcess())
                    return false;
            } else if (scratchRebuilt_ &&
                       !checkInvariants(fmt::format("before call #{}, rebuilding the scratch "
                                                    "pages (AddressSpace release and commit)",
                                                    i))) {
                return false;
            }
            if (i % 32 == 0)
                scribbleOverCells();
            if (!callOnce(i, choose(arguments_.random())))
                return false;
        }
        return true;
    }

    mm::AddressSpace& space() { return process_->space(); }
    FakeProcessor& cpu() { return fakeCpu(*process_); }

    bool endProcess() {
        if (!process_)
            return true;
        process_.reset();
        if (auto leaked = mm::checkNothingLeaked(system_.mm(), baseline_)) {
            ADD_FAILURE() << "after process exit: " << *leaked;
            return false;
        }
        if (auto bad = mm::checkMemoryInvariants(system_.mm(), {})) {
            ADD_FAILURE() << "after process exit: " << *bad;
            return false;
        }
        return true;
    }

    bool recycleProcess() {
        if (!endProcess())
            return false;
        process_ = system_.createProcess();
        if (!process_) {
            ADD_FAILURE() << "no memory for a new process";
            return false;
        }
        // A user address for KiUserExceptionDispatcher, so NtRaiseException dispatches.
        process_->exceptionDispatcher = kScratch.base;
        harness_ = std::make_unique<SystemCallHarness>(*process_);
        staleAliases_.clear();
        if (!restoreScratch()) {
            ADD_FAILURE() << "a new process has no room for its scratch pages";
            return false;
        }
        return checkInvariants("creating a process and its scratch pages");
    }

    // The scratch pages are ordinary guest memory that calls may free or reprotect; put them
    // back (through the kernel's own operations) when they are not as laid out. False if
    // commit ran out.
    bool restoreScratch() {
        scratchRebuilt_ = false;
        const auto prot = [](std::uint32_t p) { return *mm::MmProtection::fromWin32(p); };
        const mm::MmProtection expected[ScratchLayout::kPages] = {
            prot(mm::page::kReadWrite), prot(mm::page::kReadWrite),
            prot(mm::page::kReadWrite), prot(mm::page::kReadWrite),
            prot(mm::page::kReadOnly),  prot(mm::page::kReadWrite | mm::page::kGuard),
            prot(mm::page::kNoAccess),  mm::MmProtection()};
        const mm::Vad* vad = space().findVad(kScratch.base);
        bool intact = vad && vad->start() == kScratch.base && vad->end() == kScratch.end();
        for (std::uint64_t i = 0; intact && i < ScratchLayout::kPages; ++i)
            intact =
                space().tables().pteAt(kScratch.base + i * kPageSize).protection() == expected[i];
        if (intact)
            return true;
        scratchRebuilt_ = true;
        while (const mm::Vad* v = space().vads().firstEndingAbove(kScratch.base)) {
            if (v->start() >= kScratch.end())
                break;
            space().release(*v, v->start(), v->end());
        }
        space().reserve(kScratch.base, ScratchLayout::kPages, mm::page::kReadWrite,
                        mm::VadType::Private);
        for (std::uint64_t i = 0; i + 1 < ScratchLayout::kPages; ++i) {
            const VirtualAddress va = kScratch.base + i * kPageSize;
            if (space().commit(va, va + kPageSize, expected[i]) != NtStatus::Success)
                return false;
        }
        for (VirtualAddress va = kScratch.base; va < kScratch.readWriteEnd(); va = va + kPageSize)
            if (!space().materialize(va))
                return false;
        cpu().flushTlb();
        return true;
    }

    void scribbleOverCells() {
        GuestView guest(space());
        for (VirtualAddress va = kScratch.base; va < kScratch.readWriteEnd(); va = va + 8)
            (void)guest.poke(va, arguments_.anyValue(space()));
    }

    std::string describe(const ke::SystemCallEntry& entry, const ArgumentVector& v) const {
        std::string s = fmt::format("{}(", entry.name);
        for (std::size_t i = 0; i < entry.argumentCount; ++i)
            s += fmt::format("{}{:#x}", i ? ", " : "", v.args[i]);
        s += ")";
        for (const auto& [va, value] : v.cells)
            s += fmt::format(" [{:#x}]={:#x}", va.value(), value);
        return s;
    }

    bool callOnce(std::size_t index, std::uint64_t number) {
        const ke::SystemCallEntry& entry = *ke::findSystemCall(number);
        const ArgumentVector v = arguments_.generate(entry, space());
        GuestView guest(space());
        for (const auto& [va, value] : v.cells)
            (void)guest.poke(va, value);
        const std::string call = fmt::format("call #{}: {}", index, describe(entry, v));
        const std::uint64_t stopsBefore = cpu().stopRequests();
        const std::uint64_t chargeBefore = system_.mm().commit().charge();

        NtStatus status = NtStatus::Success;
        const auto start = std::chrono::steady_clock::now();
        try {
            SilencedConsole quiet;  // console output and unhandled-exception lines
            status = harness_->call(entry.handler, v.args);
        } catch (const std::bad_alloc&) {
            problems_.add(fmt::format("{} asked the host for more than {} bytes", entry.name,
                                      kAllocationLimit),
                          call);
            return checkInvariants(call);
        } catch (const std::exception& e) {
            problems_.add(fmt::format("{} threw {}", entry.name, e.what()), call);
            return checkInvariants(call);
        }
        const auto took = std::chrono::steady_clock::now() - start;
        if (took > kSlowCall) {
            problems_.add(
                fmt::format("{} stalled the kernel for more than {} ms", entry.name,
                            kSlowCall.count()),
                fmt::format("{} took {} ms", call,
                            std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
            arguments_.avoidHugeRanges();
        }

        if (ntStatusName(status) == "STATUS_UNKNOWN")
            problems_.add(fmt::format("{} returned a value that is no NTSTATUS", entry.name),
                          fmt::format("{} -> {:#x}", call, raw(status)));
        const std::uint64_t stops = cpu().stopRequests() - stopsBefore;
        if (entry.handler == &ke::NtTerminateProcess) {
            const bool ends =
                status == NtStatus::Success && v.args[0] == ob::kCurrentProcess.value();
            if (stops != (ends ? 1u : 0u))
                problems_.add(
                    "NtTerminateProcess stopped the CPU when it should not, or not when "
                    "it should",
                    call);
            if (system_.mm().commit().charge() != chargeBefore)
                problems_.add("NtTerminateProcess changed memory; it only requests a stop", call);
        } else if (entry.handler != &ke::NtRaiseException && stops != 0) {
            problems_.add(fmt::format("{} requested a stop", entry.name), call);
        }
        if (harness_->lastReplacedContext() && entry.handler != &ke::NtContinue &&
            entry.handler != &ke::NtRaiseException)
            problems_.add(fmt::format("{} claimed to replace the context", entry.name), call);
        return checkInvariants(call);
    }

    bool checkInvariants(const std::string& call) {
        const mm::AddressSpace* spaces[] = {&space()};
        if (auto bad = mm::checkMemoryInvariants(system_.mm(), spaces)) {
            ADD_FAILURE() << call << " broke an invariant: " << *bad;
            return false;
        }
        for (VirtualAddress va : staleAliases(space(), cpu().mmu())) {
            if (staleAliases_.insert(va).second)
                problems_.add("the MMU keeps host aliases of freed frames",
                              fmt::format("{:#x}, {}", va.value(), call));
        }
        return true;
    }

    TestSystem system_{kFrames};
    SystemCallArguments arguments_;
    std::unique_ptr<ps::Process> process_;
    std::unique_ptr<SystemCallHarness> harness_;
    mm::MemoryBaseline baseline_{};
    bool scratchRebuilt_ = false;
    std::set<VirtualAddress> staleAliases_;
    ProblemLog problems_;
};

class SystemCallRobustness : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(SystemCallRobustness, KeepsTheKernelConsistent) {
    const std::uint64_t number = GetParam();
    RobustnessRun run(0x6E746F79'00000000ull + number);
    run.run(kCallsPerRun, [number](std::mt19937_64&) { return number; });
}

INSTANTIATE_TEST_SUITE_P(EverySystemCall, SystemCallRobustness,
                         ::testing::ValuesIn(systemCallNumbers()),
                         [](const ::testing::TestParamInfo<std::uint64_t>& info) {
                             return std::string(ke::findSystemCall(info.param)->name);
                         });

// Calls in any order, so that one call's allocations are the next one's arguments.
TEST(SystemCallRobustnessMix, KeepsTheKernelConsistentWhenCallsInterleave) {
    const auto numbers = systemCallNumbers();
    RobustnessRun run(0x6E746F79'4D495821ull);
    run.run(2 * kCallsPerRun, [&numbers](std::mt19937_64& rng) {
        // Half the calls go to the four virtual-memory calls, which share the most state.
        if (rng() % 2 == 0) {
            const ke::SystemCallHandler vm[] = {
                &ke::NtAllocateVirtualMemory, &ke::NtFreeVirtualMemory, &ke::NtProtectVirtualMemory,
                &ke::NtQueryVirtualMemory};
            const auto handler = vm[rng() % 4];
            for (std::uint64_t n : numbers)
                if (ke::findSystemCall(n)->handler == handler)
                    return n;
        }
        return numbers[rng() % numbers.size()];
    });
}

}  // namespace
}  // namespace ntoy::test
