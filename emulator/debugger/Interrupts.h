// Ctrl-C in the debugger. For the session's lifetime SIGINT is blocked and read from a
// signalfd instead, so that it never ends ntoy: while the guest runs it pauses it at the next
// block boundary (this is the processor's pause check), and at the prompt the terminal input
// clears the line (TerminalInput waits on fd() as well as on the terminal).
#pragma once

#include <expected>
#include <memory>
#include <string>

#include <signal.h>

#include "kernel/hal/DebugTarget.h"

namespace ntoy::dbg {

class Interrupts final : public hal::DebugTarget::PauseCheck {
public:
    static std::expected<std::unique_ptr<Interrupts>, std::string> create();
    // Drops any SIGINT still pending, then restores the signal mask.
    ~Interrupts();
    Interrupts(const Interrupts&) = delete;
    Interrupts& operator=(const Interrupts&) = delete;

    // Readable while a SIGINT is pending.
    int fd() const { return fd_; }
    // Consumes every pending SIGINT; true if there was one.
    bool take();

    // Looks for a SIGINT every few thousand blocks: a read(2) per block would cost more than
    // the block.
    bool pauseRequested() override;

private:
    Interrupts(int fd, const sigset_t& previousMask) : fd_(fd), previousMask_(previousMask) {}

    int fd_;
    sigset_t previousMask_;
    unsigned blocks_ = 0;
};

}  // namespace ntoy::dbg
