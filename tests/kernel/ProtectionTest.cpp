#include "kernel/mm/Protection.h"
#include "tests/kernel/fakes/Printers.h"

#include <gtest/gtest.h>

#include <vector>

namespace ntoy::mm {
namespace {

constexpr std::uint32_t kBases[] = {
    page::kNoAccess, page::kReadOnly,    page::kReadWrite,        page::kWriteCopy,
    page::kExecute,  page::kExecuteRead, page::kExecuteReadWrite, page::kExecuteWriteCopy};
constexpr std::uint32_t kModifiers[] = {page::kGuard, page::kNoCache, page::kWriteCombine};

// Every PAGE_* value a caller may pass: each base alone, and each base but NOACCESS with one
// modifier.
std::vector<std::uint32_t> validWin32Protections() {
    std::vector<std::uint32_t> all(std::begin(kBases), std::end(kBases));
    for (std::uint32_t base : kBases) {
        if (base == page::kNoAccess)
            continue;
        for (std::uint32_t modifier : kModifiers)
            all.push_back(base | modifier);
    }
    return all;
}

TEST(Protection, AcceptsEverySingleBaseValue) {
    for (std::uint32_t base : kBases) {
        const auto prot = MmProtection::fromWin32(base);
        ASSERT_TRUE(prot) << win32ProtectionName(base);
        EXPECT_NE(prot->bits(), 0) << "0 means uncommitted";
        EXPECT_FALSE(prot->isGuard()) << win32ProtectionName(base);
        EXPECT_FALSE(prot->isNoCache()) << win32ProtectionName(base);
        EXPECT_FALSE(prot->isWriteCombine()) << win32ProtectionName(base);
    }
    EXPECT_TRUE(MmProtection::fromWin32(page::kNoAccess)->isNoAccess());
}

TEST(Protection, AcceptsOneModifierOnAnAccessibleBase) {
    for (std::uint32_t base : kBases) {
        if (base == page::kNoAccess)
            continue;
        const auto guard = MmProtection::fromWin32(base | page::kGuard);
        const auto noCache = MmProtection::fromWin32(base | page::kNoCache);
        const auto writeCombine = MmProtection::fromWin32(base | page::kWriteCombine);
        ASSERT_TRUE(guard && noCache && writeCombine) << win32ProtectionName(base);
        EXPECT_TRUE(guard->isGuard());
        EXPECT_FALSE(guard->isNoCache());
        EXPECT_FALSE(guard->isWriteCombine());
        EXPECT_TRUE(noCache->isNoCache());
        EXPECT_FALSE(noCache->isGuard());
        EXPECT_FALSE(noCache->isWriteCombine());
        EXPECT_TRUE(writeCombine->isWriteCombine());
        EXPECT_FALSE(writeCombine->isNoCache());
        // WRITECOMBINE is encoded 0x18 | base: it shares the guard bit but is no guard.
        EXPECT_FALSE(writeCombine->isGuard())
            << win32ProtectionName(base | page::kWriteCombine) << " is treated as a guard page";
        for (const auto& p : {*guard, *noCache, *writeCombine})
            EXPECT_EQ(p.base(), MmProtection::fromWin32(base)->base());
    }
}

TEST(Protection, RejectsInvalidCombinations) {
    const std::uint32_t invalid[] = {
        0,
        page::kReadOnly | page::kReadWrite,
        page::kExecute | page::kNoAccess,
        page::kExecuteRead | page::kExecuteReadWrite,
        page::kNoAccess | page::kGuard,
        page::kNoAccess | page::kNoCache,
        page::kNoAccess | page::kWriteCombine,
        page::kReadWrite | page::kGuard | page::kNoCache,
        page::kReadWrite | page::kNoCache | page::kWriteCombine,
        page::kReadWrite | page::kGuard | page::kWriteCombine,
        page::kGuard,
        page::kNoCache,
        page::kWriteCombine,
        page::kReadWrite | 0x800,
        page::kReadWrite | 0x40000000,  // PAGE_TARGETS_INVALID: not supported here
        0xFF,
        0xFFFFFFFF,
    };
    for (std::uint32_t p : invalid)
        EXPECT_FALSE(MmProtection::fromWin32(p)) << win32ProtectionName(p);
}

TEST(Protection, RoundTripsWin32ToMmAndBack) {
    for (std::uint32_t p : validWin32Protections()) {
        const auto prot = MmProtection::fromWin32(p);
        ASSERT_TRUE(prot) << win32ProtectionName(p);
        EXPECT_EQ(prot->toWin32(), p)
            << win32ProtectionName(p) << " came back as " << win32ProtectionName(prot->toWin32());
    }
}

TEST(Protection, RoundTripsMmToWin32AndBack) {
    for (std::uint32_t p : validWin32Protections()) {
        const MmProtection prot = *MmProtection::fromWin32(p);
        const auto back = MmProtection::fromWin32(prot.toWin32());
        ASSERT_TRUE(back) << "MM " << int{prot.bits()} << " gave invalid "
                          << win32ProtectionName(prot.toWin32());
        EXPECT_EQ(back->bits(), prot.bits()) << win32ProtectionName(p);
    }
    EXPECT_EQ(MmProtection().toWin32(), 0u) << "no protection stored: an uncommitted page";
}

TEST(Protection, DistinctWin32ValuesGetDistinctMmValues) {
    const auto all = validWin32Protections();
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = i + 1; j < all.size(); ++j)
            EXPECT_NE(MmProtection::fromWin32(all[i])->bits(),
                      MmProtection::fromWin32(all[j])->bits())
                << win32ProtectionName(all[i]) << " vs " << win32ProtectionName(all[j]);
}

TEST(Protection, RightsFollowTheBaseValue) {
    struct Expected {
        std::uint32_t win32;
        bool readable, writable, executable, copyOnWrite;
    };
    const Expected table[] = {
        {page::kNoAccess, false, false, false, false},
        {page::kReadOnly, true, false, false, false},
        {page::kReadWrite, true, true, false, false},
        {page::kWriteCopy, true, true, false, true},
        {page::kExecute, true, false, true, false},
        {page::kExecuteRead, true, false, true, false},
        {page::kExecuteReadWrite, true, true, true, false},
        {page::kExecuteWriteCopy, true, true, true, true},
    };
    for (const auto& e : table) {
        for (std::uint32_t modifier : {0u, page::kGuard, page::kNoCache, page::kWriteCombine}) {
            if (e.win32 == page::kNoAccess && modifier != 0)
                continue;
            const MmProtection prot = *MmProtection::fromWin32(e.win32 | modifier);
            const std::string name = win32ProtectionName(e.win32 | modifier);
            EXPECT_EQ(prot.readable(), e.readable) << name;
            EXPECT_EQ(prot.writable(), e.writable) << name;
            EXPECT_EQ(prot.executable(), e.executable) << name;
            EXPECT_EQ(prot.copyOnWrite(), e.copyOnWrite) << name;
        }
    }
}

TEST(Protection, WithoutGuardDropsOnlyTheGuard) {
    const MmProtection guarded = *MmProtection::fromWin32(page::kExecuteRead | page::kGuard);
    EXPECT_EQ(guarded.withoutGuard(), *MmProtection::fromWin32(page::kExecuteRead));
    const MmProtection noAccess = *MmProtection::fromWin32(page::kNoAccess);
    EXPECT_EQ(noAccess.withoutGuard(), noAccess) << "NOACCESS shares the guard bit";
    const MmProtection noCache = *MmProtection::fromWin32(page::kReadWrite | page::kNoCache);
    EXPECT_EQ(noCache.withoutGuard(), noCache);
    const MmProtection writeCombine =
        *MmProtection::fromWin32(page::kReadWrite | page::kWriteCombine);
    EXPECT_EQ(writeCombine.withoutGuard(), writeCombine)
        << "disarming a 'guard' on a WRITECOMBINE page would turn it into NOCACHE";
}

TEST(Protection, WithCacheReplacesTheCacheAttributeOfAnAccessibleProtection) {
    const auto p = [](std::uint32_t win32) { return *MmProtection::fromWin32(win32); };
    for (std::uint32_t base : {page::kReadOnly, page::kExecuteRead, page::kReadWrite}) {
        for (std::uint32_t from : {0u, page::kNoCache, page::kWriteCombine}) {
            EXPECT_EQ(p(base | from).withCache(CacheAttribute::Cached), p(base));
            EXPECT_EQ(p(base | from).withCache(CacheAttribute::NoCache), p(base | page::kNoCache));
            EXPECT_EQ(p(base | from).withCache(CacheAttribute::WriteCombine),
                      p(base | page::kWriteCombine));
        }
        EXPECT_EQ(p(base | page::kNoCache).cacheAttribute(), CacheAttribute::NoCache);
        EXPECT_EQ(p(base | page::kWriteCombine).cacheAttribute(), CacheAttribute::WriteCombine);
        EXPECT_EQ(p(base).cacheAttribute(), CacheAttribute::Cached);
        EXPECT_EQ(p(base | page::kGuard).withCache(CacheAttribute::NoCache), p(base | page::kGuard))
            << "a guard page has no room for one";
        EXPECT_EQ(p(base | page::kGuard).cacheAttribute(), CacheAttribute::Cached);
    }
    EXPECT_EQ(p(page::kNoAccess).withCache(CacheAttribute::WriteCombine), p(page::kNoAccess));
    EXPECT_EQ(p(page::kNoAccess).cacheAttribute(), CacheAttribute::Cached);
}

TEST(Protection, NamesProtections) {
    EXPECT_EQ(win32ProtectionName(0), "0");
    EXPECT_EQ(win32ProtectionName(page::kExecuteRead | page::kGuard),
              "PAGE_EXECUTE_READ|PAGE_GUARD");
    EXPECT_EQ(win32ProtectionName(page::kReadWrite | 0x800), "PAGE_READWRITE|0x800");
    EXPECT_EQ(win32ProtectionName(0x80000000), "0x80000000");
}

}  // namespace
}  // namespace ntoy::mm
