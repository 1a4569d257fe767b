// Checks a trace written by `ntoy run --trace`:
//   ntoy_trace_check FILE [--demand-zero N] [--exit-code N]
// Every line must be one JSON object of a known event with its fields; page faults are
// numbered 1, 2, 3... in order; with --demand-zero, exactly N demand-zero faults at strictly
// ascending addresses; the last line is the process exit (with --exit-code, that code); and
// there is at least one system call. Prints what is wrong and exits 1, or exits 0.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
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

std::uint64_t hexValue(const json& j) {
    return std::stoull(j.get<std::string>(), nullptr, 16);
}

int fail(std::size_t line, const std::string& why) {
    std::fprintf(stderr, "trace line %zu: %s\n", line, why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ntoy_trace_check FILE [--demand-zero N] [--exit-code N]\n");
        return 2;
    }
    std::optional<std::uint64_t> wantDemandZero, wantExit;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        const std::uint64_t value = std::stoull(argv[i + 1]);
        if (option == "--demand-zero")
            wantDemandZero = value;
        else if (option == "--exit-code")
            wantExit = value;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    std::uint64_t faults = 0, demandZero = 0, syscalls = 0, lastVa = 0;
    std::size_t n = 0;
    json last;
    for (std::string text; std::getline(in, text);) {
        ++n;
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("event"))
            return fail(n, "not a JSON object with an event: " + text);
        const std::string event = j["event"];
        if (event == "page_fault") {
            if (!hasFields(j, {"n", "va", "rip", "error_code", "access", "kind", "decision",
                               "result", "pte_before", "pte_after", "pfn"}))
                return fail(n, "page fault without all its fields: " + text);
            if (j["n"] != ++faults)
                return fail(n, "page faults out of order: " + text);
            if (j["kind"] == "demand-zero") {
                const std::uint64_t va = hexValue(j["va"]);
                if (demandZero != 0 && va <= lastVa)
                    return fail(n, "demand-zero faults not at ascending addresses: " + text);
                lastVa = va;
                ++demandZero;
            }
        } else if (event == "syscall") {
            if (!hasFields(j, {"name", "number", "args", "status", "status_name"}))
                return fail(n, "system call without all its fields: " + text);
            ++syscalls;
        } else if (event == "exception") {
            if (!hasFields(j,
                           {"code", "name", "address", "parameters", "first_chance", "delivered"}))
                return fail(n, "exception without all its fields: " + text);
        } else if (event != "process_exit") {
            return fail(n, "unknown event: " + text);
        }
        last = std::move(j);
    }
    if (n == 0 || last["event"] != "process_exit")
        return fail(n, "the trace does not end with the process exit");
    if (wantExit && last["exit_code"] != *wantExit)
        return fail(
            n, "exit code " + last["exit_code"].dump() + ", want " + std::to_string(*wantExit));
    if (wantDemandZero && demandZero != *wantDemandZero)
        return fail(n, std::to_string(demandZero) + " demand-zero faults, want " +
                           std::to_string(*wantDemandZero));
    if (syscalls == 0)
        return fail(n, "no system call in the trace");
    std::printf("%zu events: %llu page faults (%llu demand-zero), %llu system calls\n", n,
                static_cast<unsigned long long>(faults),
                static_cast<unsigned long long>(demandZero),
                static_cast<unsigned long long>(syscalls));
    return 0;
}
