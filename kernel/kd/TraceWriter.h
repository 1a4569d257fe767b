// `ntoy run --trace FILE`: every kernel event as one JSON object per line (JSON Lines), in
// the order they happen. The schema is in docs/trace.md.
#pragma once

#include <ostream>

#include "kernel/ke/KernelObserver.h"

namespace ntoy::kd {

class TraceWriter final : public ke::KernelObserver {
public:
    explicit TraceWriter(std::ostream& out) : out_(out) {}

    void pageFault(const ke::PageFaultEvent& e) override;
    void systemCall(const ke::SystemCallEvent& e) override;
    void exception(const ke::ExceptionEvent& e) override;
    void processExit(std::uint32_t status) override;

private:
    std::ostream& out_;
};

}  // namespace ntoy::kd
