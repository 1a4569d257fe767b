// NtWriteFile to the console handles: guest stdout and stderr go to the host's.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "kernel/io/Console.h"
#include "kernel/ke/SystemCall.h"

namespace ntoy::ke {

using io::Console;
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

    // The input handle lacks FILE_WRITE_DATA: writing to it is STATUS_ACCESS_DENIED.
    const auto console =
        call.process.handles().reference<Console>(ob::Handle(handle), ob::access::kFileWriteData);
    if (!console)
        return console.error();
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    // The whole buffer must be readable before any of it is written; then it goes out in
    // pieces, so a large length costs the host no more than one piece.
    if (auto s = call.user.probeForRead(buffer, length); s != NtStatus::Success)
        return s;
    const int fd = (*console)->stream() == Console::Stream::Error ? STDERR_FILENO : STDOUT_FILENO;
    constexpr std::uint32_t kPiece = 64 << 10;
    std::array<std::byte, kPiece> piece;
    NtStatus status = NtStatus::Success;
    for (std::uint32_t done = 0; done < length && status == NtStatus::Success;) {
        const std::uint32_t n = std::min(kPiece, length - done);
        if (call.user.read(buffer + done, std::span(piece.data(), n)) != NtStatus::Success ||
            !writeAll(fd, piece.data(), n))
            status = NtStatus::Unsuccessful;
        done += n;
    }
    (void)call.user.write(ioStatus,
                          IoStatusBlock{raw(status), status == NtStatus::Success ? length : 0u});
    return status;
}

}  // namespace ntoy::ke
