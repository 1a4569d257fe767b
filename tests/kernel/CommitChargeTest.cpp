// Commit charge and the Commitment that holds a charge until the work it pays for is done.
#include "kernel/mm/CommitCharge.h"

#include <gtest/gtest.h>

namespace ntoy::mm {
namespace {

TEST(CommitCharge, ChargingPastTheLimitFailsAndChargesNothing) {
    CommitCharge commit(10, 2);
    EXPECT_EQ(commit.charge(), 2u);
    EXPECT_FALSE(commit.charge(9));
    EXPECT_EQ(commit.charge(), 2u);
    auto all = commit.charge(8);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->pages(), 8u);
    EXPECT_EQ(commit.charge(), 10u);
    EXPECT_FALSE(commit.charge(1));
    EXPECT_EQ(commit.peak(), 10u);
}

TEST(CommitCharge, ACommitmentNotKeptGoesBackWhenItEnds) {
    CommitCharge commit(10);
    {
        auto held = commit.charge(4);
        ASSERT_TRUE(held);
        EXPECT_EQ(commit.charge(), 4u);
    }
    EXPECT_EQ(commit.charge(), 0u) << "the work failed: the charge is given back";
    EXPECT_EQ(commit.peak(), 4u);
}

TEST(CommitCharge, AKeptCommitmentStaysUntilReleased) {
    CommitCharge commit(10);
    {
        auto held = commit.charge(4);
        ASSERT_TRUE(held);
        held->keep();
    }
    EXPECT_EQ(commit.charge(), 4u);
    commit.release(3);
    EXPECT_EQ(commit.charge(), 1u);
}

TEST(CommitCharge, AMovedCommitmentIsGivenBackOnce) {
    CommitCharge commit(10);
    {
        auto held = commit.charge(4);
        ASSERT_TRUE(held);
        Commitment moved = std::move(*held);
        EXPECT_EQ(moved.pages(), 4u);
    }
    EXPECT_EQ(commit.charge(), 0u);
}

}  // namespace
}  // namespace ntoy::mm
