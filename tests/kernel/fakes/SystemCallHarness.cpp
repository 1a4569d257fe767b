#include "tests/kernel/fakes/SystemCallHarness.h"

#include <algorithm>

namespace ntoy::test {

SystemCallHarness::SystemCallHarness(ps::Process& process)
    : process_(process), thread_(std::make_shared<ps::Thread>(process.id() + 4, nullptr)) {
    thread_->state = ps::Thread::State::Running;
}

SystemCallHarness::~SystemCallHarness() {
    waits_.threadEnded(*thread_);
}

NtStatus SystemCallHarness::call(ke::SystemCallHandler handler,
                                 std::initializer_list<std::uint64_t> args) {
    std::array<std::uint64_t, ke::kMaxSystemCallArgs> all{};
    std::copy_n(args.begin(), std::min(args.size(), all.size()), all.begin());
    return call(handler, all);
}

NtStatus SystemCallHarness::call(ke::SystemCallHandler handler,
                                 const std::array<std::uint64_t, ke::kMaxSystemCallArgs>& args) {
    ke::SystemCall call{process_, process_.cpu(), mm::UserMemory(process_.space()), exceptions_};
    call.args = args;
    call.thread = thread_.get();
    call.waits = &waits_;
    call.interruptTime = interruptTime;
    call.systemTime = systemTime;
    const NtStatus status = handler(call);
    lastReplacedContext_ = call.replacesContext;
    process_.cpu().flushTlb();
    return status;
}

}  // namespace ntoy::test
