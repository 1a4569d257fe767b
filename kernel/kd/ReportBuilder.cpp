#include "kernel/kd/ReportBuilder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace ntoy::kd {
namespace {

// A count, address or id: a JSON integer that is not negative (absent otherwise).
std::optional<std::uint64_t> count(const Json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end())
        return std::nullopt;
    if (it->is_number_unsigned())
        return it->get<std::uint64_t>();
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
        return static_cast<std::uint64_t>(it->get<std::int64_t>());
    return std::nullopt;
}

std::uint64_t number(const Json& j, const char* name) {
    return count(j, name).value_or(0);
}

std::uint32_t id(const Json& j, const char* name) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(number(j, name), ~0u));
}

// An event's time; 0 where it has none, or none a clock could give (negative, infinite).
double time(const Json& j) {
    const auto it = j.find("t");
    const double t = it != j.end() && it->is_number() ? it->get<double>() : 0.0;
    constexpr double kCentury = 100.0 * 365 * 24 * 3600 * 1000;  // no run lasts longer
    return std::isfinite(t) && t >= 0 && t <= kCentury ? t : 0.0;
}

// A short text field (names, kinds): at most 64 bytes of it.
std::string text(const Json& j, const char* name, std::size_t limit = 64) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, limit)
                                            : std::string();
}

// Which timeline series a page_fault event adds to: its decision for the refused ones, else
// its kind.
std::uint8_t seriesOf(std::string_view kind, std::string_view decision) {
    auto index = [](std::string_view name) {
        return static_cast<std::uint8_t>(std::ranges::find(kFaultKinds, name) -
                                         kFaultKinds.begin());
    };
    if (decision == "access_violation")
        return index("access violation");
    if (decision == "in_page_error")
        return index("in-page error");
    const std::uint8_t i = index(kind);
    return i < kFaultKinds.size() ? i : index("other");
}

Json optionalNumber(const std::optional<std::uint64_t>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// Whether a snapshot holds a process: the ones the address-space views can open on.
bool hasProcesses(const Json& snapshot) {
    const auto processes = snapshot.find("processes");
    return processes != snapshot.end() && processes->is_array() && !processes->empty();
}

}  // namespace

// ---- the fault histogram ---------------------------------------------------------------------

void ReportBuilder::Histogram::Slice::keep(Fault f) {
    if (events.size() < kEventsPerBucket)
        events.push_back(std::move(f));
    else
        ++more;
}

void ReportBuilder::Histogram::Slice::absorb(Slice&& other) {
    for (std::size_t k = 0; k < counts.size(); ++k)
        counts[k] += other.counts[k];
    for (Fault& f : other.events)
        keep(std::move(f));
    more += other.more;
}

void ReportBuilder::Histogram::reach(double position) {
    // Past the last slice: each pair of slices becomes one, as often as it takes.
    while (position >= width_ * static_cast<double>(slices_.size()) &&
           std::isfinite(width_ * 2 * static_cast<double>(slices_.size()))) {
        const std::size_t half = slices_.size() / 2;
        for (std::size_t i = 0; i < half; ++i) {
            Slice merged = std::move(slices_[2 * i]);
            merged.absorb(std::move(slices_[2 * i + 1]));
            slices_[i] = std::move(merged);
        }
        for (std::size_t i = half; i < slices_.size(); ++i)
            slices_[i] = Slice{};
        width_ *= 2;
    }
}

void ReportBuilder::Histogram::add(double position, const Fault& f) {
    reach(position);
    const double at =
        std::clamp(std::floor(position / width_), 0.0, static_cast<double>(slices_.size() - 1));
    Slice& slice = slices_[static_cast<std::size_t>(at)];
    ++slice.counts[f.kind];
    slice.keep(f);
}

