// Sends the host's stdout and stderr to /dev/null while alive, for calls that write the
// guest's console (NtWriteFile) or report an unhandled exception, so that thousands of
// them leave the test output readable; and takes stdin from /dev/null, so that a read of the
// guest's console (NtReadFile) finds its end at once instead of waiting for a terminal.
#pragma once

namespace ntoy::test {

class SilencedConsole {
public:
    SilencedConsole();
    ~SilencedConsole();
    SilencedConsole(const SilencedConsole&) = delete;
    SilencedConsole& operator=(const SilencedConsole&) = delete;

private:
    int savedIn_ = -1, savedOut_ = -1, savedErr_ = -1;
};

}  // namespace ntoy::test
