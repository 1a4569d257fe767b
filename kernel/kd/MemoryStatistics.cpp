// !vm and !memusage: physical memory, the pools and commit, in WinDbg's "pages ( Kb)" rows.
#include <fmt/format.h>

#include <filesystem>
#include <initializer_list>

#include "kernel/Kernel.h"
#include "kernel/ex/Pool.h"
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
    // Frames are handed out with their use (the loader's image pages as UserImage), so the
    // database's running counts are exact.
    out += vmRow("Private Pages:", pfns.count(PageUse::UserPrivate));
    out += vmRow("Image Pages:", pfns.count(PageUse::UserImage));
    out += vmRow("Page Table Pages:", pfns.count(PageUse::PageTable));
    out += vmRow("Kernel Pages:", pfns.count(PageUse::Kernel));
    out += vmRow("Modified Pages:", pfns.count(PageState::Modified));
    out += vmRow("Standby Pages:", pfns.count(PageState::Standby));
    out += vmRow("Bad Pages:", pfns.count(PageState::Bad));
    // The pools, as WinDbg shows them: the pages each holds (small-block pages and big
    // allocations), and the most it may grow to.
    const ex::Pool& pool = kernel.pool();
    for (const bool paged : {false, true}) {
        const ex::PoolUsage u = pool.usage(paged);
        const std::string_view name = paged ? "PagedPool" : "NonPagedPool";
        out += vmRow(fmt::format("{} Usage:", name), u.pages + u.bigPages);
        out += vmRow(fmt::format("{} Max:", name), u.limit / kPageSize);
    }
    if (const mm::PagingFile* file = mm.pagingFile()) {
        out += vmRow("Paging File Size:", file->pages());
        out += vmRow("Paging File Used:", file->used());
        out += vmRow("Paging File Peak:", file->peak());
    }
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
    for (PageUse use :
         {PageUse::UserPrivate, PageUse::UserImage, PageUse::PageTable, PageUse::Kernel})
        out += memusageRow(mm::pageUseName(use), pfns.count(use));
    return out;
}

}  // namespace ntoy::kd
