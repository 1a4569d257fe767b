#include "kernel/kd/TraceWriter.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kernel/base/NtStatus.h"
#include "kernel/kd/PageFaultReport.h"

namespace ntoy::kd {
namespace {

using Json = nlohmann::ordered_json;

// Addresses, PTEs and frames as hex strings: 64-bit values do not survive JSON readers that
// keep numbers as doubles.
std::string hex(std::uint64_t v) {
    return fmt::format("{:#x}", v);
}

std::string status(std::uint32_t code) {
    return fmt::format("{:#010x}", code);
}

std::string_view responseName(mm::PageFaultResponse r) {
    switch (r) {
        case mm::PageFaultResponse::Resolved:
            return "resolved";
        case mm::PageFaultResponse::AccessViolation:
            return "access_violation";
        case mm::PageFaultResponse::GuardPage:
            return "guard_page";
        case mm::PageFaultResponse::StackOverflow:
            return "stack_overflow";
        case mm::PageFaultResponse::OutOfMemory:
            return "out_of_memory";
    }
    return "?";
}

}  // namespace

void TraceWriter::write(const std::string& line) {
    out_ << line << '\n';
    if (flush_ == Flush::EachEvent)
        out_.flush();
}

void TraceWriter::pageFault(const ke::PageFaultEvent& e) {
    const mm::PageFaultOutcome& o = e.outcome;
    Json j;
    j["event"] = "page_fault";
    j["n"] = e.number;
    j["va"] = hex(e.cr2);
    j["rip"] = hex(e.rip);
    j["error_code"] = e.errorCode;
    j["access"] = mm::accessKindName(o.access);
    j["kind"] = mm::faultKindName(o.kind);
    j["decision"] = responseName(o.response);
    j["result"] = faultDecision(o);
    j["pte_before"] = hex(o.before.raw());
    j["pte_after"] = hex(o.after.raw());
    j["pfn"] = o.after.hasFrame() ? Json(hex(o.after.pfn().value())) : Json(nullptr);
    write(j.dump());
}

void TraceWriter::systemCall(const ke::SystemCallEvent& e) {
    Json args = Json::array();
    for (std::uint64_t a : e.args)
        args.push_back(hex(a));
    Json j;
    j["event"] = "syscall";
    j["name"] = e.name;
    j["number"] = e.number;
    j["args"] = std::move(args);
    j["status"] = status(e.status);
    j["status_name"] = ntStatusName(static_cast<NtStatus>(e.status));
    write(j.dump());
}

void TraceWriter::exception(const ke::ExceptionEvent& e) {
    const ke::ExceptionRecord& r = e.record;
    Json parameters = Json::array();
    for (std::uint32_t i = 0; i < r.numberParameters && i < std::size(r.exceptionInformation); ++i)
        parameters.push_back(hex(r.exceptionInformation[i]));
    Json j;
    j["event"] = "exception";
    j["code"] = status(r.exceptionCode);
    j["name"] = ntStatusName(static_cast<NtStatus>(r.exceptionCode));
    j["address"] = hex(r.exceptionAddress);
    j["parameters"] = std::move(parameters);
    j["first_chance"] = e.firstChance;
    j["delivered"] = e.delivered;
    write(j.dump());
}

void TraceWriter::processExit(std::uint32_t exitStatus) {
    Json j;
    j["event"] = "process_exit";
    j["exit_code"] = exitStatus;
    j["status"] = status(exitStatus);
    write(j.dump());
    out_.flush();
}

}  // namespace ntoy::kd
