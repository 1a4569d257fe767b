// Calls system-call handlers the way the trap layer does: a SystemCall built for the
// process, its arguments set, and the TLB flushed after the handler returns (the engine
// flushes at the end of every kernel entry).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "kernel/ke/SystemCall.h"

namespace ntoy::test {

class SystemCallHarness {
public:
    explicit SystemCallHarness(ps::Process& process) : process_(process) {}

    NtStatus call(ke::SystemCallHandler handler, std::initializer_list<std::uint64_t> args);
    NtStatus call(ke::SystemCallHandler handler,
                  const std::array<std::uint64_t, ke::kMaxSystemCallArgs>& args);

    // Whether the last call loaded a whole new register state.
    bool lastReplacedContext() const { return lastReplacedContext_; }
    ke::ExceptionDispatcher& exceptions() { return exceptions_; }

private:
    ps::Process& process_;
    ke::ExceptionDispatcher exceptions_;
    bool lastReplacedContext_ = false;
};

}  // namespace ntoy::test
