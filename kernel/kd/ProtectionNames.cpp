#include "kernel/kd/ProtectionNames.h"

namespace ntoy::kd {

std::string mmProtectionName(mm::MmProtection protection) {
    using mm::MmProtection;
    if (protection.isNoAccess())
        return "NoAccess";
    static constexpr const char* kBase[] = {"ZeroAccess",       "Readonly",        "Execute",
                                            "ExecuteRead",      "ReadWrite",       "WriteCopy",
                                            "ExecuteReadWrite", "ExecuteWriteCopy"};
    std::string name = kBase[protection.base()];
    if (protection.isWriteCombine())
        name += " WriteCombine";
    else if (protection.isNoCache())
        name += " NoCache";
    else if (protection.isGuard())
        name += " Guard";
    return name;
}

std::string vadProtectionName(std::uint32_t win32Protect) {
    if (win32Protect == mm::page::kNoAccess)
        return "NO_ACCESS";
    std::string name = mm::win32ProtectionName(win32Protect);
    std::string out;
    for (std::size_t i = 0; i < name.size();) {
        if (name.compare(i, 5, "PAGE_") == 0) {
            i += 5;
        } else {
            out += name[i] == '|' ? ' ' : name[i];
            ++i;
        }
    }
    return out;
}

}  // namespace ntoy::kd
