#include "emulator/gdb/BreakInPoller.h"

#include <utility>

namespace ntoy::gdb {
namespace {

// A poll(2) per this many blocks costs little and still answers Ctrl-C at once.
constexpr std::uint32_t kBlocksPerPoll = 1u << 14;

}  // namespace

BreakInPoller::BreakInPoller(emu::Engine& engine, RemoteConnection& connection)
    : engine_(&engine), connection_(connection) {
    if (uc_hook_add(engine.uc(), &hook_, UC_HOOK_BLOCK, reinterpret_cast<void*>(&onBlock), this, 1,
                    0) != UC_ERR_OK)
        engine_ = nullptr;  // no break-in; everything else still works
}

BreakInPoller::~BreakInPoller() {
    if (engine_)
        uc_hook_del(engine_->uc(), hook_);
}

RemoteConnection::Activity BreakInPoller::take() {
    return std::exchange(seen_, RemoteConnection::Activity::None);
}

void BreakInPoller::onBlock(uc_engine*, std::uint64_t, std::uint32_t, void* self) {
    auto* p = static_cast<BreakInPoller*>(self);
    if (++p->blocks_ % kBlocksPerPoll != 0 || p->seen_ != RemoteConnection::Activity::None)
        return;
    p->seen_ = p->connection_.poll();
    if (p->seen_ != RemoteConnection::Activity::None)
        p->engine_->requestStop();
}

}  // namespace ntoy::gdb
