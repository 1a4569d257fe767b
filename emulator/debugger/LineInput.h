// Where the debugger's command lines come from: the terminal, with line editing and history
// (GNU readline, in its callback mode so that Ctrl-C can be heard too), or a batch file, each line
// echoed after the prompt so that the output reads as the transcript of an interactive session.
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

class Interrupts;

// Ctrl-C at the prompt clears the line and gives a fresh prompt, as in gdb and bash; it does
// not end the session.
class TerminalInput final : public LineInput {
public:
    explicit TerminalInput(Interrupts& interrupts) : interrupts_(interrupts) {}
    std::optional<std::string> next(std::string_view prompt) override;

private:
    Interrupts& interrupts_;
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
