// The console: the object behind a process's standard handles (4, 8 and 0xC), which say
// whether it is the input, the output or the error stream, each the host's descriptor 0, 1
// or 2. The input handle is granted only read rights and the others only write rights, so a
// read of an output (or a write to the input) is STATUS_ACCESS_DENIED by the ordinary access
// check.
#pragma once

#include <cstdint>

#include "kernel/base/NtStatus.h"
#include "kernel/ob/HandleTable.h"
#include "kernel/ob/Object.h"

namespace ntoy::io {

class Console final : public ob::Object {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Console;
    enum class Stream : std::uint8_t { Input, Output, Error };

    explicit Console(Stream stream) : ob::Object(kObjectType), stream_(stream) {}
    Stream stream() const { return stream_; }
    int hostFd() const { return static_cast<int>(stream_); }  // 0, 1, 2

private:
    Stream stream_;
};

// Puts the three console handles, at NTOY_HANDLE_STDIN, _STDOUT and _STDERR, in a new
// process's empty table; STATUS_INVALID_HANDLE if the table was not empty, as the values would
// then differ.
NtStatus insertConsoleHandles(ob::HandleTable& table);

// The device a console stream is, as FileFsDeviceInformation reports it: FILE_DEVICE_CONSOLE
// for a terminal, FILE_DEVICE_NAMED_PIPE for a pipe or socket, FILE_DEVICE_DISK for a file,
// FILE_DEVICE_NULL for another character device (/dev/null), FILE_DEVICE_UNKNOWN otherwise.
std::uint32_t consoleDeviceType(const Console& console);

inline constexpr std::uint32_t kFileDeviceDisk = 0x07;
inline constexpr std::uint32_t kFileDeviceNamedPipe = 0x11;
inline constexpr std::uint32_t kFileDeviceNull = 0x15;
inline constexpr std::uint32_t kFileDeviceUnknown = 0x22;
inline constexpr std::uint32_t kFileDeviceConsole = 0x50;

}  // namespace ntoy::io
