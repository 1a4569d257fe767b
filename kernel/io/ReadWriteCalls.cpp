// NtReadFile and NtWriteFile, on the console handles and on files. All I/O completes before
// the call returns (every handle behaves as a synchronous one): the status block is final,
// and an event the caller names is reset first and set once the transfer is done. APC
// completion routines are refused (STATUS_INVALID_PARAMETER): nothing here queues one.
//
// The console streams are the host's descriptors 0, 1 and 2. A read of the input takes what
// one host read gives (a line from a terminal); at the end of the input it is what Windows
// gives for the same kind of handle: STATUS_SUCCESS with 0 bytes for a terminal,
// STATUS_PIPE_BROKEN for a pipe, STATUS_END_OF_FILE for a file. A blocking read of the host's
// input holds the whole machine until the host has input for it.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "kernel/io/Console.h"
#include "kernel/io/DeviceCalls.h"
#include "kernel/io/File.h"
#include "kernel/io/FileRoot.h"
#include "kernel/io/FileSupport.h"
#include "kernel/ke/Event.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

using io::IoStatusBlock;

using io::Console;
using io::File;
namespace access = ob::access;

namespace {

constexpr std::uint32_t kPiece = 64 << 10;
// LARGE_INTEGER ByteOffset values with a meaning of their own.
constexpr std::uint64_t kWriteToEndOfFile = ~std::uint64_t{0};        // -1
constexpr std::uint64_t kUseFilePointerPosition = ~std::uint64_t{1};  // -2

struct Transfer {
    NtStatus status = NtStatus::Success;
    std::uint64_t done = 0;
};

bool writeAll(int fd, const std::byte* data, std::size_t n, int& error) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            error = w < 0 ? errno : EIO;
            return false;
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

Transfer writeConsole(SystemCall& call, const Console& console, VirtualAddress buffer,
                      std::uint32_t length) {
    std::array<std::byte, kPiece> piece;
    Transfer t;
    while (t.done < length) {
        const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(kPiece, length - t.done));
        if (auto s = call.user.read(buffer + t.done, std::span(piece.data(), n));
            s != NtStatus::Success)
            return {s, t.done};
        int error = 0;
        if (!writeAll(console.hostFd(), piece.data(), n, error))
            return {io::FileRoot::statusForErrno(error), t.done};
        t.done += n;
    }
    return t;
}

Transfer readConsole(SystemCall& call, const Console& console, VirtualAddress buffer,
                     std::uint32_t length) {
    if (length == 0)
        return {};
    std::array<std::byte, kPiece> piece;
    const std::uint32_t want = std::min(kPiece, length);
    for (;;) {
        const ssize_t n = ::read(console.hostFd(), piece.data(), want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // a non-blocking input
            pollfd p{console.hostFd(), POLLIN, 0};
            (void)::poll(&p, 1, -1);
            continue;
        }
        if (n < 0)
            return {io::FileRoot::statusForErrno(errno), 0};
        if (n == 0) {
            switch (io::consoleDeviceType(console)) {
                case io::kFileDeviceNamedPipe:
                    return {NtStatus::PipeBroken, 0};
                case io::kFileDeviceDisk:
                    return {NtStatus::EndOfFile, 0};
                default:
                    return {};
            }
        }
        const auto got = static_cast<std::size_t>(n);
        if (auto s = call.user.write(buffer, std::span<const std::byte>(piece.data(), got));
            s != NtStatus::Success)
            return {s, 0};
        return {NtStatus::Success, got};
    }
}

// Where a transfer on `file` starts: the ByteOffset argument, or the file's position.
std::expected<std::uint64_t, NtStatus> startOffset(SystemCall& call, const File& file,
                                                   VirtualAddress byteOffset, bool write) {
    if (byteOffset.value() == 0) {
        if (!file.synchronous())
            return std::unexpected(NtStatus::InvalidParameter);
        return file.position;
    }
    const auto offset = call.user.read<std::uint64_t>(byteOffset);
    if (!offset)
        return std::unexpected(offset.error());
    if (*offset == kUseFilePointerPosition && file.synchronous())
        return file.position;
    if (*offset == kWriteToEndOfFile && write) {
        struct stat st {};
        if (::fstat(file.fd(), &st) != 0)
            return std::unexpected(io::FileRoot::statusForErrno(errno));
        return static_cast<std::uint64_t>(st.st_size);
    }
    if (static_cast<std::int64_t>(*offset) < 0)
        return std::unexpected(NtStatus::InvalidParameter);
    return *offset;
}