Json ReportBuilder::Histogram::buckets(double end) const {
    // The slices up to `end`, joined in pairs (or more) until at most kMaxBuckets remain.
    const double needed = std::floor(end / width_) + 1;  // through the slice holding `end`
    const std::size_t used = needed >= static_cast<double>(slices_.size())
                                 ? slices_.size()
                                 : std::max<std::size_t>(1, static_cast<std::size_t>(needed));
    const std::size_t join = (used + kMaxBuckets - 1) / kMaxBuckets;
    Json out = Json::array();
    for (std::size_t first = 0; first < used; first += join) {
        Slice bucket;
        for (std::size_t i = first; i < std::min(used, first + join); ++i) {
            Slice copy = slices_[i];
            bucket.absorb(std::move(copy));
        }
        Json events = Json::array();
        for (const Fault& f : bucket.events) {
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
            ev["result"] = f.hasPfn && f.decision == "resolved"
                               ? fmt::format("{}: frame {:#x}", f.traceKind, f.pfn)
                               : fmt::format("{}: {}", f.traceKind, f.decision);
            events.push_back(std::move(ev));
        }
        out.push_back({{"t0", width_ * static_cast<double>(first)},
                       {"t1", width_ * static_cast<double>(first + join)},
                       {"counts", bucket.counts},
                       {"events", std::move(events)},
                       {"more", bucket.more}});
    }
    return out;
}

// ---- events ----------------------------------------------------------------------------------

bool ReportBuilder::wants(std::string_view event) const {
    return event == "process_start" || event == "process_exit" || event == "page_fault" ||
           event == "memory" || event == "snapshot";
}

ReportBuilder::ProcessRecord& ReportBuilder::process(std::uint32_t processId) {
    // Client ids are not reused within a run (they only go up).
    const auto [it, added] = processIndex_.try_emplace(processId, processes_.size());
    if (added) {
        processes_.push_back({});
        processes_.back().id = processId;
    }
    return processes_[it->second];
}

void ReportBuilder::event(const Json& e) {
    ++events_;
    lastT_ = std::max(lastT_, time(e));
    byTime_.reach(lastT_);  // the timeline's slices cover the run, not only its faults
    const std::string kind = text(e, "event");
    if (kind == "process_start") {
        ProcessRecord& p = process(id(e, "process_id"));
        p.parentId = id(e, "parent_id");
        p.image = text(e, "image", 260);
        p.startT = time(e);
    } else if (kind == "process_exit") {
        ProcessRecord& p = process(id(e, "process_id"));
        if (p.image.empty())
            p.image = text(e, "image", 260);
        p.exitT = time(e);
        p.exitCodeHex = text(e, "exit_code_hex");
        p.threads = count(e, "threads");
        p.syscalls = count(e, "syscalls");
        p.pageFaults = count(e, "page_faults");
        p.peakCommitExit = count(e, "peak_commit");
        p.peakWorkingSetExit = count(e, "peak_working_set");
        p.peakVirtual = count(e, "peak_virtual");
    } else if (kind == "page_fault") {
        addFault(e);
    } else if (kind == "memory") {
        addSample(e);
    } else if (kind == "snapshot") {
        addSnapshot(e);
    }
}

void ReportBuilder::addFault(const Json& e) {
    Fault f;
    f.t = time(e);
    f.n = number(e, "n");
    f.va = number(e, "va");
    f.rip = number(e, "rip");
    f.processId = id(e, "process_id");
    f.threadId = id(e, "thread_id");
    f.access = text(e, "access");
    f.decision = text(e, "decision");
    f.traceKind = text(e, "kind");
    f.kind = seriesOf(f.traceKind, f.decision);
    if (const auto base = count(e, "allocation_base")) {
        f.hasAllocation = true;
        f.allocationBase = *base;
        f.image = text(e, "region_type") == "MEM_IMAGE";
    }
    if (const auto pfn = count(e, "pfn")) {
        f.hasPfn = true;
        f.pfn = *pfn;
    }
    if (e.contains("process_id"))  // whose, if it says
        ++process(f.processId).faults[f.kind];
    byTime_.add(f.t, f);
    byNumber_.add(static_cast<double>(faults_), f);
    ++faults_;
    byNumber_.reach(static_cast<double>(faults_));
}

