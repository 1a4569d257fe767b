// A validated PE32+ (x86-64) image: its headers, its sections, the image as it appears in
// memory, and its imports, exports and base relocations. parse() checks everything up front,
// so once it succeeds every later step works on trusted, in-bounds data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PageProtection.h"
#include "kernel/ldr/PeExports.h"
#include "kernel/ldr/PeFormat.h"
#include "kernel/ldr/PeImports.h"
#include "kernel/ldr/PeRelocations.h"

namespace ntoy::ldr {

struct Section {
    std::string name;  // long "/123" names resolved through the COFF string table when present
    std::uint32_t virtualAddress = 0;
    std::uint32_t virtualSize = 0;  // as in the header: 0 means "use sizeOfRawData"
    std::uint32_t pointerToRawData = 0;
    std::uint32_t sizeOfRawData = 0;
    std::uint32_t characteristics = 0;

    // Bytes the section spans in memory (before rounding up to the section alignment).
    std::uint32_t virtualExtent() const { return virtualSize != 0 ? virtualSize : sizeOfRawData; }
    // PAGE_* value for the section's pages.
    std::uint32_t protection() const { return sectionPageProtection(characteristics); }
};

// Far beyond any image ntoy runs; keeps a hostile SizeOfImage from exhausting host memory.
inline constexpr std::uint32_t kMaxImageSize = 0x10000000;
inline constexpr std::size_t kMaxSections = 96;

class PeImage {
public:
    // Validates `file` completely and lays it out; the result does not refer to `file`.
    static std::expected<PeImage, LoadError> parse(std::span<const std::byte> file);

    std::uint64_t imageBase() const { return optional_.ImageBase; }  // the preferred base
    std::uint32_t sizeOfImage() const { return optional_.SizeOfImage; }
    std::uint32_t sizeOfHeaders() const { return optional_.SizeOfHeaders; }
    std::uint32_t sectionAlignment() const { return optional_.SectionAlignment; }
    std::uint32_t fileAlignment() const { return optional_.FileAlignment; }
    // 0 only for a DLL without an entry point.
    std::uint32_t entryPointRva() const { return optional_.AddressOfEntryPoint; }
    bool hasEntryPoint() const { return optional_.AddressOfEntryPoint != 0; }
    std::uint16_t subsystem() const { return optional_.Subsystem; }
    std::uint16_t characteristics() const { return fileHeader_.Characteristics; }
    std::uint16_t dllCharacteristics() const { return optional_.DllCharacteristics; }
    std::uint64_t sizeOfStackReserve() const { return optional_.SizeOfStackReserve; }
    std::uint64_t sizeOfStackCommit() const { return optional_.SizeOfStackCommit; }
    std::uint64_t sizeOfHeapReserve() const { return optional_.SizeOfHeapReserve; }
    std::uint64_t sizeOfHeapCommit() const { return optional_.SizeOfHeapCommit; }

    bool isDll() const { return (characteristics() & pe::kFileDll) != 0; }
    bool isDynamicBase() const { return (dllCharacteristics() & pe::kDllDynamicBase) != 0; }
    bool isNxCompatible() const { return (dllCharacteristics() & pe::kDllNxCompat) != 0; }
    // The linker removed the relocations: the image can only run at imageBase().
    bool relocationsStripped() const { return (characteristics() & pe::kFileRelocsStripped) != 0; }
    // The image has at least one address to fix up when moved.
    bool hasRelocations() const { return !relocations_.empty(); }

    // {0, 0} for a directory the image does not have. Every present directory except Security
    // (which holds a file offset) lies inside the image.
    pe::ImageDataDirectory dataDirectory(pe::DirectoryIndex index) const;

    std::span<const Section> sections() const { return sections_; }
    static constexpr std::uint32_t headerProtection() { return kHeaderPageProtection; }

    // The image as it appears in memory at its preferred base: sizeOfImage() bytes.
    std::span<const std::byte> mappedImage() const { return mapped_; }
    // Copies mappedImage() into `target`, which must be exactly sizeOfImage() bytes.
    std::expected<void, LoadError> layout(std::span<std::byte> target) const;
    // Bounds-checked view of mappedImage() at an RVA.
    std::optional<std::span<const std::byte>> bytesAtRva(std::uint32_t rva,
                                                         std::uint32_t size) const;

    // Rebases a laid-out copy of the image (sizeOfImage() bytes) from imageBase() to newBase:
    // fixes every relocation target and the ImageBase field of the mapped optional header.
    std::expected<void, LoadError> applyRelocations(std::span<std::byte> mappedImage,
                                                    std::uint64_t newBase) const;
    std::span<const BaseRelocation> relocations() const { return relocations_.entries(); }

    std::span<const ImportedModule> imports() const { return imports_; }
    const ExportTable& exports() const { return exports_; }
    std::optional<ExportTarget> exportByName(std::string_view name) const {
        return exports_.findByName(name);
    }
    std::optional<ExportTarget> exportByOrdinal(std::uint16_t ordinal) const {
        return exports_.findByOrdinal(ordinal);
    }

private:
    PeImage() = default;

    pe::ImageFileHeader fileHeader_{};
    pe::ImageOptionalHeader64 optional_{};
    std::array<pe::ImageDataDirectory, pe::kNumberOfDirectoryEntries> directories_{};
    std::uint32_t imageBaseFieldRva_ = 0;
    std::vector<Section> sections_;
    std::vector<std::byte> mapped_;
    RelocationTable relocations_;
    std::vector<ImportedModule> imports_;
    ExportTable exports_;
};

}  // namespace ntoy::ldr
