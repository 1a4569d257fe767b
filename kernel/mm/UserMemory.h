// The one path by which the kernel reads and writes user memory on the guest's behalf. It
// walks the page tables as the CPU would, resolves demand-zero pages, and answers
// STATUS_ACCESS_VIOLATION for free, reserved, no-access, guard or system-space addresses.
// A multi-page access is checked in full before any byte moves.
#pragma once

#include <cstring>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <type_traits>

#include "kernel/mm/AddressSpace.h"

namespace ntoy::mm {

class UserMemory {
public:
    explicit UserMemory(AddressSpace& space) : space_(space) {}

    NtStatus read(VirtualAddress va, std::span<std::byte> out);
    NtStatus write(VirtualAddress va, std::span<const std::byte> in);
    // Checks that [va, va+size) could be written, resolving demand-zero pages, without
    // writing: the probe that precedes any change.
    NtStatus probeForWrite(VirtualAddress va, std::uint64_t size);
    // The same for reading: lets a large input be checked whole and then consumed piecewise.
    NtStatus probeForRead(VirtualAddress va, std::uint64_t size);

    template <typename T>
    std::expected<T, NtStatus> read(VirtualAddress va) {
        static_assert(std::is_trivially_copyable_v<T>);
        T v;
        if (auto s = read(va, std::as_writable_bytes(std::span(&v, 1))); s != NtStatus::Success)
            return std::unexpected(s);
        return v;
    }
    template <typename T>
    NtStatus write(VirtualAddress va, const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        return write(va, std::as_bytes(std::span(&v, 1)));
    }

private:
    // Resolves every page of the range for `access`; the frames' host pointers are then
    // reached page by page.
    NtStatus resolve(VirtualAddress va, std::uint64_t size, AccessKind access);
    std::byte* fastPath(VirtualAddress va, std::uint64_t size, AccessKind access, Pte& pte);
    // Calls copy(host, offset, length) for each page's piece of [va, va+size), each page's
    // frame resolved for `access` just before.
    NtStatus copyPages(VirtualAddress va, std::uint64_t size, AccessKind access,
                       const std::function<void(std::byte*, std::uint64_t, std::uint64_t)>& copy);

    AddressSpace& space_;
};

}  // namespace ntoy::mm