void ReportBuilder::addSample(const Json& e) {
    Sample s;
    s.t = time(e);
    s.commit = number(e, "commit_pages");
    s.pagefileUsed = number(e, "pagefile_used_pages");
    s.commitLimit = number(e, "commit_limit_pages");
    s.commitPeak = number(e, "commit_peak_pages");
    s.pagefilePages = number(e, "pagefile_pages");
    if (const auto it = e.find("lists"); it != e.end() && it->is_object())
        for (std::size_t l = 0; l < mm::kPageStateCount; ++l) {
            const std::string name(mm::pageStateName(static_cast<mm::PageState>(l)));
            if (const auto n = count(*it, name.c_str()))
                s.lists.emplace_back(name, *n);
        }
    if (const auto it = e.find("processes"); it != e.end() && it->is_array())
        for (const Json& p : *it) {
            if (!p.is_object() || s.workingSets.size() == kMaxSampleProcesses)
                continue;
            const std::uint32_t processId = id(p, "process_id");
            const std::uint64_t ws = number(p, "working_set_pages"),
                                commit = number(p, "commit_pages");
            s.workingSets.emplace_back(processId, ws);
            s.commits.emplace_back(processId, commit);
            ProcessRecord& record = process(processId);
            record.peakWorkingSet = std::max(record.peakWorkingSet, ws);
            record.peakCommit = std::max(record.peakCommit, commit);
        }
    if (const auto it = e.find("pool"); it != e.end() && it->is_object()) {
        s.pagedPool = number(*it, "paged");
        s.nonPagedPool = number(*it, "nonpaged");
    }
    if (const auto it = e.find("pool_tags"); it != e.end() && it->is_array())
        for (const Json& t : *it) {
            if (!t.is_object() || s.tags.size() == kMaxTags)
                continue;
            TagSample tag{text(t, "tag", 8),
                          number(t, "paged_allocs"),
                          number(t, "paged_frees"),
                          number(t, "paged_bytes"),
                          number(t, "nonpaged_allocs"),
                          number(t, "nonpaged_frees"),
                          number(t, "nonpaged_bytes")};
            if (tagPeaks_.size() < kMaxTags || tagPeaks_.contains(tag.tag)) {
                auto& [paged, nonpaged] = tagPeaks_[tag.tag];
                paged = std::max(paged, tag.pagedBytes);
                nonpaged = std::max(nonpaged, tag.nonPagedBytes);
            }
            s.tags.push_back(std::move(tag));
        }
    if (const auto it = e.find("faults"); it != e.end() && it->is_object())
        for (const auto& [name, value] : it->items())
            if (s.faults.size() < 32 && (value.is_number_unsigned() || value.is_number_integer()))
                s.faults.emplace_back(name.substr(0, 64), number(*it, name.c_str()));
    // Every sample counts for the peaks above; every sampleStride_-th is kept, and when twice
    // kMaxSamples are kept every other one goes and the stride doubles. The latest is kept
    // apart, so that the last figures are always the run's last.
    if (samplesSeen_++ % sampleStride_ == 0) {
        samples_.push_back(s);
        if (samples_.size() == 2 * kMaxSamples) {
            std::vector<Sample> half;
            half.reserve(kMaxSamples);
            for (std::size_t i = 0; i < samples_.size(); i += 2)
                half.push_back(std::move(samples_[i]));
            samples_ = std::move(half);
            sampleStride_ *= 2;
        }
    }
    latestSample_ = std::move(s);
}

void ReportBuilder::addSnapshot(const Json& e) {
    Snapshot s{snapshotsSeen_++, e};
    if (firstSnapshots_.size() < kMaxSnapshots - 2) {
        firstSnapshots_.push_back(std::move(s));
        return;
    }
    if (hasProcesses(e))
        latestWithProcesses_ = s;
    latestSnapshot_ = std::move(s);
}

