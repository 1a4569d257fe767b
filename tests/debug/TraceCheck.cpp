// Checks a trace written by `ntoy run --trace`:
//   ntoy_trace_check FILE [--demand-zero N] [--exit-code N] [--paging N]
// Every line must be one JSON object of a known event with its fields, numbers as JSON
// numbers with the same value in hex beside them; the first line is the process start,
// listing the executable, ntdll and kernel32 with their bases; page faults are numbered
// 1, 2, 3... in order, and a resolved demand-zero one lies in its allocation; with
// --demand-zero, exactly N demand-zero faults at strictly ascending addresses; every
// successful NtAllocateVirtualMemory hands back its BaseAddress and RegionSize; the last
// process exit is the last process event (with --exit-code, that code), and the trace ends
// with the "end of run" snapshot; every event has its time "t", never going back; memory
// samples and snapshots carry their fields, and a snapshot's frame runs cover RAM; trims and
// paging I/O carry their fields, and with --paging N there are at least N of each of trim,
// page_write and page_read.
// Prints what is wrong and exits 1, or exits 0.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

bool hasFields(const json& j, const std::vector<const char*>& fields) {
    for (const char* f : fields)
        if (!j.contains(f))
            return false;
    return true;
}

// `field` is an unsigned number and `field`_hex the same in hex (or both null, if allowed).
bool numberWithHex(const json& j, const std::string& field, bool nullable = false) {
    if (!j.contains(field) || !j.contains(field + "_hex"))
        return false;
    const json& value = j[field];
    const json& text = j[field + "_hex"];
    if (nullable && value.is_null())
        return text.is_null();
    return value.is_number_unsigned() && text.is_string() &&
           std::stoull(text.get<std::string>(), nullptr, 16) == value.get<std::uint64_t>();
}

