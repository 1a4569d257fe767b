#include "tests/ldr/SampleImage.h"

#include <cstring>

namespace ntoy::ldr::test {

namespace {

std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
    std::vector<std::byte> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        // Never zero, so a copied byte can always be told from the zero fill.
        bytes[i] = static_cast<std::byte>((i * 7 + seed) % 255 + 1);
    }
    return bytes;
}

}  // namespace

SampleImage makeSampleImage() {
    SampleImage s;
    PeBuilder& b = s.builder;
    s.text = pattern(kTextSize, 0x11);
    s.rdata = pattern(kRdataRawSize, 0x22);
    s.textRva = b.addSection(".text", kText, s.text);
    s.rdataRva = b.addSection(".rdata", kRdata, s.rdata, kRdataVirtualSize);

    const std::uint32_t dataRva = b.nextRva();
    s.data.resize(0x18);
    const std::uint64_t pointer0 = b.imageBase + s.textRva + 0x10;
    const std::uint64_t pointer1 = b.imageBase + s.rdataRva;
    const auto pointer32 = static_cast<std::uint32_t>(b.imageBase + dataRva + 0x100);
    std::memcpy(s.data.data() + kDir64Slot0, &pointer0, 8);
    std::memcpy(s.data.data() + kDir64Slot1, &pointer1, 8);
    std::memcpy(s.data.data() + kHighLowSlot, &pointer32, 4);
    s.dataRva = b.addSection(".data", kData, s.data, kDataVirtualSize);
    s.bssRva = b.addSection(".bss", kBss, {}, kBssVirtualSize);

    s.imports = b.addImportSection({
        {"KERNEL32.dll",
         {ImportSymbolSpec::byName("ExitProcess", 0x10),
          ImportSymbolSpec::byName("GetStdHandle", 0x20), ImportSymbolSpec::byOrdinal(42)}},
        {"ntdll.dll", {ImportSymbolSpec::byName("RtlAddVectoredExceptionHandler", 7)}},
    });
    s.exports = b.addExportSection(
        "sample.dll", 1,
        {
            {.name = "SampleFunction", .ordinal = 1, .rva = s.textRva + 0x10, .forwarder = {}},
            {.name = "OtherFunction", .ordinal = 2, .rva = s.textRva + 0x20, .forwarder = {}},
            {.name = {}, .ordinal = 4, .rva = s.textRva + 0x28, .forwarder = {}},
            {.name = "AddVectoredExceptionHandler",
             .ordinal = 5,
             .rva = 0,
             .forwarder = "NTDLL.RtlAddVectoredExceptionHandler"},
            {.name = "ForwardedByOrdinal", .ordinal = 6, .rva = 0, .forwarder = "NTDLL.#12"},
        });

    b.addRelocation(s.dataRva + kDir64Slot0, pe::kRelBasedDir64);
    b.addRelocation(s.dataRva + kDir64Slot1, pe::kRelBasedDir64);
    b.addRelocation(s.dataRva + kHighLowSlot, pe::kRelBasedHighLow);
    s.relocRva = b.addRelocationSection();
    b.entryPoint = s.textRva;
    s.file = b.build();
    return s;
}

}  // namespace ntoy::ldr::test
