#include "tools/ImportsCommand.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "kernel/ExitStatus.h"
#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/DllName.h"
#include "kernel/ldr/ImageFile.h"
#include "kernel/ldr/PeImage.h"

namespace ntoy::cli {
namespace {

constexpr int kMaxForwarderDepth = 32;  // as the loader: a longer chain is a loop

bool isKnownDll(std::string_view name) {
    return ldr::asciiEqualsIgnoreCase(name, "ntdll.dll") ||
           ldr::asciiEqualsIgnoreCase(name, "kernel32.dll");
}

std::optional<std::filesystem::path> findIgnoringCase(const std::filesystem::path& dir,
                                                      std::string_view name) {
    std::error_code ec;
    const auto exact = dir / std::string(name);
    if (std::filesystem::is_regular_file(exact, ec))
        return exact;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (ldr::asciiEqualsIgnoreCase(it->path().filename().string(), name) &&
            it->is_regular_file(ec))
            return it->path();
    return std::nullopt;
}

struct Dll {
    std::filesystem::path path;
    std::shared_ptr<const ldr::PeImage> image;  // null when it could not be read or parsed
    std::string problem;                        // why not
};

class Resolver {
public:
    Resolver(std::filesystem::path appDir, std::filesystem::path systemDir)
        : appDir_(std::move(appDir)), systemDir_(std::move(systemDir)) {}

    const Dll* dll(const std::string& name) {
        std::string key = name;
        for (char& c : key)
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (auto it = cache_.find(key); it != cache_.end())
            return it->second ? &*it->second : nullptr;
        std::optional<Dll>& entry = cache_[key];
        if (!ldr::isDllFileName(name))
            return nullptr;
        std::optional<std::filesystem::path> found;
        if (!isKnownDll(name))
            found = findIgnoringCase(appDir_.empty() ? "." : appDir_, name);
        if (!found)
            found = findIgnoringCase(systemDir_, name);
        if (!found)
            return nullptr;
        entry = Dll{*found, nullptr, {}};
        auto bytes = ldr::readImageFile(*found);
        if (!bytes) {
            entry->problem = bytes.error().message;
            return &*entry;
        }
        auto parsed = ldr::PeImage::parse(*bytes);
        if (!parsed)
            entry->problem = parsed.error().message;
        else
            entry->image = std::make_shared<const ldr::PeImage>(std::move(*parsed));
        return &*entry;
    }

    // Empty when DLL exports the symbol (forwarders followed), else why it does not.
    std::string missing(const Dll& dll, const std::string& name, std::uint16_t ordinal,
                        bool byOrdinal, int depth = 0) {
        if (!dll.image)
            return dll.problem;
        if (depth > kMaxForwarderDepth)
            return "forwarded to itself in a loop";
        const auto target =
            byOrdinal ? dll.image->exportByOrdinal(ordinal) : dll.image->exportByName(name);
        if (!target)
            return "not exported";
        const auto* forwarder = std::get_if<ldr::ExportForwarder>(&*target);
        if (!forwarder)
            return {};
        const std::string targetDll = std::string(forwarder->module()) + ".dll";
        const Dll* next = this->dll(targetDll);
        std::string why;
        if (!next)
            why = fmt::format("{} not found", targetDll);
        else if (auto ord = forwarder->symbolOrdinal())
            why = missing(*next, {}, *ord, true, depth + 1);
        else
            why = missing(*next, std::string(forwarder->symbol()), 0, false, depth + 1);
        return why.empty() ? why
                           : fmt::format("forwarded to {}: {}",
                                         ldr::printableAscii(forwarder->target), why);
    }

private:
    std::filesystem::path appDir_, systemDir_;
    std::map<std::string, std::optional<Dll>> cache_;
};

}  // namespace

CLI::App* addImportsCommand(CLI::App& app, ImportsOptions& options) {
    auto* cmd = app.add_subcommand(
        "imports",
        "List a program's imports and mark those ntoy's DLLs do not export, without running it "
        "(exit status 0 if all resolve, 2 if not)");
    cmd->add_option("image", options.image, "The PE32+ image to check")->required();
    return cmd;
}

int runImportsCommand(const ImportsOptions& options, const std::filesystem::path& systemDir) {
    const std::filesystem::path path(options.image);
    auto bytes = ldr::readImageFile(path);
    if (!bytes) {
        fmt::print(stderr, "ntoy: {}: {}\n", options.image, bytes.error().message);
        return kExitUsage;
    }
    auto image = ldr::PeImage::parse(*bytes);
    if (!image) {
        fmt::print(stderr, "ntoy: {}: {}\n", options.image, image.error().message);
        return kExitUsage;
    }
    Resolver resolver(path.parent_path(), systemDir);
    std::size_t total = 0, missing = 0;
    for (const ldr::ImportedModule& module : image->imports()) {
        const Dll* dll = resolver.dll(module.dllName);
        if (dll)
            fmt::print("{} ({})\n", ldr::printableAscii(module.dllName), dll->path.string());
        else
            fmt::print("{} (not found)\n", ldr::printableAscii(module.dllName));
        for (const ldr::ImportedSymbol& symbol : module.symbols) {
            ++total;
            const std::string what = symbol.byOrdinal ? fmt::format("#{}", symbol.ordinal)
                                                      : ldr::printableAscii(symbol.name);
            const std::string why =
                dll ? resolver.missing(*dll, symbol.name, symbol.ordinal, symbol.byOrdinal)
                    : std::string("DLL not found");
            if (why.empty()) {
                fmt::print("  {}\n", what);
            } else {
                ++missing;
                fmt::print("  {}  MISSING ({})\n", what, why);
            }
        }
    }
    const std::size_t dlls = image->imports().size();
    fmt::print("{} import{} from {} DLL{}, {} missing\n", total, total == 1 ? "" : "s", dlls,
               dlls == 1 ? "" : "s", missing);
    return missing == 0 ? 0 : kExitUsage;
}

}  // namespace ntoy::cli
