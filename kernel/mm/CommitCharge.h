// System-wide commit: every page that may need a frame later (committed private pages, page
// tables, kernel pages) is charged when it is promised, so that a fault on a committed page
// can always find a frame. Charging past the limit fails and changes nothing.
#pragma once

#include <cstdint>

namespace ntoy::mm {

class CommitCharge {
public:
    explicit CommitCharge(std::uint64_t limit) : limit_(limit) {}

    [[nodiscard]] bool tryCharge(std::uint64_t pages) {
        if (pages > limit_ - charge_)
            return false;
        charge_ += pages;
        if (charge_ > peak_)
            peak_ = charge_;
        return true;
    }
    void release(std::uint64_t pages) { charge_ -= pages; }

    std::uint64_t charge() const { return charge_; }
    std::uint64_t limit() const { return limit_; }
    std::uint64_t peak() const { return peak_; }

private:
    std::uint64_t limit_;
    std::uint64_t charge_ = 0;
    std::uint64_t peak_ = 0;
};

}  // namespace ntoy::mm
