// The PE32+ on-disk structures and constants, defined here because the host has no Windows
// headers. The structs mirror the file layout byte for byte; they are only ever filled with
// memcpy from bounds-checked spans, never by casting a pointer into the file.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ntoy::ldr::pe {

static_assert(std::endian::native == std::endian::little,
              "the structs below are read with memcpy, which assumes a little-endian host");

inline constexpr std::uint16_t kDosMagic = 0x5A4D;          // "MZ"
inline constexpr std::uint32_t kNtSignature = 0x00004550;   // "PE\0\0"
inline constexpr std::uint16_t kOptionalMagicPe32 = 0x10B;  // 32-bit images
inline constexpr std::uint16_t kOptionalMagicPe32Plus = 0x20B;

inline constexpr std::uint16_t kMachineUnknown = 0x0000;
inline constexpr std::uint16_t kMachineI386 = 0x014C;
inline constexpr std::uint16_t kMachineArm = 0x01C0;
inline constexpr std::uint16_t kMachineArmNt = 0x01C4;
inline constexpr std::uint16_t kMachineIa64 = 0x0200;
inline constexpr std::uint16_t kMachineEbc = 0x0EBC;
inline constexpr std::uint16_t kMachineRiscV32 = 0x5032;
inline constexpr std::uint16_t kMachineRiscV64 = 0x5064;
inline constexpr std::uint16_t kMachineAmd64 = 0x8664;
inline constexpr std::uint16_t kMachineArm64Ec = 0xA641;
inline constexpr std::uint16_t kMachineArm64 = 0xAA64;

// IMAGE_FILE_* (COFF header Characteristics).
inline constexpr std::uint16_t kFileRelocsStripped = 0x0001;
inline constexpr std::uint16_t kFileExecutableImage = 0x0002;
inline constexpr std::uint16_t kFileLargeAddressAware = 0x0020;
inline constexpr std::uint16_t kFileDll = 0x2000;

// IMAGE_DLLCHARACTERISTICS_*.
inline constexpr std::uint16_t kDllHighEntropyVa = 0x0020;
inline constexpr std::uint16_t kDllDynamicBase = 0x0040;
inline constexpr std::uint16_t kDllNxCompat = 0x0100;
inline constexpr std::uint16_t kDllNoSeh = 0x0400;
inline constexpr std::uint16_t kDllTerminalServerAware = 0x8000;

// IMAGE_SUBSYSTEM_*.
inline constexpr std::uint16_t kSubsystemNative = 1;
inline constexpr std::uint16_t kSubsystemWindowsGui = 2;
inline constexpr std::uint16_t kSubsystemWindowsCui = 3;

// IMAGE_SCN_* (section Characteristics).
inline constexpr std::uint32_t kScnCntCode = 0x00000020;
inline constexpr std::uint32_t kScnCntInitializedData = 0x00000040;
inline constexpr std::uint32_t kScnCntUninitializedData = 0x00000080;
inline constexpr std::uint32_t kScnMemDiscardable = 0x02000000;
inline constexpr std::uint32_t kScnMemShared = 0x10000000;
inline constexpr std::uint32_t kScnMemExecute = 0x20000000;
inline constexpr std::uint32_t kScnMemRead = 0x40000000;
inline constexpr std::uint32_t kScnMemWrite = 0x80000000;

// IMAGE_REL_BASED_* (the top four bits of a base relocation entry).
inline constexpr std::uint8_t kRelBasedAbsolute = 0;
inline constexpr std::uint8_t kRelBasedHigh = 1;
inline constexpr std::uint8_t kRelBasedLow = 2;
inline constexpr std::uint8_t kRelBasedHighLow = 3;
inline constexpr std::uint8_t kRelBasedHighAdj = 4;
inline constexpr std::uint8_t kRelBasedDir64 = 10;

inline constexpr std::uint64_t kImportOrdinalFlag64 = 0x8000000000000000ull;

inline constexpr std::size_t kNumberOfDirectoryEntries = 16;
inline constexpr std::size_t kSectionNameSize = 8;
inline constexpr std::size_t kCoffSymbolSize = 18;  // string table follows the symbols

// Indices into the optional header's data directory array.
enum class DirectoryIndex : std::uint32_t {
    Export = 0,
    Import = 1,
    Resource = 2,
    Exception = 3,
    Security = 4,  // a file offset, not an RVA: the certificate table is never mapped
    BaseRelocation = 5,
    Debug = 6,
    Architecture = 7,
    GlobalPtr = 8,
    Tls = 9,
    LoadConfig = 10,
    BoundImport = 11,
    Iat = 12,
    DelayImport = 13,
    ComDescriptor = 14,
    Reserved = 15,
};

struct ImageDosHeader {
    std::uint16_t e_magic;
    std::uint16_t e_cblp;
    std::uint16_t e_cp;
    std::uint16_t e_crlc;
    std::uint16_t e_cparhdr;
    std::uint16_t e_minalloc;
    std::uint16_t e_maxalloc;
    std::uint16_t e_ss;
    std::uint16_t e_sp;
    std::uint16_t e_csum;
    std::uint16_t e_ip;
    std::uint16_t e_cs;
    std::uint16_t e_lfarlc;
    std::uint16_t e_ovno;
    std::uint16_t e_res[4];
    std::uint16_t e_oemid;
    std::uint16_t e_oeminfo;
    std::uint16_t e_res2[10];
    std::uint32_t e_lfanew;
};

