#include "tools/CommandLine.h"

#include <fmt/format.h>

#include "kernel/ExitStatus.h"

namespace ntoy::cli {
namespace {

bool isOption(std::string_view word) {
    return word.size() > 1 && word.front() == '-';
}

const CLI::App* findSubcommand(const CLI::App& app, std::string_view name) {
    const auto found = app.get_subcommands(
        [&](const CLI::App* sub) { return sub->check_name(std::string(name)); });
    return found.empty() ? nullptr : found.front();
}

std::string subcommandNames(const CLI::App& app) {
    std::string names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names += (names.empty() ? "" : ", ") + sub->get_name();
    return names;
}

// The error and, on a second line, where its usage is: the subcommand's help, if any.
std::string usageError(std::string_view message, const CLI::App* sub) {
    return sub ? fmt::format("{}\nrun 'ntoy {} --help' for its usage", message, sub->get_name())
               : fmt::format("{}\nrun 'ntoy --help' for the usage", message);
}

}  // namespace

CLI::Option* addRamOption(CLI::App& command, std::string& ram) {
    return command.add_option("--ram", ram, "Guest RAM, e.g. 64M or 1G")->capture_default_str();
}

void addImageArguments(CLI::App& command, std::string& image, std::vector<std::string>& args,
                       const std::string& imageHelp) {
    command.add_option("image", image, imageHelp)->required();
    command.add_option("args", args, "Arguments for the guest, passed as they are");
}

std::expected<SplitCommandLine, std::string> splitCommandLine(const CLI::App& app, int argc,
                                                              const char* const* argv) {
    SplitCommandLine split;
    split.ntoy.emplace_back(argc > 0 ? argv[0] : "ntoy");
    const CLI::App* sub = nullptr;
    bool imageNext = false;  // after `--`
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (sub && !split.guest.empty()) {
            split.guest.emplace_back(word);
            continue;
        }
        if (!sub) {
            // ntoy's own options (--help, --version) come before the subcommand; CLI11 reports
            // any other.
            split.ntoy.emplace_back(word);
            if (isOption(word))
                continue;
            sub = findSubcommand(app, word);
            if (!sub)
                return std::unexpected(
                    usageError(fmt::format("unknown subcommand '{}' (the subcommands: {})", word,
                                           subcommandNames(app)),
                               nullptr));
            // A subcommand that runs no image (report) has no guest words: CLI11 parses all.
            if (sub->get_option_no_throw("image") == nullptr) {
                for (++i; i < argc; ++i)
                    split.ntoy.emplace_back(argv[i]);
                break;
            }
            continue;
        }
        if (imageNext || !isOption(word)) {
            // The image: everything after it is the guest's.
            split.ntoy.emplace_back(word);
            for (++i; i < argc; ++i)
                split.guest.emplace_back(argv[i]);
            break;
        }
        split.ntoy.emplace_back(word);
        if (word == "--") {
            imageNext = true;
            continue;
        }
        const std::string name(word.substr(0, word.find('=')));
        const CLI::Option* option = sub->get_option_no_throw(name);
        if (!option)
            return std::unexpected(usageError(fmt::format("unknown option {}", name), sub));
        // An option's value is the next word unless it came after '='.
        if (option->get_items_expected_min() > 0 && name.size() == word.size() && i + 1 < argc)
            split.ntoy.emplace_back(argv[++i]);
    }
    if (!sub && split.ntoy.size() == 1)
        return std::unexpected(usageError(
            fmt::format("a subcommand is required (the subcommands: {})", subcommandNames(app)),
            nullptr));
    return split;
}

std::optional<int> parseCommandLine(CLI::App& app, const std::vector<std::string>& words) {
    std::vector<const char*> argv;
    for (const std::string& w : words)
        argv.push_back(w.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const CLI::App* sub = nullptr;
        for (std::size_t i = 1; i < words.size() && !sub; ++i)
            if (!isOption(words[i]))
                sub = findSubcommand(app, words[i]);
        fmt::print(stderr, "ntoy: {}\n", usageError(e.what(), sub));
        return kExitUsage;
    }
    return std::nullopt;
}

std::expected<Kernel::Verifier, std::string> parseVerifier(
    const std::vector<std::string>& options) {
    Kernel::Verifier v;
    for (const std::string& o : options) {
        if (o == "irql")
            v.irqlChecking = true;
        else if (o == "special-pool")
            v.specialPool = true;
        else if (o == "pool-tracking")
            v.poolTracking = true;
        else
            return std::unexpected(fmt::format(
                "--verifier: unknown option '{}' (irql, special-pool, pool-tracking)", o));
    }
    return v;
}

}  // namespace ntoy::cli
