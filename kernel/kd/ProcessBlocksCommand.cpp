// !teb [VA] and !peb [VA]: the thread and process environment blocks as WinDbg shows them,
// read from guest memory at Windows' x64 offsets (guest/include/ntoy/process_layout.h), so
// that what the guest itself wrote there shows too. !peb walks PEB->Ldr's load-order module
// list when the loader has built one.
#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "kernel/Kernel.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/ExtensionCommands.h"
#include "kernel/kd/KernelState.h"
#include "kernel/kd/NumberArgument.h"
#include "ntoy/process_layout.h"

namespace ntoy::kd {
namespace {

// Windows' x64 offsets of the fields shown that process_layout.h does not name.
constexpr std::uint64_t kTebSubSystemTib = 0x18, kTebFiberData = 0x20,
                        kTebArbitraryUserPointer = 0x28, kTebEnvironmentPointer = 0x38,
                        kTebRpcHandle = 0x50, kTebTlsPointer = 0x58, kTebOwnedLocks = 0x6C,
                        kTebLastStatus = 0x1250, kTebHardErrorMode = 0x16B0;
constexpr std::uint64_t kPebInheritedAddressSpace = 0x0, kPebReadImageFileExecOptions = 0x1,
                        kPebBeingDebugged = 0x2, kPebSubSystemData = 0x28, kPebNtGlobalFlag = 0xBC;
constexpr std::uint64_t kLdrInitialized = 0x4, kLdrInLoadOrder = 0x10, kLdrInMemoryOrder = 0x20,
                        kLdrInInitializationOrder = 0x30;
constexpr std::uint64_t kEntryDllBase = 0x30, kEntryFullDllName = 0x48, kEntryTimeDateStamp = 0x80;
constexpr std::uint64_t kParamsCurrentDirectory = 0x38, kParamsDllPath = 0x50,
                        kParamsEnvironment = 0x80, kParamsWindowTitle = 0xB0;
// A module list longer than this is taken as corrupt.
constexpr int kMaxModules = 4096;
constexpr std::uint16_t kMaxStringBytes = 0xFFFE;

class GuestReader {
public:
    explicit GuestReader(const mm::AddressSpace& space) : space_(space) {}

