// Page protections: the Win32 PAGE_* values guests pass, and the 5-bit MM protection the
// kernel keeps in every PTE (the encoding of Windows' MM_* values, so an invalid PTE here
// decodes as it would in WinDbg).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ntoy::mm {

namespace page {
inline constexpr std::uint32_t kNoAccess = 0x01, kReadOnly = 0x02, kReadWrite = 0x04,
                               kWriteCopy = 0x08, kExecute = 0x10, kExecuteRead = 0x20,
                               kExecuteReadWrite = 0x40, kExecuteWriteCopy = 0x80, kGuard = 0x100,
                               kNoCache = 0x200, kWriteCombine = 0x400;
}  // namespace page

// PAGE_NOCACHE and PAGE_WRITECOMBINE. On current Windows they belong to an allocation, not to
// its pages: every page committed or protected in it takes the allocation's.
enum class CacheAttribute : std::uint8_t { Cached, NoCache, WriteCombine };

// The MM protection: base access in bits 0-2, NOCACHE 0x8, GUARD 0x10. NOACCESS is 0x18, and
// 0 means "no protection stored" (an uncommitted page).
class MmProtection {
public:
    enum Base : std::uint8_t {
        ZeroAccess = 0,
        ReadOnly = 1,
        Execute = 2,
        ExecuteRead = 3,
        ReadWrite = 4,
        WriteCopy = 5,
        ExecuteReadWrite = 6,
        ExecuteWriteCopy = 7,
    };
    static constexpr std::uint8_t kNoCache = 0x08, kGuard = 0x10, kNoAccess = 0x18;

    constexpr MmProtection() = default;
    constexpr explicit MmProtection(std::uint8_t bits) : bits_(bits & 0x1F) {}

    // PAGE_* to MM. Empty if the value is not exactly one base protection with optional
    // GUARD/NOCACHE/WRITECOMBINE modifiers, or combines a modifier with NOACCESS.
    static std::optional<MmProtection> fromWin32(std::uint32_t protect);

    constexpr std::uint8_t bits() const { return bits_; }
    constexpr Base base() const { return static_cast<Base>(bits_ & 7); }
    constexpr bool isNoAccess() const { return bits_ == kNoAccess; }
    // GUARD alone: GUARD with NOCACHE is WRITECOMBINE (or, with no base, NOACCESS).
    constexpr bool isGuard() const { return (bits_ & 0x18) == kGuard; }
    constexpr bool isNoCache() const { return !isNoAccess() && (bits_ & 0x18) == kNoCache; }
    constexpr bool isWriteCombine() const { return !isNoAccess() && (bits_ & 0x18) == 0x18; }
    constexpr MmProtection withoutGuard() const {
        return isGuard() ? MmProtection(static_cast<std::uint8_t>(bits_ & ~kGuard)) : *this;
    }
    constexpr CacheAttribute cacheAttribute() const {
        return isNoCache()        ? CacheAttribute::NoCache
               : isWriteCombine() ? CacheAttribute::WriteCombine
                                  : CacheAttribute::Cached;
    }
    // This protection with `cache` in place of its own. NOACCESS and GUARD carry none: the
    // encoding has no room for them (NOACCESS|NOCACHE is not a protection, and GUARD|NOCACHE
    // is WRITECOMBINE), so a guard page takes its allocation's attribute when it fires.
    constexpr MmProtection withCache(CacheAttribute cache) const {
        if (bits_ == 0 || isNoAccess() || isGuard())
            return *this;
        const auto base = static_cast<std::uint8_t>(bits_ & 7);
        switch (cache) {
            case CacheAttribute::Cached:
                return MmProtection(base);
            case CacheAttribute::NoCache:
                return MmProtection(static_cast<std::uint8_t>(base | kNoCache));
            case CacheAttribute::WriteCombine:
                return MmProtection(static_cast<std::uint8_t>(base | kNoCache | kGuard));
        }
        return *this;
    }

    // Whether a page with this protection may be valid: NOACCESS and GUARD pages never are.
    constexpr bool accessible() const { return !isNoAccess() && !isGuard(); }
    // What the page allows once valid.
    constexpr bool readable() const { return !isNoAccess() && base() != ZeroAccess; }
    constexpr bool writable() const {
        const Base b = base();
        return !isNoAccess() &&
               (b == ReadWrite || b == ExecuteReadWrite || b == WriteCopy || b == ExecuteWriteCopy);
    }
    constexpr bool executable() const {
        const Base b = base();
        return !isNoAccess() &&
               (b == Execute || b == ExecuteRead || b == ExecuteReadWrite || b == ExecuteWriteCopy);
    }
    constexpr bool copyOnWrite() const {
        return !isNoAccess() && (base() == WriteCopy || base() == ExecuteWriteCopy);
    }

    // MM to PAGE_*, with GUARD/NOCACHE/WRITECOMBINE as modifiers.
    std::uint32_t toWin32() const;
    constexpr auto operator<=>(const MmProtection&) const = default;

private:
    std::uint8_t bits_ = 0;
};

// "PAGE_EXECUTE_READ|PAGE_GUARD", for messages and the debugger.
std::string win32ProtectionName(std::uint32_t protect);

}  // namespace ntoy::mm
