#include "kernel/kd/TraceWriter.h"

#include "kernel/mm/AddressSpace.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>

#include "kernel/Kernel.h"
#include "kernel/base/NtStatus.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/PageFaultReport.h"
#include "kernel/ps/Process.h"
#include "kernel/ps/Thread.h"

namespace ntoy::kd {
namespace {

using Json = nlohmann::ordered_json;

// Every number is a JSON number, so that jq and friends compare them as numbers. Where people
// read a number in hex (addresses, PTEs, status codes), a "_hex" field beside it has the same
// value as text: exact too where a reader keeps numbers as doubles (above 2^53).
std::string hex(std::uint64_t v) {
    return fmt::format("{:#x}", v);
}

void put(Json& j, const std::string& name, std::uint64_t value) {
    j[name] = value;
    j[name + "_hex"] = hex(value);
}

void putOptional(Json& j, const std::string& name, std::optional<std::uint64_t> value) {
    j[name] = value ? Json(*value) : Json(nullptr);
    j[name + "_hex"] = value ? Json(hex(*value)) : Json(nullptr);
}

void putStatus(Json& j, const std::string& name, std::uint32_t code) {
    j[name] = code;
    j[name + "_hex"] = fmt::format("{:#010x}", code);
}

void putArray(Json& j, const std::string& name, std::span<const std::uint64_t> values) {
    Json numbers = Json::array(), texts = Json::array();
    for (std::uint64_t v : values) {
        numbers.push_back(v);
        texts.push_back(hex(v));
    }
    j[name] = std::move(numbers);
    j[name + "_hex"] = std::move(texts);
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
        case mm::PageFaultResponse::InPageError:
            return "in_page_error";
    }
    return "?";
}

void putOrigin(Json& j, const ke::EventOrigin& origin) {
    j["process_id"] = origin.processId;
    j["thread_id"] = origin.threadId;
}

}  // namespace

void StreamSink::event(const Json& e) {
    // Names from the guest's files need not be UTF-8: such bytes become U+FFFD rather than
    // an exception in the middle of the kernel's work.
    out_ << e.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    if (flush_ == Flush::EachEvent)
        out_.flush();
}

TraceWriter::TraceWriter(std::ostream& out, Flush flush)
    : ownSink_(std::make_unique<StreamSink>(out, flush)) {
    addSink(*ownSink_);
}

void TraceWriter::write(Json& j) {
    if (kernel_ != nullptr && !j.contains("t"))
        j["t"] = eventTime(*kernel_);
    for (TraceSink* sink : sinks_)
        sink->event(j);
}

bool TraceWriter::wanted(std::string_view event) const {
    return std::ranges::any_of(sinks_, [&](const TraceSink* sink) { return sink->wants(event); });
}

void TraceWriter::sample() {
    if (kernel_ == nullptr)
        return;
    Json j = memorySample(*kernel_);
    write(j);
    lastSampleTime_ = kernel_->clock().interruptTime();
    faultsSinceSample_ = 0;
}

void TraceWriter::sampleIfDue() {
    constexpr std::uint64_t kSamplePeriod = 20'000;  // 2 ms, in 100 ns
    constexpr std::uint64_t kSampleFaults = 512;
    if (kernel_ != nullptr && (faultsSinceSample_ >= kSampleFaults ||
                               kernel_->clock().interruptTime() - lastSampleTime_ >= kSamplePeriod))
        sample();
}

void TraceWriter::sampleAndSnapshot(const std::string& label) {
    if (kernel_ != nullptr) {
        sample();
        Json snapshot = memorySnapshot(*kernel_, label);
        write(snapshot);
    }
    for (TraceSink* sink : sinks_)
        sink->flush();
}

void TraceWriter::finish() {
    if (kernel_ != nullptr)
        sampleAndSnapshot("end of run");
}

void TraceWriter::processStart(const ps::Process& process) {
    Json modules = Json::array();
    for (const ps::LoadedImage& image : process.images()) {
        Json m;
        m["name"] = std::filesystem::path(image.path).filename().string();
        m["path"] = image.path;
        put(m, "base", image.base.value());
        put(m, "size", image.size);
        modules.push_back(std::move(m));
    }
    Json j;
    j["event"] = "process_start";
    j["process_id"] = process.id();
    j["parent_id"] = process.parentId;
    j["image"] = imageName(process);
    j["thread_id"] = process.threads().empty() ? 0 : process.threads().front()->id();
    put(j, "peb", process.peb.value());
    if (!process.threads().empty())
        put(j, "teb", process.threads().front()->teb.value());
    j["modules"] = std::move(modules);
    write(j);
    sample();
}

