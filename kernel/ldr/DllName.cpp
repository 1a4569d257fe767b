#include "kernel/ldr/DllName.h"

#include <algorithm>

namespace ntoy::ldr {

bool isDllFileName(std::string_view name) {
    if (name.empty() || name.size() > kMaxDllNameLength)
        return false;
    constexpr std::string_view kForbidden = "<>:\"/\\|?*";
    const bool printable = std::ranges::all_of(name, [&](char c) {
        return c >= 0x20 && c <= 0x7E && kForbidden.find(c) == std::string_view::npos;
    });
    // "." and ".." name directories; Windows drops trailing dots, so "..." is one of them too.
    return printable && !std::ranges::all_of(name, [](char c) { return c == '.'; });
}

}  // namespace ntoy::ldr
