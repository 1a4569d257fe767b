// Sends the host's stdout and stderr to /dev/null while alive, for calls that write the
// guest's console (NtWriteFile) or report an unhandled exception, so that thousands of
// them leave the test output readable.
#pragma once

namespace ntoy::test {

class SilencedConsole {
public:
    SilencedConsole();
    ~SilencedConsole();
    SilencedConsole(const SilencedConsole&) = delete;
    SilencedConsole& operator=(const SilencedConsole&) = delete;

private:
    int savedOut_ = -1, savedErr_ = -1;
};

}  // namespace ntoy::test
