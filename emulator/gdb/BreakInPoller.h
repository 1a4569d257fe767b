// While the guest runs, looks at gdb's line now and then (every few thousand translation
// blocks) for a Ctrl-C or a hang-up, and pauses the guest when it finds one. It is the
// processor's pause check, asked on the emulation thread at block boundaries. Create it
// before the guest's first instruction: code translated earlier would not ask it.
#pragma once

#include <cstdint>

#include "emulator/gdb/RemoteConnection.h"
#include "kernel/hal/DebugTarget.h"

namespace ntoy::gdb {

class BreakInPoller final : public hal::DebugTarget::PauseCheck {
public:
    BreakInPoller(hal::DebugTarget& target, RemoteConnection& connection);
    // Removes the check. Call abandon() instead once the processor is gone.
    ~BreakInPoller();
    BreakInPoller(const BreakInPoller&) = delete;
    BreakInPoller& operator=(const BreakInPoller&) = delete;

    // The processor ended with its process.
    void abandon() { target_ = nullptr; }

    // What stopped the guest, if it was gdb; cleared by take().
    RemoteConnection::Activity take();

    bool pauseRequested() override;

private:
    hal::DebugTarget* target_;
    RemoteConnection& connection_;
    std::uint32_t blocks_ = 0;
    RemoteConnection::Activity seen_ = RemoteConnection::Activity::None;
};

}  // namespace ntoy::gdb
