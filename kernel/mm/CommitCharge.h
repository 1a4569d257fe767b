// System-wide commit: every page that may need a frame later (committed private pages, page
// tables, kernel pages) is charged when it is promised, so that a fault on a committed page
// can always find a frame. Charging past the limit fails and changes nothing.
//
// A charge is taken as a Commitment (SerenityOS's CommittedPhysicalPageSet is the model): it
// goes back by itself when the Commitment ends, so a failure half-way through the work it
// pays for gives it back without a word. Once the work is done, keep() hands the pages over to
// what now holds them (committed PTEs, page-table frames), which gives them back with
// release() when it lets them go.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace ntoy::mm {

class CommitCharge;

class Commitment {
public:
    Commitment(Commitment&& other) noexcept
        : charge_(std::exchange(other.charge_, nullptr)), pages_(other.pages_) {}
    Commitment& operator=(Commitment&&) = delete;
    Commitment(const Commitment&) = delete;
    Commitment& operator=(const Commitment&) = delete;
    inline ~Commitment();

    std::uint64_t pages() const { return pages_; }
    // The promise now holds: the pages stay charged after this Commitment ends.
    void keep() { charge_ = nullptr; }

private:
    friend class CommitCharge;
    Commitment(CommitCharge& charge, std::uint64_t pages) : charge_(&charge), pages_(pages) {}
    CommitCharge* charge_;
    std::uint64_t pages_;
};

class CommitCharge {
public:
    // `charged` pages are promised from the start (boot's own tables).
    explicit CommitCharge(std::uint64_t limit, std::uint64_t charged = 0)
        : limit_(limit), charge_(charged), peak_(charged) {}

    // Charges `pages`; empty, and nothing charged, if that would pass the limit.
    [[nodiscard]] std::optional<Commitment> charge(std::uint64_t pages) {
        if (pages > limit_ - charge_)
            return std::nullopt;
        charge_ += pages;
        if (charge_ > peak_)
            peak_ = charge_;
        return Commitment(*this, pages);
    }
    // Gives back kept pages whose promise has ended (decommitted pages, freed tables).
    void release(std::uint64_t pages) { charge_ -= pages; }
    // The machine lost `pages` of backing (bad frames): false, and no change, if what is
    // charged already would not fit.
    bool lowerLimit(std::uint64_t pages) {
        if (pages > limit_ - charge_)
            return false;
        limit_ -= pages;
        return true;
    }

    std::uint64_t charge() const { return charge_; }
    std::uint64_t limit() const { return limit_; }
    std::uint64_t peak() const { return peak_; }

private:
    std::uint64_t limit_;
    std::uint64_t charge_;
    std::uint64_t peak_;
};

Commitment::~Commitment() {
    if (charge_)
        charge_->release(pages_);
}

}  // namespace ntoy::mm
