#include "emulator/debugger/Symbols.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "kernel/io/SystemImages.h"
#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/CoffSymbols.h"
#include "kernel/ldr/ImageFile.h"

namespace ntoy::dbg {
namespace {

// Where two names share an address, the one shown: an export (the public name), then a
// function, external before static, then anything else (linker-made markers such as
// ___crt_xc_end__ often share a function's address).
struct Ranked {
    Symbol symbol;
    int rank;
};

std::unique_ptr<Module> loadModule(const ps::LoadedImage& loaded) {
    auto m = std::make_unique<Module>();
    m->name = std::filesystem::path(loaded.path).stem().string();
    m->path = loaded.path;
    m->base = loaded.base.value();
    m->size = loaded.size;
    m->symbolSource = "no symbols";
    auto file = ldr::readImageFile(loaded.path);
    if (!file) {
        m->problem = fmt::format("cannot read {}: {}", loaded.path, file.error().message);
        return m;
    }
    auto image = ldr::PeImage::parse(*file);
    if (!image) {
        m->problem = fmt::format("{}: {}", loaded.path, image.error().message);
        return m;
    }
    m->image = std::make_shared<const ldr::PeImage>(std::move(*image));

    std::vector<Ranked> ranked;
    for (const ldr::ExportedName& e : m->image->exports().names()) {
        const auto target = m->image->exports().findByOrdinal(e.ordinal);
        if (const auto* rva = target ? std::get_if<ldr::ExportRva>(&*target) : nullptr)
            ranked.push_back({{rva->rva, e.name}, 0});
    }
    const bool hasExports = !ranked.empty();
    auto coff = ldr::parseCoffSymbols(*file, m->image->sections());
    if (!coff)
        m->problem = fmt::format("its COFF symbols: {}", coff.error().message);
    const bool hasCoff = coff && !coff->empty();
    if (coff)
        for (ldr::CoffSymbol& s : *coff)
            ranked.push_back(
                {{s.rva, std::move(s.name)}, (s.function ? 1 : 3) + (s.external ? 0 : 1)});
    std::ranges::sort(ranked, [](const Ranked& a, const Ranked& b) {
        return std::tie(a.symbol.rva, a.rank, a.symbol.name) <
               std::tie(b.symbol.rva, b.rank, b.symbol.name);
    });
    for (Ranked& r : ranked) {
        const bool duplicate = !m->symbols.empty() && m->symbols.back().rva == r.symbol.rva &&
                               m->symbols.back().name == r.symbol.name;
        if (!duplicate)
            m->symbols.push_back(std::move(r.symbol));
    }
    m->symbolSource = hasCoff ? "COFF symbols" : hasExports ? "export symbols" : "no symbols";

    auto functions = rtl::FunctionTable::parse(
        m->image->mappedImage(), m->image->dataDirectory(ldr::pe::DirectoryIndex::Exception));
    if (functions)
        m->functions = std::move(*functions);
    else if (m->problem.empty())
        m->problem = fmt::format("its unwind data: {}", functions.error());
    return m;
}

// The section of `image` holding `rva`, as [begin, end) RVAs; nothing in the headers.
std::optional<std::pair<std::uint32_t, std::uint32_t>> sectionAt(const ldr::PeImage& image,
                                                                 std::uint32_t rva) {
    for (const ldr::Section& s : image.sections()) {
        const std::uint64_t end =
            std::uint64_t{s.virtualAddress} + alignUp(s.virtualExtent(), image.sectionAlignment());
        if (rva >= s.virtualAddress && rva < end)
            return std::pair{s.virtualAddress, static_cast<std::uint32_t>(end)};
    }
    return std::nullopt;
}

const Symbol* findByName(const Module& m, std::string_view name, bool ignoreCase) {
    for (const Symbol& s : m.symbols)
        if (ignoreCase ? ldr::asciiEqualsIgnoreCase(s.name, name) : s.name == name)
            return &s;
    return nullptr;
}

}  // namespace

std::optional<rtl::LoadedImage> Module::unwindImage() const {
    if (!image)
        return std::nullopt;
    return rtl::LoadedImage{base, image->mappedImage(), &functions};
}

void Symbols::update(const ps::Process& process, const io::SystemImages* system) {
    std::vector<ps::LoadedImage> images(process.images().begin(), process.images().end());
    if (system)
        for (const io::SystemImage& s : system->images()) {
            ps::LoadedImage loaded;
            loaded.name = s.name;
            loaded.path = s.path;
            loaded.base = s.base;
            loaded.size = s.size;
            loaded.image = s.image;
            images.push_back(std::move(loaded));
        }
    std::vector<std::unique_ptr<Module>> next;
    next.reserve(images.size());
    for (const ps::LoadedImage& loaded : images) {
        auto same = std::ranges::find_if(modules_, [&](const std::unique_ptr<Module>& m) {
            return m && m->base == loaded.base.value() && m->path == loaded.path;
        });
        next.push_back(same != modules_.end() ? std::move(*same) : loadModule(loaded));
    }
    modules_ = std::move(next);
}

const Module* Symbols::moduleAt(std::uint64_t va) const {
    for (const auto& m : modules_)
        if (m->contains(va))
            return m.get();
    return nullptr;
}

const Module* Symbols::moduleNamed(std::string_view name) const {
    for (const auto& m : modules_) {
        const std::string file = std::filesystem::path(m->path).filename().string();
        if (ldr::asciiEqualsIgnoreCase(m->name, name) || ldr::asciiEqualsIgnoreCase(file, name))
            return m.get();
    }
    return nullptr;
}

std::optional<Symbols::Location> Symbols::locate(std::uint64_t va) const {
    const Module* m = moduleAt(va);
    if (!m)
        return std::nullopt;
    Location at{m, nullptr, va - m->base, nullptr};
    const auto rva = static_cast<std::uint32_t>(va - m->base);
    auto after = std::ranges::upper_bound(m->symbols, rva, {}, &Symbol::rva);
    if (after != m->symbols.end())
        at.next = &*after;
    if (after == m->symbols.begin() || !m->image)
        return at;
    auto before = std::prev(after);
    while (before != m->symbols.begin() && std::prev(before)->rva == before->rva)
        --before;  // the first name at that address: the best ranked
    const auto section = sectionAt(*m->image, rva);
    if (section && before->rva >= section->first) {
        at.symbol = &*before;
        at.offset = rva - before->rva;
    }
    return at;
}

std::string formatLocation(const Symbols::Location& at) {
    std::string text = at.module->name;
    if (at.symbol)
        text += "!" + at.symbol->name;
    if (at.offset != 0)
        text += fmt::format("+{:#x}", at.offset);
    return text;
}

std::string Symbols::describe(std::uint64_t va) const {
    const auto at = locate(va);
    return at ? formatLocation(*at) : std::string();
}

std::expected<std::uint64_t, std::string> Symbols::resolve(std::string_view text) const {
    if (const auto bang = text.find('!'); bang != std::string_view::npos) {
        const std::string_view moduleName = text.substr(0, bang), name = text.substr(bang + 1);
        const Module* m = moduleNamed(moduleName);
        if (!m)
            return std::unexpected(fmt::format("no module named '{}' (lm lists them)", moduleName));
        if (name.empty())
            return m->base;
        for (const bool ignoreCase : {false, true})
            if (const Symbol* s = findByName(*m, name, ignoreCase))
                return m->base + s->rva;
        return std::unexpected(fmt::format("{} has no symbol '{}'", m->name, name));
    }
    for (const bool ignoreCase : {false, true})
        for (const auto& m : modules_)
            if (const Symbol* s = findByName(*m, text, ignoreCase))
                return m->base + s->rva;
    if (const Module* m = moduleNamed(text))
        return m->base;
    return std::unexpected(fmt::format("no symbol or module named '{}'", text));
}

}  // namespace ntoy::dbg
