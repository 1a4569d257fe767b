// Damaged and hostile images: each must be rejected with its own clear one-line message, and
// none may make the parser read out of bounds.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "kernel/ldr/PeImage.h"
#include "tests/ldr/SampleImage.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr {
namespace {

using test::SampleImage;
using Bytes = std::vector<std::byte>;
using Dos = pe::ImageDosHeader;
using Coff = pe::ImageFileHeader;
using Opt = pe::ImageOptionalHeader64;
using SectionHeader = pe::ImageSectionHeader;
using Descriptor = pe::ImageImportDescriptor;
using ExportDir = pe::ImageExportDirectory;

// Sample sections, in order.
constexpr std::uint32_t kTextIndex = 0;
constexpr std::uint32_t kRdataIndex = 1;
constexpr std::uint32_t kDataIndex = 2;

constexpr std::uint64_t fileField(std::size_t offset) {
    return test::kFileHeaderOffset + offset;
}
constexpr std::uint64_t optionalField(std::size_t offset) {
    return test::kOptionalHeaderOffset + offset;
}
constexpr std::uint64_t directoryEntry(pe::DirectoryIndex index) {
    return test::kOptionalHeaderOffset + sizeof(Opt) +
           static_cast<std::size_t>(index) * sizeof(pe::ImageDataDirectory);
}
constexpr std::uint64_t sectionField(std::uint32_t index, std::size_t offset) {
    return test::kSectionTableOffset + index * sizeof(SectionHeader) + offset;
}

std::uint32_t fileOffset(const SampleImage& s, std::uint32_t rva) {
    auto offset = s.builder.fileOffsetOf(rva);
    if (!offset) {
        throw std::out_of_range("RVA has no file offset in the sample image");
    }
    return *offset;
}
std::uint64_t descriptorField(const SampleImage& s, std::size_t offset) {
    return fileOffset(s, s.imports.descriptorRvas[0]) + offset;
}
std::uint64_t exportField(const SampleImage& s, std::size_t offset) {
    return fileOffset(s, s.exports.directoryRva) + offset;
}

template <class T>
T peek(const Bytes& file, std::uint64_t offset) {
    T value;
    std::memcpy(&value, file.data() + offset, sizeof(T));
    return value;
}

template <class T>
Bytes with(const SampleImage& s, std::uint64_t offset, T value) {
    Bytes file = s.file;
    test::poke(file, offset, value);
    return file;
}

Bytes resized(const SampleImage& s, std::size_t size) {
    return Bytes(s.file.begin(), s.file.begin() + static_cast<std::ptrdiff_t>(size));
}

// The file offset of KERNEL32.dll's first import lookup entry.
std::uint64_t firstLookupEntry(const SampleImage& s) {
    return fileOffset(s, peek<std::uint32_t>(
                             s.file, descriptorField(s, offsetof(Descriptor, OriginalFirstThunk))));
}

struct MalformedCase {
    const char* name;
    Bytes (*make)(const SampleImage&);
    const char* expected;
};

const MalformedCase kCases[] = {
    // DOS header.
    {"EmptyFile", [](const SampleImage&) { return Bytes{}; }, "empty file"},
    {"OneByte", [](const SampleImage&) { return Bytes{std::byte{'M'}}; },
     "file of 1 byte is too small to be a PE image"},
    {"BadMz", [](const SampleImage& s) { return with(s, 0, std::uint16_t{0x5A4E}); },
     "not a PE image: no MZ signature"},
    {"TruncatedDosHeader", [](const SampleImage& s) { return resized(s, 0x20); },
     "truncated: DOS header ends at 0x40 past end of file 0x20"},
    {"LfanewPastEnd",
     [](const SampleImage& s) {
         return with(s, offsetof(Dos, e_lfanew), std::uint32_t{0x10000000});
     },
     "e_lfanew 0x10000000 points past end of file"},
    {"LfanewIntoDosHeader",
     [](const SampleImage& s) { return with(s, offsetof(Dos, e_lfanew), std::uint32_t{0x20}); },
     "e_lfanew 0x20 points into the DOS header"},
    {"LfanewUnaligned",
     [](const SampleImage& s) { return with(s, offsetof(Dos, e_lfanew), std::uint32_t{0x82}); },
     "e_lfanew 0x82 is not 4-byte aligned"},
    // PE signature and COFF header.
    {"BadPeSignature",
     [](const SampleImage& s) { return with(s, test::kNtOffset, std::uint32_t{0x00005850}); },
     "bad PE signature 0x00005850 at 0x80"},
    {"TruncatedPeSignature", [](const SampleImage& s) { return resized(s, test::kNtOffset + 2); },
     "truncated: PE signature at 0x80 runs past end of file 0x82"},
    {"TruncatedCoffHeader", [](const SampleImage& s) { return resized(s, test::kNtOffset + 10); },
     "truncated: COFF file header ends at 0x98 past end of file 0x8a"},
    {"I386Machine",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, Machine)), pe::kMachineI386);
     },
     "not an x86-64 image (machine 0x14c, i386)"},
    {"UnknownMachine",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, Machine)), std::uint16_t{0x1234});
     },
     "not an x86-64 image (machine 0x1234)"},
    {"NotExecutable",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, Characteristics)), pe::kFileLargeAddressAware);
     },
     "not an executable image (IMAGE_FILE_EXECUTABLE_IMAGE is clear)"},
    // Optional header.
    {"Pe32Magic",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, Magic)), pe::kOptionalMagicPe32);
     },
     "PE32 (32-bit) images are not supported"},
    {"UnknownMagic",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, Magic)), std::uint16_t{0x107});
     },
     "unknown optional header magic 0x107"},
    {"OptionalHeaderTooSmall",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, SizeOfOptionalHeader)), std::uint16_t{0x60});
     },
     "SizeOfOptionalHeader 0x60 is smaller than the 0x70-byte PE32+ optional header"},
    {"TruncatedOptionalHeader",
     [](const SampleImage& s) { return resized(s, test::kOptionalHeaderOffset + 0x50); },
     "truncated: optional header ends at 0x188 past end of file 0xe8"},
    {"TooManyDataDirectories",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, NumberOfRvaAndSizes)), std::uint32_t{17});
     },
     "NumberOfRvaAndSizes 17 exceeds 16"},
    {"OptionalHeaderCannotHoldDirectories",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, SizeOfOptionalHeader)), std::uint16_t{0x80});
     },
     "SizeOfOptionalHeader 0x80 cannot hold 16 data directories (needs 0xf0)"},
    // Section table.
    {"NoSections",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, NumberOfSections)), std::uint16_t{0});
     },
     "image has no sections"},
    {"AbsurdNumberOfSections",
     [](const SampleImage& s) {
         return with(s, fileField(offsetof(Coff, NumberOfSections)), std::uint16_t{200});
     },
     "NumberOfSections 200 exceeds 96"},
    {"TruncatedSectionTable",
     [](const SampleImage& s) { return resized(s, test::kSectionTableOffset + 20); },
     "truncated: section table ends at 0x2a0 past end of file 0x19c"},
    // Alignments, base and sizes.
    {"SectionAlignmentNotPowerOfTwo",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SectionAlignment)), std::uint32_t{0x1800});
     },
     "SectionAlignment 0x1800 is not a power of two"},
    {"SectionAlignmentBelowPage",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SectionAlignment)), std::uint32_t{0x800});
     },
     "SectionAlignment 0x800 is below the 0x1000-byte page size"},
    {"FileAlignmentNotPowerOfTwo",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, FileAlignment)), std::uint32_t{0x300});
     },
     "FileAlignment 0x300 is not a power of two"},
    {"FileAlignmentTooSmall",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, FileAlignment)), std::uint32_t{0x100});
     },
     "FileAlignment 0x100 is outside 0x200..0x10000"},
    {"FileAlignmentAboveSectionAlignment",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, FileAlignment)), std::uint32_t{0x2000});
     },
     "FileAlignment 0x2000 exceeds SectionAlignment 0x1000"},
    {"ImageBaseUnaligned",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, ImageBase)), std::uint64_t{0x140001000});
     },
     "ImageBase 0x140001000 is not 64 KiB-aligned"},
    {"ZeroSizeOfImage",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfImage)), std::uint32_t{0});
     },
     "SizeOfImage is 0"},
    {"HugeSizeOfImage",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfImage)), std::uint32_t{0x20000000});
     },
     "SizeOfImage 0x20000000 exceeds the 0x10000000-byte limit"},
    {"SizeOfImageUnaligned",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfImage)), std::uint32_t{0x9010});
     },
     "SizeOfImage 0x9010 is not a multiple of SectionAlignment 0x1000"},
    {"ImageWrapsAddressSpace",
     [](const SampleImage& s) {
         // Needs more than the 64 KiB that separate the highest aligned base from 2^64.
         test::PeBuilder builder = s.builder;
         builder.addSection(".big", test::kBss, {}, 0x20000);
         builder.imageBase = 0xFFFFFFFFFFFF0000;
         return builder.build();
     },
     "ImageBase 0xffffffffffff0000 + SizeOfImage 0x29000 wraps around the address space"},
    {"HeadersMissSectionTable",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfHeaders)), std::uint32_t{0x100});
     },
     "SizeOfHeaders 0x100 does not cover the section table ending at 0x2a0"},
    {"HeadersLargerThanImage",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfHeaders)), std::uint32_t{0x100000});
     },
     "SizeOfHeaders 0x100000 exceeds SizeOfImage 0x9000"},
    {"TruncatedHeaders", [](const SampleImage& s) { return resized(s, 0x300); },
     "truncated: headers end at 0x400 past end of file 0x300"},
    // Sections.
    {"SectionUnaligned",
     [](const SampleImage& s) {
         return with(s, sectionField(kTextIndex, offsetof(SectionHeader, VirtualAddress)),
                     std::uint32_t{0x1100});
     },
     "section .text VirtualAddress 0x1100 is not a multiple of SectionAlignment 0x1000"},
    {"SectionOverlapsHeaders",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfHeaders)), std::uint32_t{0x1200});
     },
     "section .text at RVA 0x1000 overlaps the headers (SizeOfHeaders 0x1200)"},
    {"SectionPastSizeOfImage",
     [](const SampleImage& s) {
         return with(s, sectionField(kDataIndex, offsetof(SectionHeader, VirtualSize)),
                     std::uint32_t{0x100000});
     },
     "section .data virtual range 0x3000..0x103000 lies past SizeOfImage 0x9000"},
    {"SectionsUnsorted",
     [](const SampleImage& s) {
         Bytes file = s.file;
         const auto va = offsetof(SectionHeader, VirtualAddress);
         test::poke(file, sectionField(kTextIndex, va), s.rdataRva);
         test::poke(file, sectionField(kRdataIndex, va), s.textRva);
         return file;
     },
     "section .rdata at RVA 0x1000 follows section .text at RVA 0x2000: sections must be sorted"},
    {"SectionsOverlap",
     [](const SampleImage& s) {
         return with(s, sectionField(kTextIndex, offsetof(SectionHeader, VirtualSize)),
                     std::uint32_t{0x1800});
     },
     "section .rdata at RVA 0x2000 overlaps section .text (0x1000..0x2800)"},
    {"SectionRawDataPastEof",
     [](const SampleImage& s) {
         return with(s, sectionField(kTextIndex, offsetof(SectionHeader, SizeOfRawData)),
                     std::uint32_t{0x100000});
     },
     "truncated: section .text raw data ends at 0x100400 past end of file"},
    {"TruncatedLastSection", [](const SampleImage& s) { return resized(s, s.file.size() - 0x100); },
     "truncated: section .reloc raw data ends at"},
    {"UnprintableSectionName",
     [](const SampleImage& s) {
         Bytes file = with(s, sectionField(kTextIndex, offsetof(SectionHeader, Name)),
                           std::uint32_t{0x0A1B2E01});
         test::poke(file, sectionField(kTextIndex, offsetof(SectionHeader, SizeOfRawData)),
                    std::uint32_t{0x200000});
         return file;
     },
     "truncated: section ?.??t raw data ends at 0x200400"},
    {"SizeOfImageBeyondLastSection",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, SizeOfImage)), std::uint32_t{0xA000});
     },
     "SizeOfImage 0xa000 reaches past the end of the last section (expected 0x9000)"},
    {"ExeWithoutEntryPoint",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, AddressOfEntryPoint)), std::uint32_t{0});
     },
     "EXE has no entry point (AddressOfEntryPoint is 0)"},
    {"EntryPointOutsideImage",
     [](const SampleImage& s) {
         return with(s, optionalField(offsetof(Opt, AddressOfEntryPoint)), std::uint32_t{0x100000});
     },
     "entry point RVA 0x100000 lies outside the image (SizeOfImage 0x9000)"},
    {"DirectoryOutsideImage",
     [](const SampleImage& s) {
         return with(s, directoryEntry(pe::DirectoryIndex::Export),
                     pe::ImageDataDirectory{0x100000, 0x40});
     },
     "data directory 0 (export) 0x100000+0x40 lies outside the image (SizeOfImage 0x9000)"},
    // Imports.
    {"ImportNameOutOfRange",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, Name)), std::uint32_t{0x7FFFFFF0});
     },
     "import descriptor #0: DLL name RVA 0x7ffffff0 lies outside the image (size 0x9000)"},
    {"ImportNameUnterminatedAtImageEnd",
     [](const SampleImage& s) {
         test::PeBuilder builder = s.builder;
         const std::uint32_t tail = builder.addTailWithoutNul();
         Bytes file = builder.build();
         test::poke(file, descriptorField(s, offsetof(Descriptor, Name)), tail + 0xFF0);
         return file;
     },
     "import descriptor #0: DLL name at RVA 0x9ff0 is not NUL-terminated within the image"},
    {"EmptyImportName",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, Name)), s.bssRva);
     },
     "import descriptor #0: DLL name at RVA 0x4000 is empty"},
    {"ImportDescriptorsRunOffImage",
     [](const SampleImage& s) {
         return with(s, directoryEntry(pe::DirectoryIndex::Import),
                     pe::ImageDataDirectory{0x8FF8, 8});
     },
     "import descriptor #0 at RVA 0x8ff8 lies outside the image (no null terminator)"},
    {"ImportDescriptorWithoutName",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, Name)), std::uint32_t{0});
     },
     "import descriptor #0 has no DLL name"},
    {"ImportDescriptorWithoutIat",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, FirstThunk)), std::uint32_t{0});
     },
     "imports from KERNEL32.dll: no import address table"},
    {"ImportLookupTableOutOfRange",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, OriginalFirstThunk)),
                     std::uint32_t{0x8FFC});
     },
     "imports from KERNEL32.dll: lookup table at RVA 0x8ffc runs past the end of the image"},
    {"ImportIatOutOfRange",
     [](const SampleImage& s) {
         return with(s, descriptorField(s, offsetof(Descriptor, FirstThunk)),
                     std::uint32_t{0x8FFC});
     },
     "imports from KERNEL32.dll: IAT slot at RVA 0x8ffc lies outside the image"},
    {"ImportHintNameOutOfRange",
     [](const SampleImage& s) { return with(s, firstLookupEntry(s), std::uint64_t{0x7FFFFFF0}); },
     "imports from KERNEL32.dll: hint/name RVA 0x7ffffff0 lies outside the image"},
    {"ImportSymbolNameAtImageEnd",
     [](const SampleImage& s) { return with(s, firstLookupEntry(s), std::uint64_t{0x8FFE}); },
     "imports from KERNEL32.dll: symbol name RVA 0x9000 lies outside the image"},
    {"ImportSymbolNameUnterminated",
     [](const SampleImage& s) {
         test::PeBuilder builder = s.builder;
         const std::uint32_t tail = builder.addTailWithoutNul();
         Bytes file = builder.build();
         test::poke(file, firstLookupEntry(s), std::uint64_t{tail + 0xFF0});
         return file;
     },
     "imports from KERNEL32.dll: symbol name at RVA 0x9ff2 is not NUL-terminated within the "
     "image"},
    {"ImportNameRvaReservedBits",
     [](const SampleImage& s) { return with(s, firstLookupEntry(s), std::uint64_t{0x100000000}); },
     "has reserved name-RVA bits set"},
    {"ImportOrdinalReservedBits",
     [](const SampleImage& s) {
         return with(s, firstLookupEntry(s), std::uint64_t{0x8000000000010000});
     },
     "has reserved ordinal bits set"},
    // Exports.
    {"ExportDirectoryTooSmall",
     [](const SampleImage& s) {
         return with(s, directoryEntry(pe::DirectoryIndex::Export),
                     pe::ImageDataDirectory{s.exports.directoryRva, 8});
     },
     "export directory size 0x8 is smaller than its 0x28-byte header"},
    {"ExportDllNameOutOfRange",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, Name)), std::uint32_t{0x7FFFFFF0});
     },
     "export directory: DLL name RVA 0x7ffffff0 lies outside the image"},
    {"ExportTooManyFunctions",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, NumberOfFunctions)),
                     std::uint32_t{0x20000});
     },
     "export directory lists 131072 functions (at most 65536)"},
    {"ExportOrdinalsOverflow",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, Base)), std::uint32_t{0xFFFF});
     },
     "export ordinals 65535..65540 do not fit in 16 bits"},
    {"ExportTooManyNames",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, NumberOfNames)), std::uint32_t{0x20000});
     },
     "export directory lists 131072 names (at most 65536)"},
    {"ExportAddressTableOutOfRange",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, AddressOfFunctions)),
                     std::uint32_t{0x7FFFFFF0});
     },
     "export address table at RVA 0x7ffffff0 (6 entries) lies outside the image"},
    {"ExportFunctionOutOfRange",
     [](const SampleImage& s) {
         return with(s, fileOffset(s, s.exports.addressTableRva), std::uint32_t{0x7FFFFFF0});
     },
     "export ordinal 1 RVA 0x7ffffff0 lies outside the image (size 0x9000)"},
    {"ExportNameTableOutOfRange",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, AddressOfNames)),
                     std::uint32_t{0x7FFFFFF0});
     },
     "export name table at RVA 0x7ffffff0 (4 entries) lies outside the image"},
    {"ExportNameOrdinalTableOutOfRange",
     [](const SampleImage& s) {
         return with(s, exportField(s, offsetof(ExportDir, AddressOfNameOrdinals)),
                     std::uint32_t{0x7FFFFFF0});
     },
     "export name ordinal table at RVA 0x7ffffff0 (4 entries) lies outside the image"},
    {"ExportNameOutOfRange",
     [](const SampleImage& s) {
         const auto names =
             peek<std::uint32_t>(s.file, exportField(s, offsetof(ExportDir, AddressOfNames)));
         return with(s, fileOffset(s, names), std::uint32_t{0x7FFFFFF0});
     },
     "export name #0 RVA 0x7ffffff0 lies outside the image"},
    {"ExportNameForUnusedOrdinal",
     [](const SampleImage& s) {
         const auto ordinals = peek<std::uint32_t>(
             s.file, exportField(s, offsetof(ExportDir, AddressOfNameOrdinals)));
         return with(s, fileOffset(s, ordinals), std::uint16_t{2});
     },
     "export name \"AddVectoredExceptionHandler\" refers to unused ordinal 3"},
    {"ExportForwarderWithoutDot",
     [](const SampleImage& s) {
         const auto forwarder =
             peek<std::uint32_t>(s.file, fileOffset(s, s.exports.addressTableRva + 4 * 4));
         return with(s, fileOffset(s, forwarder + 5), 'X');
     },
     "export ordinal 5 forwarder \"NTDLLXRtlAddVectoredExceptionHandler\" is not of the form "
     "DLL.Symbol or DLL.#N"},
    // Relocations.
    {"RelocationBlockTooSmall",
     [](const SampleImage& s) {
         return with(s, fileOffset(s, s.relocRva) + offsetof(pe::ImageBaseRelocation, SizeOfBlock),
                     std::uint32_t{4});
     },
     "relocation block at RVA 0x8000 has invalid SizeOfBlock 0x4"},
    {"RelocationBlockPastDirectory",
     [](const SampleImage& s) {
         return with(s, fileOffset(s, s.relocRva) + offsetof(pe::ImageBaseRelocation, SizeOfBlock),
                     std::uint32_t{0x100});
     },
     "relocation block at RVA 0x8000 (SizeOfBlock 0x100) runs past the end of the relocation "
     "directory"},
    {"RelocationDirectoryTrailingBytes",
     [](const SampleImage& s) {
         return with(s, directoryEntry(pe::DirectoryIndex::BaseRelocation),
                     pe::ImageDataDirectory{s.relocRva, 0x10 + 4});
     },
     "relocation directory has 0x4 trailing bytes at RVA 0x8010, too few for a block"},
};

class PeMalformed : public testing::TestWithParam<MalformedCase> {};

TEST_P(PeMalformed, IsRejectedWithItsOwnMessage) {
    const SampleImage sample = test::makeSampleImage();
    EXPECT_TRUE(test::failsWith(GetParam().make(sample), GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(Cases, PeMalformed, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<MalformedCase>& info) {
                             return std::string(info.param.name);
                         });

TEST(PeMalformedMessages, DifferForEveryCause) {
    const SampleImage sample = test::makeSampleImage();
    std::set<std::string> messages;
    for (const MalformedCase& c : kCases) {
        auto image = PeImage::parse(c.make(sample));
        ASSERT_FALSE(image.has_value()) << c.name;
        EXPECT_TRUE(messages.insert(image.error().message).second)
            << c.name << " repeats \"" << image.error().message << "\"";
    }
}

TEST(PeMalformedMessages, SampleItselfIsValid) {
    // Guards the cases above: each must fail because of its own damage only.
    EXPECT_TRUE(PeImage::parse(test::makeSampleImage().file).has_value());
}

}  // namespace
}  // namespace ntoy::ldr