Transfer readFile(SystemCall& call, File& file, VirtualAddress buffer, std::uint32_t length,
                  std::uint64_t offset) {
    std::array<std::byte, kPiece> piece;
    Transfer t;
    while (t.done < length) {
        const auto want =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(kPiece, length - t.done));
        const ssize_t n =
            ::pread(file.fd(), piece.data(), want, static_cast<off_t>(offset + t.done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return {io::FileRoot::statusForErrno(errno), t.done};
        if (n == 0)
            break;
        const auto got = static_cast<std::size_t>(n);
        if (auto s =
                call.user.write(buffer + t.done, std::span<const std::byte>(piece.data(), got));
            s != NtStatus::Success)
            return {s, t.done};
        t.done += got;
        if (got < want)
            break;
    }
    if (t.done == 0 && length != 0)
        t.status = NtStatus::EndOfFile;
    return t;
}

Transfer writeFile(SystemCall& call, File& file, VirtualAddress buffer, std::uint32_t length,
                   std::uint64_t offset) {
    std::array<std::byte, kPiece> piece;
    Transfer t;
    while (t.done < length) {
        const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(kPiece, length - t.done));
        if (auto s = call.user.read(buffer + t.done, std::span(piece.data(), n));
            s != NtStatus::Success)
            return {s, t.done};
        for (std::uint32_t written = 0; written < n;) {
            const ssize_t w = ::pwrite(file.fd(), piece.data() + written, n - written,
                                       static_cast<off_t>(offset + t.done + written));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return {io::FileRoot::statusForErrno(w < 0 ? errno : ENOSPC), t.done + written};
            written += static_cast<std::uint32_t>(w);
        }
        t.done += n;
    }
    return t;
}

NtStatus transfer(SystemCall& call, bool write) {
    const std::uint64_t handle = call.arg(0);
    const std::uint64_t eventHandle = call.arg(1);
    const std::uint64_t apcRoutine = call.arg(2);
    const VirtualAddress ioStatus = call.pointer(4);
    const VirtualAddress buffer = call.pointer(5);
    const auto length = static_cast<std::uint32_t>(call.arg(6));
    const VirtualAddress byteOffset = call.pointer(7);

    const ob::AccessMask needed =
        write ? access::kFileWriteData | access::kFileAppendData : access::kFileReadData;
    auto entry =
        ob::lookupHandle(call.process.handles(), ob::callerObjects(call), ob::Handle(handle));
    if (!entry)
        return entry.error();
    const ob::ObjectType type = entry->object->type();
    if (type != ob::ObjectType::Console && type != ob::ObjectType::File &&
        type != ob::ObjectType::DeviceFile)
        return NtStatus::ObjectTypeMismatch;
    // Writing needs either right (FILE_APPEND_DATA alone appends); reading FILE_READ_DATA.
    if ((entry->granted & needed) == 0)
        return NtStatus::AccessDenied;
    if (apcRoutine != 0)
        return NtStatus::InvalidParameter;
    if (type == ob::ObjectType::DeviceFile)
        return io::deviceTransfer(call,
                                  std::static_pointer_cast<const io::DeviceFile>(entry->object),
                                  write, eventHandle, ioStatus, buffer, length, byteOffset);
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    // The whole buffer must be accessible before any of it moves; then it goes in pieces, so
    // a large length costs the host no more than one piece.
    if (auto s = write ? call.user.probeForRead(buffer, length)
                       : call.user.probeForWrite(buffer, length);
        s != NtStatus::Success)
        return s;
    auto event = io::completionEvent(call, eventHandle);
    if (!event)
        return event.error();

    Transfer t;
    if (type == ob::ObjectType::Console) {
        const auto& console = static_cast<const Console&>(*entry->object);
        t = write ? writeConsole(call, console, buffer, length)
                  : readConsole(call, console, buffer, length);
    } else {
        auto& file = static_cast<File&>(*entry->object);
        if (file.directory())
            return NtStatus::InvalidDeviceRequest;
        const bool appendOnly = write && (entry->granted & access::kFileWriteData) == 0;
        auto offset = startOffset(
            call, file, appendOnly && byteOffset.value() == 0 ? VirtualAddress(0) : byteOffset,
            write);
        if (appendOnly) {  // FILE_APPEND_DATA without FILE_WRITE_DATA: always at the end
            struct stat st {};
            if (::fstat(file.fd(), &st) != 0)
                return io::FileRoot::statusForErrno(errno);
            offset = static_cast<std::uint64_t>(st.st_size);
        }
        if (!offset)
            return offset.error();
        t = write ? writeFile(call, file, buffer, length, *offset)
                  : readFile(call, file, buffer, length, *offset);
        if (file.synchronous())
            file.position = *offset + t.done;
    }
    (void)call.user.write(ioStatus, IoStatusBlock{raw(t.status), t.done});
    if (*event && call.waits != nullptr)
        (void)(*event)->set(*call.waits);
    return t.status;
}

}  // namespace

NtStatus NtWriteFile(SystemCall& call) {
    return transfer(call, true);
}

NtStatus NtReadFile(SystemCall& call) {
    return transfer(call, false);
}

}  // namespace ntoy::ke
