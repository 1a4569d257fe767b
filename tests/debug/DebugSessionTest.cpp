// `ntoy debug` sessions run in-process on a real kernel: stops at page faults, stepping into
// a faulting instruction, breakpoints, the end of the guest, and bad input that leaves the
// session going.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "emulator/debugger/DebugSession.h"
#include "tests/debug/LiveKernel.h"

namespace ntoy::dbg {
namespace {

using test::LiveKernel;

class DebugSessionTest : public ::testing::Test {
protected:
    void start(const std::string& image, const std::vector<std::string>& args) {
        live = LiveKernel::load(image, args);
        ASSERT_TRUE(live);
        auto d = Disassembler::create();
        ASSERT_TRUE(d) << d.error();
        disassembler.emplace(std::move(*d));
        session.emplace(live->kernel(), *disassembler, out);
        live->kernel().setObserver(&session->observer());
        session->start(image);
    }
    // Runs `line` and returns what it printed.
    std::string run(std::string_view line) {
        out.str("");
        session->execute(line);
        return out.str();
    }
    std::uint64_t rip() { return live->process().cpu().reg(hal::Reg::Rip); }
    // Steps through the kernel's stub into user mode, at ntdll's thread start.
    void enterUserMode() {
        for (int i = 0; i < 8 && rip() >= 0xFFFF800000000000; ++i)
            run("si");
    }

    std::unique_ptr<LiveKernel> live;
    std::optional<Disassembler> disassembler;
    std::ostringstream out;
    std::optional<DebugSession> session;
};

// Whether the POSIX extended regular expression `pattern` (gtest's) matches in `text`.
bool matches(const std::string& text, const std::string& pattern) {
    return ::testing::Value(text, ::testing::ContainsRegex(pattern));
}

// The hex number that follows `label` in `text`, e.g. the rip of a fault block.
std::uint64_t hexAfter(const std::string& text, const std::string& label) {
    const auto at = text.find(label);
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + label.size()), nullptr, 16);
}

TEST_F(DebugSessionTest, StartsBeforeTheFirstInstruction) {
    start("touch_pages.exe", {"3"});
    EXPECT_TRUE(matches(out.str(),
                        "^ntoy debug: touch_pages.exe loaded as process [0-9]+, stopped "
                        "before its first instruction\nbreak on: fault; "))
        << out.str();
    EXPECT_TRUE(matches(
        out.str(), "\n=> 0xfffff80000002000  8e5c2420 +mov ds, word ptr \\[rsp \\+ 0x20\\]\n$"))
        << out.str();
}

TEST_F(DebugSessionTest, ContinueStopsAtEachPageFaultWithItsBlock) {
    start("touch_pages.exe", {"3"});
    std::string block;
    for (int i = 0; i < 10 && !matches(block, "decision    demand-zero"); ++i)
        block = run("c");
    ASSERT_TRUE(matches(block, "decision    demand-zero: frame 0x[0-9a-f]+ from the zeroed list\n"))
        << block;
    EXPECT_TRUE(matches(block,
                        "^page fault #[0-9]+\n  process     1000 \\(touch_pages\\.exe\\), "
                        "thread 1004\n  rip         0x[0-9a-f]+  [a-z]"))
        << block;
    EXPECT_TRUE(matches(block, "\n  error code  0x[46]: P=0 not present"));
    EXPECT_TRUE(matches(block,
                        "\n  walk        PXE  table 0x[0-9a-f]+ index +[0-9]+  0x[0-9a-f]{16}"
                        "  pfn [0-9a-f]+ [-A-Z]{11}\n              PPE  table .*\n"
                        "              PDE  table .*\n              PTE  table .*not "
                        "valid: DemandZero, Protect: 4 - ReadWrite\n"))
        << block;
    EXPECT_TRUE(
        matches(block, "\n  allocation  VPN [0-9a-f]+-[0-9a-f]+ \\(.*\\) Private READWRITE\n"));
    EXPECT_TRUE(matches(block, "\n  pte after   0x[0-9a-f]{16}  pfn [0-9a-f]+ -------UW-V\n"));
    // Paused before the instruction is retried: the location is the faulting instruction.
    EXPECT_TRUE(matches(block, fmt::format("\n=> {:#x}  ", rip()))) << block;
}

