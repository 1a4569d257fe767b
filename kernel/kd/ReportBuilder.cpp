#include "kernel/kd/ReportBuilder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ntoy::kd {
namespace {

// A count, address or id: a JSON integer that is not negative (0 otherwise).
bool isCount(const Json& j) {
    return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0);
}

std::uint64_t number(const Json& j, const char* name) {
    const auto it = j.find(name);
    return it != j.end() && isCount(*it) ? it->get<std::uint64_t>() : 0;
}

// An event's time; 0 where it has none, or none a clock could give (negative, infinite).
double time(const Json& j) {
    const auto it = j.find("t");
    const double t = it != j.end() && it->is_number() ? it->get<double>() : 0.0;
    return std::isfinite(t) && t >= 0 ? t : 0.0;
}

std::string text(const Json& j, const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Which timeline series a page_fault event adds to: its decision for the refused ones, else
// its kind.
std::uint8_t seriesOf(const std::string& kind, const std::string& decision) {
    const auto& kinds = kFaultKinds;
    auto index = [&](std::string_view name) {
        return static_cast<std::uint8_t>(std::ranges::find(kinds, name) - kinds.begin());
    };
    if (decision == "access_violation")
        return index("access violation");
    if (decision == "in_page_error")
        return index("in-page error");
    const std::uint8_t i = index(kind);
    return i < kinds.size() ? i : index("other");
}

}  // namespace

ReportBuilder::ProcessRecord& ReportBuilder::process(std::uint32_t id) {
    // Client ids are not reused within a run (they only go up).
    for (ProcessRecord& p : processes_)
        if (p.id == id)
            return p;
    processes_.push_back({});
    processes_.back().id = id;
    return processes_.back();
}

void ReportBuilder::event(const Json& e) {
    ++events_;
    lastT_ = std::max(lastT_, time(e));
    const std::string kind = text(e, "event");
    if (kind == "process_start") {
        ProcessRecord& p = process(static_cast<std::uint32_t>(number(e, "process_id")));
        p.parentId = static_cast<std::uint32_t>(number(e, "parent_id"));
        p.image = text(e, "image");
        p.startT = time(e);
    } else if (kind == "process_exit") {
        ProcessRecord& p = process(static_cast<std::uint32_t>(number(e, "process_id")));
        if (p.image.empty())
            p.image = text(e, "image");
        p.exitT = time(e);
        p.exit = e;
    } else if (kind == "page_fault") {
        addFault(e);
    } else if (kind == "memory") {
        addSample(e);
    } else if (kind == "snapshot") {
        addSnapshot(e);
    }
}

void ReportBuilder::addFault(const Json& e) {
    FaultRecord f;
    f.t = time(e);
    f.n = number(e, "n");
    f.va = number(e, "va");
    f.rip = number(e, "rip");
    f.processId = static_cast<std::uint32_t>(number(e, "process_id"));
    f.threadId = static_cast<std::uint32_t>(number(e, "thread_id"));
    f.access = text(e, "access");
    f.decision = text(e, "decision");
    f.traceKind = text(e, "kind");
    f.kind = seriesOf(f.traceKind, f.decision);
    if (const auto it = e.find("allocation_base"); it != e.end() && isCount(*it)) {
        f.hasAllocation = true;
        f.allocationBase = it->get<std::uint64_t>();
        f.image = text(e, "region_type") == "MEM_IMAGE";
    }
    if (const auto it = e.find("pfn"); it != e.end() && isCount(*it)) {
        f.hasPfn = true;
        f.pfn = it->get<std::uint64_t>();
    }
    ++process(f.processId).faults[std::string(kFaultKinds[f.kind])];
    faults_.push_back(std::move(f));
}

void ReportBuilder::addSample(const Json& e) {
    Sample s;
    s.t = time(e);
    s.commit = number(e, "commit_pages");
    s.pagefileUsed = number(e, "pagefile_used_pages");
    if (const auto it = e.find("lists"); it != e.end() && it->is_object())
        for (const auto& [name, count] : it->items())
            s.lists[name] = isCount(count) ? count.get<std::uint64_t>() : 0;
    if (const auto it = e.find("processes"); it != e.end() && it->is_array())
        for (const Json& p : *it) {
            const auto id = static_cast<std::uint32_t>(number(p, "process_id"));
            const std::uint64_t ws = number(p, "working_set_pages"),
                                commit = number(p, "commit_pages");
            s.workingSets.emplace_back(id, ws);
            s.commits.emplace_back(id, commit);
            ProcessRecord& record = process(id);
            record.peakWorkingSet = std::max(record.peakWorkingSet, ws);
            record.peakCommit = std::max(record.peakCommit, commit);
        }
    if (const auto it = e.find("pool"); it != e.end() && it->is_object()) {
        s.pagedPool = number(*it, "paged");
        s.nonPagedPool = number(*it, "nonpaged");
    }
    if (const auto it = e.find("pool_tags"); it != e.end() && it->is_array()) {
        for (const Json& t : *it)
            s.tags.push_back(
                {text(t, "tag"), number(t, "paged_bytes"), number(t, "nonpaged_bytes"),
                 number(t, "paged_allocs") -
                     std::min(number(t, "paged_allocs"), number(t, "paged_frees")) +
                     number(t, "nonpaged_allocs") -
                     std::min(number(t, "nonpaged_allocs"), number(t, "nonpaged_frees"))});
        s.tagRows = *it;
    }
    if (const auto it = e.find("faults"); it != e.end() && it->is_object())
        s.faults = *it;
    samples_.push_back(std::move(s));
}

