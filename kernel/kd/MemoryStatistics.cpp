// !vm and !memusage: physical memory and commit, in WinDbg's "pages ( Kb)" rows.
#include <fmt/format.h>

#include <array>
#include <filesystem>

#include "kernel/Kernel.h"
#include "kernel/kd/ExtensionCommands.h"

namespace ntoy::kd {
namespace {

constexpr std::uint64_t kKbPerPage = kPageSize / 1024;

// "      Physical Memory:     16384   (   65536 Kb)": label and count fill 26 columns.
std::string vmRow(std::string_view label, std::uint64_t pages) {
    const std::size_t width = label.size() < 25 ? 26 - label.size() : 1;
    return fmt::format("      {}{:>{}}   ({:>8} Kb)\n", label, pages, width, pages * kKbPerPage);
}

// "             Zeroed:      218 (     872 kb)"
std::string memusageRow(std::string_view label, std::uint64_t pages) {
    return fmt::format("{:>19}: {:>8} ({:>8} kb)\n", label, pages, pages * kKbPerPage);
}

// Active frames by use, counted entry by entry: a frame's use can change after it was handed
// out (the loader marks image pages), which the database's running counts do not follow.
struct UseCounts {
    std::array<std::uint64_t, 5> pages{};
    std::uint64_t operator[](mm::PageUse u) const { return pages[static_cast<std::size_t>(u)]; }
};
UseCounts activeByUse(const mm::PfnDatabase& pfns) {
    UseCounts counts;
    const auto& ram = pfns.memory();
    for (Pfn pfn = ram.firstPfn(); pfn < ram.endPfn(); pfn = pfn + 1) {
        const mm::PfnEntry& e = pfns.entry(pfn);
        if (e.state == mm::PageState::Active)
            ++counts.pages[static_cast<std::size_t>(e.use)];
    }
    return counts;
}

}  // namespace

ExtensionResult vmCommand(Kernel& kernel, ExtensionArguments args) {
    if (!args.empty())
        return std::unexpected("usage: !vm");
    const mm::MemoryManager& mm = kernel.memoryManager();
    const mm::PfnDatabase& pfns = mm.pfns();
    using mm::PageState;
    using mm::PageUse;
    std::string out = "\n*** Virtual Memory Usage ***\n";
    out += vmRow("Physical Memory:", pfns.total());
    out += vmRow("Available Pages:", pfns.available());
    out += vmRow("Zeroed Pages:", pfns.count(PageState::Zeroed));
    out += vmRow("Free Pages:", pfns.count(PageState::Free));
    out += vmRow("Active Pages:", pfns.count(PageState::Active));
    const UseCounts byUse = activeByUse(pfns);
    out += vmRow("Private Pages:", byUse[PageUse::UserPrivate]);
    out += vmRow("Image Pages:", byUse[PageUse::UserImage]);
    out += vmRow("Page Table Pages:", byUse[PageUse::PageTable]);
    out += vmRow("Kernel Pages:", byUse[PageUse::Kernel]);
    out += vmRow("Modified Pages:", pfns.count(PageState::Modified));
    out += vmRow("Committed pages:", mm.commit().charge());
    out += vmRow("Commit limit:", mm.commit().limit());
    out += vmRow("Commit peak:", mm.commit().peak());
    if (const ps::Process* p = kernel.process()) {
        const std::string name =
            p->images().empty()
                ? std::string("?")
                : std::filesystem::path(p->images().front().path).filename().string();
        const std::uint64_t pages = p->space().committedPages();
        out += fmt::format("\n         {:04x} {:<18}{:>8} ({:>8} Kb)\n", p->id(), name, pages,
                           pages * kKbPerPage);
    }
    return out;
}

ExtensionResult memusageCommand(Kernel& kernel, ExtensionArguments args) {
    if (!args.empty())
        return std::unexpected("usage: !memusage");
    const mm::PfnDatabase& pfns = kernel.memoryManager().pfns();
    using mm::PageState;
    using mm::PageUse;
    std::string out;
    out += memusageRow("Zeroed", pfns.count(PageState::Zeroed));
    out += memusageRow("Free", pfns.count(PageState::Free));
    out += memusageRow("Standby", pfns.count(PageState::Standby));
    out += memusageRow("Modified", pfns.count(PageState::Modified));
    out += memusageRow("ModifiedNoWrite", pfns.count(PageState::ModifiedNoWrite));
    out += memusageRow("Active/Valid", pfns.count(PageState::Active));
    out += memusageRow("Transition", pfns.count(PageState::Transition));
    out += memusageRow("Bad", pfns.count(PageState::Bad));
    out += memusageRow("TOTAL", pfns.total());
    out += "\n  Active pages by use:\n";
    const UseCounts byUse = activeByUse(pfns);
    for (PageUse use :
         {PageUse::UserPrivate, PageUse::UserImage, PageUse::PageTable, PageUse::Kernel})
        out += memusageRow(mm::pageUseName(use), byUse[use]);
    return out;
}

}  // namespace ntoy::kd
