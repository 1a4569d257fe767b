#include "kernel/ldr/CoffSymbols.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kernel/ldr/BoundedRead.h"

namespace ntoy::ldr {
namespace {

constexpr std::uint8_t kClassExternal = 2;
constexpr std::uint8_t kClassStatic = 3;
constexpr std::uint16_t kTypeFunction = 0x20;  // DT_FUNCTION in the derived-type bits
constexpr std::size_t kMaxNameLength = 4096;

#pragma pack(push, 1)
struct CoffSymbolRecord {
    char shortName[8];  // or zero, then the string-table offset
    std::uint32_t value;
    std::int16_t sectionNumber;
    std::uint16_t type;
    std::uint8_t storageClass;
    std::uint8_t auxiliaryCount;
};
#pragma pack(pop)
static_assert(sizeof(CoffSymbolRecord) == pe::kCoffSymbolSize);

}  // namespace

std::expected<std::vector<CoffSymbol>, LoadError> parseCoffSymbols(
    std::span<const std::byte> file, std::span<const Section> sections) {
    const auto lfanew = readAt<std::uint32_t>(file, offsetof(pe::ImageDosHeader, e_lfanew));
    if (!lfanew)
        return std::unexpected(LoadError{"truncated: no DOS header"});
    const auto header = readAt<pe::ImageFileHeader>(file, std::uint64_t{*lfanew} + 4);
    if (!header)
        return std::unexpected(LoadError{"truncated: no file header"});
    std::vector<CoffSymbol> symbols;
    if (header->PointerToSymbolTable == 0 || header->NumberOfSymbols == 0)
        return symbols;
    if (header->NumberOfSymbols > kMaxCoffSymbols)
        return std::unexpected(LoadError{fmt::format("{} COFF symbols: more than the {} allowed",
                                                     header->NumberOfSymbols, kMaxCoffSymbols)});
    const std::uint64_t tableBytes = std::uint64_t{header->NumberOfSymbols} * pe::kCoffSymbolSize;
    const auto table = sliceAt(file, header->PointerToSymbolTable, tableBytes);
    if (!table)
        return std::unexpected(LoadError{fmt::format(
            "truncated: the COFF symbol table at {:#x} ({} symbols) runs past the end of the file",
            header->PointerToSymbolTable, header->NumberOfSymbols)});
    // The string table follows; its first four bytes are its size, themselves included.
    const std::uint64_t stringsAt = std::uint64_t{header->PointerToSymbolTable} + tableBytes;
    const auto stringsSize = readAt<std::uint32_t>(file, stringsAt);
    const auto strings = stringsSize ? sliceAt(file, stringsAt, *stringsSize)
                                     : std::optional<std::span<const std::byte>>();
    for (std::uint32_t i = 0; i < header->NumberOfSymbols; ++i) {
        const auto record =
            *readAt<CoffSymbolRecord>(*table, std::uint64_t{i} * pe::kCoffSymbolSize);
        i += record.auxiliaryCount;  // auxiliary records describe the one before them
        if (record.sectionNumber <= 0 ||
            static_cast<std::size_t>(record.sectionNumber) > sections.size() ||
            (record.storageClass != kClassExternal && record.storageClass != kClassStatic))
            continue;
        std::string name;
        std::uint32_t zeroes;
        std::memcpy(&zeroes, record.shortName, 4);
        if (zeroes != 0) {
            name.assign(record.shortName, std::find(record.shortName, record.shortName + 8, '\0'));
        } else {
            std::uint32_t offset;
            std::memcpy(&offset, record.shortName + 4, 4);
            const auto text = strings && offset >= 4 ? cStringAt(*strings, offset, kMaxNameLength)
                                                     : std::unexpected(CStringFault::OutOfRange);
            if (!text)
                return std::unexpected(LoadError{fmt::format(
                    "COFF symbol {}: its name at string-table offset {:#x} is not in the table", i,
                    offset)});
            name = *text;
        }
        if (name.empty() || name.front() == '.')
            continue;  // section symbols (.text, .rdata$zzz) and the like
        const Section& section = sections[static_cast<std::size_t>(record.sectionNumber) - 1];
        symbols.push_back({std::move(name), section.virtualAddress + record.value,
                           (record.type & 0x30) == kTypeFunction,
                           record.storageClass == kClassExternal});
    }
    return symbols;
}

}  // namespace ntoy::ldr
