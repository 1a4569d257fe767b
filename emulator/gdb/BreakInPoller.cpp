#include "emulator/gdb/BreakInPoller.h"

#include <utility>

namespace ntoy::gdb {
namespace {

// A poll(2) per this many blocks costs little and still answers Ctrl-C at once.
constexpr std::uint32_t kBlocksPerPoll = 1u << 14;

}  // namespace

BreakInPoller::BreakInPoller(hal::DebugTarget& target, RemoteConnection& connection)
    : target_(&target), connection_(connection) {
    target.setPauseCheck(this);
}

BreakInPoller::~BreakInPoller() {
    if (target_)
        target_->setPauseCheck(nullptr);
}

RemoteConnection::Activity BreakInPoller::take() {
    return std::exchange(seen_, RemoteConnection::Activity::None);
}

bool BreakInPoller::pauseRequested() {
    if (++blocks_ % kBlocksPerPoll != 0 || seen_ != RemoteConnection::Activity::None)
        return false;
    seen_ = connection_.poll();
    return seen_ != RemoteConnection::Activity::None;
}

}  // namespace ntoy::gdb