int fail(std::size_t line, const std::string& why) {
    std::fprintf(stderr, "trace line %zu: %s\n", line, why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: ntoy_trace_check FILE [--demand-zero N] [--exit-code N] "
                     "[--paging N]\n");
        return 2;
    }
    std::optional<std::uint64_t> wantDemandZero, wantExit, wantPaging;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        const std::uint64_t value = std::stoull(argv[i + 1]);
        if (option == "--demand-zero")
            wantDemandZero = value;
        else if (option == "--exit-code")
            wantExit = value;
        else if (option == "--paging")
            wantPaging = value;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    std::uint64_t faults = 0, demandZero = 0, syscalls = 0, lastVa = 0;
    std::uint64_t trims = 0, pageWrites = 0, pageReads = 0;
    std::size_t n = 0;
    double lastT = 0;
    json last, lastExit;
    for (std::string text; std::getline(in, text);) {
        ++n;
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("event"))
            return fail(n, "not a JSON object with an event: " + text);
        const std::string event = j["event"];
        if ((n == 1) != (event == "process_start"))
            return fail(n, "the process start is not the first event: " + text);
        if (!j["t"].is_number() || j["t"].get<double>() < lastT)
            return fail(n, "an event without its time, or earlier than the one before: " + text);
        lastT = j["t"].get<double>();
        // Whose: every event but the process exit and the system-wide ones names its process
        // and thread.
        const bool systemWide = event == "memory" || event == "snapshot";
        if (event != "process_exit" && !systemWide &&
            (!j["process_id"].is_number_unsigned() || !j["thread_id"].is_number_unsigned()))
            return fail(n, "an event without its process and thread ids: " + text);
        if (event == "process_start") {
            if (!j["process_id"].is_number_unsigned() || !j["modules"].is_array())
                return fail(n, "process start without its fields: " + text);
            std::set<std::string> names;
            for (const json& m : j["modules"]) {
                if (!m["name"].is_string() || !m["path"].is_string() || !numberWithHex(m, "base") ||
                    !numberWithHex(m, "size"))
                    return fail(n, "a module without its name, path, base or size: " + text);
                names.insert(m["name"].get<std::string>());
            }
            if (!names.contains("ntdll.dll") || !names.contains("kernel32.dll") || names.size() < 3)
                return fail(n, "the modules are not the executable, ntdll and kernel32: " + text);
        } else if (event == "page_fault") {
            if (!hasFields(j, {"n", "error_code", "access", "kind", "decision", "result",
                               "region_type"}) ||
                !numberWithHex(j, "va") || !numberWithHex(j, "rip") ||
                !numberWithHex(j, "pte_before") || !numberWithHex(j, "pte_after") ||
                !numberWithHex(j, "pfn", true) || !numberWithHex(j, "allocation_base", true))
                return fail(n, "page fault without all its fields: " + text);
            if (j["n"] != ++faults)
                return fail(n, "page faults out of order: " + text);
            if (j["kind"] == "demand-zero") {
                const std::uint64_t va = j["va"];
                if (j["region_type"] != "MEM_PRIVATE" || j["allocation_base"].is_null() ||
                    j["allocation_base"].get<std::uint64_t>() > va)
                    return fail(n, "a demand-zero fault outside a private allocation: " + text);
                if (wantDemandZero && demandZero != 0 && va <= lastVa)
                    return fail(n, "demand-zero faults not at ascending addresses: " + text);
                lastVa = va;
                ++demandZero;
            }
        } else if (event == "syscall") {
            if (!hasFields(j, {"name", "number", "args", "args_hex", "status_name", "outputs",
                               "outputs_hex"}) ||
                !numberWithHex(j, "status"))
                return fail(n, "system call without all its fields: " + text);
            if (j["name"] == "NtAllocateVirtualMemory" && j["status"] == 0 &&
                (!j["outputs"].contains("BaseAddress") || !j["outputs"].contains("RegionSize")))
                return fail(n, "an allocation that does not say what it allocated: " + text);
            ++syscalls;
        } else if (event == "exception") {
            if (!hasFields(j,
                           {"name", "parameters", "parameters_hex", "first_chance", "delivered"}) ||
                !numberWithHex(j, "code") || !numberWithHex(j, "address"))
                return fail(n, "exception without all its fields: " + text);
        } else if (event == "thread_start") {
            if (!numberWithHex(j, "teb") || !numberWithHex(j, "stack_base") ||
                !numberWithHex(j, "stack_limit"))
                return fail(n, "thread start without its TEB and stack: " + text);
        } else if (event == "thread_exit") {
            if (!numberWithHex(j, "exit_code"))
                return fail(n, "thread exit without its code: " + text);
        } else if (event == "trim") {
            if (!j["owner_process_id"].is_number_unsigned() || !j["pages"].is_number_unsigned() ||
                !j["working_set"].is_number_unsigned() ||
                (j["reason"] != "balance" && j["reason"] != "empty" &&
                 j["reason"] != "hard_maximum" && j["reason"] != "page_tables"))
                return fail(n, "trim without its owner, pages, working set or reason: " + text);
            ++trims;
        } else if (event == "page_write" || event == "page_read") {
            if (!j["slot"].is_number_unsigned() || j["slot"] == 0 ||
                !j["pages"].is_number_unsigned() || j["pages"] == 0 || !j["ok"].is_boolean())
                return fail(n, "paging I/O without its slot, pages or result: " + text);
            ++(event == "page_write" ? pageWrites : pageReads);
        } else if (event == "process_exit") {
            if (!j["process_id"].is_number_unsigned() || !numberWithHex(j, "exit_code") ||
                !hasFields(j, {"image", "threads", "syscalls", "page_faults", "peak_commit",
                               "peak_working_set", "peak_virtual"}))
                return fail(n, "process exit without its id, code or counts: " + text);
            lastExit = j;
        } else if (event == "memory") {
            if (!j["commit_pages"].is_number_unsigned() || !j["lists"].is_object() ||
                j["lists"].size() != 8 || !j["processes"].is_array() || !j["pool"].is_object() ||
                !j["pool_tags"].is_array() || !j["faults"].is_object())
                return fail(n, "memory sample without its fields: " + text);
        } else if (event == "snapshot") {
            if (!j["label"].is_string() || !j["processes"].is_array() || !j["physical"].is_object())
                return fail(n, "snapshot without its label, processes or frames: " + text);
            for (const json& p : j["processes"])
                if (!p["summary"].is_array() || p["summary"].size() != 8 ||
                    !p["regions"].is_array() || !p["pages"].is_array())
                    return fail(n, "a snapshot's process without its summary, regions or pages");
            std::uint64_t frames = 0;
            for (const json& run : j["physical"]["state"])
                frames += run[1].get<std::uint64_t>();
            if (frames != j["physical"]["total"])
                return fail(n, "a snapshot's frames do not cover RAM");
        } else {
            return fail(n, "unknown event: " + text);
        }
        // After the last exit come its sample and snapshot, and a process's teardown reads its
        // paged-out tables back (to free the slots their entries name): paging I/O.
        if (lastExit.is_object() && event != "process_exit" && !systemWide &&
            event != "page_read" && event != "page_write")
            lastExit = json();
        last = std::move(j);
    }
    if (!lastExit.is_object())
        return fail(n, "no process exit after the process's last event");
    if (n == 0 || last["event"] != "snapshot" || last["label"] != "end of run")
        return fail(n, "the trace does not end with the \"end of run\" snapshot");
    if (wantExit && lastExit["exit_code"] != *wantExit)
        return fail(
            n, "exit code " + lastExit["exit_code"].dump() + ", want " + std::to_string(*wantExit));
    if (wantDemandZero && demandZero != *wantDemandZero)
        return fail(n, std::to_string(demandZero) + " demand-zero faults, want " +
                           std::to_string(*wantDemandZero));
    if (syscalls == 0)
        return fail(n, "no system call in the trace");
    if (wantPaging && (trims < *wantPaging || pageWrites < *wantPaging || pageReads < *wantPaging))
        return fail(n, std::to_string(trims) + " trims, " + std::to_string(pageWrites) +
                           " page writes and " + std::to_string(pageReads) +
                           " page reads: want at least " + std::to_string(*wantPaging) + " each");
    std::printf("%zu events: %llu page faults (%llu demand-zero), %llu system calls\n", n,
                static_cast<unsigned long long>(faults),
                static_cast<unsigned long long>(demandZero),
                static_cast<unsigned long long>(syscalls));
    return 0;
}