struct ImageFileHeader {
    std::uint16_t Machine;
    std::uint16_t NumberOfSections;
    std::uint32_t TimeDateStamp;
    std::uint32_t PointerToSymbolTable;
    std::uint32_t NumberOfSymbols;
    std::uint16_t SizeOfOptionalHeader;
    std::uint16_t Characteristics;
};

struct ImageDataDirectory {
    std::uint32_t VirtualAddress;
    std::uint32_t Size;
};

// The fixed part of IMAGE_OPTIONAL_HEADER64; NumberOfRvaAndSizes data directories follow it.
struct ImageOptionalHeader64 {
    std::uint16_t Magic;
    std::uint8_t MajorLinkerVersion;
    std::uint8_t MinorLinkerVersion;
    std::uint32_t SizeOfCode;
    std::uint32_t SizeOfInitializedData;
    std::uint32_t SizeOfUninitializedData;
    std::uint32_t AddressOfEntryPoint;
    std::uint32_t BaseOfCode;
    std::uint64_t ImageBase;
    std::uint32_t SectionAlignment;
    std::uint32_t FileAlignment;
    std::uint16_t MajorOperatingSystemVersion;
    std::uint16_t MinorOperatingSystemVersion;
    std::uint16_t MajorImageVersion;
    std::uint16_t MinorImageVersion;
    std::uint16_t MajorSubsystemVersion;
    std::uint16_t MinorSubsystemVersion;
    std::uint32_t Win32VersionValue;
    std::uint32_t SizeOfImage;
    std::uint32_t SizeOfHeaders;
    std::uint32_t CheckSum;
    std::uint16_t Subsystem;
    std::uint16_t DllCharacteristics;
    std::uint64_t SizeOfStackReserve;
    std::uint64_t SizeOfStackCommit;
    std::uint64_t SizeOfHeapReserve;
    std::uint64_t SizeOfHeapCommit;
    std::uint32_t LoaderFlags;
    std::uint32_t NumberOfRvaAndSizes;
};

struct ImageSectionHeader {
    char Name[kSectionNameSize];
    std::uint32_t VirtualSize;
    std::uint32_t VirtualAddress;
    std::uint32_t SizeOfRawData;
    std::uint32_t PointerToRawData;
    std::uint32_t PointerToRelocations;
    std::uint32_t PointerToLinenumbers;
    std::uint16_t NumberOfRelocations;
    std::uint16_t NumberOfLinenumbers;
    std::uint32_t Characteristics;
};

struct ImageImportDescriptor {
    std::uint32_t OriginalFirstThunk;  // import lookup table; 0 in old images, then FirstThunk
    std::uint32_t TimeDateStamp;
    std::uint32_t ForwarderChain;
    std::uint32_t Name;
    std::uint32_t FirstThunk;  // the import address table the loader fills in
};

struct ImageExportDirectory {
    std::uint32_t Characteristics;
    std::uint32_t TimeDateStamp;
    std::uint16_t MajorVersion;
    std::uint16_t MinorVersion;
    std::uint32_t Name;
    std::uint32_t Base;
    std::uint32_t NumberOfFunctions;
    std::uint32_t NumberOfNames;
    std::uint32_t AddressOfFunctions;
    std::uint32_t AddressOfNames;
    std::uint32_t AddressOfNameOrdinals;
};

struct ImageBaseRelocation {
    std::uint32_t VirtualAddress;
    std::uint32_t SizeOfBlock;  // including this 8-byte header
};

inline constexpr std::uint32_t kPeSignatureSize = 4;
inline constexpr std::uint32_t kFileHeaderOffsetInNt = kPeSignatureSize;
inline constexpr std::uint32_t kOptionalHeaderOffsetInNt =
    kPeSignatureSize + sizeof(ImageFileHeader);

#define NTOY_PE_LAYOUT(type, size)                                           \
    static_assert(sizeof(type) == (size), #type " does not match the file"); \
    static_assert(std::is_trivially_copyable_v<type>)
NTOY_PE_LAYOUT(ImageDosHeader, 64);
NTOY_PE_LAYOUT(ImageFileHeader, 20);
NTOY_PE_LAYOUT(ImageDataDirectory, 8);
NTOY_PE_LAYOUT(ImageOptionalHeader64, 112);
NTOY_PE_LAYOUT(ImageSectionHeader, 40);
NTOY_PE_LAYOUT(ImageImportDescriptor, 20);
NTOY_PE_LAYOUT(ImageExportDirectory, 40);
NTOY_PE_LAYOUT(ImageBaseRelocation, 8);
#undef NTOY_PE_LAYOUT
static_assert(offsetof(ImageDosHeader, e_lfanew) == 0x3C);
static_assert(offsetof(ImageOptionalHeader64, ImageBase) == 24);
static_assert(offsetof(ImageOptionalHeader64, SizeOfImage) == 56);
static_assert(offsetof(ImageOptionalHeader64, NumberOfRvaAndSizes) == 108);

}  // namespace ntoy::ldr::pe
