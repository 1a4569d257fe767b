#include "kernel/ke/SystemCall.h"

#include <cstring>

#include "kernel/mm/ResidentMemory.h"

namespace ntoy::ke {
namespace {

// The values each call hands back, as its Windows prototype names them.
constexpr OutputParameter kAllocateOutputs[] = {{"BaseAddress", 1, 0, 8}, {"RegionSize", 3, 0, 8}};
constexpr OutputParameter kFreeOutputs[] = {{"BaseAddress", 1, 0, 8}, {"RegionSize", 2, 0, 8}};
constexpr OutputParameter kProtectOutputs[] = {
    {"BaseAddress", 1, 0, 8}, {"RegionSize", 2, 0, 8}, {"OldProtect", 4, 0, 4}};
constexpr OutputParameter kQueryOutputs[] = {{"ReturnLength", 5, 0, 8}};
constexpr OutputParameter kSystemInformationOutputs[] = {{"ReturnLength", 3, 0, 4}};
constexpr OutputParameter kWriteFileOutputs[] = {{"IoStatusBlock.Information", 4, 8, 8}};

constexpr std::span<const OutputParameter> outputsOf(std::string_view name) {
    if (name == "NtAllocateVirtualMemory")
        return kAllocateOutputs;
    if (name == "NtFreeVirtualMemory")
        return kFreeOutputs;
    if (name == "NtProtectVirtualMemory")
        return kProtectOutputs;
    if (name == "NtQueryVirtualMemory")
        return kQueryOutputs;
    if (name == "NtQuerySystemInformation")
        return kSystemInformationOutputs;
    if (name == "NtWriteFile")
        return kWriteFileOutputs;
    return {};
}

#define NTOY_TABLE_ENTRY(number, name, args) {number, {#name, args, &name, outputsOf(#name)}},
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
    for (const auto& e : kEntries) {
        if (e.entry.argumentCount > kMaxSystemCallArgs ||
            e.entry.outputs.size() > kMaxOutputParameters)
            return false;
        for (const OutputParameter& o : e.entry.outputs)
            if (o.argument >= e.entry.argumentCount || o.size > 8)
                return false;
    }
    return true;
}());

}  // namespace

OutputValues readOutputs(const SystemCallEntry& entry, const SystemCall& call, NtStatus status) {
    OutputValues out;
    if (!ntSuccess(status) || call.replacesContext)
        return out;
    for (const OutputParameter& o : entry.outputs) {
        const std::uint64_t pointer = call.args[o.argument];
        if (pointer == 0)
            continue;
        std::uint64_t value = 0;
        const auto bytes = std::as_writable_bytes(std::span(&value, 1)).first(o.size);
        if (mm::readResidentUser(call.process.space(), VirtualAddress(pointer + o.offset), bytes) ==
            o.size)
            out.values[out.count++] = {o.name, value};
    }
    return out;
}

const SystemCallEntry* findSystemCall(std::uint64_t number) {
    if (number >= kTable.size() || kTable[number].handler == nullptr)
        return nullptr;
    return &kTable[number];
}

}  // namespace ntoy::ke
