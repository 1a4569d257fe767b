// `ntoy run --trace FILE`: every kernel event as one JSON object per line (JSON Lines), in
// the order they happen. The schema is in docs/trace.md.
#pragma once

#include <ostream>

#include "kernel/ke/KernelObserver.h"

namespace ntoy::kd {

class TraceWriter final : public ke::KernelObserver {
public:
    // EachEvent for a stream shared with other output (standard output): each line leaves
    // at once, in its place; otherwise the stream is flushed at the process's exit.
    enum class Flush : std::uint8_t { AtExit, EachEvent };
    explicit TraceWriter(std::ostream& out, Flush flush = Flush::AtExit)
        : out_(out), flush_(flush) {}

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
    void write(const std::string& line);

    std::ostream& out_;
    Flush flush_;
};

}  // namespace ntoy::kd
