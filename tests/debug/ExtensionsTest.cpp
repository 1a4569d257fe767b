// !pte, !vad, !address, !pfn, !vm, !memusage, !wsle and !verify over a real kernel on the emulator,
// paused at touch_pages' first demand-zero fault: the live state the debugger and gdb show.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <sstream>

#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/Extensions.h"
#include "kernel/kd/PageFaultReport.h"
#include "kernel/mm/SystemLayout.h"
#include "tests/debug/LiveKernel.h"

namespace ntoy::kd {
namespace {

using test::CapturedFault;
using test::LiveKernel;

// touch_pages' first demand-zero fault is the run's second: the loader's first touch of the
// process heap comes before it.
std::function<bool(const mm::PageFaultOutcome&)> isFirstDemandZero() {
    return [seen = 0](const mm::PageFaultOutcome& o) mutable {
        return o.kind == mm::FaultKind::DemandZero && ++seen == 2;
    };
}

class ExtensionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        live = LiveKernel::load("touch_pages.exe", {"3"});
        ASSERT_TRUE(live);
        fault = live->runToFault(isFirstDemandZero());
        ASSERT_TRUE(fault) << "touch_pages made no demand-zero fault";
    }

    std::string run(const std::string& line) {
        auto r = runExtension(live->kernel(), line);
        EXPECT_TRUE(r) << line << ": " << r.error();
        return r.value_or("");
    }
    std::string fails(const std::string& line) {
        auto r = runExtension(live->kernel(), line);
        EXPECT_FALSE(r) << line << " gave:\n" << r.value_or("");
        return r ? "" : r.error();
    }
    const mm::Vad& faultVad() { return *fault->vad; }

    std::unique_ptr<LiveKernel> live;
    std::optional<CapturedFault> fault;
};

// POSIX extended regular expressions (gtest's), searched anywhere in the text.
#define EXPECT_MATCHES(text, pattern) EXPECT_THAT(text, ::testing::ContainsRegex(pattern))

TEST_F(ExtensionsTest, PteShowsFourLevelsWithAddressesContentsAndFlags) {
    const std::uint64_t va = fault->cr2 & ~0xFFFull;
    const std::string out = run(fmt::format("!pte {:x}", va));
    EXPECT_MATCHES(out, fmt::format(" VA {:016x}\n", va));
    EXPECT_MATCHES(out, "^ +VA");
    EXPECT_MATCHES(out,
                   "\nPXE at [0-9A-F]{16} +PPE at [0-9A-F]{16} +PDE at [0-9A-F]{16} +"
                   "PTE at [0-9A-F]{16}\n");
    EXPECT_MATCHES(out,
                   "\ncontains [0-9A-F]{16}  contains [0-9A-F]{16}  contains [0-9A-F]{16}  "
                   "contains [0-9A-F]{16}\n");
    // The leaf now maps the frame the fault took: user, writable, not executable, valid.
    EXPECT_MATCHES(out, fmt::format("pfn {:<10x}-------UW-V\n$", fault->outcome.frame.value()));
    // The walk's table addresses are the ones the fault saw.
    const auto& pte = *fault->walkBefore.levels[3];
    EXPECT_MATCHES(out, fmt::format("PTE at {:016X}", pte.entryAddress().value()));
}

TEST_F(ExtensionsTest, PteOfAnUntouchedCommittedPageIsDemandZero) {
    const std::uint64_t next = (fault->cr2 & ~0xFFFull) + kPageSize;
    ASSERT_TRUE(faultVad().contains(VirtualAddress(next)));
    const std::string out = run(fmt::format("!pte 0x{:x}", next));
    EXPECT_MATCHES(out, "contains 0000000000000080\n");
    EXPECT_MATCHES(out, "  not valid\n +DemandZero\n +Protect: 4 - ReadWrite\n$");
}

TEST_F(ExtensionsTest, PteSaysReservedOrFreeForAZeroEntry) {
    // The thread stack is reserved in full but committed only at its top.
    const mm::Vad* stack = nullptr;
    for (const auto& [start, vad] : live->process().space().vads())
        if (vad.threadStack)
            stack = &vad;
    ASSERT_TRUE(stack);
    EXPECT_MATCHES(run(fmt::format("!pte {:x}", stack->start().value())),
                   "Reserved \\(not committed\\), in the allocation at VPN");
    EXPECT_MATCHES(run("!pte 7000000000"), "Free: no allocation covers this address\n$");
}

