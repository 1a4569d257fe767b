// The free ranges of an address space, indexed so that the lowest (or highest) range that can
// take an allocation of a given size at a given alignment is found in O(log n): a treap keyed
// by range start, each node knowing the largest aligned allocation any range in its subtree
// could take. (A walk over the allocations, as before, made reserving n regions O(n^2).)
//
// The ranges cover [0, 2^64 - 1) minus the allocations; callers clip to the part of the
// address space they may use.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ntoy::mm {

class FreeRanges {
public:
    explicit FreeRanges(std::uint64_t alignment);

    // [start, end) is no longer free; it must lie inside one free range.
    void take(std::uint64_t start, std::uint64_t end);
    // [start, end) is free again; it must not overlap a free range.
    void give(std::uint64_t start, std::uint64_t end);

    // The lowest (or highest) aligned start of `size` free bytes inside [low, high).
    std::optional<std::uint64_t> lowest(std::uint64_t size, std::uint64_t low,
                                        std::uint64_t high) const;
    std::optional<std::uint64_t> highest(std::uint64_t size, std::uint64_t low,
                                         std::uint64_t high) const;

    std::size_t count() const { return live_; }

private:
    static constexpr std::uint32_t kNil = ~0u;
    struct Node {
        std::uint64_t start, end;
        std::uint32_t priority;
        std::uint32_t left = kNil, right = kNil;
        std::uint64_t best = 0;  // the largest aligned allocation in the subtree
    };
    std::uint64_t usable(const Node& n) const;  // the largest aligned allocation in n alone
    std::uint64_t best(std::uint32_t i) const { return i == kNil ? 0 : nodes_[i].best; }
    void update(std::uint32_t i);
    std::uint32_t newNode(std::uint64_t start, std::uint64_t end);
    // Treap primitives: split into keys < key and >= key; merge two split halves.
    void split(std::uint32_t t, std::uint64_t key, std::uint32_t& l, std::uint32_t& r);
    std::uint32_t merge(std::uint32_t l, std::uint32_t r);
    void insert(std::uint64_t start, std::uint64_t end);
    // Removes the node starting at `start` and returns its range.
    std::pair<std::uint64_t, std::uint64_t> erase(std::uint64_t start);
    // The node with the greatest start <= key, or kNil.
    std::uint32_t floor(std::uint64_t key) const;
    std::uint32_t ceiling(std::uint64_t key) const;
    // The leftmost node with start >= from and usable >= size; the rightmost with end <= to.
    std::uint32_t leftmostFit(std::uint32_t t, std::uint64_t from, std::uint64_t size) const;
    std::uint32_t rightmostFit(std::uint32_t t, std::uint64_t to, std::uint64_t size) const;

    std::uint64_t alignment_;
    std::vector<Node> nodes_;
    std::vector<std::uint32_t> freeNodes_;
    std::uint32_t root_ = kNil;
    std::size_t live_ = 0;
    std::uint32_t seed_ = 0x9E3779B9u;
};

}  // namespace ntoy::mm
