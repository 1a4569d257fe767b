// A process's VAD nodes in nonpaged pool, as Windows keeps them: an MMVAD_SHORT ('VadS', 0x40
// bytes) for a private allocation, an MMVAD ('Vad ', 0x88) for an image's, each charged to
// the process's pool quota.
#pragma once

#include <memory>

#include "kernel/ex/Pool.h"
#include "kernel/mm/Vad.h"

namespace ntoy::ps {

class VadNodes final : public mm::VadPool {
public:
    static constexpr std::uint32_t kShortTag = 0x53646156;  // 'VadS'
    static constexpr std::uint32_t kLongTag = 0x20646156;   // 'Vad '
    static constexpr std::uint64_t kShortBytes = 0x40, kLongBytes = 0x88;

    VadNodes(ex::Pool& pool, std::shared_ptr<ex::PoolQuota> quota)
        : pool_(pool), quota_(std::move(quota)) {}

    std::optional<std::uint64_t> allocateVad(mm::VadType type) override {
        const bool image = type == mm::VadType::Image;
        const auto block =
            pool_.allocate(ex::PoolKind::NonPagedNx, image ? kLongBytes : kShortBytes,
                           image ? kLongTag : kShortTag, quota_);
        if (!block)
            return std::nullopt;
        return block->value();
    }
    void freeVad(std::uint64_t block, mm::VadType type) noexcept override {
        pool_.freeNoThrow(VirtualAddress(block), type == mm::VadType::Image ? kLongTag : kShortTag);
    }
    bool roomFor(std::uint64_t more) const override {
        // The larger node's block (0x98 bytes with its header), as the charge to expect.
        constexpr std::uint64_t kBlock = (kLongBytes + 16 + 15) / 16 * 16;
        return quota_->usage[0] + more * kBlock <= quota_->limit[0];
    }

private:
    ex::Pool& pool_;
    std::shared_ptr<ex::PoolQuota> quota_;
};

}  // namespace ntoy::ps
