// Drives a program on a pseudo-terminal, as a user at a terminal would, from a script:
//   ntoy_pty_session SCRIPT -- COMMAND [ARGS...]
// Each script line is one step ('#' lines and blank lines are skipped):
//   expect REGEX   wait (up to 30 s) until the output since the last match matches REGEX
//                  (ECMAScript; \r and the terminal's control sequences are removed first)
//   send TEXT      type TEXT; \n, \r, \t, \\ and \xHH are escapes (\x03 is Ctrl-C)
//   exit STATUS    wait (up to 30 s) for the program to end with STATUS
// On a failed step it prints the step and everything the program wrote, kills it, and
// exits 1. The program must end by the last step.
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(30);

struct Child {
    pid_t pid = -1;
    int master = -1;
    std::string output;       // everything read, without \r and terminal control sequences
    int escape = 0;           // inside a control sequence: 1 after ESC, 2 after ESC [
    std::size_t matched = 0;  // where the next expect starts looking
    std::optional<int> status;
};

std::string unescape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        const char c = text[++i];
        if (c == 'n')
            out += '\n';
        else if (c == 'r')
            out += '\r';
        else if (c == 't')
            out += '\t';
        else if (c == 'x' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else
            out += c;
    }
    return out;
}

// Reads what is there within `wait`; false once the program has closed the terminal.
bool pump(Child& child, std::chrono::milliseconds wait) {
    pollfd fd{child.master, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(wait.count())) <= 0)
        return true;
    char buffer[4096];
    const ssize_t n = read(child.master, buffer, sizeof buffer);
    if (n <= 0)
        return false;  // EIO: the other side is closed
    for (ssize_t i = 0; i < n; ++i) {
        const char c = buffer[i];
        if (child.escape == 1)
            child.escape = c == '[' ? 2 : 0;
        else if (child.escape == 2)
            child.escape = c >= 0x40 && c <= 0x7E ? 0 : 2;  // a CSI ends at its final byte
        else if (c == '\x1b')
            child.escape = 1;
        else if (c != '\r')
            child.output += c;
    }
    return true;
}

bool reap(Child& child, bool block) {
    if (child.status)
        return true;
    int status = 0;
    if (waitpid(child.pid, &status, block ? 0 : WNOHANG) != child.pid)
        return false;
    child.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
}

int fail(Child& child, const std::string& step) {
    std::printf("FAIL at: %s\n--- output\n%s\n---\n", step.c_str(), child.output.c_str());
    if (!child.status)
        kill(child.pid, SIGKILL);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || std::string(argv[2]) != "--") {
        std::fprintf(stderr, "usage: ntoy_pty_session SCRIPT -- COMMAND [ARGS...]\n");
        return 2;
    }
    std::ifstream script(argv[1]);
    if (!script) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    Child child;
    child.pid = forkpty(&child.master, nullptr, nullptr, nullptr);
    if (child.pid < 0) {
        std::perror("forkpty");
        return 2;
    }
    if (child.pid == 0) {
        execv(argv[3], argv + 3);
        std::perror("execv");
        _exit(127);
    }
    for (std::string line; std::getline(script, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        const std::size_t space = line.find(' ');
        const std::string verb = line.substr(0, space);
        const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        const auto deadline = Clock::now() + kTimeout;
        if (verb == "expect") {
            const std::regex re(arg);
            std::smatch m;
            bool open = true;
            for (;;) {
                const std::string rest = child.output.substr(child.matched);
                if (std::regex_search(rest, m, re)) {
                    child.matched += static_cast<std::size_t>(m.position(0) + m.length(0));
                    break;
                }
                if (!open || Clock::now() > deadline)
                    return fail(child, line);
                open = pump(child, std::chrono::milliseconds(100));
            }
        } else if (verb == "send") {
            const std::string text = unescape(arg);
            if (write(child.master, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
                return fail(child, line);
        } else if (verb == "exit") {
            while (!reap(child, false)) {
                if (Clock::now() > deadline)
                    return fail(child, line + " (still running)");
                pump(child, std::chrono::milliseconds(100));
            }
            if (*child.status != std::stoi(arg))
                return fail(child, line + " (exit status " + std::to_string(*child.status) + ")");
        } else {
            return fail(child, "unknown step: " + line);
        }
    }
    if (!reap(child, false))
        return fail(child, "the end of the script (the program still runs)");
    return 0;
}
