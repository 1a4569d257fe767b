#include "kernel/io/Console.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "ntoy/process_layout.h"

namespace ntoy::io {

NtStatus insertConsoleHandles(ob::HandleTable& table) {
    if (table.count() != 0)
        return NtStatus::InvalidHandle;
    struct Standard {
        Console::Stream stream;
        ob::AccessMask access;
        std::uint64_t handle;
    };
    constexpr Standard kStandard[] = {
        {Console::Stream::Input, ob::access::kFileGenericRead, NTOY_HANDLE_STDIN},
        {Console::Stream::Output, ob::access::kFileGenericWrite, NTOY_HANDLE_STDOUT},
        {Console::Stream::Error, ob::access::kFileGenericWrite, NTOY_HANDLE_STDERR},
    };
    for (const Standard& s : kStandard) {
        auto handle = table.insert(std::make_shared<Console>(s.stream), s.access);
        if (!handle)
            return handle.error();
        if (*handle != ob::Handle(s.handle))
            return NtStatus::InvalidHandle;
    }
    return NtStatus::Success;
}

std::uint32_t consoleDeviceType(const Console& console) {
    const int fd = console.hostFd();
    if (::isatty(fd))
        return kFileDeviceConsole;
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return kFileDeviceUnknown;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return kFileDeviceNamedPipe;
    if (S_ISREG(st.st_mode))
        return kFileDeviceDisk;
    if (S_ISCHR(st.st_mode))
        return kFileDeviceNull;
    return kFileDeviceUnknown;
}

}  // namespace ntoy::io