    template <typename T>
    std::optional<T> read(std::uint64_t va) const {
        T value;
        if (readVirtual(space_, VirtualAddress(va), std::as_writable_bytes(std::span(&value, 1))) !=
            sizeof value)
            return std::nullopt;
        return value;
    }
    // "0000000000210000", or "????????????????" where it cannot be read.
    std::string pointer(std::uint64_t va) const {
        const auto v = read<std::uint64_t>(va);
        return v ? fmt::format("{:016x}", *v) : std::string(16, '?');
    }
    std::string number(std::uint64_t va) const {
        const auto v = read<std::uint32_t>(va);
        return v ? fmt::format("{}", *v) : "?";
    }
    std::string yesNo(std::uint64_t va) const {
        const auto v = read<std::uint8_t>(va);
        return !v ? "?" : *v ? "Yes" : "No";
    }
    // A UNICODE_STRING at `va`: Latin-1 and ASCII as they are, others as '?'.
    std::string unicodeString(std::uint64_t va) const {
        const auto length = read<std::uint16_t>(va);
        const auto buffer = read<std::uint64_t>(va + 8);
        if (!length || !buffer)
            return fmt::format("(cannot read the UNICODE_STRING at {:#x})", va);
        std::u16string text(std::min(*length, kMaxStringBytes) / 2, u'\0');
        const std::size_t n =
            readVirtual(space_, VirtualAddress(*buffer), std::as_writable_bytes(std::span(text)));
        if (n != text.size() * 2)
            return fmt::format("(cannot read the string at {:#x})", *buffer);
        std::string out;
        for (char16_t c : text)
            out += c < 0x100 ? static_cast<char>(c) : '?';
        return out;
    }

private:
    const mm::AddressSpace& space_;
};

std::expected<std::uint64_t, std::string> blockAddress(ExtensionArguments args,
                                                       VirtualAddress fallback,
                                                       std::string_view usage) {
    if (args.size() > 1)
        return std::unexpected(fmt::format("usage: {}", usage));
    if (args.empty())
        return fallback.value();
    return parseWinDbgNumber(args[0]);
}

std::string moduleList(const GuestReader& guest, std::uint64_t ldr) {
    std::string out;
    auto listHeads = [&](std::string_view name, std::uint64_t offset) {
        out += fmt::format("    Ldr.{:<33}{} . {}\n", std::string(name) + ":",
                           guest.pointer(ldr + offset), guest.pointer(ldr + offset + 8));
    };
    out += fmt::format("    Ldr.Initialized:          {}\n", guest.yesNo(ldr + kLdrInitialized));
    listHeads("InInitializationOrderModuleList", kLdrInInitializationOrder);
    listHeads("InLoadOrderModuleList", kLdrInLoadOrder);
    listHeads("InMemoryOrderModuleList", kLdrInMemoryOrder);
    out += fmt::format("{:>24} {:>8} {:>20}\n", "Base", "TimeStamp", "Module");
    // InLoadOrderLinks is the first field of LDR_DATA_TABLE_ENTRY: a link is its entry.
    const std::uint64_t head = ldr + kLdrInLoadOrder;
    auto link = guest.read<std::uint64_t>(head);
    for (int n = 0; link && *link != head; ++n) {
        if (n == kMaxModules) {
            out += fmt::format("    *** the list does not come back to its head after {} entries\n",
                               kMaxModules);
            break;
        }
        const std::uint64_t entry = *link;
        const auto base = guest.read<std::uint64_t>(entry + kEntryDllBase);
        const auto stamp = guest.read<std::uint32_t>(entry + kEntryTimeDateStamp);
        if (!base || !stamp) {
            out += fmt::format("    *** cannot read the module entry at {:016x}\n", entry);
            break;
        }
        out += fmt::format("{:>24x} {:08x} {}\n", *base, *stamp,
                           guest.unicodeString(entry + kEntryFullDllName));
        link = guest.read<std::uint64_t>(entry);
    }
    if (!link)
        out += "    *** cannot read the next link of the module list\n";
    return out;
}

}  // namespace

ExtensionResult tebCommand(Kernel& kernel, ExtensionArguments args) {
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    // The thread in view's TEB unless one is named.
    const ps::Thread* thread = kernel.thread();
    auto teb = blockAddress(args, thread ? thread->teb : VirtualAddress(0), "!teb [VA]");
    if (!teb)
        return std::unexpected(teb.error());
    const GuestReader guest((*process)->space());
    if (!guest.read<std::uint64_t>(*teb))
        return std::unexpected(fmt::format("cannot read a TEB at {:#x}", *teb));
    std::string out = fmt::format("TEB at {:016x}\n", *teb);
    auto field = [&](std::string_view name, const std::string& value) {
        out += fmt::format("    {:<22}{}\n", std::string(name) + ":", value);
    };
    field("ExceptionList", guest.pointer(*teb + NTOY_TEB_EXCEPTION_LIST));
    field("StackBase", guest.pointer(*teb + NTOY_TEB_STACK_BASE));
    field("StackLimit", guest.pointer(*teb + NTOY_TEB_STACK_LIMIT));
    field("SubSystemTib", guest.pointer(*teb + kTebSubSystemTib));
    field("FiberData", guest.pointer(*teb + kTebFiberData));
    field("ArbitraryUserPointer", guest.pointer(*teb + kTebArbitraryUserPointer));
    field("Self", guest.pointer(*teb + NTOY_TEB_SELF));
    field("EnvironmentPointer", guest.pointer(*teb + kTebEnvironmentPointer));
    field("ClientId", guest.pointer(*teb + NTOY_TEB_CLIENT_ID) + " . " +
                          guest.pointer(*teb + NTOY_TEB_CLIENT_ID + 8));
    field("RpcHandle", guest.pointer(*teb + kTebRpcHandle));
    field("Tls Storage", guest.pointer(*teb + kTebTlsPointer));
    field("PEB Address", guest.pointer(*teb + NTOY_TEB_PEB));
    field("LastErrorValue", guest.number(*teb + NTOY_TEB_LAST_ERROR));
    field("LastStatusValue", guest.number(*teb + kTebLastStatus));
    field("Count Owned Locks", guest.number(*teb + kTebOwnedLocks));
    field("HardErrorMode", guest.number(*teb + kTebHardErrorMode));
    return out;
}

ExtensionResult pebCommand(Kernel& kernel, ExtensionArguments args) {
    auto process = currentProcess(kernel);
    if (!process)
        return std::unexpected(process.error());
    auto peb = blockAddress(args, (*process)->peb, "!peb [VA]");
    if (!peb)
        return std::unexpected(peb.error());
    const GuestReader guest((*process)->space());
    if (!guest.read<std::uint64_t>(*peb))
        return std::unexpected(fmt::format("cannot read a PEB at {:#x}", *peb));
    std::string out = fmt::format("PEB at {:016x}\n", *peb);
    auto field = [&](std::string_view name, const std::string& value) {
        out += fmt::format("    {:<26}{}\n", std::string(name) + ":", value);
    };
    field("InheritedAddressSpace", guest.yesNo(*peb + kPebInheritedAddressSpace));
    field("ReadImageFileExecOptions", guest.yesNo(*peb + kPebReadImageFileExecOptions));
    field("BeingDebugged", guest.yesNo(*peb + kPebBeingDebugged));
    field("ImageBaseAddress", guest.pointer(*peb + NTOY_PEB_IMAGE_BASE));
    field("NtGlobalFlag", guest.number(*peb + kPebNtGlobalFlag));
    const auto ldr = guest.read<std::uint64_t>(*peb + NTOY_PEB_LDR);
    out += fmt::format("    {:<26}{}\n", "Ldr", guest.pointer(*peb + NTOY_PEB_LDR));
    if (!ldr || *ldr == 0 || !guest.read<std::uint32_t>(*ldr))
        out += fmt::format("    *** unable to read Ldr table at {:016x}\n", ldr.value_or(0));
    else
        out += moduleList(guest, *ldr);
    out += fmt::format("    {:<19}{}\n", "SubSystemData:", guest.pointer(*peb + kPebSubSystemData));
    out +=
        fmt::format("    {:<19}{}\n", "ProcessHeap:", guest.pointer(*peb + NTOY_PEB_PROCESS_HEAP));
    out += fmt::format("    {:<19}{}\n",
                       "ProcessParameters:", guest.pointer(*peb + NTOY_PEB_PROCESS_PARAMETERS));
    const auto params = guest.read<std::uint64_t>(*peb + NTOY_PEB_PROCESS_PARAMETERS);
    if (!params || *params == 0)
        return out;
    auto text = [&](std::string_view name, std::uint64_t offset) {
        out += fmt::format("    {:<18}'{}'\n", std::string(name) + ":",
                           guest.unicodeString(*params + offset));
    };
    text("CurrentDirectory", kParamsCurrentDirectory);
    text("WindowTitle", kParamsWindowTitle);
    text("ImageFile", NTOY_PARAMS_IMAGE_PATH_NAME);
    text("CommandLine", NTOY_PARAMS_COMMAND_LINE);
    text("DllPath", kParamsDllPath);
    out +=
        fmt::format("    {:<18}{}\n", "Environment:", guest.pointer(*params + kParamsEnvironment));
    return out;
}

}  // namespace ntoy::kd
