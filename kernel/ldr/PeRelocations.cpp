#include "kernel/ldr/PeRelocations.h"

#include <fmt/format.h>

#include "kernel/ldr/BoundedRead.h"

namespace ntoy::ldr {

namespace {

// How many bytes at the target a supported relocation type rewrites; 0 for unsupported types.
std::uint64_t targetWidth(std::uint8_t type) {
    switch (type) {
        case pe::kRelBasedDir64:
            return 8;
        case pe::kRelBasedHighLow:
            return 4;
        default:
            return 0;
    }
}

}  // namespace

std::string_view relocationTypeName(std::uint8_t type) {
    switch (type) {
        case pe::kRelBasedAbsolute:
            return "ABSOLUTE";
        case pe::kRelBasedHigh:
            return "HIGH";
        case pe::kRelBasedLow:
            return "LOW";
        case pe::kRelBasedHighLow:
            return "HIGHLOW";
        case pe::kRelBasedHighAdj:
            return "HIGHADJ";
        case 5:
            return "MIPS_JMPADDR/ARM_MOV32";
        case 7:
            return "THUMB_MOV32";
        case 9:
            return "MIPS_JMPADDR16";
        case pe::kRelBasedDir64:
            return "DIR64";
        default:
            return "unknown";
    }
}

std::expected<RelocationTable, LoadError> RelocationTable::parse(std::span<const std::byte> image,
                                                                 pe::ImageDataDirectory directory) {
    RelocationTable table;
    if (directory.VirtualAddress == 0 || directory.Size == 0) {
        return table;
    }
    auto blocks = sliceAt(image, directory.VirtualAddress, directory.Size);
    if (!blocks) {
        return loadFailure(
            fmt::format("relocation directory {:#x}+{:#x} lies outside the image (size {:#x})",
                        directory.VirtualAddress, directory.Size, image.size()));
    }
    std::uint64_t offset = 0;
    while (offset < blocks->size()) {
        const std::uint64_t blockRva = directory.VirtualAddress + offset;
        auto header = readAt<pe::ImageBaseRelocation>(*blocks, offset);
        if (!header) {
            return loadFailure(fmt::format(
                "relocation directory has {:#x} trailing bytes at RVA {:#x}, too few for a block",
                blocks->size() - offset, blockRva));
        }
        if (header->SizeOfBlock < sizeof(pe::ImageBaseRelocation) || header->SizeOfBlock % 2 != 0) {
            return loadFailure(
                fmt::format("relocation block at RVA {:#x} has invalid SizeOfBlock {:#x}", blockRva,
                            header->SizeOfBlock));
        }
        auto entries = sliceAt(*blocks, offset + sizeof(pe::ImageBaseRelocation),
                               header->SizeOfBlock - sizeof(pe::ImageBaseRelocation));
        if (!entries) {
            return loadFailure(fmt::format(
                "relocation block at RVA {:#x} (SizeOfBlock {:#x}) runs past the end of the "
                "relocation directory",
                blockRva, header->SizeOfBlock));
        }
        if (header->VirtualAddress >= image.size()) {
            return loadFailure(fmt::format(
                "relocation block at RVA {:#x} targets page {:#x} outside the image (size {:#x})",
                blockRva, header->VirtualAddress, image.size()));
        }
        for (std::uint64_t at = 0; at < entries->size(); at += 2) {
            const auto entry = *readAt<std::uint16_t>(*entries, at);
            const auto type = static_cast<std::uint8_t>(entry >> 12);
            const std::uint64_t target = std::uint64_t{header->VirtualAddress} + (entry & 0xFFF);
            if (type == pe::kRelBasedAbsolute) {
                continue;  // padding that keeps blocks 4-byte aligned
            }
            const std::uint64_t width = targetWidth(type);
            if (width == 0) {
                return loadFailure(
                    fmt::format("relocation at RVA {:#x} has unsupported type {} ({})", target,
                                type, relocationTypeName(type)));
            }
            if (!sliceAt(image, target, width)) {
                return loadFailure(
                    fmt::format("relocation at RVA {:#x} ({}) lies outside the image (size {:#x})",
                                target, relocationTypeName(type), image.size()));
            }
            table.entries_.push_back(
                BaseRelocation{.rva = static_cast<std::uint32_t>(target), .type = type});
        }
        offset += header->SizeOfBlock;
    }
    return table;
}

void RelocationTable::apply(std::span<std::byte> image, std::uint64_t delta) const {
    for (const BaseRelocation& relocation : entries_) {
        if (relocation.type == pe::kRelBasedDir64) {
            auto value = readAt<std::uint64_t>(image, relocation.rva);
            if (value) {
                writeAt<std::uint64_t>(image, relocation.rva, *value + delta);
            }
        } else {
            auto value = readAt<std::uint32_t>(image, relocation.rva);
            if (value) {
                // HIGHLOW takes the low half of the delta, as on Windows.
                writeAt<std::uint32_t>(image, relocation.rva,
                                       *value + static_cast<std::uint32_t>(delta));
            }
        }
    }
}

}  // namespace ntoy::ldr