TEST_F(ExtensionsTest, PteOfTheStackGuardPageSaysGuard) {
    const mm::AddressSpace& space = live->process().space();
    std::optional<VirtualAddress> guard;
    for (const auto& [start, vad] : space.vads())
        for (VirtualAddress va = vad.start(); vad.threadStack && va < vad.end();
             va = va + kPageSize)
            if (space.tables().pteAt(va).protection().isGuard())
                guard = va;
    ASSERT_TRUE(guard);
    EXPECT_MATCHES(run(fmt::format("!pte {:x}", guard->value())),
                   "DemandZero \\(guard page\\)\n +Protect: 14 - ReadWrite Guard\n");
}

TEST_F(ExtensionsTest, PteOfTheKernelWindowIsSupervisorOnly) {
    // The GDT page: kernel, writable, not executable (the CPU may have set Accessed).
    EXPECT_MATCHES(run(fmt::format("!pte {:x}", mm::kKernelWindowBase)),
                   "pfn [0-9a-f]+ +----[-A]--KW-V\n$");
}

TEST_F(ExtensionsTest, PteRejectsBadArguments) {
    EXPECT_EQ(fails("!pte"), "usage: !pte VA");
    EXPECT_EQ(fails("!pte zz"), "'zz' is not a number");
    EXPECT_EQ(fails("!pte 0x0000800000000000"),
              "0x800000000000 is not a canonical address (bits 63-47 must all be equal)");
}

TEST_F(ExtensionsTest, VadListsEveryAllocationWithCommitTypeAndProtection) {
    const std::string out = run("!vad");
    EXPECT_MATCHES(out, "^VAD +start +end +commit\n");
    const mm::Vad& v = faultVad();
    EXPECT_MATCHES(out, fmt::format("\n +[0-9]+ +{:x} +{:x} +{} Private +READWRITE\n", v.startVpn,
                                    v.endVpn, v.pages()));
    EXPECT_MATCHES(out, "Mapped  Exe  EXECUTE_WRITECOPY  .*touch_pages.exe\n");
    EXPECT_MATCHES(out, "Private +READWRITE  \\(Stack\\)\n");
    EXPECT_MATCHES(out, fmt::format("\nTotal VADs: +{}\n$", live->process().space().vads().size()));
}

TEST_F(ExtensionsTest, VadOfOneAddress) {
    const std::string out = run(fmt::format("!vad {:x}", fault->cr2));
    EXPECT_MATCHES(
        out, fmt::format("^VAD.*\n +[0-9]+ +{:x} +{:x} ", faultVad().startVpn, faultVad().endVpn));
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
    EXPECT_EQ(fails("!vad 7000000000"), "no allocation covers 0x7000000000");
}

TEST_F(ExtensionsTest, WsleListsTheWorkingSetWithLocksAndLimits) {
    const mm::AddressSpace& space = live->process().space();
    std::string out = run("!wsle");
    EXPECT_MATCHES(out, fmt::format("^Working Set for process {} \\(touch_pages.exe\\)\n",
                                    live->process().id()));
    EXPECT_MATCHES(out, fmt::format("\n    Entries +{}  Peak +{}  Locked +0\n",
                                    space.workingSet().size(), space.workingSet().peak()));
    EXPECT_MATCHES(out, "\n    Minimum +50  Maximum +345  \\(pages\\)\n");
    // One line per entry after the column heads.
    const auto lines = std::count(out.begin(), out.end(), '\n');
    EXPECT_EQ(static_cast<std::uint64_t>(lines), 5 + space.workingSet().size());
    // A locked page (the exe's first) shows, and -locked lists it alone.
    const std::uint64_t exe = live->process().images().front().base.value();
    ASSERT_EQ(live->process().space().lockPages(VirtualAddress(exe), VirtualAddress(exe + 0x1000)),
              NtStatus::Success);
    out = run("!wsle -locked");
    EXPECT_MATCHES(out, "Locked +1\n");
    EXPECT_MATCHES(out, fmt::format("\n +[0-9]+ +{:x} +[01] +1\n$", exe));
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 6);
    EXPECT_EQ(fails("!wsle 1"), "usage: !wsle [-locked]");
}

