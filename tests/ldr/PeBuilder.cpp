#include "tests/ldr/PeBuilder.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "kernel/base/Types.h"

namespace ntoy::ldr::test {

namespace {

// Appends little-endian values and strings to a growing byte buffer.
class ByteWriter {
public:
    std::uint32_t size() const { return static_cast<std::uint32_t>(bytes_.size()); }
    std::vector<std::byte>& bytes() { return bytes_; }

    template <class T>
    std::uint32_t put(const T& value) {
        const std::uint32_t at = size();
        bytes_.resize(bytes_.size() + sizeof(T));
        std::memcpy(bytes_.data() + at, &value, sizeof(T));
        return at;
    }
    std::uint32_t putString(std::string_view text) {
        const std::uint32_t at = size();
        for (char c : text) {
            bytes_.push_back(static_cast<std::byte>(c));
        }
        bytes_.push_back(std::byte{0});
        return at;
    }
    void align(std::uint32_t alignment) { bytes_.resize(alignUp(bytes_.size(), alignment)); }
    void reserve(std::uint32_t count) { bytes_.resize(bytes_.size() + count); }
    template <class T>
    void patch(std::uint32_t at, const T& value) {
        std::memcpy(bytes_.data() + at, &value, sizeof(T));
    }

private:
    std::vector<std::byte> bytes_;
};

}  // namespace

std::vector<std::byte> bytesOf(std::string_view text) {
    std::vector<std::byte> bytes;
    for (char c : text) {
        bytes.push_back(static_cast<std::byte>(c));
    }
    return bytes;
}

std::uint32_t PeBuilder::addSection(std::string name, std::uint32_t sectionCharacteristics,
                                    std::vector<std::byte> data,
                                    std::optional<std::uint32_t> virtualSize) {
    PendingSection section{
        .name = std::move(name),
        .characteristics = sectionCharacteristics,
        .rva = nextRva_,
        .virtualSize = virtualSize.value_or(static_cast<std::uint32_t>(data.size())),
        .data = std::move(data),
    };
    const std::uint32_t extent =
        section.virtualSize != 0 ? section.virtualSize : rawSizeOf(section);
    nextRva_ = static_cast<std::uint32_t>(alignUp(
        std::uint64_t{section.rva} + std::max<std::uint32_t>(extent, 1), kSectionAlignment));
    sections_.push_back(std::move(section));
    return sections_.back().rva;
}

void PeBuilder::setDirectory(pe::DirectoryIndex index, std::uint32_t rva, std::uint32_t size) {
    directories_[static_cast<std::size_t>(index)] = {rva, size};
}

ImportLayout PeBuilder::addImportSection(const std::vector<ImportSpec>& imports) {
    const std::uint32_t base = nextRva_;
    ImportLayout layout;
    ByteWriter out;
    std::vector<std::uint32_t> descriptorAt;
    for (std::size_t i = 0; i <= imports.size(); ++i) {
        descriptorAt.push_back(out.put(pe::ImageImportDescriptor{}));
    }
    out.align(8);
    // Lookup tables and IATs start identical; the loader overwrites the IAT only.
    std::vector<std::uint32_t> lookupAt, iatAt;
    for (const auto& dll : imports) {
        lookupAt.push_back(out.size());
        out.reserve(static_cast<std::uint32_t>((dll.symbols.size() + 1) * 8));
    }
    for (const auto& dll : imports) {
        iatAt.push_back(out.size());
        out.reserve(static_cast<std::uint32_t>((dll.symbols.size() + 1) * 8));
    }
    for (std::size_t d = 0; d < imports.size(); ++d) {
        const auto& dll = imports[d];
        std::vector<std::uint32_t> slots;
        for (std::size_t s = 0; s < dll.symbols.size(); ++s) {
            const auto& symbol = dll.symbols[s];
            std::uint64_t entry = 0;
            if (symbol.name.empty()) {
                entry = pe::kImportOrdinalFlag64 | symbol.ordinal;
            } else {
                out.align(2);
                const std::uint32_t hintName = out.put(symbol.hint);
                out.putString(symbol.name);
                entry = base + hintName;
            }
            out.patch(lookupAt[d] + static_cast<std::uint32_t>(s * 8), entry);
            out.patch(iatAt[d] + static_cast<std::uint32_t>(s * 8), entry);
            slots.push_back(base + iatAt[d] + static_cast<std::uint32_t>(s * 8));
        }
        const std::uint32_t nameAt = out.putString(dll.dll);
        out.patch(descriptorAt[d], pe::ImageImportDescriptor{
                                       .OriginalFirstThunk = base + lookupAt[d],
                                       .TimeDateStamp = 0,
                                       .ForwarderChain = 0,
                                       .Name = base + nameAt,
                                       .FirstThunk = base + iatAt[d],
                                   });
        layout.dllNameRvas.push_back(base + nameAt);
        layout.iatSlotRvas.push_back(std::move(slots));
    }
    for (std::uint32_t at : descriptorAt) {
        layout.descriptorRvas.push_back(base + at);
    }
    layout.directoryRva = base;
    addSection(".idata", kData, std::move(out.bytes()));
    setDirectory(
        pe::DirectoryIndex::Import, base,
        static_cast<std::uint32_t>(descriptorAt.size() * sizeof(pe::ImageImportDescriptor)));
    return layout;
}

ExportLayout PeBuilder::addExportSection(const std::string& dllName, std::uint16_t ordinalBase,
                                         const std::vector<ExportSpec>& exports) {
    const std::uint32_t base = nextRva_;
    std::uint32_t functionCount = 0;
    for (const auto& e : exports) {
        functionCount = std::max<std::uint32_t>(functionCount, e.ordinal - ordinalBase + 1u);
    }
    std::vector<const ExportSpec*> named;
    for (const auto& e : exports) {
        if (!e.name.empty()) {
            named.push_back(&e);
        }
    }
    // The loader binary-searches names, so the table is sorted as Windows requires.
    std::ranges::sort(named, {}, [](const ExportSpec* e) { return e->name; });

    ByteWriter out;
    const std::uint32_t headerAt = out.put(pe::ImageExportDirectory{});
    const std::uint32_t functionsAt = out.size();
    out.reserve(functionCount * 4);
    const std::uint32_t namesAt = out.size();
    out.reserve(static_cast<std::uint32_t>(named.size() * 4));
    const std::uint32_t ordinalsAt = out.size();
    out.reserve(static_cast<std::uint32_t>(named.size() * 2));
    const std::uint32_t dllNameAt = out.putString(dllName);
    for (std::size_t i = 0; i < named.size(); ++i) {
        const std::uint32_t nameAt = out.putString(named[i]->name);
        out.patch(namesAt + static_cast<std::uint32_t>(i * 4), base + nameAt);
        out.patch(ordinalsAt + static_cast<std::uint32_t>(i * 2),
                  static_cast<std::uint16_t>(named[i]->ordinal - ordinalBase));
    }
    for (const auto& e : exports) {
        std::uint32_t rva = e.rva;
        if (!e.forwarder.empty()) {
            rva = base + out.putString(e.forwarder);
        }
        out.patch(functionsAt + static_cast<std::uint32_t>((e.ordinal - ordinalBase) * 4), rva);
    }
    out.patch(headerAt, pe::ImageExportDirectory{
                            .Characteristics = 0,
                            .TimeDateStamp = 0,
                            .MajorVersion = 0,
                            .MinorVersion = 0,
                            .Name = base + dllNameAt,
                            .Base = ordinalBase,
                            .NumberOfFunctions = functionCount,
                            .NumberOfNames = static_cast<std::uint32_t>(named.size()),
                            .AddressOfFunctions = base + functionsAt,
                            .AddressOfNames = base + namesAt,
                            .AddressOfNameOrdinals = base + ordinalsAt,
                        });
    const std::uint32_t size = out.size();
    addSection(".edata", kRdata, std::move(out.bytes()));
    setDirectory(pe::DirectoryIndex::Export, base, size);
    return {.directoryRva = base, .directorySize = size, .addressTableRva = base + functionsAt};
}

std::uint32_t PeBuilder::addTailWithoutNul() {
    return addSection(".tail", kRdata, std::vector<std::byte>(kSectionAlignment, std::byte{'A'}));
}

void PeBuilder::addRelocation(std::uint32_t rva, std::uint8_t type) {
    const std::uint32_t page = rva & ~0xFFFu;
    relocations_.emplace_back(page, static_cast<std::uint16_t>((type << 12) | (rva & 0xFFF)));
}

std::uint32_t PeBuilder::addRelocationSection() {
    std::map<std::uint32_t, std::vector<std::uint16_t>> pages;
    for (const auto& [page, entry] : relocations_) {
        pages[page].push_back(entry);
    }
    ByteWriter out;
    for (auto& [page, entries] : pages) {
        // ABSOLUTE padding keeps every block a multiple of four bytes, as linkers emit it.
        if (entries.size() % 2 != 0) {
            entries.push_back(0);
        }
        out.put(pe::ImageBaseRelocation{
            .VirtualAddress = page,
            .SizeOfBlock = static_cast<std::uint32_t>(8 + entries.size() * 2),
        });
        for (std::uint16_t entry : entries) {
            out.put(entry);
        }
    }
    const std::uint32_t size = out.size();
    const std::uint32_t rva = addSection(".reloc", kReloc, std::move(out.bytes()));
    setDirectory(pe::DirectoryIndex::BaseRelocation, rva, size);
    return rva;
}

std::uint32_t PeBuilder::sizeOfHeaders() const {
    return static_cast<std::uint32_t>(alignUp(
        kSectionTableOffset + sections_.size() * sizeof(pe::ImageSectionHeader), kFileAlignment));
}

std::uint32_t PeBuilder::rawSizeOf(const PendingSection& section) {
    return static_cast<std::uint32_t>(alignUp(section.data.size(), kFileAlignment));
}

std::uint32_t PeBuilder::rawOffsetOf(std::size_t index) const {
    std::uint32_t offset = sizeOfHeaders();
    for (std::size_t i = 0; i < index; ++i) {
        offset += rawSizeOf(sections_[i]);
    }
    return offset;
}

std::optional<std::uint32_t> PeBuilder::fileOffsetOf(std::uint32_t rva) const {
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        const auto& section = sections_[i];
        if (rva >= section.rva && rva - section.rva < rawSizeOf(section)) {
            return rawOffsetOf(i) + (rva - section.rva);
        }
    }
    if (rva < sizeOfHeaders()) {
        return rva;
    }
    return std::nullopt;
}

