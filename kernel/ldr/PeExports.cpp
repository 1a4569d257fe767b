#include "kernel/ldr/PeExports.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/BoundedRead.h"
#include "kernel/ldr/RvaString.h"

namespace ntoy::ldr {

namespace {

constexpr std::uint64_t kMaxOrdinals = 0x10000;

// The table of `count` little-endian `T`s at `rva`, checked to lie inside the image.
template <class T>
std::expected<std::span<const std::byte>, LoadError> readArray(std::span<const std::byte> image,
                                                               std::uint64_t rva,
                                                               std::uint64_t count,
                                                               std::string_view what) {
    auto bytes = sliceAt(image, rva, count * sizeof(T));
    if (!bytes) {
        return loadFailure(fmt::format("export {} at RVA {:#x} ({} entries) lies outside the image",
                                       what, rva, count));
    }
    return *bytes;
}

std::optional<std::uint16_t> parseOrdinal(std::string_view digits) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        value > 0xFFFF) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

// Split at the last dot: DLL names may contain dots, symbol names do not.
std::string_view ExportForwarder::module() const {
    auto dot = target.rfind('.');
    return dot == std::string::npos ? std::string_view{} : std::string_view(target).substr(0, dot);
}

std::string_view ExportForwarder::symbol() const {
    auto dot = target.rfind('.');
    return dot == std::string::npos ? std::string_view(target)
                                    : std::string_view(target).substr(dot + 1);
}

std::optional<std::uint16_t> ExportForwarder::symbolOrdinal() const {
    auto name = symbol();
    if (!name.starts_with('#')) {
        return std::nullopt;
    }
    return parseOrdinal(name.substr(1));
}

std::expected<ExportTable, LoadError> ExportTable::parse(std::span<const std::byte> image,
                                                         pe::ImageDataDirectory directory) {
    ExportTable table;
    if (directory.VirtualAddress == 0) {
        return table;
    }
    if (directory.Size < sizeof(pe::ImageExportDirectory)) {
        return loadFailure(
            fmt::format("export directory size {:#x} is smaller than its {:#x}-byte header",
                        directory.Size, sizeof(pe::ImageExportDirectory)));
    }
    const std::uint64_t directoryStart = directory.VirtualAddress;
    const std::uint64_t directoryEnd = directoryStart + directory.Size;
    if (!sliceAt(image, directoryStart, directory.Size)) {
        return loadFailure(
            fmt::format("export directory {:#x}..{:#x} lies outside the image (size {:#x})",
                        directoryStart, directoryEnd, image.size()));
    }
    const auto header = *readAt<pe::ImageExportDirectory>(image, directoryStart);

    if (header.Name != 0) {
        auto name =
            nameAtRva(image, header.Name, kMaxExportNameLength, "export directory: DLL name");
        if (!name) {
            return std::unexpected(name.error());
        }
        table.dllName_ = *name;
    }
    if (header.NumberOfFunctions > kMaxOrdinals) {
        return loadFailure(fmt::format("export directory lists {} functions (at most {})",
                                       header.NumberOfFunctions, kMaxOrdinals));
    }
    if (header.NumberOfFunctions != 0 &&
        std::uint64_t{header.Base} + header.NumberOfFunctions - 1 > 0xFFFF) {
        return loadFailure(fmt::format("export ordinals {}..{} do not fit in 16 bits", header.Base,
                                       std::uint64_t{header.Base} + header.NumberOfFunctions - 1));
    }
    if (header.NumberOfNames > kMaxOrdinals) {
        return loadFailure(fmt::format("export directory lists {} names (at most {})",
                                       header.NumberOfNames, kMaxOrdinals));
    }
    table.ordinalBase_ = header.Base;

    auto addresses = readArray<std::uint32_t>(image, header.AddressOfFunctions,
                                              header.NumberOfFunctions, "address table");
    if (!addresses) {
        return std::unexpected(addresses.error());
    }
    // Indexed by ordinal - Base; holds the index into functions_, or -1 for an unused ordinal.
    std::vector<std::int32_t> slotToFunction(header.NumberOfFunctions, -1);
    for (std::uint32_t index = 0; index < header.NumberOfFunctions; ++index) {
        const auto rva = *readAt<std::uint32_t>(*addresses, std::uint64_t{index} * 4);
        if (rva == 0) {
            continue;
        }
        const auto ordinal = static_cast<std::uint16_t>(header.Base + index);
        ExportedFunction function{.ordinal = ordinal, .target = ExportRva{rva}};
        // An address inside the export directory is not code but the name of where to go.
        if (rva >= directoryStart && rva < directoryEnd) {
            auto text = nameAtRva(image, rva, kMaxExportNameLength,
                                  fmt::format("export ordinal {} forwarder", ordinal));
            if (!text) {
                return std::unexpected(text.error());
            }
            ExportForwarder forwarder{std::string(*text)};
            if (forwarder.module().empty() || forwarder.symbol().empty() ||
                (forwarder.symbol().starts_with('#') && !forwarder.symbolOrdinal())) {
                return loadFailure(fmt::format(
                    "export ordinal {} forwarder \"{}\" is not of the form DLL.Symbol or DLL.#N",
                    ordinal, printableAscii(forwarder.target)));
            }
            function.target = std::move(forwarder);
        } else if (rva >= image.size()) {
            return loadFailure(
                fmt::format("export ordinal {} RVA {:#x} lies outside the image (size {:#x})",
                            ordinal, rva, image.size()));
        }
        slotToFunction[index] = static_cast<std::int32_t>(table.functions_.size());
        table.functions_.push_back(std::move(function));
    }

    auto nameRvas =
        readArray<std::uint32_t>(image, header.AddressOfNames, header.NumberOfNames, "name table");
    if (!nameRvas) {
        return std::unexpected(nameRvas.error());
    }
    auto nameOrdinals = readArray<std::uint16_t>(image, header.AddressOfNameOrdinals,
                                                 header.NumberOfNames, "name ordinal table");
    if (!nameOrdinals) {
        return std::unexpected(nameOrdinals.error());
    }
    table.names_.reserve(header.NumberOfNames);
    for (std::uint32_t index = 0; index < header.NumberOfNames; ++index) {
        const auto nameRva = *readAt<std::uint32_t>(*nameRvas, std::uint64_t{index} * 4);
        auto name =
            nameAtRva(image, nameRva, kMaxExportNameLength, fmt::format("export name #{}", index));
        if (!name) {
            return std::unexpected(name.error());
        }
        const auto slot = *readAt<std::uint16_t>(*nameOrdinals, std::uint64_t{index} * 2);
        if (slot >= header.NumberOfFunctions || slotToFunction[slot] < 0) {
            return loadFailure(fmt::format("export name \"{}\" refers to unused ordinal {}",
                                           printableAscii(*name),
                                           std::uint64_t{header.Base} + slot));
        }
        table.names_.push_back(
            ExportedName{std::string(*name), static_cast<std::uint16_t>(header.Base + slot)});
    }
    // Stable, so that of two identical names the one earlier in the file wins, as a linear
    // search of the file's table would find it.
    std::ranges::stable_sort(table.names_, {}, &ExportedName::name);
    return table;
}

std::optional<ExportTarget> ExportTable::findByOrdinal(std::uint16_t ordinal) const {
    auto it = std::ranges::lower_bound(functions_, ordinal, {}, &ExportedFunction::ordinal);
    if (it == functions_.end() || it->ordinal != ordinal) {
        return std::nullopt;
    }
    return it->target;
}

std::optional<ExportTarget> ExportTable::findByName(std::string_view name) const {
    auto exact = std::ranges::lower_bound(names_, name, {}, &ExportedName::name);
    if (exact != names_.end() && exact->name == name) {
        return findByOrdinal(exact->ordinal);
    }
    auto folded = std::ranges::find_if(
        names_, [&](const ExportedName& entry) { return asciiEqualsIgnoreCase(entry.name, name); });
    if (folded != names_.end()) {
        return findByOrdinal(folded->ordinal);
    }
    return std::nullopt;
}

}  // namespace ntoy::ldr
