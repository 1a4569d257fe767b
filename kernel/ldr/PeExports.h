// The export directory of a laid-out image: what a DLL offers, by name and by ordinal, and
// which of its exports are forwarded to another DLL.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PeFormat.h"

namespace ntoy::ldr {

// An export implemented in this image.
struct ExportRva {
    std::uint32_t rva = 0;
    bool operator==(const ExportRva&) const = default;
};

// An export implemented elsewhere: the loader must load module() and look up symbol() there.
struct ExportForwarder {
    std::string target;  // "NTDLL.RtlAddVectoredExceptionHandler" or "NTDLL.#12"

    std::string_view module() const;  // "NTDLL": a DLL name without its ".dll"
    std::string_view symbol() const;  // "RtlAddVectoredExceptionHandler" or "#12"
    std::optional<std::uint16_t> symbolOrdinal() const;  // 12 for "#12"
    bool operator==(const ExportForwarder&) const = default;
};

using ExportTarget = std::variant<ExportRva, ExportForwarder>;

struct ExportedFunction {
    std::uint16_t ordinal = 0;  // biased: the ordinal importers use, not the table index
    ExportTarget target;
};

struct ExportedName {
    std::string name;
    std::uint16_t ordinal = 0;
};

inline constexpr std::size_t kMaxExportNameLength = 4096;

class ExportTable {
public:
    // `mappedImage` is the whole image as laid out in memory; every RVA is checked against it.
    static std::expected<ExportTable, LoadError> parse(std::span<const std::byte> mappedImage,
                                                       pe::ImageDataDirectory directory);

    bool empty() const { return functions_.empty(); }
    const std::string& dllName() const { return dllName_; }
    std::uint32_t ordinalBase() const { return ordinalBase_; }
    // Only the ordinals that are in use, ascending.
    std::span<const ExportedFunction> functions() const { return functions_; }
    // Sorted by name, byte-wise.
    std::span<const ExportedName> names() const { return names_; }

    // Exact match first; failing that, the first ASCII case-insensitive match.
    std::optional<ExportTarget> findByName(std::string_view name) const;
    std::optional<ExportTarget> findByOrdinal(std::uint16_t ordinal) const;

private:
    std::string dllName_;
    std::uint32_t ordinalBase_ = 0;
    std::vector<ExportedFunction> functions_;
    std::vector<ExportedName> names_;
};

}  // namespace ntoy::ldr