std::vector<std::byte> PeBuilder::build() const {
    ByteWriter out;
    pe::ImageDosHeader dos{};
    dos.e_magic = pe::kDosMagic;
    dos.e_lfanew = kNtOffset;
    out.put(dos);
    out.reserve(kNtOffset - out.size());
    out.put(pe::kNtSignature);

    // Long names live in a string table after the raw data; its offsets start past its size.
    std::string stringTable(4, '\0');
    std::vector<std::string> headerNames;
    for (const auto& section : sections_) {
        if (section.name.size() <= pe::kSectionNameSize) {
            headerNames.push_back(section.name);
        } else {
            headerNames.push_back("/" + std::to_string(stringTable.size()));
            stringTable += section.name;
            stringTable += '\0';
        }
    }
    const bool hasStringTable = stringTable.size() > 4;
    const std::uint32_t rawEnd = rawOffsetOf(sections_.size());

    out.put(pe::ImageFileHeader{
        .Machine = machine,
        .NumberOfSections = static_cast<std::uint16_t>(sections_.size()),
        .TimeDateStamp = 0,
        .PointerToSymbolTable = hasStringTable ? rawEnd : 0,
        .NumberOfSymbols = 0,
        .SizeOfOptionalHeader =
            static_cast<std::uint16_t>(sizeof(pe::ImageOptionalHeader64) + sizeof(directories_)),
        .Characteristics = characteristics,
    });

    std::uint64_t imageEnd = sizeOfHeaders();
    for (const auto& section : sections_) {
        const std::uint32_t extent =
            section.virtualSize != 0 ? section.virtualSize : rawSizeOf(section);
        imageEnd = std::max<std::uint64_t>(imageEnd, std::uint64_t{section.rva} + extent);
    }
    pe::ImageOptionalHeader64 optional{};
    optional.Magic = pe::kOptionalMagicPe32Plus;
    optional.MajorLinkerVersion = 2;
    optional.AddressOfEntryPoint = entryPoint;
    optional.ImageBase = imageBase;
    optional.SectionAlignment = kSectionAlignment;
    optional.FileAlignment = kFileAlignment;
    optional.MajorOperatingSystemVersion = 4;
    optional.MajorSubsystemVersion = 5;
    optional.SizeOfImage = static_cast<std::uint32_t>(alignUp(imageEnd, kSectionAlignment));
    optional.SizeOfHeaders = sizeOfHeaders();
    optional.Subsystem = subsystem;
    optional.DllCharacteristics = dllCharacteristics;
    optional.SizeOfStackReserve = stackReserve;
    optional.SizeOfStackCommit = stackCommit;
    optional.SizeOfHeapReserve = heapReserve;
    optional.SizeOfHeapCommit = heapCommit;
    optional.NumberOfRvaAndSizes = pe::kNumberOfDirectoryEntries;
    out.put(optional);
    for (const auto& directory : directories_) {
        out.put(directory);
    }

    for (std::size_t i = 0; i < sections_.size(); ++i) {
        const auto& section = sections_[i];
        pe::ImageSectionHeader header{};
        std::memcpy(header.Name, headerNames[i].data(),
                    std::min(headerNames[i].size(), pe::kSectionNameSize));
        header.VirtualSize = section.virtualSize;
        header.VirtualAddress = section.rva;
        header.SizeOfRawData = rawSizeOf(section);
        header.PointerToRawData = header.SizeOfRawData != 0 ? rawOffsetOf(i) : 0;
        header.Characteristics = section.characteristics;
        out.put(header);
    }
    out.align(kFileAlignment);

    for (const auto& section : sections_) {
        out.bytes().insert(out.bytes().end(), section.data.begin(), section.data.end());
        out.align(kFileAlignment);
    }
    if (hasStringTable) {
        const auto size = static_cast<std::uint32_t>(stringTable.size());
        std::memcpy(stringTable.data(), &size, sizeof(size));
        for (char c : stringTable) {
            out.bytes().push_back(static_cast<std::byte>(c));
        }
    }
    return std::move(out.bytes());
}

}  // namespace ntoy::ldr::test
