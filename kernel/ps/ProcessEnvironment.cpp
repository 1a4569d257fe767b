#include "kernel/ps/ProcessEnvironment.h"

#include <fmt/format.h>

#include "kernel/io/Console.h"
#include "kernel/io/GuestPath.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/mm/UserMemory.h"
#include "ntoy/process_layout.h"

namespace ntoy::ps {
namespace {

using mm::MmProtection;

// Paths and arguments are UTF-8 (the DOS paths ntoy builds, a Linux command line); bytes that
// are not are taken as Latin-1, one character each, so that nothing is lost.
std::u16string widen(const std::string& s) {
    if (auto utf16 = io::utf8ToUtf16(s))
        return std::move(*utf16);
    std::u16string w;
    for (unsigned char c : s)
        w.push_back(c);
    return w;
}

// Reserves and commits `bytes` for process structures, top-down as Windows places them, and
// gives every page its frame now so the guest never faults on them.
std::expected<VirtualAddress, std::string> allocateResident(Process& p, std::uint64_t bytes) {
    auto& space = p.space();
    auto at = space.vads().findFree(bytes, VirtualAddress(mm::kLowestUserAddress),
                                    VirtualAddress(mm::kHighestUserAddress + 1), true);
    if (!at)
        return std::unexpected("no room for the process environment");
    space.reserve(*at, bytes / kPageSize, mm::page::kReadWrite, mm::VadType::Private);
    if (space.commit(*at, *at + bytes, *MmProtection::fromWin32(mm::page::kReadWrite)) !=
        NtStatus::Success)
        return std::unexpected("not enough memory for the process environment (commit limit)");
    for (std::uint64_t off = 0; off < bytes; off += kPageSize)
        if (!space.materialize(*at + off))
            return std::unexpected("not enough memory for the process environment");
    return *at;
}

}  // namespace

std::expected<StackSize, std::string> initialStackSize(const ldr::PeImage& exe) {
    // Anything larger cannot be placed (and would overflow the rounding below).
    constexpr std::uint64_t kUserSpace = mm::kHighestUserAddress + 1 - mm::kLowestUserAddress;
    if (exe.sizeOfStackReserve() > kUserSpace)
        return std::unexpected(
            fmt::format("SizeOfStackReserve {:#x} is larger than the user address space ({:#x})",
                        exe.sizeOfStackReserve(), kUserSpace));
    if (exe.sizeOfStackCommit() > kUserSpace)
        return std::unexpected(
            fmt::format("SizeOfStackCommit {:#x} is larger than the user address space ({:#x})",
                        exe.sizeOfStackCommit(), kUserSpace));
    StackSize size{
        alignUp(std::max<std::uint64_t>(exe.sizeOfStackReserve(), kAllocationGranularity),
                kAllocationGranularity),
        alignUp(std::max<std::uint64_t>(exe.sizeOfStackCommit(), kPageSize), kPageSize)};
    // As RtlCreateUserStack does, a commit the reserve cannot hold grows the reserve to whole
    // megabytes; here it must also hold the guard page and the never-committed lowest page.
    if (size.commit + 2 * kPageSize > size.reserve)
        size.reserve = alignUp(size.commit + 2 * kPageSize, 1ull << 20);
    return size;
}

std::string buildCommandLine(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& arg : argv) {
        if (!line.empty())
            line += ' ';
        if (!arg.empty() && arg.find_first_of(" \t\"") == std::string::npos) {
            line += arg;
            continue;
        }
        line += '"';
        std::size_t backslashes = 0;
        for (char c : arg) {
            if (c == '\\') {
                ++backslashes;
                continue;
            }
            line.append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
            backslashes = 0;
            line += c;
        }
        line.append(backslashes * 2, '\\');
        line += '"';
    }
    return line;
}

std::expected<ThreadEnvironment, std::string> buildThreadEnvironment(Process& process,
                                                                     std::uint32_t threadId,
                                                                     StackSize size, bool initial) {
    auto& space = process.space();
    mm::UserMemory user(space);

    // The stack: reserved in full, committed at the top, a guard page below that, and the
    // lowest page never committed (reaching it is a stack overflow).
    const auto [reserve, commit] = size;
    auto stack = space.vads().findFree(reserve, VirtualAddress(mm::kLowestUserAddress),
                                       VirtualAddress(mm::kHighestUserAddress + 1), false);
    if (!stack)
        return std::unexpected(
            initial
                ? fmt::format("no room for the initial thread's stack (SizeOfStackReserve {:#x})",
                              reserve)
                : fmt::format("no room for the thread's stack (reserve {:#x})", reserve));
    if (!space.vadQuotaLeft(2))
        return std::unexpected("the process has no allocation left for a thread's stack");
    const auto rw = *MmProtection::fromWin32(mm::page::kReadWrite);
    const auto guard = *MmProtection::fromWin32(mm::page::kReadWrite | mm::page::kGuard);
    auto& vad =
        space.reserve(*stack, reserve / kPageSize, mm::page::kReadWrite, mm::VadType::Private);
    space.markThreadStack(vad);
    ThreadEnvironment thread;
    thread.stackAllocation = *stack;
    thread.stackBase = *stack + reserve;
    thread.stackLimit = thread.stackBase - commit;
    auto fail = [&](std::string why) {
        freeThreadEnvironment(process, thread);
        return std::unexpected(std::move(why));
    };
    if (space.commit(thread.stackLimit, thread.stackBase, rw) != NtStatus::Success ||
        space.commit(thread.stackLimit - kPageSize, thread.stackLimit, guard) != NtStatus::Success)
        return fail(initial ? fmt::format("the initial thread's stack commit (SizeOfStackCommit "
                                          "{:#x}) exceeds the commit limit",
                                          commit)
                            : fmt::format("the thread's stack commit ({:#x}) exceeds the "
                                          "commit limit",
                                          commit));
    for (VirtualAddress va = thread.stackLimit; va < thread.stackBase; va = va + kPageSize)
        if (!space.materialize(va))
            return fail("not enough memory for the stack");

    auto teb = allocateResident(process, NTOY_TEB_SIZE);
    if (!teb)
        return fail(teb.error());
    thread.teb = *teb;
    auto put = [&](VirtualAddress va, auto value) { (void)user.write(va, value); };
    put(*teb + NTOY_TEB_STACK_BASE, thread.stackBase.value());
    put(*teb + NTOY_TEB_STACK_LIMIT, thread.stackLimit.value());
    put(*teb + NTOY_TEB_SELF, teb->value());
    put(*teb + NTOY_TEB_CLIENT_ID, std::uint64_t{process.id()});
    put(*teb + NTOY_TEB_CLIENT_ID + 8, std::uint64_t{threadId});
    put(*teb + NTOY_TEB_PEB, process.peb.value());
    put(*teb + NTOY_TEB_DEALLOCATION_STACK, stack->value());
    return thread;
}

