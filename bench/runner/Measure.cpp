#include "bench/runner/Measure.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <thread>

extern char** environ;

namespace ntoy::bench {

double nowSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

namespace {

std::size_t countMappings(pid_t pid) {
    std::ifstream maps(fmt::format("/proc/{}/maps", pid));
    std::size_t lines = 0;
    for (std::string line; std::getline(maps, line);)
        ++lines;
    return lines;
}

}  // namespace

std::optional<ChildRun> runChild(const std::vector<std::string>& argv, bool sampleMappings) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    const double start = nowSeconds();
    const int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0)
        return std::nullopt;
    int status = 0;
    rusage usage{};
    std::size_t maxMappings = 0;
    for (;;) {
        const pid_t done = wait4(pid, &status, sampleMappings ? WNOHANG : 0, &usage);
        if (done == pid)
            break;
        if (done != 0)
            return std::nullopt;
        maxMappings = std::max(maxMappings, countMappings(pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ChildRun run;
    run.maxMappings = maxMappings;
    run.seconds = nowSeconds() - start;
    run.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.maxRssMib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
    return run;
}

double timeIt(const std::function<void()>& work) {
    const double start = nowSeconds();
    work();
    return nowSeconds() - start;
}

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace ntoy::bench
