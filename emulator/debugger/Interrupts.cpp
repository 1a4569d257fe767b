#include "emulator/debugger/Interrupts.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ntoy::dbg {
namespace {

constexpr unsigned kBlocksPerCheck = 1u << 12;

}  // namespace

std::expected<std::unique_ptr<Interrupts>, std::string> Interrupts::create() {
    sigset_t interrupt, previous;
    sigemptyset(&interrupt);
    sigaddset(&interrupt, SIGINT);
    if (const int e = pthread_sigmask(SIG_BLOCK, &interrupt, &previous); e != 0)
        return std::unexpected(std::string("cannot block SIGINT: ") + std::strerror(e));
    const int fd = signalfd(-1, &interrupt, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return std::unexpected(std::string("cannot read SIGINT (signalfd): ") + std::strerror(e));
    }
    return std::unique_ptr<Interrupts>(new Interrupts(fd, previous));
}

Interrupts::~Interrupts() {
    take();
    close(fd_);
    pthread_sigmask(SIG_SETMASK, &previousMask_, nullptr);
}

bool Interrupts::take() {
    bool any = false;
    signalfd_siginfo info;
    while (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        any = true;
    return any;
}

bool Interrupts::pauseRequested() {
    return ++blocks_ % kBlocksPerCheck == 0 && take();
}

}  // namespace ntoy::dbg
