#include "kernel/ke/SystemCall.h"

namespace ntoy::ke {
namespace {

#define NTOY_TABLE_ENTRY(number, name, args) {number, {#name, args, &name}},
struct Numbered {
    std::uint64_t number;
    SystemCallEntry entry;
};
constexpr Numbered kEntries[] = {NTOY_SYSCALLS(NTOY_TABLE_ENTRY)};
#undef NTOY_TABLE_ENTRY

constexpr std::size_t tableSize() {
    std::size_t n = 0;
    for (const auto& e : kEntries)
        n = std::max<std::size_t>(n, e.number + 1);
    return n;
}

constexpr auto kTable = [] {
    std::array<SystemCallEntry, tableSize()> table{};
    for (const auto& e : kEntries)
        table[e.number] = e.entry;
    return table;
}();

static_assert([] {
    for (const auto& e : kEntries)
        if (e.entry.argumentCount > kMaxSystemCallArgs)
            return false;
    return true;
}());

}  // namespace

const SystemCallEntry* findSystemCall(std::uint64_t number) {
    if (number >= kTable.size() || kTable[number].handler == nullptr)
        return nullptr;
    return &kTable[number];
}

}  // namespace ntoy::ke
