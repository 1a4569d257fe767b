// Bounds-checked access to untrusted bytes (a file, or an image laid out from one). Every
// offset and size is taken as 64-bit so that adding two 32-bit fields from the file cannot
// wrap; anything that does not fit comes back empty instead of reading past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace ntoy::ldr {

// [offset, offset + size) of `bytes`, or nothing when any part of it lies outside.
template <class Byte>
std::optional<std::span<Byte>> sliceAt(std::span<Byte> bytes, std::uint64_t offset,
                                       std::uint64_t size) {
    if (offset > bytes.size() || size > bytes.size() - offset) {
        return std::nullopt;
    }
    return bytes.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
}

template <class T>
requires std::is_trivially_copyable_v<T> std::optional<T> readAt(std::span<const std::byte> bytes,
                                                                 std::uint64_t offset) {
    auto slice = sliceAt(bytes, offset, sizeof(T));
    if (!slice) {
        return std::nullopt;
    }
    T value;
    std::memcpy(&value, slice->data(), sizeof(T));
    return value;
}

template <class T>
requires std::is_trivially_copyable_v<T>
bool writeAt(std::span<std::byte> bytes, std::uint64_t offset, const T& value) {
    auto slice = sliceAt(bytes, offset, sizeof(T));
    if (!slice) {
        return false;
    }
    std::memcpy(slice->data(), &value, sizeof(T));
    return true;
}

enum class CStringFault {
    OutOfRange,    // the string does not even start inside the bytes
    Unterminated,  // no NUL before the end of the bytes
    TooLong,       // no NUL within maxLength characters
};

// The NUL-terminated string starting at `offset`, without its terminator.
std::expected<std::string_view, CStringFault> cStringAt(std::span<const std::byte> bytes,
                                                        std::uint64_t offset,
                                                        std::size_t maxLength);

}  // namespace ntoy::ldr
