// The JSON Lines trace: one object per event, with the fields docs/trace.md lists.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "kernel/kd/TraceWriter.h"

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

TEST(TraceWriter, PageFaultWithPtesAndFrame) {
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
    trace.pageFault({5, 0x140001050, 0x210000, 6, {}, std::nullopt, o});

    const auto j = lines(out.str());
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["event"], "page_fault");
    EXPECT_EQ(j[0]["n"], 5);
    EXPECT_EQ(j[0]["va"], "0x210000");
    EXPECT_EQ(j[0]["rip"], "0x140001050");
    EXPECT_EQ(j[0]["error_code"], 6);
    EXPECT_EQ(j[0]["access"], "write");
    EXPECT_EQ(j[0]["kind"], "demand-zero");
    EXPECT_EQ(j[0]["decision"], "resolved");
    EXPECT_EQ(j[0]["result"], "demand-zero: frame 0xff00033 from the zeroed list");
    EXPECT_EQ(j[0]["pte_before"], "0x80");
    EXPECT_EQ(j[0]["pte_after"], "0x804000ff00033007");
    EXPECT_EQ(j[0]["pfn"], "0xff00033");
}

TEST(TraceWriter, RefusedFaultHasNoFrame) {
    std::ostringstream out;
    TraceWriter trace(out);
    mm::PageFaultOutcome o;  // access violation on a page that is not committed
    trace.pageFault({1, 0x1, 0x10, 4, {}, std::nullopt, o});
    const auto j = lines(out.str());
    EXPECT_EQ(j[0]["decision"], "access_violation");
    EXPECT_EQ(j[0]["kind"], "not committed");
    EXPECT_TRUE(j[0]["pfn"].is_null());
}

TEST(TraceWriter, SystemCallWithArgumentsAndStatus) {
    std::ostringstream out;
    TraceWriter trace(out);
    const std::uint64_t args[] = {~0ull, 0x20fea0, 0, 0x20fea8, 0x3000, 4};
    trace.systemCall({"NtAllocateVirtualMemory", 2, args, 0xC000012D});
    const auto j = lines(out.str());
    EXPECT_EQ(j[0]["event"], "syscall");
    EXPECT_EQ(j[0]["name"], "NtAllocateVirtualMemory");
    EXPECT_EQ(j[0]["number"], 2);
    EXPECT_EQ(j[0]["args"],
              json({"0xffffffffffffffff", "0x20fea0", "0x0", "0x20fea8", "0x3000", "0x4"}));
    EXPECT_EQ(j[0]["status"], "0xc000012d");
    EXPECT_EQ(j[0]["status_name"], "STATUS_COMMITMENT_LIMIT");
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
    trace.exception({r, true, true});
    trace.processExit(0xC0000005);
    const auto j = lines(out.str());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["event"], "exception");
    EXPECT_EQ(j[0]["code"], "0xc0000005");
    EXPECT_EQ(j[0]["name"], "STATUS_ACCESS_VIOLATION");
    EXPECT_EQ(j[0]["address"], "0x140001270");
    EXPECT_EQ(j[0]["parameters"], json({"0x1", "0x21007b"}));
    EXPECT_EQ(j[0]["first_chance"], true);
    EXPECT_EQ(j[0]["delivered"], true);
    EXPECT_EQ(j[1]["event"], "process_exit");
    EXPECT_EQ(j[1]["exit_code"], 0xC0000005u);
    EXPECT_EQ(j[1]["status"], "0xc0000005");
}

}  // namespace
}  // namespace ntoy::kd
