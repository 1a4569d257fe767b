// NtWriteFile to the console handles: guest stdout and stderr go to the host's.
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "kernel/ke/SystemCall.h"

namespace ntoy::ke {
namespace {

struct IoStatusBlock {
    std::uint64_t status;  // NTSTATUS, in a pointer-sized union
    std::uint64_t information;
};

bool writeAll(int fd, const std::byte* data, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

}  // namespace

NtStatus NtWriteFile(SystemCall& call) {
    const std::uint64_t handle = call.arg(0);
    const VirtualAddress ioStatus = call.pointer(4);
    const VirtualAddress buffer = call.pointer(5);
    const auto length = static_cast<std::uint32_t>(call.arg(6));

    const auto object = call.process.handles().lookup(handle);
    if (!object)
        return NtStatus::InvalidHandle;
    if (*object == ps::ObjectKind::ConsoleInput)
        return NtStatus::AccessDenied;
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    std::vector<std::byte> data(length);
    if (auto s = call.user.read(buffer, data); s != NtStatus::Success)
        return s;

    const int fd = *object == ps::ObjectKind::ConsoleOutput ? STDOUT_FILENO : STDERR_FILENO;
    const NtStatus status =
        writeAll(fd, data.data(), data.size()) ? NtStatus::Success : NtStatus::Unsuccessful;
    (void)call.user.write(ioStatus,
                          IoStatusBlock{raw(status), status == NtStatus::Success ? length : 0u});
    return status;
}

}  // namespace ntoy::ke
