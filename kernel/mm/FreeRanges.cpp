#include "kernel/mm/FreeRanges.h"

#include <algorithm>

#include "kernel/ke/BugCheck.h"

namespace ntoy::mm {

FreeRanges::FreeRanges(std::uint64_t alignment) : alignment_(alignment) {
    root_ = newNode(0, ~0ull);
}

std::uint64_t FreeRanges::usable(const Node& n) const {
    const std::uint64_t aligned = (n.start + alignment_ - 1) & ~(alignment_ - 1);
    if (aligned < n.start || aligned >= n.end)  // wrapped, or no aligned start inside
        return 0;
    return n.end - aligned;
}

void FreeRanges::update(std::uint32_t i) {
    Node& n = nodes_[i];
    n.best = std::max({usable(n), best(n.left), best(n.right)});
}

std::uint32_t FreeRanges::newNode(std::uint64_t start, std::uint64_t end) {
    // xorshift32: the treap's priorities need only be unrelated to the keys.
    seed_ ^= seed_ << 13;
    seed_ ^= seed_ >> 17;
    seed_ ^= seed_ << 5;
    std::uint32_t i;
    if (!freeNodes_.empty()) {
        i = freeNodes_.back();
        freeNodes_.pop_back();
        nodes_[i] = Node{start, end, seed_};
    } else {
        i = static_cast<std::uint32_t>(nodes_.size());
        nodes_.push_back(Node{start, end, seed_});
    }
    update(i);
    ++live_;
    return i;
}

void FreeRanges::split(std::uint32_t t, std::uint64_t key, std::uint32_t& l, std::uint32_t& r) {
    if (t == kNil) {
        l = r = kNil;
        return;
    }
    if (nodes_[t].start < key) {
        split(nodes_[t].right, key, nodes_[t].right, r);
        l = t;
    } else {
        split(nodes_[t].left, key, l, nodes_[t].left);
        r = t;
    }
    update(t);
}

std::uint32_t FreeRanges::merge(std::uint32_t l, std::uint32_t r) {
    if (l == kNil)
        return r;
    if (r == kNil)
        return l;
    if (nodes_[l].priority > nodes_[r].priority) {
        nodes_[l].right = merge(nodes_[l].right, r);
        update(l);
        return l;
    }
    nodes_[r].left = merge(l, nodes_[r].left);
    update(r);
    return r;
}

void FreeRanges::insert(std::uint64_t start, std::uint64_t end) {
    std::uint32_t l, r;
    split(root_, start, l, r);
    root_ = merge(merge(l, newNode(start, end)), r);
}

std::pair<std::uint64_t, std::uint64_t> FreeRanges::erase(std::uint64_t start) {
    std::uint32_t l, mid, r;
    split(root_, start, l, r);
    split(r, start + 1, mid, r);
    NTOY_ASSERT(mid != kNil && nodes_[mid].left == kNil && nodes_[mid].right == kNil,
                ke::BugCheckCode::MemoryManagement, 0x5200, start, mid, 0);
    const auto range = std::pair(nodes_[mid].start, nodes_[mid].end);
    freeNodes_.push_back(mid);
    --live_;
    root_ = merge(l, r);
    return range;
}

std::uint32_t FreeRanges::floor(std::uint64_t key) const {
    std::uint32_t found = kNil;
    for (std::uint32_t t = root_; t != kNil;) {
        if (nodes_[t].start <= key) {
            found = t;
            t = nodes_[t].right;
        } else {
            t = nodes_[t].left;
        }
    }
    return found;
}

std::uint32_t FreeRanges::ceiling(std::uint64_t key) const {
    std::uint32_t found = kNil;
    for (std::uint32_t t = root_; t != kNil;) {
        if (nodes_[t].start >= key) {
            found = t;
            t = nodes_[t].left;
        } else {
            t = nodes_[t].right;
        }
    }
    return found;
}

void FreeRanges::take(std::uint64_t start, std::uint64_t end) {
    const std::uint32_t c = floor(start);
    NTOY_ASSERT(c != kNil && start < end && end <= nodes_[c].end,
                ke::BugCheckCode::MemoryManagement, 0x5201, start, end,
                c == kNil ? 0 : nodes_[c].end);
    const auto [s, e] = erase(nodes_[c].start);
    if (s < start)
        insert(s, start);
    if (end < e)
        insert(end, e);
}

void FreeRanges::give(std::uint64_t start, std::uint64_t end) {
    std::uint64_t s = start, e = end;
    if (const std::uint32_t left = floor(start); left != kNil) {
        NTOY_ASSERT(nodes_[left].end <= start, ke::BugCheckCode::MemoryManagement, 0x5202, start,
                    end, nodes_[left].end);
        if (nodes_[left].end == start)
            s = erase(nodes_[left].start).first;
    }
    if (const std::uint32_t right = ceiling(end); right != kNil && nodes_[right].start == end)
        e = erase(end).second;
    insert(s, e);
}

std::uint32_t FreeRanges::leftmostFit(std::uint32_t t, std::uint64_t from,
                                      std::uint64_t size) const {
    if (t == kNil || nodes_[t].best < size)
        return kNil;
    const Node& n = nodes_[t];
    if (n.start < from)
        return leftmostFit(n.right, from, size);
    if (const std::uint32_t l = leftmostFit(n.left, from, size); l != kNil)
        return l;
    if (usable(n) >= size)
        return t;
    return leftmostFit(n.right, from, size);
}

std::uint32_t FreeRanges::rightmostFit(std::uint32_t t, std::uint64_t bound,
                                       std::uint64_t size) const {
    if (t == kNil || nodes_[t].best < size)
        return kNil;
    const Node& n = nodes_[t];
    if (n.start >= bound)
        return rightmostFit(n.left, bound, size);
    if (const std::uint32_t r = rightmostFit(n.right, bound, size); r != kNil)
        return r;
    if (usable(n) >= size)
        return t;
    return rightmostFit(n.left, bound, size);
}

std::optional<std::uint64_t> FreeRanges::lowest(std::uint64_t size, std::uint64_t low,
                                                std::uint64_t high) const {
    if (size == 0 || high <= low || size > high - low)
        return std::nullopt;
    auto placeIn = [&](std::uint64_t s, std::uint64_t e) -> std::optional<std::uint64_t> {
        s = std::max(s, low);
        e = std::min(e, high);
        const std::uint64_t p = (s + alignment_ - 1) & ~(alignment_ - 1);
        if (p < s || p >= e || e - p < size)
            return std::nullopt;
        return p;
    };
    // The range holding `low`, clipped; then the first range above it that fits.
    std::uint64_t from = low;
    if (const std::uint32_t c = floor(low); c != kNil && nodes_[c].end > low) {
        if (auto p = placeIn(nodes_[c].start, nodes_[c].end))
            return p;
        from = nodes_[c].start + 1;
    }
    const std::uint32_t r = leftmostFit(root_, from, size);
    if (r == kNil)
        return std::nullopt;
    return placeIn(nodes_[r].start, nodes_[r].end);
}

std::optional<std::uint64_t> FreeRanges::highest(std::uint64_t size, std::uint64_t low,
                                                 std::uint64_t high) const {
    if (size == 0 || high <= low || size > high - low)
        return std::nullopt;
    auto placeIn = [&](std::uint64_t s, std::uint64_t e) -> std::optional<std::uint64_t> {
        s = std::max(s, low);
        e = std::min(e, high);
        if (e <= s || e - s < size)
            return std::nullopt;
        const std::uint64_t p = (e - size) & ~(alignment_ - 1);
        if (p < s)
            return std::nullopt;
        return p;
    };
    // The range holding `high - 1`, clipped; then the last range below it that fits.
    std::uint64_t bound = high;
    if (const std::uint32_t c = floor(high - 1); c != kNil && nodes_[c].end > high - 1) {
        if (auto p = placeIn(nodes_[c].start, nodes_[c].end))
            return p;
        bound = nodes_[c].start;
    }
    const std::uint32_t r = rightmostFit(root_, bound, size);
    if (r == kNil)
        return std::nullopt;
    return placeIn(nodes_[r].start, nodes_[r].end);
}

}  // namespace ntoy::mm
