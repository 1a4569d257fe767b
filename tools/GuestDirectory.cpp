#include "tools/GuestDirectory.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <system_error>

#ifndef NTOY_GUEST_DLL_DIR
#define NTOY_GUEST_DLL_DIR "../lib/ntoy"
#endif

namespace ntoy::cli {
namespace {

namespace fs = std::filesystem;

// The folder the running executable is in; empty if the kernel will not say.
fs::path executableFolder() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

// The two places relative to the executable: installed, then build tree.
std::array<fs::path, 2> candidates() {
    const fs::path folder = executableFolder();
    return {(folder / NTOY_GUEST_DLL_DIR).lexically_normal(), folder / "images"};
}

bool holdsNtdll(const fs::path& folder) {
    std::error_code ec;
    return fs::is_regular_file(folder / "ntdll.dll", ec);
}

}  // namespace

std::expected<fs::path, std::string> guestDllDirectory() {
    if (const char* env = std::getenv("NTOY_IMAGES"); env && *env)
        return fs::path(env);
    const auto places = candidates();
    for (const fs::path& place : places)
        if (holdsNtdll(place))
            return place;
    return std::unexpected(fmt::format(
        "cannot find the guest DLLs: no ntdll.dll in {} or {}; set NTOY_IMAGES to the folder "
        "that holds them",
        places[0].string(), places[1].string()));
}

std::string guestDllSearchDescription() {
    const auto places = candidates();
    return fmt::format(
        "Guest DLLs (ntdll.dll, kernel32.dll, msvcrt.dll) are looked for in $NTOY_IMAGES if it\n"
        "is set, else in {} (as installed), else in {} (a build tree).",
        places[0].string(), places[1].string());
}

}  // namespace ntoy::cli
