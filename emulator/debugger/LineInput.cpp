#include "emulator/debugger/LineInput.h"

// readline's headers need stdio first.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include "emulator/debugger/Interrupts.h"

namespace ntoy::dbg {
namespace {

// What readline's line handler delivers. Its callback takes no argument, so the one reading
// a line at the time is found here; it is set only inside TerminalInput::next.
struct PendingLine {
    bool done = false;
    std::optional<std::string> line;  // nothing at the end of input
};
PendingLine* pending = nullptr;

void onLine(char* text) {
    std::unique_ptr<char, decltype(&std::free)> owned(text, &std::free);
    // Removed here, not after: readline would otherwise print the prompt again at once.
    rl_callback_handler_remove();
    pending->done = true;
    if (!owned)
        return;
    if (owned.get()[0] != '\0')
        add_history(owned.get());
    pending->line = std::string(owned.get());
}

}  // namespace

std::optional<std::string> TerminalInput::next(std::string_view prompt) {
    const std::string p(prompt);
    PendingLine result;
    pending = &result;
    rl_callback_handler_install(p.c_str(), &onLine);
    while (!result.done) {
        pollfd fds[] = {{STDIN_FILENO, POLLIN, 0}, {interrupts_.fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0)
            continue;  // EINTR: look again
        if (fds[1].revents & POLLIN) {
            interrupts_.take();
            // Drop what was typed and start again on a new line.
            rl_replace_line("", 0);
            rl_crlf();
            rl_on_new_line();
            rl_redisplay();
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
            rl_callback_read_char();
    }
    pending = nullptr;
    return result.line;
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
