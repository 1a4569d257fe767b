// Where the debugger's command lines come from: the terminal, with line editing and history
// (GNU readline), or a batch file, each line echoed after the prompt so that the output
// reads as the transcript of an interactive session.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace ntoy::dbg {

class LineInput {
public:
    virtual ~LineInput() = default;
    // The next command line, or nothing at the end of input.
    virtual std::optional<std::string> next(std::string_view prompt) = 0;
};

class TerminalInput final : public LineInput {
public:
    std::optional<std::string> next(std::string_view prompt) override;
};

class BatchInput final : public LineInput {
public:
    // `echo` is where the prompt and the command are written.
    BatchInput(std::istream& in, std::ostream& echo) : in_(in), echo_(echo) {}
    // Blank lines and lines starting with '#' are skipped, unechoed.
    std::optional<std::string> next(std::string_view prompt) override;

private:
    std::istream& in_;
    std::ostream& echo_;
};

}  // namespace ntoy::dbg
