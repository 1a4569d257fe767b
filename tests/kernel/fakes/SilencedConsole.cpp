#include "tests/kernel/fakes/SilencedConsole.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace ntoy::test {

SilencedConsole::SilencedConsole() {
    std::fflush(stdout);
    std::fflush(stderr);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        return;
    savedIn_ = ::dup(STDIN_FILENO);
    ::dup2(null, STDIN_FILENO);
    savedOut_ = ::dup(STDOUT_FILENO);
    savedErr_ = ::dup(STDERR_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close(null);
}

SilencedConsole::~SilencedConsole() {
    std::fflush(stdout);
    std::fflush(stderr);
    if (savedIn_ >= 0) {
        ::dup2(savedIn_, STDIN_FILENO);
        ::close(savedIn_);
    }
    if (savedOut_ >= 0) {
        ::dup2(savedOut_, STDOUT_FILENO);
        ::close(savedOut_);
    }
    if (savedErr_ >= 0) {
        ::dup2(savedErr_, STDERR_FILENO);
        ::close(savedErr_);
    }
}

}  // namespace ntoy::test
