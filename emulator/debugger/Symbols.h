// The process's images as the debugger knows them: each one's symbols (its exports, and its
// COFF symbol table when it has one) and its function table, read again from the image file
// the loader mapped, as a debugger reads symbol files. Addresses print as WinDbg prints them
// ("kernel32!VirtualAlloc+0x12"), and names resolve back to addresses.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/ldr/PeImage.h"
#include "kernel/ps/Process.h"
#include "kernel/rtl/Unwind.h"

namespace ntoy::io {
class SystemImages;
}

namespace ntoy::dbg {

struct Symbol {
    std::uint32_t rva = 0;
    std::string name;
};

struct Module {
    std::string name;  // "kernel32": the file name without its extension, as WinDbg names it
    std::string path;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    std::shared_ptr<const ldr::PeImage> image;  // null if the file could not be read again
    std::vector<Symbol> symbols;                // by address
    rtl::FunctionTable functions;
    std::string symbolSource;  // "COFF symbols", "export symbols" or "no symbols"
    std::string problem;       // why the file gave less than it should, if it did

    bool contains(std::uint64_t va) const { return va >= base && va - base < size; }
    // The image as the unwinder needs it, if the file was read.
    std::optional<rtl::LoadedImage> unwindImage() const;
};

class Symbols {
public:
    // Brings the list in step with the process's images: new ones are read once.
    // The modules of `process`, then the system images (ntoskrnl.exe and the drivers), if any.
    void update(const ps::Process& process, const io::SystemImages* system = nullptr);
    // In load order.
    const std::vector<std::unique_ptr<Module>>& modules() const { return modules_; }
    const Module* moduleAt(std::uint64_t va) const;
    // By name, ignoring case, with or without its extension: "kernel32", "KERNEL32.dll".
    const Module* moduleNamed(std::string_view name) const;

    // The symbol at or before `va` in its module and section. `symbol` is null where the
    // module has none there; `next` is the module's next symbol, if any.
    struct Location {
        const Module* module = nullptr;
        const Symbol* symbol = nullptr;
        std::uint64_t offset = 0;  // from the symbol, or from the module's base
        const Symbol* next = nullptr;
    };
    std::optional<Location> locate(std::uint64_t va) const;
    // "kernel32!VirtualAlloc+0x12", "kernel32!VirtualAlloc", "kernel32+0x1234"; empty
    // outside every module.
    std::string describe(std::uint64_t va) const;

    // The address of "module!name", of "name" in the first module that has it, or of
    // "module" (its base). Names match exactly, or else ignoring case.
    std::expected<std::uint64_t, std::string> resolve(std::string_view text) const;

private:
    std::vector<std::unique_ptr<Module>> modules_;
};

// "kernel32!VirtualAlloc+0x12" for a location.
std::string formatLocation(const Symbols::Location& location);

}  // namespace ntoy::dbg