void TraceWriter::pageFault(const ke::PageFaultEvent& e) {
    ++faultsSinceSample_;
    if (!wanted("page_fault")) {
        sampleIfDue();
        return;
    }
    const mm::PageFaultOutcome& o = e.outcome;
    // The fields for people (hex beside numbers, the decision in words, the PTEs) only when a
    // sink keeps them: the report builder reads the numbers alone, and faults are many.
    const bool full = std::ranges::any_of(sinks_, [](const TraceSink* sink) {
        return sink->wants("page_fault") && sink->wantsEveryField();
    });
    const std::optional<std::uint64_t> base =
        e.vad ? std::optional(e.vad->start().value()) : std::nullopt;
    const std::optional<std::uint64_t> pfn =
        o.after.hasFrame() ? std::optional(o.after.pfn().value()) : std::nullopt;
    Json j;
    j["event"] = "page_fault";
    putOrigin(j, e.origin);
    j["n"] = e.number;
    if (full) {
        put(j, "va", e.cr2);
        put(j, "rip", e.rip);
        j["error_code"] = e.errorCode;
    } else {
        j["va"] = e.cr2;
        j["rip"] = e.rip;
    }
    j["access"] = mm::accessKindName(o.access);
    j["kind"] = mm::faultKindName(o.kind);
    j["decision"] = responseName(o.response);
    if (full) {
        j["result"] = faultDecision(o);
        putOptional(j, "allocation_base", base);
    } else {
        j["allocation_base"] = base ? Json(*base) : Json(nullptr);
    }
    j["region_type"] = !e.vad                              ? Json(nullptr)
                       : e.vad->type == mm::VadType::Image ? Json("MEM_IMAGE")
                                                           : Json("MEM_PRIVATE");
    if (full) {
        put(j, "pte_before", o.before.raw());
        put(j, "pte_after", o.after.raw());
        putOptional(j, "pfn", pfn);
    } else {
        j["pfn"] = pfn ? Json(*pfn) : Json(nullptr);
    }
    write(j);
    sampleIfDue();
}

void TraceWriter::systemCall(const ke::SystemCallEvent& e) {
    if (!wanted("syscall")) {
        sampleIfDue();
        return;
    }
    Json j;
    j["event"] = "syscall";
    putOrigin(j, e.origin);
    j["name"] = e.name;
    j["number"] = e.number;
    putArray(j, "args", e.args);
    putStatus(j, "status", e.status);
    j["status_name"] = ntStatusName(static_cast<NtStatus>(e.status));
    Json outputs = Json::object(), outputsHex = Json::object();
    for (const ke::SystemCallOutput& o : e.outputs) {
        outputs[std::string(o.name)] = o.value;
        outputsHex[std::string(o.name)] = hex(o.value);
    }
    j["outputs"] = std::move(outputs);
    j["outputs_hex"] = std::move(outputsHex);
    write(j);
    sampleIfDue();
}

void TraceWriter::exception(const ke::ExceptionEvent& e) {
    if (!wanted("exception")) {
        sampleIfDue();
        return;
    }
    const ke::ExceptionRecord& r = e.record;
    const std::size_t count =
        std::min<std::size_t>(r.numberParameters, std::size(r.exceptionInformation));
    Json j;
    j["event"] = "exception";
    putOrigin(j, e.origin);
    putStatus(j, "code", r.exceptionCode);
    j["name"] = ntStatusName(static_cast<NtStatus>(r.exceptionCode));
    put(j, "address", r.exceptionAddress);
    putArray(j, "parameters", std::span(r.exceptionInformation).first(count));
    j["first_chance"] = e.firstChance;
    j["delivered"] = e.delivered;
    write(j);
    sampleIfDue();
}

void TraceWriter::threadStart(const ps::Thread& thread) {
    if (!wanted("thread_start")) {
        sampleIfDue();
        return;
    }
    Json j;
    j["event"] = "thread_start";
    putOrigin(j, {thread.process().id(), thread.id()});
    put(j, "teb", thread.teb.value());
    put(j, "stack_base", thread.stackBase.value());
    put(j, "stack_limit", thread.stackLimit.value());
    write(j);
    sampleIfDue();
}

void TraceWriter::threadExit(const ps::Thread& thread) {
    if (!wanted("thread_exit")) {
        sampleIfDue();
        return;
    }
    Json j;
    j["event"] = "thread_exit";
    putOrigin(j, {thread.process().id(), thread.id()});
    putStatus(j, "exit_code", thread.exitStatus.value_or(0));
    write(j);
    sampleIfDue();
}

// Trims and paging I/O happen inside the pager's work: no sample is taken there (a sample
// reads the pool, which may be what the pager is working for).
void TraceWriter::trim(ke::EventOrigin origin, const ps::Process& owner, const mm::TrimEvent& e) {
    if (!wanted("trim"))
        return;
    Json j;
    j["event"] = "trim";
    putOrigin(j, origin);
    j["owner_process_id"] = owner.id();
    j["pages"] = e.pages;
    j["working_set"] = e.space.workingSet().size();
    j["reason"] = e.reason == mm::TrimReason::Balance      ? "balance"
                  : e.reason == mm::TrimReason::Empty      ? "empty"
                  : e.reason == mm::TrimReason::PageTables ? "page_tables"
                                                           : "hard_maximum";
    write(j);
}

void TraceWriter::pageIo(ke::EventOrigin origin, const mm::PageIoEvent& e) {
    if (!wanted(e.write ? "page_write" : "page_read"))
        return;
    Json j;
    j["event"] = e.write ? "page_write" : "page_read";
    putOrigin(j, origin);
    j["slot"] = e.firstSlot;
    j["pages"] = e.pages;
    j["ok"] = e.ok;
    write(j);
}

void TraceWriter::processExit(const ps::Process& process, std::uint32_t exitStatus) {
    Json j;
    j["event"] = "process_exit";
    j["process_id"] = process.id();
    putStatus(j, "exit_code", exitStatus);
    // What --stats lists for the process: its final counts, and its peaks in pages.
    const std::string image = imageName(process);
    j["image"] = image;
    j["parent_id"] = process.parentId;
    j["threads"] = process.threadsCreated;
    j["syscalls"] = process.systemCalls;
    j["page_faults"] = process.pageFaults();
    j["peak_commit"] = process.peaks().committedPages;
    j["peak_working_set"] = process.peaks().workingSetPages;
    j["peak_virtual"] = process.peaks().reservedPages;
    write(j);
    sampleAndSnapshot(fmt::format("exit of {} {}", process.id(), image));
}

}  // namespace ntoy::kd
