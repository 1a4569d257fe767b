#include "kernel/ke/SharedUserData.h"

#include <cstring>
#include <string_view>

#include "kernel/mm/AddressSpace.h"
#include "kernel/mm/MemoryManager.h"
#include "ntoy/shared_user_data.h"

namespace ntoy::ke {
namespace {

// The security cookie user mode mixes into encoded pointers. Windows draws it at boot; ntoy
// fixes it, so that runs are reproducible (it guards nothing here).
constexpr std::uint32_t kCookie = 0x4E544F59;  // "NTOY"

template <typename T>
void store(std::span<std::byte, kPageSize> page, std::uint64_t offset, T value) {
    std::memcpy(page.data() + offset, &value, sizeof value);
}

// A KSYSTEM_TIME, in the order user-mode readers rely on: High2Time, LowPart, High1Time. A
// reader that sees High1Time == High2Time has a LowPart of the same value. (The guest does
// not run while the kernel does, so the order is for the protocol's sake, not a race.)
void storeSystemTime(std::span<std::byte, kPageSize> page, std::uint64_t offset,
                     std::uint64_t value) {
    const auto high = static_cast<std::uint32_t>(value >> 32);
    store(page, offset + NTOY_KSYSTEM_TIME_HIGH2_TIME, high);
    store(page, offset + NTOY_KSYSTEM_TIME_LOW_PART, static_cast<std::uint32_t>(value));
    store(page, offset + NTOY_KSYSTEM_TIME_HIGH1_TIME, high);
}

}  // namespace

std::optional<SharedUserData> SharedUserData::create(mm::MemoryManager& mm, const Clock& clock) {
    const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
    const auto frame = mm.mapSystemPage(VirtualAddress(NTOY_KI_USER_SHARED_DATA), rw);
    if (!frame)
        return std::nullopt;
    SharedUserData data(*frame, mm.pfns().memory().frame(*frame));
    data.fillConstants(mm.pfns().total());
    data.update(clock);
    return data;
}

void SharedUserData::fillConstants(std::uint64_t physicalPages) const {
    store(page_, NTOY_USD_TICK_COUNT_MULTIPLIER,
          std::uint32_t{NTOY_USD_TICK_COUNT_MULTIPLIER_VALUE});
    storeSystemTime(page_, NTOY_USD_TIME_ZONE_BIAS, 0);  // the guest's local time is UTC
    store(page_, NTOY_USD_IMAGE_NUMBER_LOW, std::uint16_t{NTOY_USD_IMAGE_NUMBER});
    store(page_, NTOY_USD_IMAGE_NUMBER_HIGH, std::uint16_t{NTOY_USD_IMAGE_NUMBER});
    constexpr std::u16string_view kSystemRoot = u"C:\\Windows";
    static_assert(kSystemRoot.size() < NTOY_USD_NT_SYSTEM_ROOT_CHARS);
    std::memcpy(page_.data() + NTOY_USD_NT_SYSTEM_ROOT, kSystemRoot.data(),
                kSystemRoot.size() * sizeof(char16_t));  // the frame is zeroed: terminated
    store(page_, NTOY_USD_NT_PRODUCT_TYPE, std::uint32_t{NTOY_USD_PRODUCT_WIN_NT});
    store(page_, NTOY_USD_PRODUCT_TYPE_IS_VALID, std::uint8_t{1});
    store(page_, NTOY_USD_NT_MAJOR_VERSION, std::uint32_t{NTOY_USD_MAJOR_VERSION});
    store(page_, NTOY_USD_NT_MINOR_VERSION, std::uint32_t{NTOY_USD_MINOR_VERSION});
    store(page_, NTOY_USD_NUMBER_OF_PHYSICAL_PAGES, static_cast<std::uint32_t>(physicalPages));
    store(page_, NTOY_USD_QPC_FREQUENCY, std::int64_t{NTOY_USD_QPC_FREQUENCY_VALUE});
    store(page_, NTOY_USD_COOKIE, kCookie);
}

bool SharedUserData::mapInto(mm::AddressSpace& space) const {
    return space.mapSystemPage(VirtualAddress(NTOY_USER_SHARED_DATA), frame_);
}

void SharedUserData::update(const Clock& clock) const {
    const std::uint64_t interrupt = clock.interruptTime();
    storeSystemTime(page_, NTOY_USD_INTERRUPT_TIME, interrupt);
    storeSystemTime(page_, NTOY_USD_SYSTEM_TIME, clock.bootSystemTime() + interrupt);
    storeSystemTime(page_, NTOY_USD_TICK_COUNT, interrupt / 10'000);
}

}  // namespace ntoy::ke