void ReportBuilder::addSnapshot(const Json& e) {
    // The first ones and the latest: past the limit, each new one replaces the previous last.
    if (snapshots_.size() == kMaxSnapshots) {
        snapshots_.pop_back();
        ++snapshotsDropped_;
    }
    snapshots_.push_back(e);
}

std::string ReportBuilder::firstImage() const {
    return processes_.empty() ? std::string() : processes_.front().image;
}

Json ReportBuilder::timeline(double end) const {
    const auto& kinds = kFaultKinds;
    const std::size_t buckets =
        faults_.empty() ? 0 : std::clamp<std::size_t>(faults_.size(), 1, kMaxBuckets);
    const double width = buckets == 0 || end <= 0 ? 1.0 : end / static_cast<double>(buckets);
    Json out;
    Json list = Json::array();
    std::vector<std::vector<std::uint64_t>> counts(buckets,
                                                   std::vector<std::uint64_t>(kinds.size()));
    std::vector<Json> events(buckets, Json::array());
    std::vector<std::uint64_t> more(buckets);
    for (const FaultRecord& f : faults_) {
        // Clamped as a double first: a trace's times are anyone's numbers (1e300, -5).
        const double slot =
            std::clamp(std::floor(f.t / width), 0.0, static_cast<double>(buckets - 1));
        const auto b = static_cast<std::size_t>(slot);
        ++counts[b][f.kind];
        if (events[b].size() >= kEventsPerBucket) {
            ++more[b];
            continue;
        }
        Json ev;
        ev["n"] = f.n;
        ev["t"] = f.t;
        ev["process_id"] = f.processId;
        ev["thread_id"] = f.threadId;
        ev["kind"] = f.traceKind;
        ev["decision"] = f.decision;
        ev["access"] = f.access;
        ev["va_hex"] = fmt::format("{:#x}", f.va);
        ev["rip_hex"] = fmt::format("{:#x}", f.rip);
        ev["region"] = f.hasAllocation
                           ? Json(fmt::format("{} {:#x}", f.image ? "MEM_IMAGE" : "MEM_PRIVATE",
                                              f.allocationBase))
                           : Json(nullptr);
        ev["result"] = f.hasPfn ? fmt::format("{}: frame {:#x}", f.traceKind, f.pfn)
                                : fmt::format("{}: {}", f.traceKind, f.decision);
        events[b].push_back(std::move(ev));
    }
    for (std::size_t b = 0; b < buckets; ++b)
        list.push_back({{"t0", width * static_cast<double>(b)},
                        {"t1", width * static_cast<double>(b + 1)},
                        {"counts", counts[b]},
                        {"events", std::move(events[b])},
                        {"more", more[b]}});
    out["buckets"] = std::move(list);
    // Samples, thinned evenly to at most kMaxSamples, the last always kept.
    Json samples = Json::array();
    const std::size_t step =
        samples_.size() <= kMaxSamples ? 1 : (samples_.size() + kMaxSamples - 1) / kMaxSamples;
    for (std::size_t i = 0; i < samples_.size(); ++i) {
        if (i % step != 0 && i + 1 != samples_.size())
            continue;
        const Sample& s = samples_[i];
        Json ws = Json::object(), commits = Json::object();
        for (const auto& [id, pages] : s.workingSets)
            ws[std::to_string(id)] = pages;
        for (const auto& [id, pages] : s.commits)
            commits[std::to_string(id)] = pages;
        samples.push_back({{"t", s.t},
                           {"commit_pages", s.commit},
                           {"pagefile_used_pages", s.pagefileUsed},
                           {"lists", s.lists},
                           {"working_sets", std::move(ws)},
                           {"process_commit", std::move(commits)},
                           {"pool", {{"paged", s.pagedPool}, {"nonpaged", s.nonPagedPool}}}});
    }
    out["samples"] = std::move(samples);
    return out;
}