std::string ReportBuilder::firstImage() const {
    return processes_.empty() ? std::string() : processes_.front().image;
}

// ---- the model -------------------------------------------------------------------------------

std::vector<const ReportBuilder::Sample*> ReportBuilder::keptSamples() const {
    std::vector<const Sample*> kept;
    for (const Sample& s : samples_)
        kept.push_back(&s);
    // The latest, unless it is the last kept already (the same sample).
    if (latestSample_ && (kept.empty() || (samplesSeen_ - 1) % sampleStride_ != 0))
        kept.push_back(&*latestSample_);
    // Evenly thinned to kMaxSamples, the last kept.
    if (kept.size() > kMaxSamples) {
        // Every step-th from the first, and the last: at most kMaxSamples in all.
        const std::size_t step = (kept.size() - 1 + kMaxSamples - 2) / (kMaxSamples - 1);
        std::vector<const Sample*> thinned;
        for (std::size_t i = 0; i < kept.size(); ++i)
            if (i % step == 0 || i + 1 == kept.size())
                thinned.push_back(kept[i]);
        kept = std::move(thinned);
    }
    return kept;
}

Json ReportBuilder::timeline(double end, const std::vector<const Sample*>& kept) const {
    Json out;
    // A run whose clock never moved (--schedule deterministic, with no thread waiting) is drawn
    // against its faults' order instead of time.
    const bool timed = end > 0;
    out["axis"] = timed ? "ms" : "fault number";
    if (faults_ == 0) {
        out["buckets"] = Json::array();
    } else if (timed) {
        Histogram byTime = byTime_;  // the debugger's "now" may be later than any event
        byTime.reach(end);
        out["buckets"] = byTime.buckets(end);
    } else {
        out["buckets"] = byNumber_.buckets(static_cast<double>(faults_ - 1));  // the last's
    }
    Json samples = Json::array();
    for (const Sample* s : kept) {
        Json lists = Json::object(), ws = Json::object(), commits = Json::object();
        for (const auto& [name, pages] : s->lists)
            lists[name] = pages;
        for (const auto& [processId, pages] : s->workingSets)
            ws[std::to_string(processId)] = pages;
        for (const auto& [processId, pages] : s->commits)
            commits[std::to_string(processId)] = pages;
        samples.push_back({{"t", s->t},
                           {"commit_pages", s->commit},
                           {"pagefile_used_pages", s->pagefileUsed},
                           {"lists", std::move(lists)},
                           {"working_sets", std::move(ws)},
                           {"process_commit", std::move(commits)},
                           {"pool", {{"paged", s->pagedPool}, {"nonpaged", s->nonPagedPool}}}});
    }
    out["samples"] = std::move(samples);
    return out;
}