TEST_F(DebugSessionTest, StepIntoAFaultingInstructionReportsTheFaultThenRunsIt) {
    start("touch_pages.exe", {"3"});
    ASSERT_TRUE(matches(run("break-on none"), "break on: nothing"));
    // Step until an instruction faults: the step reports it and does not complete.
    std::string step;
    for (int i = 0; i < 20000 && !matches(step, "page fault #"); ++i)
        step = run("si");
    ASSERT_TRUE(matches(step, "^page fault #[0-9]+\n")) << step;
    const std::uint64_t faulting = hexAfter(step, "\n  rip         ");
    EXPECT_EQ(rip(), faulting) << step;
    // Once resolved, the next step runs the instruction.
    const std::string again = run("si");
    EXPECT_FALSE(matches(again, "page fault")) << again;
    EXPECT_NE(rip(), faulting);
}

TEST_F(DebugSessionTest, BreakpointsStopBeforeTheInstructionAndCanBeDeleted) {
    start("touch_pages.exe", {"3"});
    run("break-on none");
    enterUserMode();
    const std::uint64_t start = rip();
    const std::string dis = run("dis rip 3");
    // The listing: a label line, then "=> 0x180001310  ...", "   0x180001311  ...", ...
    ASSERT_TRUE(matches(dis, "^ntdll!RtlUserThreadStart:\n=> 0x")) << dis;
    std::istringstream lines(dis);
    std::string line;
    for (int i = 0; i < 4; ++i)
        std::getline(lines, line);
    const std::string third = line.substr(3, line.find(' ', 3) - 3);
    EXPECT_TRUE(matches(run("b " + third), "^breakpoint 1 at " + third +
                                               " \\(ntdll!RtlUserThreadStart\\+0x[0-9a-f]+\\)\n$"));
    EXPECT_EQ(run("b " + third), "a breakpoint is already at " + third + "\n");
    EXPECT_TRUE(matches(run("c"), "^breakpoint 1, " + third +
                                      "\nntdll!RtlUserThreadStart\\+0x[0-9a-f]+:\n=> " + third +
                                      "  "));
    EXPECT_NE(rip(), start);
    EXPECT_EQ(run("delete 1"), "deleted breakpoint 1\n");
    EXPECT_EQ(run("b"), "no breakpoints\n");
    EXPECT_TRUE(matches(run("c"), "process exited with status 0 \\(0x00000000\\)\n$"));
    EXPECT_TRUE(session->ended());
    EXPECT_EQ(session->exitCode(), 0);
}

TEST_F(DebugSessionTest, TheGuestsExitStatusEndsTheSession) {
    start("exit_code.exe", {"42"});
    run("break-on none");
    EXPECT_EQ(run("c"), "process exited with status 42 (0x0000002a)\n");
    EXPECT_TRUE(session->ended());
    EXPECT_EQ(session->exitCode(), 42);
    EXPECT_EQ(run("regs"), "");  // nothing runs after the end
}

TEST_F(DebugSessionTest, BreakOnSyscallAndException) {
    start("veh_demo.exe", {});
    EXPECT_EQ(run("break-on syscall exception"), "break on: syscall, exception\n");
    EXPECT_TRUE(matches(run("c"), "^system call Nt[A-Za-z]+\\(.*\\) = 0x[0-9a-f]{8} STATUS_"));
    run("break-on exception");
    EXPECT_TRUE(matches(run("c"),
                        "^exception 0xc0000005 STATUS_ACCESS_VIOLATION at 0x[0-9a-f]+: first "
                        "chance, delivered to KiUserExceptionDispatcher\n  parameters: 0x1 0x"));
}

TEST_F(DebugSessionTest, ASystemCallStopShowsWhatTheCallHandedBack) {
    start("touch_pages.exe", {"3"});
    run("break-on syscall");
    // The loader's calls come first; touch_pages' VirtualAlloc is the first allocation.
    std::string stop;
    for (int i = 0; i < 64 && !stop.starts_with("system call NtAllocateVirtualMemory"); ++i)
        stop = run("c");
    EXPECT_TRUE(matches(stop,
                        "^system call NtAllocateVirtualMemory\\(0xffffffffffffffff, .*\\) = "
                        "0x00000000 STATUS_SUCCESS: BaseAddress=0x[0-9a-f]+0000, "
                        "RegionSize=0x[0-9a-f]+\n"))
        << stop;
}