TEST_F(ExtensionsTest, AddressDescribesTheRegionAsMemoryBasicInformation) {
    const std::string out = run(fmt::format("!address {:x}", fault->cr2));
    const std::uint64_t base = faultVad().start().value();
    EXPECT_MATCHES(out, "^Usage:                  <unknown>\n");
    EXPECT_MATCHES(out, fmt::format("\nBase Address:           {:08x}`{:08x}\n", base >> 32,
                                    base & 0xFFFFFFFF));
    EXPECT_MATCHES(out,
                   fmt::format("\nRegion Size:            00000000`{:08x} \\( +[0-9.]+ kB\\)\n",
                               faultVad().pages() * kPageSize));
    EXPECT_MATCHES(out, "\nState:                  00001000          MEM_COMMIT\n");
    EXPECT_MATCHES(out, "\nProtect:                00000004          PAGE_READWRITE\n");
    EXPECT_MATCHES(out, "\nType:                   00020000          MEM_PRIVATE\n");
    EXPECT_MATCHES(out, "\nAllocation Protect:     00000004          PAGE_READWRITE\n$");
}

TEST_F(ExtensionsTest, AddressOfFreeSpaceAndOfAnImage) {
    EXPECT_MATCHES(
        run("!address 7000000000"),
        "^Usage:                  Free\n(.*\n)*State:                  00010000          "
        "MEM_FREE\n");
    const ps::LoadedImage& exe = live->process().images().front();
    EXPECT_MATCHES(run(fmt::format("!address {:x}", exe.base.value())),
                   "^Usage:                  Image\n(.*\n)*Type:                   01000000     "
                   "     MEM_IMAGE\n(.*\n)*Image Path: +.*touch_pages.exe\n$");
    // A system address: its region; one in no region is no address !address knows.
    EXPECT_MATCHES(run(fmt::format("!address {:x}", mm::kKernelWindowBase)), "KernelImage");
    EXPECT_MATCHES(fails("!address ffff800000000000"), "is not a user address");
}

TEST_F(ExtensionsTest, AddressAloneListsEveryRegion) {
    const std::string out = run("!address");
    EXPECT_MATCHES(out,
                   "^ +BaseAddress +EndAddress\\+1 +RegionSize +Type +State +Protect +Usage\n");
    EXPECT_MATCHES(out, fmt::format("\n\\+ +0`{:08x} +0`{:08x} +0`{:08x} MEM_PRIVATE MEM_COMMIT  "
                                    "PAGE_READWRITE +<unknown>\n",
                                    faultVad().start().value(), faultVad().end().value(),
                                    faultVad().pages() * kPageSize));
    EXPECT_MATCHES(out, "\n\\+ +0`00000000 +0`00010000 +0`00010000 +MEM_FREE");
}

TEST_F(ExtensionsTest, PfnOfTheFaultedFrame) {
    const Pfn frame = fault->outcome.frame;
    const std::string out = run(fmt::format("!pfn {:x}", frame.value()));
    EXPECT_MATCHES(out, fmt::format("^    PFN {:08X} at physical address {:016X}\n", frame.value(),
                                    frame.address().value()));
    const auto& pte = *fault->walkBefore.levels[3];
    EXPECT_MATCHES(out, fmt::format("blink / share count 00000001  pteaddress {:016X}\n",
                                    pte.entryAddress().value()));
    EXPECT_MATCHES(out, "use private\n");
    EXPECT_MATCHES(out, fmt::format("containing page +{:X}  Active\n$", pte.table.value()));
}

TEST_F(ExtensionsTest, PfnOfAZeroedFrameAndOutOfRange) {
    const auto& ram = live->kernel().memoryManager().pfns().memory();
    const Pfn last = ram.endPfn() + static_cast<std::uint64_t>(-1);
    EXPECT_MATCHES(run(fmt::format("!pfn {:x}", last.value())), "Zeroed\n$");
    EXPECT_MATCHES(fails("!pfn 0"), "^PFN 0 is not a frame of RAM \\(frames ");
    EXPECT_MATCHES(fails(fmt::format("!pfn {:x}", last.address().value())),
                   "as a physical address it is in frame ");
}

