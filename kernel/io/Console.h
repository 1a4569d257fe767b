// The console: the object behind a process's standard handles (4, 8 and 0xC), which say
// whether it is the input, the output or the error stream. The input handle is granted only
// read rights, so writing to it is STATUS_ACCESS_DENIED by the ordinary access check.
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

private:
    Stream stream_;
};

// Puts the three console handles, at NTOY_HANDLE_STDIN, _STDOUT and _STDERR, in a new
// process's empty table; STATUS_INVALID_HANDLE if the table was not empty, as the values would
// then differ.
NtStatus insertConsoleHandles(ob::HandleTable& table);

}  // namespace ntoy::io
