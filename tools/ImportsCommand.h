// `ntoy imports IMAGE`: checks a program's import table against what ntoy's DLLs export,
// without running it. Lists each imported DLL (and the file it would be loaded from) and each
// imported function, marking those nothing exports, following export forwarders as the loader
// does. Exit status 0 when everything resolves, 2 when something does not (or the image
// cannot be read).
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

namespace ntoy::cli {

struct ImportsOptions {
    std::string image;
};

CLI::App* addImportsCommand(CLI::App& app, ImportsOptions& options);

// DLLs are looked for as the loader looks for them: the image's folder, then `systemDir`
// (ntdll.dll and kernel32.dll only there).
int runImportsCommand(const ImportsOptions& options, const std::filesystem::path& systemDir);

}  // namespace ntoy::cli
