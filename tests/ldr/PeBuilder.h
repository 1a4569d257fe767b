// Synthesizes small, valid PE32+ images in memory for the loader tests: headers, sections,
// and optionally an import directory, an export directory and base relocations, laid out the
// way GNU ld lays out mingw-w64 images (FileAlignment 0x200, SectionAlignment 0x1000).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/ldr/BoundedRead.h"
#include "kernel/ldr/PeFormat.h"

namespace ntoy::ldr::test {

// Where the builder puts the fixed headers; tests patch fields at these offsets.
inline constexpr std::uint32_t kNtOffset = 0x80;
inline constexpr std::uint32_t kFileHeaderOffset = kNtOffset + pe::kFileHeaderOffsetInNt;
inline constexpr std::uint32_t kOptionalHeaderOffset = kNtOffset + pe::kOptionalHeaderOffsetInNt;
inline constexpr std::uint32_t kSectionTableOffset =
    kOptionalHeaderOffset + sizeof(pe::ImageOptionalHeader64) +
    pe::kNumberOfDirectoryEntries * sizeof(pe::ImageDataDirectory);
inline constexpr std::uint32_t kFileAlignment = 0x200;
inline constexpr std::uint32_t kSectionAlignment = 0x1000;
inline constexpr std::uint64_t kDefaultImageBase = 0x140000000;

inline constexpr std::uint32_t kText = pe::kScnCntCode | pe::kScnMemExecute | pe::kScnMemRead;
inline constexpr std::uint32_t kRdata = pe::kScnCntInitializedData | pe::kScnMemRead;
inline constexpr std::uint32_t kData =
    pe::kScnCntInitializedData | pe::kScnMemRead | pe::kScnMemWrite;
inline constexpr std::uint32_t kBss =
    pe::kScnCntUninitializedData | pe::kScnMemRead | pe::kScnMemWrite;
inline constexpr std::uint32_t kReloc =
    pe::kScnCntInitializedData | pe::kScnMemRead | pe::kScnMemDiscardable;

// Overwrites the bytes at `offset` with `value`; the test fails loudly if that is out of range.
template <class T>
void poke(std::vector<std::byte>& bytes, std::uint64_t offset, const T& value) {
    if (!writeAt(std::span<std::byte>(bytes), offset, value)) {
        throw std::out_of_range("poke past the end of the test image");
    }
}

std::vector<std::byte> bytesOf(std::string_view text);

struct ImportSymbolSpec {
    std::string name;  // empty for an import by ordinal
    std::uint16_t hint = 0;
    std::uint16_t ordinal = 0;

    static ImportSymbolSpec byName(std::string name, std::uint16_t hint = 0) {
        return {std::move(name), hint, 0};
    }
    static ImportSymbolSpec byOrdinal(std::uint16_t ordinal) { return {{}, 0, ordinal}; }
};

struct ImportSpec {
    std::string dll;
    std::vector<ImportSymbolSpec> symbols;
};

struct ImportLayout {
    std::uint32_t directoryRva = 0;
    std::vector<std::uint32_t> descriptorRvas;  // one per DLL, then the terminator
    std::vector<std::uint32_t> dllNameRvas;
    std::vector<std::vector<std::uint32_t>> iatSlotRvas;  // [dll][symbol]
};

struct ExportSpec {
    std::string name;  // empty for an export by ordinal only
    std::uint16_t ordinal = 0;
    std::uint32_t rva = 0;
    std::string forwarder;  // when set, the export is forwarded and rva is ignored
};

struct ExportLayout {
    std::uint32_t directoryRva = 0;
    std::uint32_t directorySize = 0;
    std::uint32_t addressTableRva = 0;
};

class PeBuilder {
public:
    std::uint16_t machine = pe::kMachineAmd64;
    std::uint16_t characteristics = pe::kFileExecutableImage | pe::kFileLargeAddressAware;
    std::uint64_t imageBase = kDefaultImageBase;
    std::uint32_t entryPoint = 0;
    std::uint16_t subsystem = pe::kSubsystemWindowsCui;
    std::uint16_t dllCharacteristics =
        pe::kDllDynamicBase | pe::kDllNxCompat | pe::kDllHighEntropyVa;
    std::uint64_t stackReserve = 0x200000;
    std::uint64_t stackCommit = 0x1000;
    std::uint64_t heapReserve = 0x100000;
    std::uint64_t heapCommit = 0x1000;

    // The RVA the next added section will get.
    std::uint32_t nextRva() const { return nextRva_; }

    // Adds a section after the previous ones and returns its RVA. virtualSize defaults to the
    // data size; the raw data is padded with zeros to FileAlignment. Names longer than eight
    // characters go to a COFF string table.
    std::uint32_t addSection(std::string name, std::uint32_t characteristics,
                             std::vector<std::byte> data,
                             std::optional<std::uint32_t> virtualSize = std::nullopt);
    void setDirectory(pe::DirectoryIndex index, std::uint32_t rva, std::uint32_t size);

    // Each adds an ".idata" / ".edata" / ".reloc" section and points the directory at it.
    ImportLayout addImportSection(const std::vector<ImportSpec>& imports);
    ExportLayout addExportSection(const std::string& dllName, std::uint16_t ordinalBase,
                                  const std::vector<ExportSpec>& exports);
    // Adds a last section of one page of non-NUL bytes, so that a string starting in it runs
    // into the end of the image unterminated; returns its RVA.
    std::uint32_t addTailWithoutNul();
    void addRelocation(std::uint32_t rva, std::uint8_t type = pe::kRelBasedDir64);
    std::uint32_t addRelocationSection();

    std::vector<std::byte> build() const;

    // File offset of the byte at `rva` in what build() returns, if it has one.
    std::optional<std::uint32_t> fileOffsetOf(std::uint32_t rva) const;
    std::uint32_t sizeOfHeaders() const;

private:
    struct PendingSection {
        std::string name;
        std::uint32_t characteristics;
        std::uint32_t rva;
        std::uint32_t virtualSize;
        std::vector<std::byte> data;
    };
    std::uint32_t rawOffsetOf(std::size_t index) const;
    static std::uint32_t rawSizeOf(const PendingSection& section);

    std::vector<PendingSection> sections_;
    pe::ImageDataDirectory directories_[pe::kNumberOfDirectoryEntries]{};
    std::vector<std::pair<std::uint32_t, std::uint16_t>> relocations_;  // page, entry
    std::uint32_t nextRva_ = kSectionAlignment;
};

}  // namespace ntoy::ldr::test
