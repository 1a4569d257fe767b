// The JSON Lines trace: one object per event, with the fields docs/trace.md lists.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "kernel/kd/TraceWriter.h"
#include "kernel/ps/Process.h"
#include "kernel/ps/Thread.h"

namespace ntoy::kd {
namespace {

using nlohmann::json;

std::vector<json> lines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(json::parse(line));
    return out;
}

TEST(TraceWriter, PageFaultWithPtesFrameAndAllocation) {
    std::ostringstream out;
    TraceWriter trace(out);
    mm::PageFaultOutcome o;
    o.response = mm::PageFaultResponse::Resolved;
    o.kind = mm::FaultKind::DemandZero;
    o.access = mm::AccessKind::Write;
    o.before = mm::Pte::demandZero(mm::MmProtection(mm::MmProtection::ReadWrite));
    o.frame = Pfn(0xff00033);
    o.after = mm::Pte::valid(o.frame, mm::MmProtection(mm::MmProtection::ReadWrite), true);
    o.fromZeroedList = true;
    const mm::Vad vad{0x210, 0x24f, 4, mm::VadType::Private, false};
    trace.pageFault({5, 0x140001050, 0x210000, 6, {}, vad, o, {1000, 1004}});

    const auto j = lines(out.str());
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["event"], "page_fault");
    EXPECT_EQ(j[0]["process_id"], 1000);
    EXPECT_EQ(j[0]["thread_id"], 1004);
    EXPECT_EQ(j[0]["n"], 5);
    // Numbers are numbers, for jq to compare; the hex beside them is for people.
    EXPECT_EQ(j[0]["va"], 0x210000);
    EXPECT_EQ(j[0]["va_hex"], "0x210000");
    EXPECT_EQ(j[0]["rip"], 0x140001050);
    EXPECT_EQ(j[0]["rip_hex"], "0x140001050");
    EXPECT_EQ(j[0]["error_code"], 6);
    EXPECT_EQ(j[0]["access"], "write");
    EXPECT_EQ(j[0]["kind"], "demand-zero");
    EXPECT_EQ(j[0]["decision"], "resolved");
    EXPECT_EQ(j[0]["result"], "demand-zero: frame 0xff00033 from the zeroed list");
    EXPECT_EQ(j[0]["allocation_base"], 0x210000);
    EXPECT_EQ(j[0]["allocation_base_hex"], "0x210000");
    EXPECT_EQ(j[0]["region_type"], "MEM_PRIVATE");
    EXPECT_EQ(j[0]["pte_before"], 0x80);
    EXPECT_EQ(j[0]["pte_before_hex"], "0x80");
    EXPECT_EQ(j[0]["pte_after"], 0x804000ff00033007ull);
    EXPECT_EQ(j[0]["pte_after_hex"], "0x804000ff00033007");
    EXPECT_EQ(j[0]["pfn"], 0xff00033);
    EXPECT_EQ(j[0]["pfn_hex"], "0xff00033");
}

TEST(TraceWriter, RefusedFaultHasNoFrameAndNoAllocation) {
    std::ostringstream out;
    TraceWriter trace(out);
    mm::PageFaultOutcome o;  // access violation on a page that is not committed
    trace.pageFault({1, 0x1, 0x10, 4, {}, std::nullopt, o});
    const auto j = lines(out.str());
    EXPECT_EQ(j[0]["decision"], "access_violation");
    EXPECT_EQ(j[0]["kind"], "not committed");
    EXPECT_TRUE(j[0]["pfn"].is_null());
    EXPECT_TRUE(j[0]["pfn_hex"].is_null());
    EXPECT_TRUE(j[0]["allocation_base"].is_null());
    EXPECT_TRUE(j[0]["region_type"].is_null());
}

TEST(TraceWriter, AnImageFaultNamesItsRegionType) {
    std::ostringstream out;
    TraceWriter trace(out);
    mm::PageFaultOutcome o;
    const mm::Vad vad{0x180100, 0x18010f, 0x80, mm::VadType::Image, false};
    trace.pageFault({1, 0x180101079, 0x180105020, 7, {}, vad, o});
    const auto j = lines(out.str());
    EXPECT_EQ(j[0]["allocation_base"], 0x180100000);
    EXPECT_EQ(j[0]["region_type"], "MEM_IMAGE");
}

