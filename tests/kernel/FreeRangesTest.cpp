// The free-range index against a model that walks every range, over random takes and gives.
#include "kernel/mm/FreeRanges.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace ntoy::mm {
namespace {

constexpr std::uint64_t kAlign = 0x10000;

// The obvious O(n) answer: every free range in order.
class Model {
public:
    Model() { free_[0] = ~0ull; }
    void take(std::uint64_t s, std::uint64_t e) {
        auto it = std::prev(free_.upper_bound(s));
        const auto [fs, fe] = *it;
        free_.erase(it);
        if (fs < s)
            free_[fs] = s;
        if (e < fe)
            free_[e] = fe;
    }
    void give(std::uint64_t s, std::uint64_t e) {
        if (auto it = free_.lower_bound(s); it != free_.begin() && std::prev(it)->second == s) {
            s = std::prev(it)->first;
            free_.erase(std::prev(it));
        }
        if (auto it = free_.find(e); it != free_.end()) {
            e = it->second;
            free_.erase(it);
        }
        free_[s] = e;
    }
    std::optional<std::uint64_t> lowest(std::uint64_t size, std::uint64_t lo, std::uint64_t hi) {
        for (const auto& [fs, fe] : free_) {
            const std::uint64_t s = std::max(fs, lo), e = std::min(fe, hi);
            const std::uint64_t p = (s + kAlign - 1) & ~(kAlign - 1);
            if (p >= s && p < e && e - p >= size)
                return p;
        }
        return std::nullopt;
    }
    std::optional<std::uint64_t> highest(std::uint64_t size, std::uint64_t lo, std::uint64_t hi) {
        for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
            const std::uint64_t s = std::max(it->first, lo), e = std::min(it->second, hi);
            if (e > s && e - s >= size && ((e - size) & ~(kAlign - 1)) >= s)
                return (e - size) & ~(kAlign - 1);
        }
        return std::nullopt;
    }
    std::map<std::uint64_t, std::uint64_t> free_;
};

TEST(FreeRanges, AgreesWithAWalkOverEveryRange) {
    std::mt19937_64 random(12345);
    FreeRanges index(kAlign);
    Model model;
    std::map<std::uint64_t, std::uint64_t> taken;  // what we allocated
    const std::uint64_t lo = 0x10000, hi = 0x4000'0000;
    for (int step = 0; step < 20000; ++step) {
        const std::uint64_t size = ((random() % 40) + 1) * 0x1000 * (random() % 4 == 0 ? 17 : 1);
        const std::uint64_t qlo = lo + (random() % 64) * 0x3000;
        const std::uint64_t qhi = hi - (random() % 64) * 0x5000;
        ASSERT_EQ(index.lowest(size, qlo, qhi), model.lowest(size, qlo, qhi)) << step;
        ASSERT_EQ(index.highest(size, qlo, qhi), model.highest(size, qlo, qhi)) << step;
        if (taken.empty() || random() % 3 != 0) {
            const auto at = random() % 2 ? model.lowest(size, lo, hi) : model.highest(size, lo, hi);
            if (!at)
                continue;
            index.take(*at, *at + size);
            model.take(*at, *at + size);
            taken[*at] = *at + size;
        } else {
            auto it = taken.begin();
            std::advance(it, random() % taken.size());
            // Sometimes only part of it, as a partial release does.
            const std::uint64_t s = it->first, e = it->second;
            const std::uint64_t cut = s + ((e - s) / 0x1000 / 2) * 0x1000;
            if (cut > s && random() % 2) {
                index.give(s, cut);
                model.give(s, cut);
                taken.erase(it);
                taken[cut] = e;
            } else {
                index.give(s, e);
                model.give(s, e);
                taken.erase(it);
            }
        }
        ASSERT_EQ(index.count(), model.free_.size()) << step;
    }
}

TEST(FreeRanges, TheEdgesOfTheSpace) {
    FreeRanges index(kAlign);
    EXPECT_EQ(index.lowest(0x1000, 0, ~0ull), 0u);
    EXPECT_EQ(index.highest(0x1000, 0, ~0ull), (~0ull - 0x1000) & ~(kAlign - 1));
    EXPECT_EQ(index.lowest(0, 0, 100), std::nullopt);
    EXPECT_EQ(index.lowest(0x2000, 0x10000, 0x11000), std::nullopt);
    index.take(0x10000, 0x20000);
    EXPECT_EQ(index.lowest(0x1000, 0x10000, 0x30000), 0x20000u);
    index.give(0x10000, 0x20000);
    EXPECT_EQ(index.count(), 1u) << "merged back";
}

}  // namespace
}  // namespace ntoy::mm