Json ReportBuilder::poolTags(const std::vector<const Sample*>& kept) const {
    // The tags drawn: the kTagsPerPool largest at their peak in each pool; the others' bytes
    // are summed as "(other)".
    std::set<std::string> drawn;
    for (const bool paged : {true, false}) {
        std::vector<std::pair<std::uint64_t, std::string>> byPeak;
        for (const auto& [tag, peaks] : tagPeaks_)
            if (const std::uint64_t peak = paged ? peaks.first : peaks.second; peak > 0)
                byPeak.emplace_back(peak, tag);
        std::ranges::sort(byPeak, [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        for (std::size_t i = 0; i < std::min(byPeak.size(), kTagsPerPool); ++i)
            drawn.insert(byPeak[i].second);
    }
    std::vector<std::string> tags(drawn.begin(), drawn.end());
    std::ranges::sort(tags, [&](const std::string& a, const std::string& b) {
        const auto pa = tagPeaks_.at(a), pb = tagPeaks_.at(b);
        const std::uint64_t sa = pa.first + pa.second, sb = pb.first + pb.second;
        return sa != sb ? sa > sb : a < b;
    });
    // "(other)" when a tag not drawn ever held bytes (or tags went past kMaxTags).
    bool others = tagPeaks_.size() == kMaxTags;
    for (const auto& [tag, peaks] : tagPeaks_)
        others |= !drawn.contains(tag) && peaks.first + peaks.second > 0;
    if (others)
        tags.push_back("(other)");
    std::map<std::string, std::size_t, std::less<>> column;
    for (std::size_t i = 0; i < tags.size(); ++i)
        column[tags[i]] = i;
    Json samples = Json::array();
    for (const Sample* s : kept) {
        std::vector<std::uint64_t> paged(tags.size()), nonpaged(tags.size()), allocs(tags.size());
        for (const TagSample& t : s->tags) {
            const auto it = column.find(t.tag);
            const std::size_t c = it != column.end() ? it->second : tags.size() - 1;
            if (it == column.end() && !others)
                continue;
            paged[c] += t.pagedBytes;
            nonpaged[c] += t.nonPagedBytes;
            allocs[c] += t.pagedAllocs - std::min(t.pagedAllocs, t.pagedFrees) + t.nonPagedAllocs -
                         std::min(t.nonPagedAllocs, t.nonPagedFrees);
        }
        samples.push_back({{"t", s->t},
                           {"paged", std::move(paged)},
                           {"nonpaged", std::move(nonpaged)},
                           {"allocs", std::move(allocs)}});
    }
    Json final = Json::array();
    if (latestSample_)
        for (const TagSample& t : latestSample_->tags)
            final.push_back(poolTagJson(t));
    Json out;
    out["tags"] = tags;
    out["samples"] = std::move(samples);
    out["final"] = std::move(final);
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
        j["exit_code_hex"] = p.exitT ? Json(p.exitCodeHex) : Json(nullptr);
        Json faults = Json::object();
        for (std::size_t k = 0; k < kFaultKinds.size(); ++k)
            faults[std::string(kFaultKinds[k])] = p.faults[k];
        j["faults"] = std::move(faults);
        // The kernel's own figures once the process ended (--stats prints the same); before,
        // what the samples saw.
        j["peak_commit_pages"] = p.peakCommitExit.value_or(p.peakCommit);
        j["peak_working_set_pages"] = p.peakWorkingSetExit.value_or(p.peakWorkingSet);
        j["threads"] = optionalNumber(p.threads);
        j["syscalls"] = optionalNumber(p.syscalls);
        j["page_faults"] = optionalNumber(p.pageFaults);
        j["peak_virtual"] = optionalNumber(p.peakVirtual);
        processes.push_back(std::move(j));
    }
    m["processes"] = std::move(processes);
    Json kinds = Json::array(), totals = Json::object();
    std::array<std::uint64_t, kFaultKinds.size()> counted{};
    for (const ProcessRecord& p : processes_)
        for (std::size_t k = 0; k < counted.size(); ++k)
            counted[k] += p.faults[k];
    for (std::size_t k = 0; k < kFaultKinds.size(); ++k) {
        kinds.push_back(std::string(kFaultKinds[k]));
        totals[std::string(kFaultKinds[k])] = counted[k];
    }
    m["fault_kinds"] = std::move(kinds);
    m["fault_totals"] = std::move(totals);
    // The kernel's counters as of the last sample: at the end of a run, what --stats prints.
    Json counters = Json::object();
    if (latestSample_)
        for (const auto& [name, value] : latestSample_->faults)
            counters[name] = value;
    m["fault_counters"] = std::move(counters);
    // The machine, as the last sample saw it.
    Json machine = Json::object();
    if (latestSample_) {
        std::uint64_t frames = 0;
        for (const auto& [name, pages] : latestSample_->lists)
            frames += pages;
        machine = {{"frames", frames},
                   {"commit_pages", latestSample_->commit},
                   {"commit_limit_pages", latestSample_->commitLimit},
                   {"commit_peak_pages", latestSample_->commitPeak},
                   {"pagefile_pages", latestSample_->pagefilePages}};
    }
    m["machine"] = std::move(machine);
    double end = lastT_;
    if (now)
        end = std::max(end, time(*now));
    const std::vector<const Sample*> samples = keptSamples();
    m["timeline"] = timeline(end, samples);
    m["pool_tags"] = poolTags(samples);
    // The first snapshots, the latest with a process and the latest, in the order they came.
    std::vector<const Snapshot*> kept;
    for (const Snapshot& s : firstSnapshots_)
        kept.push_back(&s);
    if (latestWithProcesses_ &&
        (!latestSnapshot_ || latestSnapshot_->sequence != latestWithProcesses_->sequence))
        kept.push_back(&*latestWithProcesses_);
    if (latestSnapshot_)
        kept.push_back(&*latestSnapshot_);
    Json snapshots = Json::array();
    for (const Snapshot* s : kept)
        snapshots.push_back(s->body);
    if (now)
        snapshots.push_back(*now);
    // The last snapshot with a process in it is what the address-space views open on.
    std::size_t chosen = snapshots.empty() ? 0 : snapshots.size() - 1;
    for (std::size_t i = snapshots.size(); i-- > 0;)
        if (hasProcesses(snapshots[i])) {
            chosen = i;
            break;
        }
    m["snapshots"] = std::move(snapshots);
    m["snapshots_dropped"] = snapshotsSeen_ - kept.size();
    m["default_snapshot"] = chosen;
    return m;
}

std::expected<TraceRead, std::string> readTrace(std::istream& in, ReportBuilder& builder) {
    TraceRead read;
    std::string line;
    double lastT = 0;
    std::set<std::uint64_t> started;
    for (std::uint64_t lineNumber = 1; std::getline(in, line); ++lineNumber) {
        if (!line.empty() && line.back() == '\r')  // a file with Windows' line ends
            line.pop_back();
        if (line.empty())
            continue;
        // Depth is checked as it is parsed: copying or printing a value nested thousands deep
        // would recurse as deep.
        bool tooDeep = false;
        Json e = Json::parse(
            line,
            [&](int depth, Json::parse_event_t, Json&) {
                tooDeep |= depth > kMaxTraceDepth;
                return !tooDeep;
            },
            false);
        if (tooDeep)
            return std::unexpected(
                fmt::format("line {}: nested deeper than {} levels", lineNumber, kMaxTraceDepth));
        const bool event =
            !e.is_discarded() && e.is_object() && e.contains("event") && e["event"].is_string();
        // The last line, with no newline after it and not JSON, after lines that were: a run
        // stopped while writing it.
        if (!event && in.eof() && e.is_discarded() && read.lines > 0) {
            read.cutShort = true;
            break;
        }
        if (!event)
            return std::unexpected(fmt::format(
                "line {}: not a trace event (a JSON object with an \"event\")", lineNumber));
        // Times never go back within a run (events without one, from older traces, pass).
        if (const auto it = e.find("t"); it != e.end() && it->is_number()) {
            const double t = time(e);
            if (t < lastT)
                return std::unexpected(fmt::format(
                    "line {}: its time ({} ms) is before the line's before it ({} ms): two "
                    "traces joined?",
                    lineNumber, t, lastT));
            lastT = t;
        }
        if (e["event"] == "process_start" && !started.insert(number(e, "process_id")).second)
            return std::unexpected(
                fmt::format("line {}: process {} starts a second time: two traces joined?",
                            lineNumber, number(e, "process_id")));
        builder.event(e);
        ++read.lines;
    }
    if (in.bad())
        return std::unexpected("the trace could not be read");
    return read;
}

}  // namespace ntoy::kd
