#include "kernel/kd/Extensions.h"
#include "kernel/kd/NumberArgument.h"

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
    {"pte", pteCommand},       {"vad", vadCommand}, {"address", addressCommand},
    {"pfn", pfnCommand},       {"vm", vmCommand},   {"memusage", memusageCommand},
    {"verify", verifyCommand},
};

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::expected<std::string, std::string> runExtension(Kernel& kernel, std::string_view commandLine) {
    const auto argv = splitWords(commandLine);
    constexpr std::string_view kKnown = "!pte, !vad, !address, !pfn, !vm, !memusage, !verify";
    if (argv.empty() || !argv[0].starts_with('!') || argv[0].size() == 1)
        return std::unexpected(fmt::format("not an extension command (try {})", kKnown));
    const std::string name = lowercase(argv[0].substr(1));
    for (const Extension& e : kExtensions)
        if (e.name == name)
            return e.run(kernel, ExtensionArguments(argv).subspan(1));
    return std::unexpected(fmt::format("unknown extension {} (try {})", argv[0], kKnown));
}

}  // namespace ntoy::kd
