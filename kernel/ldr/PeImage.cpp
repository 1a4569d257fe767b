#include "kernel/ldr/PeImage.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "kernel/base/Types.h"
#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/BoundedRead.h"

namespace ntoy::ldr {

namespace {

// Sections must start on page boundaries, or they could not have their own protections.
constexpr std::uint32_t kMinSectionAlignment = kPageSize;
constexpr std::uint32_t kMinFileAlignment = 0x200;
constexpr std::uint32_t kMaxFileAlignment = 0x10000;
constexpr std::size_t kMaxLongSectionNameLength = 256;

std::string_view machineName(std::uint16_t machine) {
    switch (machine) {
        case pe::kMachineI386:
            return "i386";
        case pe::kMachineArm:
            return "ARM";
        case pe::kMachineArmNt:
            return "ARM Thumb-2";
        case pe::kMachineIa64:
            return "Itanium";
        case pe::kMachineEbc:
            return "EFI byte code";
        case pe::kMachineRiscV32:
            return "RISC-V 32";
        case pe::kMachineRiscV64:
            return "RISC-V 64";
        case pe::kMachineArm64Ec:
            return "ARM64EC";
        case pe::kMachineArm64:
            return "ARM64";
        case pe::kMachineUnknown:
            return "unknown";
        default:
            return {};
    }
}

std::string_view directoryName(std::size_t index) {
    static constexpr std::string_view kNames[pe::kNumberOfDirectoryEntries] = {
        "export", "import",       "resource",       "exception", "security",    "base relocation",
        "debug",  "architecture", "global pointer", "TLS",       "load config", "bound import",
        "IAT",    "delay import", "CLR runtime",    "reserved",
    };
    return kNames[index];
}

// The header fields parse() has checked so far.
struct Headers {
    std::uint64_t ntOffset = 0;
    pe::ImageFileHeader file{};
    pe::ImageOptionalHeader64 optional{};
    std::array<pe::ImageDataDirectory, pe::kNumberOfDirectoryEntries> directories{};
    std::uint64_t sectionTableOffset = 0;
    std::uint64_t sectionTableEnd = 0;
};

// The offset of the PE signature.
std::expected<std::uint64_t, LoadError> checkDosHeader(std::span<const std::byte> file) {
    if (file.empty()) {
        return loadFailure("empty file");
    }
    if (file.size() < sizeof(std::uint16_t)) {
        return loadFailure(
            fmt::format("file of {} byte is too small to be a PE image", file.size()));
    }
    if (*readAt<std::uint16_t>(file, 0) != pe::kDosMagic) {
        return loadFailure("not a PE image: no MZ signature");
    }
    auto dos = readAt<pe::ImageDosHeader>(file, 0);
    if (!dos) {
        return loadFailure(fmt::format("truncated: DOS header ends at {:#x} past end of file {:#x}",
                                       sizeof(pe::ImageDosHeader), file.size()));
    }
    const std::uint64_t lfanew = dos->e_lfanew;
    if (lfanew < sizeof(pe::ImageDosHeader)) {
        return loadFailure(fmt::format("e_lfanew {:#x} points into the DOS header", lfanew));
    }
    if (lfanew % 4 != 0) {
        return loadFailure(fmt::format("e_lfanew {:#x} is not 4-byte aligned", lfanew));
    }
    if (lfanew >= file.size()) {
        return loadFailure(
            fmt::format("e_lfanew {:#x} points past end of file {:#x}", lfanew, file.size()));
    }
    return lfanew;
}

std::expected<Headers, LoadError> checkNtHeaders(std::span<const std::byte> file,
                                                 std::uint64_t ntOffset) {
    Headers headers;
    headers.ntOffset = ntOffset;
    auto signature = readAt<std::uint32_t>(file, ntOffset);
    if (!signature) {
        return loadFailure(fmt::format(
            "truncated: PE signature at {:#x} runs past end of file {:#x}", ntOffset, file.size()));
    }
    if (*signature != pe::kNtSignature) {
        return loadFailure(fmt::format("bad PE signature {:#010x} at {:#x} (expected \"PE\\0\\0\")",
                                       *signature, ntOffset));
    }
    auto fileHeader = readAt<pe::ImageFileHeader>(file, ntOffset + pe::kFileHeaderOffsetInNt);
    if (!fileHeader) {
        return loadFailure(
            fmt::format("truncated: COFF file header ends at {:#x} past end of file {:#x}",
                        ntOffset + pe::kOptionalHeaderOffsetInNt, file.size()));
    }
    headers.file = *fileHeader;
    if (fileHeader->Machine != pe::kMachineAmd64) {
        auto name = machineName(fileHeader->Machine);
        return loadFailure(
            name.empty() ? fmt::format("not an x86-64 image (machine {:#x})", fileHeader->Machine)
                         : fmt::format("not an x86-64 image (machine {:#x}, {})",
                                       fileHeader->Machine, name));
    }
    if ((fileHeader->Characteristics & pe::kFileExecutableImage) == 0) {
        return loadFailure("not an executable image (IMAGE_FILE_EXECUTABLE_IMAGE is clear)");
    }

    const std::uint64_t optionalOffset = ntOffset + pe::kOptionalHeaderOffsetInNt;
    const std::uint64_t optionalSize = fileHeader->SizeOfOptionalHeader;
    // The magic decides which header layout the rest follows, so judge it before the size.
    auto magic = optionalSize >= sizeof(std::uint16_t) ? readAt<std::uint16_t>(file, optionalOffset)
                                                       : std::nullopt;
    if (magic == pe::kOptionalMagicPe32) {
        return loadFailure("PE32 (32-bit) images are not supported");
    }
    if (magic && *magic != pe::kOptionalMagicPe32Plus) {
        return loadFailure(fmt::format("unknown optional header magic {:#x}", *magic));
    }
    if (optionalSize < sizeof(pe::ImageOptionalHeader64)) {
        return loadFailure(fmt::format(
            "SizeOfOptionalHeader {:#x} is smaller than the {:#x}-byte PE32+ optional header",
            optionalSize, sizeof(pe::ImageOptionalHeader64)));
    }
    if (optionalOffset + optionalSize > file.size()) {
        return loadFailure(
            fmt::format("truncated: optional header ends at {:#x} past end of file {:#x}",
                        optionalOffset + optionalSize, file.size()));
    }
    headers.optional = *readAt<pe::ImageOptionalHeader64>(file, optionalOffset);

    const std::uint32_t directoryCount = headers.optional.NumberOfRvaAndSizes;
    if (directoryCount > pe::kNumberOfDirectoryEntries) {
        return loadFailure(fmt::format("NumberOfRvaAndSizes {} exceeds {}", directoryCount,
                                       pe::kNumberOfDirectoryEntries));
    }
    const std::uint64_t neededSize = sizeof(pe::ImageOptionalHeader64) +
                                     std::uint64_t{directoryCount} * sizeof(pe::ImageDataDirectory);
    if (optionalSize < neededSize) {
        return loadFailure(
            fmt::format("SizeOfOptionalHeader {:#x} cannot hold {} data directories (needs {:#x})",
                        optionalSize, directoryCount, neededSize));
    }
    // Entries past NumberOfRvaAndSizes are not directories even if bytes are there.
    for (std::uint32_t i = 0; i < directoryCount; ++i) {
        headers.directories[i] = *readAt<pe::ImageDataDirectory>(
            file, optionalOffset + sizeof(pe::ImageOptionalHeader64) +
                      std::uint64_t{i} * sizeof(pe::ImageDataDirectory));
    }

    const std::uint32_t sectionCount = fileHeader->NumberOfSections;
    if (sectionCount == 0) {
        return loadFailure("image has no sections");
    }
    if (sectionCount > kMaxSections) {
        return loadFailure(
            fmt::format("NumberOfSections {} exceeds {}", sectionCount, kMaxSections));
    }
    headers.sectionTableOffset = optionalOffset + optionalSize;
    headers.sectionTableEnd =
        headers.sectionTableOffset + std::uint64_t{sectionCount} * sizeof(pe::ImageSectionHeader);
    if (headers.sectionTableEnd > file.size()) {
        return loadFailure(
            fmt::format("truncated: section table ends at {:#x} past end of file {:#x}",
                        headers.sectionTableEnd, file.size()));
    }
    return headers;
}

// Alignments, ImageBase, SizeOfImage and SizeOfHeaders, each on its own and against the file.
std::expected<void, LoadError> checkImageGeometry(const Headers& headers, std::uint64_t fileSize) {
    const auto& opt = headers.optional;
    if (!std::has_single_bit(opt.SectionAlignment)) {
        return loadFailure(
            fmt::format("SectionAlignment {:#x} is not a power of two", opt.SectionAlignment));
    }
    if (opt.SectionAlignment < kMinSectionAlignment) {
        return loadFailure(fmt::format("SectionAlignment {:#x} is below the {:#x}-byte page size",
                                       opt.SectionAlignment, kMinSectionAlignment));
    }
    if (!std::has_single_bit(opt.FileAlignment)) {
        return loadFailure(
            fmt::format("FileAlignment {:#x} is not a power of two", opt.FileAlignment));
    }
    if (opt.FileAlignment < kMinFileAlignment || opt.FileAlignment > kMaxFileAlignment) {
        return loadFailure(fmt::format("FileAlignment {:#x} is outside {:#x}..{:#x}",
                                       opt.FileAlignment, kMinFileAlignment, kMaxFileAlignment));
    }
    if (opt.FileAlignment > opt.SectionAlignment) {
        return loadFailure(fmt::format("FileAlignment {:#x} exceeds SectionAlignment {:#x}",
                                       opt.FileAlignment, opt.SectionAlignment));
    }
    if (opt.ImageBase % kAllocationGranularity != 0) {
        return loadFailure(fmt::format("ImageBase {:#x} is not 64 KiB-aligned", opt.ImageBase));
    }
    if (opt.SizeOfImage == 0) {
        return loadFailure("SizeOfImage is 0");
    }
    if (opt.SizeOfImage > kMaxImageSize) {
        return loadFailure(fmt::format("SizeOfImage {:#x} exceeds the {:#x}-byte limit",
                                       opt.SizeOfImage, kMaxImageSize));
    }
    if (opt.SizeOfImage % opt.SectionAlignment != 0) {
        return loadFailure(
            fmt::format("SizeOfImage {:#x} is not a multiple of SectionAlignment {:#x}",
                        opt.SizeOfImage, opt.SectionAlignment));
    }
    if (opt.ImageBase > std::numeric_limits<std::uint64_t>::max() - opt.SizeOfImage) {
        return loadFailure(
            fmt::format("ImageBase {:#x} + SizeOfImage {:#x} wraps around the address space",
                        opt.ImageBase, opt.SizeOfImage));
    }
    if (opt.SizeOfHeaders < headers.sectionTableEnd) {
        return loadFailure(
            fmt::format("SizeOfHeaders {:#x} does not cover the section table ending at {:#x}",
                        opt.SizeOfHeaders, headers.sectionTableEnd));
    }
    if (opt.SizeOfHeaders > opt.SizeOfImage) {
        return loadFailure(fmt::format("SizeOfHeaders {:#x} exceeds SizeOfImage {:#x}",
                                       opt.SizeOfHeaders, opt.SizeOfImage));
    }
    if (opt.SizeOfHeaders > fileSize) {
        return loadFailure(fmt::format("truncated: headers end at {:#x} past end of file {:#x}",
                                       opt.SizeOfHeaders, fileSize));
    }
    return {};
}

// Names longer than eight characters are stored as "/<offset>" into the COFF string table.
// Only unstripped images have one; when it is missing or damaged the "/<offset>" name stays,
// as it is only a name and the image loads the same either way.
std::string sectionName(std::span<const std::byte> file, const pe::ImageFileHeader& fileHeader,
                        const pe::ImageSectionHeader& header) {
    const char* nameEnd = std::find(header.Name, header.Name + pe::kSectionNameSize, '\0');
    const std::string shortName(header.Name, nameEnd);
    if (shortName.size() < 2 || shortName[0] != '/' || fileHeader.PointerToSymbolTable == 0) {
        return shortName;
    }
    std::uint32_t offset = 0;
    const char* digitsEnd = shortName.data() + shortName.size();
    auto [end, ec] = std::from_chars(shortName.data() + 1, digitsEnd, offset);
    if (ec != std::errc{} || end != digitsEnd) {
        return shortName;
    }
    const std::uint64_t tableOffset =
        std::uint64_t{fileHeader.PointerToSymbolTable} +
        std::uint64_t{fileHeader.NumberOfSymbols} * pe::kCoffSymbolSize;
    auto tableSize = readAt<std::uint32_t>(file, tableOffset);
    if (!tableSize || offset < sizeof(std::uint32_t) || offset >= *tableSize) {
        return shortName;
    }
    auto table = sliceAt(file, tableOffset, *tableSize);
    if (!table) {
        return shortName;
    }
    auto longName = cStringAt(*table, offset, kMaxLongSectionNameLength);
    if (!longName || longName->empty()) {
        return shortName;
    }
    return std::string(*longName);
}

// Reads and validates the section table; also checks SizeOfImage against the sections.
std::expected<std::vector<Section>, LoadError> checkSections(std::span<const std::byte> file,
                                                             const Headers& headers) {
    const auto& opt = headers.optional;
    std::vector<Section> sections;
    sections.reserve(headers.file.NumberOfSections);
    std::uint64_t previousEnd = 0;
    std::string previousLabel;
    std::uint64_t mappedEnd = opt.SizeOfHeaders;
    for (std::uint32_t i = 0; i < headers.file.NumberOfSections; ++i) {
        const auto header = *readAt<pe::ImageSectionHeader>(
            file, headers.sectionTableOffset + std::uint64_t{i} * sizeof(pe::ImageSectionHeader));
        Section section{
            .name = sectionName(file, headers.file, header),
            .virtualAddress = header.VirtualAddress,
            .virtualSize = header.VirtualSize,
            .pointerToRawData = header.PointerToRawData,
            .sizeOfRawData = header.SizeOfRawData,
            .characteristics = header.Characteristics,
        };
        const std::string label =
            section.name.empty() ? fmt::format("#{}", i) : printableAscii(section.name);
        const std::uint64_t start = section.virtualAddress;
        const std::uint64_t end = start + section.virtualExtent();
        if (start % opt.SectionAlignment != 0) {
            return loadFailure(fmt::format(
                "section {} VirtualAddress {:#x} is not a multiple of SectionAlignment {:#x}",
                label, start, opt.SectionAlignment));
        }
        if (start < opt.SizeOfHeaders) {
            return loadFailure(
                fmt::format("section {} at RVA {:#x} overlaps the headers (SizeOfHeaders {:#x})",
                            label, start, opt.SizeOfHeaders));
        }
        if (end > opt.SizeOfImage) {
            return loadFailure(
                fmt::format("section {} virtual range {:#x}..{:#x} lies past SizeOfImage {:#x}",
                            label, start, end, opt.SizeOfImage));
        }
        if (i > 0 && start < sections.back().virtualAddress) {
            return loadFailure(fmt::format(
                "section {} at RVA {:#x} follows section {} at RVA {:#x}: sections must be sorted",
                label, start, previousLabel, sections.back().virtualAddress));
        }
        if (i > 0 && start < previousEnd) {
            return loadFailure(
                fmt::format("section {} at RVA {:#x} overlaps section {} ({:#x}..{:#x})", label,
                            start, previousLabel, sections.back().virtualAddress, previousEnd));
        }
        if (section.sizeOfRawData != 0) {
            const std::uint64_t rawEnd =
                std::uint64_t{section.pointerToRawData} + section.sizeOfRawData;
            if (rawEnd > file.size()) {
                return loadFailure(fmt::format(
                    "truncated: section {} raw data ends at {:#x} past end of file {:#x}", label,
                    rawEnd, file.size()));
            }
        }
        previousEnd = end;
        previousLabel = label;
        mappedEnd = std::max(mappedEnd, end);
        sections.push_back(std::move(section));
    }
    // Every section already ends within SizeOfImage; it must not reserve more than they use.
    const std::uint64_t expectedSize = alignUp(mappedEnd, opt.SectionAlignment);
    if (opt.SizeOfImage != expectedSize) {
        return loadFailure(fmt::format(
            "SizeOfImage {:#x} reaches past the end of the last section (expected {:#x})",
            opt.SizeOfImage, expectedSize));
    }
    return sections;
}

std::expected<void, LoadError> checkEntryPoint(const Headers& headers) {
    const auto& opt = headers.optional;
    if (opt.AddressOfEntryPoint == 0) {
        if ((headers.file.Characteristics & pe::kFileDll) == 0) {
            return loadFailure("EXE has no entry point (AddressOfEntryPoint is 0)");
        }
        return {};
    }
    if (opt.AddressOfEntryPoint >= opt.SizeOfImage) {
        return loadFailure(
            fmt::format("entry point RVA {:#x} lies outside the image (SizeOfImage {:#x})",
                        opt.AddressOfEntryPoint, opt.SizeOfImage));
    }
    return {};
}

// Clears absent directories to {0, 0} and checks that present ones lie inside the image.
std::expected<void, LoadError> checkDirectories(Headers& headers) {
    const auto security = static_cast<std::size_t>(pe::DirectoryIndex::Security);
    for (std::size_t i = 0; i < headers.directories.size(); ++i) {
        auto& directory = headers.directories[i];
        if (directory.VirtualAddress == 0) {
            directory.Size = 0;
            continue;
        }
        if (i == security) {
            continue;
        }
        const std::uint64_t end = std::uint64_t{directory.VirtualAddress} + directory.Size;
        if (end > headers.optional.SizeOfImage) {
            return loadFailure(fmt::format(
                "data directory {} ({}) {:#x}+{:#x} lies outside the image (SizeOfImage {:#x})", i,
                directoryName(i), directory.VirtualAddress, directory.Size,
                headers.optional.SizeOfImage));
        }
    }
    return {};
}

std::vector<std::byte> layOut(std::span<const std::byte> file, const Headers& headers,
                              std::span<const Section> sections) {
    std::vector<std::byte> mapped(headers.optional.SizeOfImage);
    auto headerBytes = file.first(headers.optional.SizeOfHeaders);
    std::ranges::copy(headerBytes, mapped.begin());
    for (const Section& section : sections) {
        const std::uint32_t count = std::min(section.sizeOfRawData, section.virtualExtent());
        // Sections without raw data may have any PointerToRawData; only the others were checked.
        if (count == 0) {
            continue;
        }
        auto raw = file.subspan(section.pointerToRawData, count);
        std::ranges::copy(raw, mapped.begin() + section.virtualAddress);
    }
    return mapped;
}

}  // namespace

std::expected<PeImage, LoadError> PeImage::parse(std::span<const std::byte> file) {
    auto ntOffset = checkDosHeader(file);
    if (!ntOffset) {
        return std::unexpected(ntOffset.error());
    }
    auto headers = checkNtHeaders(file, *ntOffset);
    if (!headers) {
        return std::unexpected(headers.error());
    }
    if (auto geometry = checkImageGeometry(*headers, file.size()); !geometry) {
        return std::unexpected(geometry.error());
    }
    auto sections = checkSections(file, *headers);
    if (!sections) {
        return std::unexpected(sections.error());
    }
    if (auto entry = checkEntryPoint(*headers); !entry) {
        return std::unexpected(entry.error());
    }
    if (auto directories = checkDirectories(*headers); !directories) {
        return std::unexpected(directories.error());
    }

    PeImage image;
    image.fileHeader_ = headers->file;
    image.optional_ = headers->optional;
    image.directories_ = headers->directories;
    // Inside the headers, which are mapped: SizeOfHeaders covers the whole optional header.
    image.imageBaseFieldRva_ =
        static_cast<std::uint32_t>(headers->ntOffset + pe::kOptionalHeaderOffsetInNt +
                                   offsetof(pe::ImageOptionalHeader64, ImageBase));
    image.mapped_ = layOut(file, *headers, *sections);
    image.sections_ = std::move(*sections);

    auto relocations = RelocationTable::parse(
        image.mapped_, image.dataDirectory(pe::DirectoryIndex::BaseRelocation));
    if (!relocations) {
        return std::unexpected(relocations.error());
    }
    image.relocations_ = std::move(*relocations);
    auto imports = parseImports(image.mapped_, image.dataDirectory(pe::DirectoryIndex::Import));
    if (!imports) {
        return std::unexpected(imports.error());
    }
    image.imports_ = std::move(*imports);
    auto exports =
        ExportTable::parse(image.mapped_, image.dataDirectory(pe::DirectoryIndex::Export));
    if (!exports) {
        return std::unexpected(exports.error());
    }
    image.exports_ = std::move(*exports);
    return image;
}

pe::ImageDataDirectory PeImage::dataDirectory(pe::DirectoryIndex index) const {
    return directories_[static_cast<std::size_t>(index)];
}

std::expected<void, LoadError> PeImage::layout(std::span<std::byte> target) const {
    if (target.size() != mapped_.size()) {
        return loadFailure(fmt::format("layout target is {:#x} bytes but the image is {:#x}",
                                       target.size(), mapped_.size()));
    }
    std::ranges::copy(mapped_, target.begin());
    return {};
}

std::optional<std::span<const std::byte>> PeImage::bytesAtRva(std::uint32_t rva,
                                                              std::uint32_t size) const {
    return sliceAt(mappedImage(), rva, size);
}

std::expected<void, LoadError> PeImage::applyRelocations(std::span<std::byte> target,
                                                         std::uint64_t newBase) const {
    if (target.size() != mapped_.size()) {
        return loadFailure(fmt::format("relocation target is {:#x} bytes but the image is {:#x}",
                                       target.size(), mapped_.size()));
    }
    if (newBase == imageBase()) {
        return {};
    }
    if (relocationsStripped()) {
        return loadFailure(fmt::format(
            "relocations were stripped (IMAGE_FILE_RELOCS_STRIPPED): cannot move the image from "
            "{:#x} to {:#x}",
            imageBase(), newBase));
    }
    if (newBase % kPageSize != 0) {
        return loadFailure(fmt::format("new image base {:#x} is not page-aligned", newBase));
    }
    if (newBase > std::numeric_limits<std::uint64_t>::max() - sizeOfImage()) {
        return loadFailure(
            fmt::format("new image base {:#x} + SizeOfImage {:#x} wraps around the address space",
                        newBase, sizeOfImage()));
    }
    // Unsigned wrap-around makes a move to a lower base come out right.
    relocations_.apply(target, newBase - imageBase());
    // Windows keeps the mapped header's ImageBase equal to where the image really is.
    writeAt<std::uint64_t>(target, imageBaseFieldRva_, newBase);
    return {};
}

}  // namespace ntoy::ldr