TEST_F(DebugSessionTest, BadInputGetsAClearMessageAndTheSessionGoesOn) {
    start("touch_pages.exe", {"3"});
    EXPECT_EQ(run("frobnicate"), "unknown command 'frobnicate': type help for the commands\n");
    EXPECT_EQ(run("x/4g zz"), "bad address: no symbol or module named 'zz'\n");
    EXPECT_EQ(run("x/4g 0x10"), "cannot access memory at 0x10: no page table (PDE not valid)\n");
    EXPECT_EQ(run("x/2g 0x800000000000"),
              "cannot access memory at 0x800000000000: not a canonical address\n");
    EXPECT_TRUE(matches(run("xp/2g 0x10"), "^cannot access physical memory at 0x10: RAM is "));
    EXPECT_EQ(run("x/4z rsp"), "bad format /4z: use /N followed by b, h, w, g or q\n");
    EXPECT_EQ(run("x/100000g rsp"), "at most 65536 bytes at a time\n");
    EXPECT_EQ(run("delete 9"), "no breakpoint 9\n");
    EXPECT_EQ(run("si 0"), "a count must be at least 1\n");
    EXPECT_EQ(run("break-on sometimes"),
              "break-on: 'sometimes' is not one of fault, hard-fault, table-fault, trim, syscall, "
              "exception, none\n");
    EXPECT_TRUE(matches(run("dis 0x10"), "^cannot disassemble at 0x10: no page table"));
    EXPECT_EQ(run("!pte"), "usage: !pte VA\n");
    EXPECT_EQ(run("!nope"),
              "unknown extension !nope (try !pte, !vad, !address, !pfn, !vm, !memusage, !teb, "
              "!peb, !process, !wsle, !pool, !poolused, !poolfind, !verify)\n");
    EXPECT_FALSE(session->ended());
    EXPECT_TRUE(matches(run("regs"), "^rax="));
    EXPECT_EQ(run("q"), "");
    EXPECT_TRUE(session->ended());
    EXPECT_EQ(session->exitCode(), 0);
}

TEST_F(DebugSessionTest, MemoryRegistersAndExtensionsWithRegisterArguments) {
    start("touch_pages.exe", {"3"});
    enterUserMode();
    EXPECT_TRUE(matches(run("x/2g rsp"), "^0x[0-9a-f]+:\t0x[0-9a-f]{16}\t0x[0-9a-f]{16}\n$"));
    EXPECT_TRUE(matches(run("x/4b rip"), "^0x[0-9a-f]+:(\t0x[0-9a-f]{2}){4}\n$"));
    EXPECT_TRUE(matches(run("!pte @rsp"), "-------UW-V\n$"));
    EXPECT_TRUE(matches(run("!pte rip"), "UREV\n$"));
    EXPECT_TRUE(matches(run("help"), "x/N\\[bhwgq\\] VA"));
    // An empty line right after a step repeats it.
    run("si");
    const std::uint64_t before = rip();
    run("");
    EXPECT_NE(rip(), before);
}

TEST_F(DebugSessionTest, AnEmptyLineRepeatsOnlyStepsContinuesAndExamines) {
    start("touch_pages.exe", {"3"});
    run("si");
    // x goes on from where it stopped, as in gdb.
    const std::string first = run("x/2g rsp");
    const std::string next = run("");
    EXPECT_EQ(hexAfter(next, ""), hexAfter(first, "") + 16) << first << next;
    // After a command that is not si, c or x, an empty line does nothing: not even the
    // step before it.
    run("si");
    const std::uint64_t here = rip();
    EXPECT_TRUE(matches(run(fmt::format("b {:#x}", here + 0x100)), "^breakpoint 1 at "));
    EXPECT_EQ(run(""), "");
    EXPECT_EQ(rip(), here);
    run("regs");
    EXPECT_EQ(run(""), "");
    EXPECT_EQ(rip(), here);
    run("si");
    EXPECT_NE(rip(), here);
    run("frobnicate");
    const std::uint64_t after = rip();
    EXPECT_EQ(run(""), "");
    EXPECT_EQ(rip(), after);
}

}  // namespace
}  // namespace ntoy::dbg
