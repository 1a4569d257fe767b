#include "kernel/kd/Extensions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "kernel/kd/ExtensionCommands.h"

namespace ntoy::kd {
namespace {

struct Extension {
    std::string_view name;
    ExtensionResult (*run)(Kernel&, ExtensionArguments);
};

constexpr Extension kExtensions[] = {
    {"pte", pteCommand}, {"vad", vadCommand}, {"address", addressCommand},
    {"pfn", pfnCommand}, {"vm", vmCommand},   {"memusage", memusageCommand},
};

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        if (i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::expected<std::string, std::string> runExtension(Kernel& kernel, std::string_view commandLine) {
    const auto argv = words(commandLine);
    constexpr std::string_view kKnown = "!pte, !vad, !address, !pfn, !vm, !memusage";
    if (argv.empty() || !argv[0].starts_with('!') || argv[0].size() == 1)
        return std::unexpected(fmt::format("not an extension command (try {})", kKnown));
    const std::string name = lowercase(argv[0].substr(1));
    for (const Extension& e : kExtensions)
        if (e.name == name)
            return e.run(kernel, ExtensionArguments(argv).subspan(1));
    return std::unexpected(fmt::format("unknown extension {} (try {})", argv[0], kKnown));
}

}  // namespace ntoy::kd
