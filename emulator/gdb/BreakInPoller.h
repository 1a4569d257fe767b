// While the guest runs, looks at gdb's line now and then (every few thousand translation
// blocks) for a Ctrl-C or a hang-up, and pauses the guest when it finds one. It is a block
// hook, so it runs on the emulation thread, where pausing the engine is safe. Install it
// before the guest's first instruction: blocks translated earlier would not call it, and
// flushing them costs Unicorn 2.0.1 seconds the first time.
#pragma once

#include <cstdint>

#include "emulator/Engine.h"
#include "emulator/gdb/RemoteConnection.h"

namespace ntoy::gdb {

class BreakInPoller {
public:
    BreakInPoller(emu::Engine& engine, RemoteConnection& connection);
    // Removes the hook. Call abandon() instead once the engine is gone.
    ~BreakInPoller();
    BreakInPoller(const BreakInPoller&) = delete;
    BreakInPoller& operator=(const BreakInPoller&) = delete;

    // The engine ended with its process: its hooks went with it.
    void abandon() { engine_ = nullptr; }

    // What stopped the guest, if it was gdb; cleared by take().
    RemoteConnection::Activity take();

private:
    static void onBlock(uc_engine* uc, std::uint64_t address, std::uint32_t size, void* self);

    emu::Engine* engine_;
    RemoteConnection& connection_;
    uc_hook hook_ = 0;
    std::uint32_t blocks_ = 0;
    RemoteConnection::Activity seen_ = RemoteConnection::Activity::None;
};

}  // namespace ntoy::gdb
