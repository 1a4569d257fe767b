// Processes seen from others: NtOpenProcess, NtQueryInformationProcess, NtReadVirtualMemory,
// NtWriteVirtualMemory, and NtCreateProcessFromImage (ntoy's CreateProcess).
#include <algorithm>
#include <filesystem>

#include "kernel/Kernel.h"
#include "kernel/io/FileRoot.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ldr/DllName.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"
#include "ntoy/process_create.h"

namespace ntoy::ke {
namespace {

namespace access = ob::access;

std::expected<std::shared_ptr<ps::Process>, NtStatus> processFor(SystemCall& call,
                                                                 std::uint64_t handle,
                                                                 ob::AccessMask desired) {
    auto process = ob::referenceForCaller<ps::Process>(call, handle, desired);
    // PROCESS_QUERY_INFORMATION implies the limited right, as on Windows.
    if (!process && process.error() == NtStatus::AccessDenied &&
        desired == access::kProcessQueryLimitedInformation)
        return ob::referenceForCaller<ps::Process>(call, handle, access::kProcessQueryInformation);
    return process;
}

// A counted UTF-16 string of the caller's, as Latin-1 (what the rest of the kernel speaks);
// characters beyond it are refused.
std::expected<std::string, NtStatus> readString(SystemCall& call, std::uint64_t at,
                                                std::uint32_t bytes, std::uint32_t limit) {
    if (bytes % 2 != 0 || bytes > limit)
        return std::unexpected(NtStatus::InvalidParameter);
    std::u16string wide(bytes / 2, u'\0');
    if (bytes != 0)
        if (auto s = call.user.read(VirtualAddress(at), std::as_writable_bytes(std::span(wide)));
            s != NtStatus::Success)
            return std::unexpected(s);
    std::string narrow;
    for (char16_t c : wide) {
        if (c > 0xFF)
            return std::unexpected(NtStatus::ObjectNameInvalid);
        narrow.push_back(static_cast<char>(c));
    }
    return narrow;
}

// Copies `size` bytes from one process's memory to another's, a page at most at a time, as
// far as both can be reached: how many were copied.
std::uint64_t copyBetween(mm::UserMemory from, VirtualAddress source, mm::UserMemory to,
                          VirtualAddress destination, std::uint64_t size, bool& sourceFailed) {
    std::array<std::byte, kPageSize> buffer;
    std::uint64_t done = 0;
    sourceFailed = false;
    while (done < size) {
        const std::uint64_t n = std::min({size - done, kPageSize - (source + done).pageOffset(),
                                          kPageSize - (destination + done).pageOffset()});
        const auto piece = std::span(buffer.data(), n);
        if (from.read(source + done, piece) != NtStatus::Success) {
            sourceFailed = true;
            break;
        }
        if (to.write(destination + done, std::span<const std::byte>(piece)) != NtStatus::Success)
            break;
        done += n;
    }
    return done;
}

NtStatus copyMemory(SystemCall& call, bool reading) {
    const VirtualAddress base = call.pointer(1), buffer = call.pointer(2);
    const std::uint64_t size = call.arg(3);
    const VirtualAddress countOut = call.pointer(4);
    if (countOut.value() != 0)
        if (auto s = call.user.probeForWrite(countOut, 8); s != NtStatus::Success)
            return s;
    auto process =
        processFor(call, call.arg(0), reading ? access::kProcessVmRead : access::kProcessVmWrite);
    if (!process)
        return process.error();
    if (!(*process)->hasAddressSpace())
        return NtStatus::ProcessIsTerminating;
    // Neither range may reach beyond user space.
    for (VirtualAddress va : {base, buffer})
        if (va.value() + size < va.value() || !mm::isUserAddress(va.value() + size - (size != 0)))
            return NtStatus::AccessViolation;
    mm::UserMemory other((*process)->space());
    bool sourceFailed = false;
    const std::uint64_t done =
        reading ? copyBetween(other, base, call.user, buffer, size, sourceFailed)
                : copyBetween(call.user, buffer, other, base, size, sourceFailed);
    if (countOut.value() != 0)
        (void)call.user.write(countOut, done);
    if (done == size)
        return NtStatus::Success;
    // The caller's own buffer failing is its access violation; the other side's, a partial copy.
    const bool callerSide = reading ? !sourceFailed : sourceFailed;
    return callerSide ? NtStatus::AccessViolation : NtStatus::PartialCopy;
}

}  // namespace

NtStatus NtOpenProcess(SystemCall& call) {
    const VirtualAddress handleOut = call.pointer(0), clientId = call.pointer(3);
    const auto desired = static_cast<ob::AccessMask>(call.arg(1));
    if (auto s = call.user.probeForWrite(handleOut, 8); s != NtStatus::Success)
        return s;
    auto attributes = ob::captureObjectAttributes(call, call.pointer(2));
    if (!attributes)
        return attributes.error();
    auto id = call.user.read<std::uint64_t>(clientId);
    if (!id)
        return id.error();
    auto process =
        *id > 0xFFFF'FFFF ? nullptr : call.kernel->processRef(static_cast<std::uint32_t>(*id));
    if (!process)
        return NtStatus::InvalidCid;
    return ob::insertForCaller(call, handleOut, process,
                               ob::grantedAccess(ob::ObjectType::Process, desired), *attributes);
}

namespace {

// ProcessQuotaLimits: QUOTA_LIMITS (0x30 bytes) or QUOTA_LIMITS_EX (0x58), x64. Of them ntoy
// keeps the working-set limits (and Flags) and the pool limits (unlimited until set; setting
// them needs SeIncreaseQuotaPrivilege on Windows, which ntoy does not model); the pagefile
// and time limits are unlimited, as a process with the default quota block reports them.
constexpr std::uint32_t kQuotaLimits = 1;
constexpr std::uint32_t kQuotaLimitsSize = 0x30, kQuotaLimitsExSize = 0x58;
struct QuotaLimitsEx {
    std::uint64_t pagedPoolLimit, nonPagedPoolLimit, minimumWorkingSetSize, maximumWorkingSetSize,
        pagefileLimit;
    std::int64_t timeLimit;
    std::uint64_t workingSetLimit, reserved2, reserved3, reserved4;
    std::uint32_t flags, cpuRateLimit;
};
static_assert(sizeof(QuotaLimitsEx) == kQuotaLimitsExSize);
// QUOTA_LIMITS_HARDWS_MIN_ENABLE, _MIN_DISABLE, _MAX_ENABLE, _MAX_DISABLE.
constexpr std::uint32_t kHardMinEnable = 1, kHardMinDisable = 2, kHardMaxEnable = 4,
                        kHardMaxDisable = 8;

QuotaLimitsEx quotaLimitsOf(const ps::Process& p) {
    QuotaLimitsEx q{};
    q.pagedPoolLimit = p.poolQuota->limit[1];
    q.nonPagedPoolLimit = p.poolQuota->limit[0];
    q.pagefileLimit = ~0ull;
    q.timeLimit = -1;
    if (p.hasAddressSpace()) {
        const auto& limits = p.space().workingSetLimits();
        q.minimumWorkingSetSize = limits.minimumPages * kPageSize;
        q.maximumWorkingSetSize = limits.maximumPages * kPageSize;
        q.flags = limits.flags;
    }
    return q;
}

}  // namespace

NtStatus NtSetInformationProcess(SystemCall& call) {
    const auto infoClass = static_cast<std::uint32_t>(call.arg(1));
    const VirtualAddress info = call.pointer(2);
    const auto length = static_cast<std::uint32_t>(call.arg(3));
    if (infoClass != kQuotaLimits)
        return NtStatus::InvalidInfoClass;
    if (length != kQuotaLimitsSize && length != kQuotaLimitsExSize)
        return NtStatus::InfoLengthMismatch;
    QuotaLimitsEx q{};
    if (auto s = call.user.read(info, std::as_writable_bytes(std::span(&q, 1)).first(length));
        s != NtStatus::Success)
        return s;
    auto process = processFor(call, call.arg(0), access::kProcessSetQuota);
    if (!process)
        return process.error();
    if (!(*process)->hasAddressSpace())
        return NtStatus::ProcessIsTerminating;
    mm::AddressSpace& space = (*process)->space();
    const std::uint32_t flags = length == kQuotaLimitsExSize ? q.flags : 0;
    if ((flags & ~(kHardMinEnable | kHardMinDisable | kHardMaxEnable | kHardMaxDisable)) != 0 ||
        (flags & (kHardMinEnable | kHardMinDisable)) == (kHardMinEnable | kHardMinDisable) ||
        (flags & (kHardMaxEnable | kHardMaxDisable)) == (kHardMaxEnable | kHardMaxDisable))
        return NtStatus::InvalidParameter;
    // A pool limit of 0 leaves it as it is; a new one binds new charges only, as on Windows.
    if (q.nonPagedPoolLimit != 0)
        (*process)->poolQuota->limit[0] = q.nonPagedPoolLimit;
    if (q.pagedPoolLimit != 0)
        (*process)->poolQuota->limit[1] = q.pagedPoolLimit;
    // Both -1: as many pages as can leave the working set do (EmptyWorkingSet).
    if (q.minimumWorkingSetSize == ~0ull && q.maximumWorkingSetSize == ~0ull) {
        space.emptyWorkingSet();
        return NtStatus::Success;
    }
    // Both 0: no working-set change (a request for the other quotas, which stay unlimited).
    if (q.minimumWorkingSetSize == 0 && q.maximumWorkingSetSize == 0)
        return NtStatus::Success;
    // An enable bit sets the limit hard, a disable bit soft; neither keeps what it was.
    std::uint32_t kept = space.workingSetLimits().flags;
    if (flags & (kHardMinEnable | kHardMinDisable))
        kept = (kept & ~(kHardMinEnable | kHardMinDisable)) | (flags & kHardMinEnable);
    if (flags & (kHardMaxEnable | kHardMaxDisable))
        kept = (kept & ~(kHardMaxEnable | kHardMaxDisable)) | (flags & kHardMaxEnable);
    return space.setWorkingSetLimits(q.minimumWorkingSetSize / kPageSize,
                                     q.maximumWorkingSetSize / kPageSize, kept);
}

NtStatus NtQueryInformationProcess(SystemCall& call) {
    constexpr std::uint32_t kBasic = 0, kVmCounters = 3, kHandleCount = 20;
    const auto infoClass = static_cast<std::uint32_t>(call.arg(1));
    const VirtualAddress info = call.pointer(2), returnLength = call.pointer(4);
    const auto length = static_cast<std::uint32_t>(call.arg(3));
    std::uint32_t size;
    switch (infoClass) {
        case kBasic:
            size = 0x30;
            break;
        case kVmCounters:  // VM_COUNTERS (11 SIZE_Ts) or VM_COUNTERS_EX (PrivateUsage too)
            size = length == 0x60 ? 0x60 : 0x58;
            break;
        case kHandleCount:
            size = 4;
            break;
        case kQuotaLimits:
            size = length == kQuotaLimitsExSize ? kQuotaLimitsExSize : kQuotaLimitsSize;
            break;
        default:
            return NtStatus::InvalidInfoClass;
    }
    if (auto s = ob::probeQueryBuffers(call, size); s != NtStatus::Success)
        return s;
    auto process = processFor(call, call.arg(0), access::kProcessQueryLimitedInformation);
    if (!process)
        return process.error();
    ps::Process& p = **process;
    NtStatus s = NtStatus::Success;
    if (infoClass == kBasic) {
        const std::uint64_t basic[6] = {
            p.exitStatus() && p.ended() ? *p.exitStatus() : raw(NtStatus::Pending),
            p.peb.value(),
            1,
            8,
            p.id(),
            p.parentId};
        s = call.user.write(info, basic);
    } else if (infoClass == kVmCounters) {
        // VM_COUNTERS: sizes in bytes; an ended process keeps its peaks and fault count.
        const mm::AddressSpace::Peaks peaks = p.peaks();
        std::uint64_t counters[11] = {};
        counters[0] = peaks.reservedPages * kPageSize;    // PeakVirtualSize
        counters[2] = p.pageFaults() & 0xFFFF'FFFF;       // PageFaultCount (a ULONG)
        counters[3] = peaks.workingSetPages * kPageSize;  // PeakWorkingSetSize
        counters[10] = peaks.committedPages * kPageSize;  // PeakPagefileUsage
        // The pool quota its objects are charged (QuotaPeak/QuotaPagedPoolUsage, then the
        // nonpaged pair), which outlives it with them.
        counters[5] = p.poolQuota->peak[1];
        counters[6] = p.poolQuota->usage[1];
        counters[7] = p.poolQuota->peak[0];
        counters[8] = p.poolQuota->usage[0];
        if (p.hasAddressSpace()) {
            counters[1] = p.space().reservedPages() * kPageSize;      // VirtualSize
            counters[4] = p.space().workingSet().size() * kPageSize;  // WorkingSetSize
            counters[9] = p.space().committedPages() * kPageSize;     // PagefileUsage
        }
        s = call.user.write(info, counters);
        if (s == NtStatus::Success && size == 0x60)
            s = call.user.write(info + 0x58, counters[9]);  // PrivateUsage: the commit
    } else if (infoClass == kQuotaLimits) {
        const QuotaLimitsEx q = quotaLimitsOf(p);
        s = call.user.write(info, std::as_bytes(std::span(&q, 1)).first(size));
    } else {
        s = call.user.write(
            info, static_cast<std::uint32_t>(p.hasAddressSpace() ? p.handles().count() : 0));
    }
    if (s == NtStatus::Success && returnLength.value() != 0)
        s = call.user.write(returnLength, size);
    return s;
}

NtStatus NtReadVirtualMemory(SystemCall& call) {
    return copyMemory(call, true);
}

NtStatus NtWriteVirtualMemory(SystemCall& call) {
    return copyMemory(call, false);
}

NtStatus NtCreateProcessFromImage(SystemCall& call) {
    const VirtualAddress processOut = call.pointer(0), threadOut = call.pointer(1),
                         clientIdOut = call.pointer(2);
    for (VirtualAddress out : {processOut, threadOut})
        if (auto s = call.user.probeForWrite(out, 8); s != NtStatus::Success)
            return s;
    if (clientIdOut.value() != 0)
        if (auto s = call.user.probeForWrite(clientIdOut, 16); s != NtStatus::Success)
            return s;
    auto params = call.user.read<NTOY_PROCESS_CREATE>(call.pointer(3));
    if (!params)
        return params.error();
    if ((params->Flags & ~std::uint32_t{NTOY_CREATE_SUSPENDED}) != 0)
        return NtStatus::InvalidParameter;
    auto name = readString(call, params->ImageName, params->ImageNameLength, 0x10000);
    auto commandLine = readString(call, params->CommandLine, params->CommandLineLength, 0x10000);
    auto directory =
        readString(call, params->CurrentDirectory, params->CurrentDirectoryLength, 0x10000);
    if (!name || !commandLine || !directory)
        return !name ? name.error() : !commandLine ? commandLine.error() : directory.error();
    if (params->EnvironmentLength % 2 != 0 || params->EnvironmentLength > (1u << 20))
        return NtStatus::InvalidParameter;
    std::u16string environment;
    if (params->Environment != 0) {
        environment.resize(params->EnvironmentLength / 2);
        if (auto s = call.user.read(VirtualAddress(params->Environment),
                                    std::as_writable_bytes(std::span(environment)));
            s != NtStatus::Success)
            return s;
    } else {
        environment = call.process.environment;
    }

    // Only the name's last component, only in the caller's application directory and then
    // the images directory: no other host file is ever opened.
    const std::string& path = *name;
    const std::string file = path.substr(
        path.find_last_of("\\/:") == std::string::npos ? 0 : path.find_last_of("\\/:") + 1);
    if (!ldr::isDllFileName(file))
        return NtStatus::ObjectNameInvalid;
    const ps::ImageSearchPath& search = call.process.imageSearchPath();
    std::filesystem::path image;
    for (const auto& dir : {search.applicationDirectory, search.systemDirectory}) {
        std::error_code ec;
        if (!dir.empty() && std::filesystem::is_regular_file(dir / file, ec)) {
            image = dir / file;
            break;
        }
    }
    if (image.empty())
        return NtStatus::ObjectNameNotFound;

    Kernel::NewProcess spec;
    spec.image = image;
    spec.commandLine = *commandLine;
    spec.systemDirectory = search.systemDirectory;
    if (directory->empty()) {
        spec.currentDirectory = call.process.currentDirectory;
    } else {
        // A directory that exists under the root, spelled as the guest's DOS path.
        auto checked = io::existingDirectory(call.process.fileRoot.get(), *directory);
        if (!checked)
            return checked.error();
        spec.currentDirectory = std::move(*checked);
    }
    spec.environment = std::move(environment);
    spec.parentId = call.process.id();
    spec.suspended = (params->Flags & NTOY_CREATE_SUSPENDED) != 0;
    auto child = call.kernel->createProcess(spec);
    if (!child)
        return child.error().kind == RunError::Kind::BadImage ? NtStatus::InvalidImageFormat
                                                              : NtStatus::InsufficientResources;
    auto thread = (*child)->threads().front();
    NtStatus s = ob::insertForCaller(call, processOut, *child, access::kProcessAllAccess, 0);
    if (s == NtStatus::Success) {
        s = ob::insertForCaller(call, threadOut, thread, access::kThreadAllAccess, 0);
        if (s != NtStatus::Success)
            (void)call.process.handles().close(
                ob::Handle(*call.user.read<std::uint64_t>(processOut)));
    }
    if (s == NtStatus::Success && clientIdOut.value() != 0) {
        const std::uint64_t ids[2] = {(*child)->id(), thread->id()};
        s = call.user.write(clientIdOut, ids);
    }
    if (s != NtStatus::Success)
        (*child)->terminate(raw(s));  // nothing half-done: it never runs
    return s;
}

}  // namespace ntoy::ke
