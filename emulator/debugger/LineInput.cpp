#include "emulator/debugger/LineInput.h"

// readline's headers need stdio first.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <readline/history.h>
#include <readline/readline.h>

namespace ntoy::dbg {

std::optional<std::string> TerminalInput::next(std::string_view prompt) {
    const std::string p(prompt);
    std::unique_ptr<char, decltype(&std::free)> line(readline(p.c_str()), &std::free);
    if (!line)
        return std::nullopt;
    if (line.get()[0] != '\0')
        add_history(line.get());
    return std::string(line.get());
}

std::optional<std::string> BatchInput::next(std::string_view prompt) {
    std::string line;
    while (std::getline(in_, line)) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        line.erase(line.find_last_not_of(" \t\r") + 1);
        echo_ << prompt << line << '\n';
        return line;
    }
    return std::nullopt;
}

}  // namespace ntoy::dbg