Json ReportBuilder::poolTags() const {
    // Every tag seen, by its peak bytes.
    std::map<std::string, std::uint64_t> peak;
    for (const Sample& s : samples_)
        for (const TagSample& t : s.tags)
            peak[t.tag] = std::max(peak[t.tag], t.pagedBytes + t.nonPagedBytes);
    std::vector<std::string> tags;
    for (const auto& [tag, bytes] : peak)
        tags.push_back(tag);
    std::ranges::sort(tags, [&](const std::string& a, const std::string& b) {
        return peak[a] != peak[b] ? peak[a] > peak[b] : a < b;
    });
    std::map<std::string, std::size_t> column;
    for (std::size_t i = 0; i < tags.size(); ++i)
        column[tags[i]] = i;
    Json samples = Json::array();
    const std::size_t step =
        samples_.size() <= kMaxSamples ? 1 : (samples_.size() + kMaxSamples - 1) / kMaxSamples;
    for (std::size_t i = 0; i < samples_.size(); ++i) {
        if (i % step != 0 && i + 1 != samples_.size())
            continue;
        std::vector<std::uint64_t> paged(tags.size()), nonpaged(tags.size()), allocs(tags.size());
        for (const TagSample& t : samples_[i].tags) {
            const std::size_t c = column[t.tag];
            paged[c] = t.pagedBytes;
            nonpaged[c] = t.nonPagedBytes;
            allocs[c] = t.allocs;
        }
        samples.push_back({{"t", samples_[i].t},
                           {"paged", std::move(paged)},
                           {"nonpaged", std::move(nonpaged)},
                           {"allocs", std::move(allocs)}});
    }
    Json out;
    out["tags"] = tags;
    out["samples"] = std::move(samples);
    out["final"] = samples_.empty() || samples_.back().tagRows.is_null() ? Json::array()
                                                                         : samples_.back().tagRows;
    return out;
}

Json ReportBuilder::model(const std::string& title, const std::string& source,
                          const std::optional<Json>& now) const {
    Json m;
    m["version"] = 1;
    m["title"] = title;
    m["source"] = source;
    m["page_size"] = kPageSize;
    Json processes = Json::array();
    for (const ProcessRecord& p : processes_) {
        Json j;
        j["process_id"] = p.id;
        j["parent_id"] = p.parentId;
        j["image"] = p.image;
        j["start_t"] = p.startT;
        j["exit_t"] = p.exitT ? Json(*p.exitT) : Json(nullptr);
        j["exit_code_hex"] = p.exit.contains("exit_code_hex") ? p.exit["exit_code_hex"] : Json();
        Json faults = Json::object();
        for (const std::string_view kind : kFaultKinds) {
            const auto it = p.faults.find(std::string(kind));
            faults[std::string(kind)] = it != p.faults.end() ? it->second : 0;
        }
        j["faults"] = std::move(faults);
        // The kernel's own figures once the process ended (--stats prints the same); before,
        // what the samples saw.
        j["peak_commit_pages"] =
            p.exit.contains("peak_commit") ? p.exit["peak_commit"] : Json(p.peakCommit);
        j["peak_working_set_pages"] = p.exit.contains("peak_working_set")
                                          ? p.exit["peak_working_set"]
                                          : Json(p.peakWorkingSet);
        for (const char* field : {"threads", "syscalls", "page_faults", "peak_virtual"})
            j[field] = p.exit.contains(field) ? p.exit[field] : Json(nullptr);
        processes.push_back(std::move(j));
    }
    m["processes"] = std::move(processes);
    Json kinds = Json::array();
    for (const std::string_view kind : kFaultKinds)
        kinds.push_back(std::string(kind));
    m["fault_kinds"] = std::move(kinds);
    Json totals = Json::object();
    std::array<std::uint64_t, kFaultKinds.size()> counted{};
    for (const FaultRecord& f : faults_)
        ++counted[f.kind];
    for (std::size_t k = 0; k < kFaultKinds.size(); ++k)
        totals[std::string(kFaultKinds[k])] = counted[k];
    m["fault_totals"] = std::move(totals);
    // The kernel's counters as of the last sample: at the end of a run, what --stats prints.
    m["fault_counters"] = samples_.empty() || samples_.back().faults.is_null()
                              ? Json::object()
                              : samples_.back().faults;
    double end = lastT_;
    if (now)
        end = std::max(end, now->value("t", 0.0));
    m["timeline"] = timeline(end);
    m["pool_tags"] = poolTags();
    Json snapshots = Json::array();
    for (const Json& s : snapshots_)
        snapshots.push_back(s);
    if (now)
        snapshots.push_back(*now);
    // The last snapshot with a process in it is what the address-space views open on.
    std::size_t chosen = snapshots.empty() ? 0 : snapshots.size() - 1;
    for (std::size_t i = snapshots.size(); i-- > 0;)
        if (!snapshots[i]["processes"].empty()) {
            chosen = i;
            break;
        }
    m["snapshots"] = std::move(snapshots);
    m["snapshots_dropped"] = snapshotsDropped_;
    m["default_snapshot"] = chosen;
    return m;
}

std::expected<void, std::string> readTrace(std::istream& in, ReportBuilder& builder) {
    std::string line;
    for (std::uint64_t number = 1; std::getline(in, line); ++number) {
        if (line.empty())
            continue;
        Json e = Json::parse(line, nullptr, false);
        if (e.is_discarded() || !e.is_object() || !e.contains("event") || !e["event"].is_string())
            return std::unexpected(fmt::format(
                "line {}: not a trace event (a JSON object with an \"event\")", number));
        builder.event(e);
    }
    if (in.bad())
        return std::unexpected("the trace could not be read");
    return {};
}

}  // namespace ntoy::kd
