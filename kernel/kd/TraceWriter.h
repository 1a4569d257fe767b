// `ntoy run --trace FILE` and `--report FILE`: every kernel event as one JSON object, in the
// order they happen, to each sink: a JSON Lines file (one object per line), the report
// builder, or both. The schema is in docs/trace.md.
//
// Watching a kernel adds what the reports draw: each event's time ("t"), `memory` samples
// (at process start and exit, and after events once 2 ms or 512 page faults have passed since
// the last), a `snapshot` at each process's exit while its address space is still there, and,
// from finish(), a last sample and the "end of run" snapshot.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "kernel/kd/MemorySnapshot.h"
#include "kernel/ke/KernelObserver.h"

namespace ntoy {
class Kernel;
}

namespace ntoy::kd {

// Where trace events go.
class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void event(const Json& e) = 0;
    // Whether it wants events of this kind (`event`'s value): the writer builds none that no
    // sink wants.
    virtual bool wants(std::string_view /*event*/) const { return true; }
    // Whether it keeps the fields only people read (the "_hex" text beside numbers, a page
    // fault's decision in words and its PTEs): a sink that reads numbers alone says no.
    virtual bool wantsEveryField() const { return true; }
    // The process ended, or the run: a good moment to write buffered lines out.
    virtual void flush() {}
};

// JSON Lines on a stream.
class StreamSink final : public TraceSink {
public:
    // EachEvent for a stream shared with other output (standard output): each line leaves
    // at once, in its place; otherwise the stream is flushed at each process's exit.
    enum class Flush : std::uint8_t { AtExit, EachEvent };
    explicit StreamSink(std::ostream& out, Flush flush = Flush::AtExit)
        : out_(out), flush_(flush) {}
    void event(const Json& e) override;
    void flush() override { out_.flush(); }

private:
    std::ostream& out_;
    Flush flush_;
};

class TraceWriter final : public ke::KernelObserver {
public:
    using Flush = StreamSink::Flush;
    TraceWriter() = default;
    // One stream of its own.
    explicit TraceWriter(std::ostream& out, Flush flush = Flush::AtExit);
    void addSink(TraceSink& sink) { sinks_.push_back(&sink); }
    bool hasSinks() const { return !sinks_.empty(); }
    // Adds times, samples and snapshots (above).
    void watch(Kernel& kernel) { kernel_ = &kernel; }
    // The run is over: a last memory sample, and the snapshot labelled "end of run".
    void finish();

    void processStart(const ps::Process& process) override;
    void pageFault(const ke::PageFaultEvent& e) override;
    void systemCall(const ke::SystemCallEvent& e) override;
    void exception(const ke::ExceptionEvent& e) override;
    void threadStart(const ps::Thread& thread) override;
    void threadExit(const ps::Thread& thread) override;
    void trim(ke::EventOrigin origin, const ps::Process& owner, const mm::TrimEvent& e) override;
    void pageIo(ke::EventOrigin origin, const mm::PageIoEvent& e) override;
    void processExit(const ps::Process& process, std::uint32_t status) override;

private:
    void write(Json& j);
    bool wanted(std::string_view event) const;
    void sample();
    void sampleIfDue();
    // A sample and a snapshot labelled `label` (with a kernel watched), then every sink flushed.
    void sampleAndSnapshot(const std::string& label);

    std::unique_ptr<StreamSink> ownSink_;
    std::vector<TraceSink*> sinks_;
    Kernel* kernel_ = nullptr;
    std::uint64_t lastSampleTime_ = 0;  // interrupt time, 100 ns
    std::uint64_t faultsSinceSample_ = 0;
};

}  // namespace ntoy::kd
