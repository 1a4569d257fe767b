// Timing for the benchmark runner: wall-clock timers, child processes with their peak RSS,
// and medians.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ntoy::bench {

double nowSeconds();

struct ChildRun {
    double seconds = 0;
    int exitStatus = -1;  // -1: did not exit normally
    double maxRssMib = 0;
    // The most host mappings (lines of /proc/PID/maps) seen while it ran: only when asked
    // for, since sampling polls.
    std::size_t maxMappings = 0;
};

// Runs argv[0] with its arguments (stdout and stderr to /dev/null), waits for it. With
// `sampleMappings`, counts the child's host mappings every millisecond while it runs.
std::optional<ChildRun> runChild(const std::vector<std::string>& argv, bool sampleMappings = false);

// Seconds taken by `work`.
double timeIt(const std::function<void()>& work);

double median(std::vector<double> values);

}  // namespace ntoy::bench