TEST_F(ExtensionsTest, VmShowsFramesAndCommitInPagesAndKb) {
    const std::string out = run("!vm");
    const auto& mm = live->kernel().memoryManager();
    EXPECT_MATCHES(out, "\\*\\*\\* Virtual Memory Usage \\*\\*\\*\n");
    EXPECT_MATCHES(out, "\n      Physical Memory:     16384   \\(   65536 Kb\\)\n");
    EXPECT_MATCHES(out, fmt::format("\n      Available Pages: +{}   \\( +{} Kb\\)\n",
                                    mm.pfns().available(), mm.pfns().available() * 4));
    EXPECT_MATCHES(out, fmt::format("\n      Committed pages: +{}   \\( +{} Kb\\)\n",
                                    mm.commit().charge(), mm.commit().charge() * 4));
    EXPECT_MATCHES(out, fmt::format("\n      Commit limit: +{}   \\( +{} Kb\\)\n",
                                    mm.commit().limit(), mm.commit().limit() * 4));
    EXPECT_MATCHES(out, fmt::format("\n +{:04x} touch_pages.exe +{} \\(", live->process().id(),
                                    live->process().space().committedPages()));
}

TEST_F(ExtensionsTest, MemusageCountsEveryFrameOnItsList) {
    const std::string out = run("!memusage");
    const auto& pfns = live->kernel().memoryManager().pfns();
    EXPECT_MATCHES(out, fmt::format("^ +Zeroed: +{} \\(", pfns.count(mm::PageState::Zeroed)));
    EXPECT_MATCHES(out,
                   fmt::format("\n +Active/Valid: +{} \\(", pfns.count(mm::PageState::Active)));
    EXPECT_MATCHES(out, "\n +TOTAL: +16384 \\(   65536 kb\\)\n");
    EXPECT_MATCHES(out, "\n +private: +[1-9][0-9]* \\(");
    EXPECT_MATCHES(out, "\n +page table: +[1-9][0-9]* \\(");
}

TEST_F(ExtensionsTest, UnknownCommandsNameTheKnownOnes) {
    EXPECT_EQ(fails("!bogus 1"),
              "unknown extension !bogus (try !pte, !vad, !address, !pfn, !vm, !memusage, !teb, "
              "!peb, !process, !wsle, !pool, !poolused, !poolfind, !verify)");
    EXPECT_MATCHES(fails("pte 1"), "^not an extension command");
    EXPECT_MATCHES(fails("  "), "^not an extension command");
    EXPECT_EQ(fails("!vm 1"), "usage: !vm");
}

TEST_F(ExtensionsTest, VerifyFindsTheLiveStateWhole) {
    const std::string out = run("!verify");
    const auto& mm = live->kernel().memoryManager();
    EXPECT_MATCHES(out, "^Memory manager invariants hold\\.\n");
    EXPECT_MATCHES(out, fmt::format("\n +PFN database: +16384 frames, {} active, {} available\n",
                                    mm.pfns().count(mm::PageState::Active), mm.pfns().available()));
    EXPECT_MATCHES(out, fmt::format("\n +Process {}: +{} pages committed\n", live->process().id(),
                                    live->process().space().committedPages()));
    EXPECT_MATCHES(out,
                   fmt::format("\n +Commit charge: +{} of 16384 pages\n$", mm.commit().charge()));
    EXPECT_EQ(fails("!verify now"), "usage: !verify");
}

TEST_F(ExtensionsTest, VerifyReportsABrokenInvariant) {
    // A page of commit nobody holds: what a leak in a system call would leave.
    {
        auto leaked = live->kernel().memoryManager().commit().charge(1);
        ASSERT_TRUE(leaked);
        EXPECT_MATCHES(run("!verify"),
                       "^Memory manager invariant BROKEN: commit charge is [0-9]+ but");
    }
    EXPECT_MATCHES(run("!verify"), "^Memory manager invariants hold\\.\n");
}

