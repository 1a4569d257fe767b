#include "kernel/mm/Protection.h"

#include <array>
#include <bit>

namespace ntoy::mm {
namespace {

// Indexed by MM base protection.
constexpr std::array<std::uint32_t, 8> kWin32ByBase = {
    page::kNoAccess,  page::kReadOnly,  page::kExecute,          page::kExecuteRead,
    page::kReadWrite, page::kWriteCopy, page::kExecuteReadWrite, page::kExecuteWriteCopy,
};

}  // namespace

std::optional<MmProtection> MmProtection::fromWin32(std::uint32_t protect) {
    const std::uint32_t baseBits = protect & 0xFF;
    const std::uint32_t modifiers = protect & ~0xFFu;
    if (std::popcount(baseBits) != 1)
        return std::nullopt;
    if (modifiers & ~(page::kGuard | page::kNoCache | page::kWriteCombine))
        return std::nullopt;
    // At most one of the modifiers; none of them with NOACCESS.
    if (std::popcount(modifiers) > 1)
        return std::nullopt;
    if (baseBits == page::kNoAccess) {
        if (modifiers != 0)
            return std::nullopt;
        return MmProtection(kNoAccess);
    }
    std::uint8_t base = 0;
    for (std::uint8_t i = 1; i < kWin32ByBase.size(); ++i)
        if (kWin32ByBase[i] == baseBits)
            base = i;
    if (modifiers == page::kGuard)
        base |= kGuard;
    if (modifiers == page::kNoCache)
        base |= kNoCache;
    if (modifiers == page::kWriteCombine)
        base |= kGuard | kNoCache;
    return MmProtection(base);
}

std::uint32_t MmProtection::toWin32() const {
    if (bits_ == 0)
        return 0;
    if (isNoAccess())
        return page::kNoAccess;
    std::uint32_t p = kWin32ByBase[base()];
    if (isGuard())
        p |= page::kGuard;
    if (isNoCache())
        p |= page::kNoCache;
    if (isWriteCombine())
        p |= page::kWriteCombine;
    return p;
}

std::string win32ProtectionName(std::uint32_t protect) {
    static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
        {page::kNoAccess, "PAGE_NOACCESS"},
        {page::kReadOnly, "PAGE_READONLY"},
        {page::kReadWrite, "PAGE_READWRITE"},
        {page::kWriteCopy, "PAGE_WRITECOPY"},
        {page::kExecute, "PAGE_EXECUTE"},
        {page::kExecuteRead, "PAGE_EXECUTE_READ"},
        {page::kExecuteReadWrite, "PAGE_EXECUTE_READWRITE"},
        {page::kExecuteWriteCopy, "PAGE_EXECUTE_WRITECOPY"},
        {page::kGuard, "PAGE_GUARD"},
        {page::kNoCache, "PAGE_NOCACHE"},
        {page::kWriteCombine, "PAGE_WRITECOMBINE"},
    };
    if (protect == 0)
        return "0";
    std::string s;
    for (auto [bit, name] : kNames) {
        if ((protect & bit) == 0)
            continue;
        if (!s.empty())
            s += '|';
        s += name;
        protect &= ~bit;
    }
    if (protect != 0) {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex;
        for (; protect; protect >>= 4)
            hex.insert(hex.begin(), kHex[protect & 0xF]);
        s += (s.empty() ? "0x" : "|0x") + hex;
    }
    return s;
}

}  // namespace ntoy::mm