TEST(TraceWriter, SystemCallWithArgumentsStatusAndOutputs) {
    std::ostringstream out;
    TraceWriter trace(out);
    const std::uint64_t args[] = {~0ull, 0x20fea0, 0, 0x20fea8, 0x3000, 4};
    const ke::SystemCallOutput outputs[] = {{"BaseAddress", 0x210000}, {"RegionSize", 0x40000}};
    trace.systemCall({"NtAllocateVirtualMemory", 2, args, 0, outputs});
    trace.systemCall({"NtAllocateVirtualMemory", 2, args, 0xC000012D});
    const auto j = lines(out.str());
    EXPECT_EQ(j[0]["event"], "syscall");
    EXPECT_EQ(j[0]["name"], "NtAllocateVirtualMemory");
    EXPECT_EQ(j[0]["number"], 2);
    EXPECT_EQ(j[0]["args"], json({~0ull, 0x20fea0u, 0u, 0x20fea8u, 0x3000u, 4u}));
    EXPECT_EQ(j[0]["args_hex"],
              json({"0xffffffffffffffff", "0x20fea0", "0x0", "0x20fea8", "0x3000", "0x4"}));
    EXPECT_EQ(j[0]["status"], 0);
    EXPECT_EQ(j[0]["status_hex"], "0x00000000");
    EXPECT_EQ(j[0]["status_name"], "STATUS_SUCCESS");
    EXPECT_EQ(j[0]["outputs"], json({{"BaseAddress", 0x210000}, {"RegionSize", 0x40000}}));
    EXPECT_EQ(j[0]["outputs_hex"], json({{"BaseAddress", "0x210000"}, {"RegionSize", "0x40000"}}));
    EXPECT_EQ(j[1]["status"], 0xC000012Du);
    EXPECT_EQ(j[1]["status_hex"], "0xc000012d");
    EXPECT_EQ(j[1]["status_name"], "STATUS_COMMITMENT_LIMIT");
    EXPECT_EQ(j[1]["outputs"], json::object()) << "a call that failed hands nothing back";
}

TEST(TraceWriter, ExceptionAndExit) {
    std::ostringstream out;
    TraceWriter trace(out);
    ke::ExceptionRecord r{};
    r.exceptionCode = 0xC0000005;
    r.exceptionAddress = 0x140001270;
    r.numberParameters = 2;
    r.exceptionInformation[0] = 1;
    r.exceptionInformation[1] = 0x21007b;
    trace.exception({r, true, true, {1000, 1008}});
    const ps::Process process(1000, nullptr, nullptr);
    trace.processExit(process, 0xC0000005);
    const auto j = lines(out.str());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["event"], "exception");
    EXPECT_EQ(j[0]["process_id"], 1000);
    EXPECT_EQ(j[0]["thread_id"], 1008);
    EXPECT_EQ(j[0]["code"], 0xC0000005u);
    EXPECT_EQ(j[0]["code_hex"], "0xc0000005");
    EXPECT_EQ(j[0]["name"], "STATUS_ACCESS_VIOLATION");
    EXPECT_EQ(j[0]["address"], 0x140001270);
    EXPECT_EQ(j[0]["address_hex"], "0x140001270");
    EXPECT_EQ(j[0]["parameters"], json({1, 0x21007b}));
    EXPECT_EQ(j[0]["parameters_hex"], json({"0x1", "0x21007b"}));
    EXPECT_EQ(j[0]["first_chance"], true);
    EXPECT_EQ(j[0]["delivered"], true);
    EXPECT_EQ(j[1]["event"], "process_exit");
    EXPECT_EQ(j[1]["process_id"], 1000);
    EXPECT_EQ(j[1]["exit_code"], 0xC0000005u);
    EXPECT_EQ(j[1]["exit_code_hex"], "0xc0000005");
}

TEST(TraceWriter, ThreadStartAndExitNameTheirProcessAndThread) {
    std::ostringstream out;
    TraceWriter trace(out);
    auto process = std::make_shared<ps::Process>(1000, nullptr, nullptr);
    ps::Thread thread(1012, process);
    thread.teb = VirtualAddress(0x7ffde000);
    thread.stackBase = VirtualAddress(0x610000);
    thread.stackLimit = VirtualAddress(0x60e000);
    trace.threadStart(thread);
    thread.exitStatus = 7;
    trace.threadExit(thread);
    const auto j = lines(out.str());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["event"], "thread_start");
    EXPECT_EQ(j[0]["process_id"], 1000);
    EXPECT_EQ(j[0]["thread_id"], 1012);
    EXPECT_EQ(j[0]["teb_hex"], "0x7ffde000");
    EXPECT_EQ(j[0]["stack_base_hex"], "0x610000");
    EXPECT_EQ(j[0]["stack_limit_hex"], "0x60e000");
    EXPECT_EQ(j[1]["event"], "thread_exit");
    EXPECT_EQ(j[1]["thread_id"], 1012);
    EXPECT_EQ(j[1]["exit_code"], 7);
    EXPECT_EQ(j[1]["exit_code_hex"], "0x00000007");
}

}  // namespace
}  // namespace ntoy::kd