TEST_F(ExtensionsTest, AddressSummaryTotalsUserSpaceByUsageTypeStateAndProtection) {
    const std::string out = run("!address -summary");
    for (const char* heading :
         {"\n--- Usage Summary -+ RgnCount -+ Total Size -+ %ofBusy %ofTotal\n",
          "\n--- Type Summary \\(for busy\\) -+ RgnCount", "\n--- State Summary -+ RgnCount",
          "\n--- Protect Summary \\(for commit\\) - RgnCount",
          "\n--- Largest Region by Usage -+ Base Address -+ Region Size -+\n"})
        EXPECT_MATCHES(out, heading);
    EXPECT_MATCHES(
        out, "\nImage +[1-9][0-9]* +[0-9a-f]+`[0-9a-f]{8} \\( *[0-9.]+ [kMG]B\\) +[0-9.]+% +");
    EXPECT_MATCHES(out, "\nStack +[1-9]");
    EXPECT_MATCHES(out, "\nMEM_PRIVATE +[1-9]");
    EXPECT_MATCHES(out, "\nPAGE_READWRITE +[1-9]");
    // The states add up to the whole of user space.
    std::uint64_t total = 0;
    for (const char* state : {"MEM_FREE", "MEM_RESERVE", "MEM_COMMIT"}) {
        const auto at = out.find(fmt::format("\n{} ", state));
        ASSERT_NE(at, std::string::npos) << state;
        std::istringstream line(out.substr(at + 1));
        std::string name, count, size;
        line >> name >> count >> size;
        std::erase(size, '`');
        total += std::stoull(size, nullptr, 16);
    }
    EXPECT_EQ(total, mm::kHighestUserAddress + 1);
    EXPECT_EQ(fails("!address -bogus"), "'-bogus' is not a number");
}

TEST_F(ExtensionsTest, TebShowsTheThreadsBlock) {
    const ps::Process& p = live->process();
    const std::string out = run("!teb");
    EXPECT_MATCHES(out, fmt::format("^TEB at {:016x}\n", p.threads().front()->teb.value()));
    EXPECT_MATCHES(out, fmt::format("\n    Self: +{:016x}\n", p.threads().front()->teb.value()));
    EXPECT_MATCHES(out, fmt::format("\n    PEB Address: +{:016x}\n", p.peb.value()));
    EXPECT_MATCHES(out, fmt::format("\n    ClientId: +{:016x} \\. {:016x}\n", p.id(), p.id() + 4));
    EXPECT_MATCHES(out, "\n    StackBase: +0000000000[0-9a-f]{6}\n");
    EXPECT_MATCHES(out, "\n    LastErrorValue: +0\n");
    EXPECT_EQ(fails("!teb 10"), "cannot read a TEB at 0x10");
}

TEST_F(ExtensionsTest, PebShowsTheImageBaseAndTheProcessParameters) {
    const std::string out = run("!peb");
    EXPECT_MATCHES(out, fmt::format("^PEB at {:016x}\n", live->process().peb.value()));
    EXPECT_MATCHES(out, "\n    BeingDebugged: +No\n");
    EXPECT_MATCHES(out, "\n    ImageBaseAddress: +0000000140000000\n");
    EXPECT_MATCHES(out, "\n    ImageFile: +'[^']*touch_pages.exe'\n");
    EXPECT_MATCHES(out, "\n    CommandLine: +'[^']*touch_pages.exe 3'\n");
}

TEST_F(ExtensionsTest, PebWalksTheLoaderModuleList) {
    // A PEB_LDR_DATA with two entries, in the spare half of the PEB's page.
    ps::Process& p = live->process();
    const std::uint64_t ldr = p.peb.value() + 0x800, a = ldr + 0x100, b = ldr + 0x200,
                        name = ldr + 0x300;
    auto put = [&](std::uint64_t va, auto value) {
        ASSERT_EQ(writeVirtual(p.space(), VirtualAddress(va), std::as_bytes(std::span(&value, 1))),
                  sizeof value);
    };
    const std::u16string path = u"C:\\x.dll";
    ASSERT_EQ(writeVirtual(p.space(), VirtualAddress(name), std::as_bytes(std::span(path))),
              path.size() * 2);
    put(p.peb.value() + 0x18, ldr);
    put(ldr, std::uint32_t{0x58});
    put(ldr + 4, std::uint8_t{1});
    put(ldr + 0x10, a);  // InLoadOrderModuleList: head -> a -> b -> head
    put(ldr + 0x18, b);
    put(a, b);
    put(b, ldr + 0x10);
    for (const auto& [entry, base] : {std::pair{a, 0x140000000ull}, std::pair{b, 0x180000000ull}}) {
        put(entry + 0x30, base);
        put(entry + 0x48, static_cast<std::uint16_t>(path.size() * 2));
        put(entry + 0x50, name);
        put(entry + 0x80, std::uint32_t{0x5F5E0FF});
    }
    const std::string out = run("!peb");
    EXPECT_MATCHES(out, "\n    Ldr.Initialized: +Yes\n");
    EXPECT_MATCHES(out,
                   fmt::format("\n    Ldr.InLoadOrderModuleList: +{:016x} \\. {:016x}\n", a, b));
    EXPECT_MATCHES(out, "\n +140000000 05f5e0ff C:\\\\x.dll\n +180000000 05f5e0ff C:\\\\x.dll\n");
    // A list that never comes back to its head is cut off, not followed for ever.
    put(b, b);
    EXPECT_MATCHES(run("!peb"), "does not come back to its head after 4096 entries");
}