void freeThreadEnvironment(Process& process, const ThreadEnvironment& thread) {
    auto& space = process.space();
    for (VirtualAddress base : {thread.teb, thread.stackAllocation})
        if (base.value() != 0)
            if (const mm::Vad* vad = space.findVad(base); vad && vad->start() == base)
                space.release(*vad, vad->start(), vad->end());
}

std::expected<void, std::string> buildProcessEnvironment(Process& process, VirtualAddress imageBase,
                                                         const ProcessStrings& strings) {
    mm::UserMemory user(process.space());
    // PEB and process parameters, with the strings after them.
    const std::u16string wideImage = widen(strings.imagePath),
                         wideCommand = widen(strings.commandLine),
                         wideDirectory = widen(strings.currentDirectory);
    const std::u16string& environment = strings.environment;
    const std::uint64_t stringBytes =
        (wideImage.size() + wideCommand.size() + wideDirectory.size() + 3) * 2 +
        alignUp(environment.size() * 2, 16);
    const std::uint64_t paramsBytes = alignUp(NTOY_PARAMS_SIZE + stringBytes + 16, kPageSize);
    if (paramsBytes > (64ull << 20))
        return std::unexpected(
            "the process parameters (command line and environment) are too large");
    auto peb = allocateResident(process, NTOY_PEB_SIZE);
    if (!peb)
        return std::unexpected(peb.error());
    auto params = allocateResident(process, paramsBytes);
    if (!params)
        return std::unexpected(params.error());

    auto put = [&](VirtualAddress va, auto value) { (void)user.write(va, value); };
    put(*peb + NTOY_PEB_IMAGE_BASE, imageBase.value());
    put(*peb + NTOY_PEB_PROCESS_PARAMETERS, params->value());
    put(*peb + NTOY_PEB_NUMBER_OF_PROCESSORS, std::uint32_t{1});

    put(*params + NTOY_PARAMS_MAXIMUM_LENGTH, static_cast<std::uint32_t>(paramsBytes));
    put(*params + NTOY_PARAMS_LENGTH, static_cast<std::uint32_t>(paramsBytes));
    put(*params + NTOY_PARAMS_FLAGS, std::uint32_t{1});  // normalized: pointers, not offsets
    put(*params + NTOY_PARAMS_STANDARD_INPUT, std::uint64_t{NTOY_HANDLE_STDIN});
    put(*params + NTOY_PARAMS_STANDARD_OUTPUT, std::uint64_t{NTOY_HANDLE_STDOUT});
    put(*params + NTOY_PARAMS_STANDARD_ERROR, std::uint64_t{NTOY_HANDLE_STDERR});
    VirtualAddress next = *params + NTOY_PARAMS_SIZE;
    auto putString = [&](std::uint64_t field, const std::u16string& s) {
        const auto bytes = static_cast<std::uint16_t>(std::min<std::size_t>(s.size() * 2, 0xFFFC));
        put(*params + field, bytes);
        put(*params + field + 2, static_cast<std::uint16_t>(bytes + 2));
        put(*params + field + 8, next.value());
        (void)user.write(next, std::as_bytes(std::span(s.data(), bytes / 2)));
        next = next + bytes + 2;  // the page is zero: the terminator is there
    };
    putString(NTOY_PARAMS_IMAGE_PATH_NAME, wideImage);
    putString(NTOY_PARAMS_COMMAND_LINE, wideCommand);
    putString(NTOY_PARAMS_CURRENT_DIRECTORY, wideDirectory);
    next = VirtualAddress(alignUp(next.value(), 16));
    (void)user.write(next, std::as_bytes(std::span(environment.data(), environment.size())));
    put(*params + NTOY_PARAMS_ENVIRONMENT, next.value());
    put(*params + NTOY_PARAMS_ENVIRONMENT_SIZE, std::uint64_t{environment.size() * 2});

    if (io::insertConsoleHandles(process.handles()) != NtStatus::Success)
        return std::unexpected(
            "the process's handle table is not new: no room for the console handles");
    process.peb = *peb;
    return {};
}

}  // namespace ntoy::ps