TEST_F(ExtensionsTest, HelpListsEveryExtension) {
    const std::string help = extensionHelp();
    for (const char* usage : {"!pte VA", "!vad \\[VA\\]", "!address \\[VA\\|-summary\\]",
                              "!pfn PFN", "!vm", "!memusage", "!teb \\[VA\\]", "!peb \\[VA\\]",
                              "!process \\[PID \\[FLAGS\\]\\]", "!verify"})
        EXPECT_MATCHES(help, fmt::format("\n?  {} +[a-z]", usage));
}

TEST_F(ExtensionsTest, ProcessListsTheProcessesAndOneWithItsThreads) {
    const ps::Process& p = live->process();
    const ps::Thread& t = *p.threads().front();
    const std::string all = run("!process 0 0");
    EXPECT_MATCHES(all, "^\\*\\*\\*\\* NT ACTIVE PROCESS DUMP \\*\\*\\*\\*\n");
    EXPECT_MATCHES(all, fmt::format("\nPROCESS {}\n    Cid: {:04x}    ParentCid: 0000    Peb: "
                                    "{:016x}\n    DirBase: [0-9a-f]{{16}}  Threads: 1  "
                                    "HandleCount: [0-9]+\n    Image: touch_pages\\.exe\n"
                                    "    State: Active\n",
                                    p.id(), p.id(), p.peb.value()));
    EXPECT_THAT(all, ::testing::Not(::testing::HasSubstr("THREAD")));
    // Flags 7 (and no flags) add the threads: state, TEB, and the registers where they stand.
    const std::string one = run(fmt::format("!process {} 7", p.id()));
    EXPECT_MATCHES(one, fmt::format("^PROCESS {}\n", p.id()));
    EXPECT_MATCHES(one, fmt::format("\n        THREAD {}  Cid {:04x}\\.{:04x}  Teb: {:016x}  "
                                    "[A-Z][a-z]+\n            Rip: {:016x}  Rsp: [0-9a-f]{{16}}\n",
                                    t.id(), p.id(), t.id(), t.teb.value(), fault->rip));
    EXPECT_EQ(run(fmt::format("!process 0x{:x}", p.id())), run(fmt::format("!process {}", p.id())));
    EXPECT_EQ(run("!process"), run(fmt::format("!process {} 7", p.id())));
    EXPECT_EQ(fails("!process 999"), "no process 999 (!process 0 0 lists them)");
    EXPECT_EQ(fails("!process 3e8"),
              "'3e8' is not a process id (decimal, as ntoy prints them, or 0x hex)");
    EXPECT_EQ(fails("!process 0 zz"), "'zz' is not a number");
    EXPECT_EQ(fails("!process 0 0 0"), "usage: !process [PID [FLAGS]] (PID 0: every process)");
}

TEST_F(ExtensionsTest, AfterTheProcessEndsOnlySystemStateRemains) {
    ASSERT_EQ(live->runToExit(), 0u);
    EXPECT_EQ(fails("!vad"), "no process: the guest has not been loaded or has exited");
    EXPECT_EQ(fails("!pte 10000"), "no process: the guest has not been loaded or has exited");
    EXPECT_MATCHES(run(fmt::format("!pte {:x}", mm::kKernelWindowBase)), "----[-A]--KW-V\n$");
    EXPECT_MATCHES(run("!vm"), "Physical Memory:");
    const std::string verified = run("!verify");
    EXPECT_MATCHES(verified, "^Memory manager invariants hold\\.\n");
    EXPECT_THAT(verified, ::testing::Not(::testing::HasSubstr("Process")));
}

}  // namespace
}  // namespace ntoy::kd
