// A process's handle table: each entry holds a reference to an object, the access the handle
// was granted and its attributes. Handle values are multiples of 4 from 4, as on Windows; the
// low two bits of a value are ignored (Windows leaves them to applications as tag bits), and a
// freed value is the next one handed out (NT's free list). The table is capped, so that a
// guest that never closes its handles gets STATUS_INSUFFICIENT_RESOURCES, not the host's
// memory.
//
// Pseudo-handles (-1 the current process, -2 the current thread) are not entries: they name
// whoever calls, so resolve() takes the caller's process and thread objects.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/Object.h"

namespace ntoy::ob {

class Handle {
public:
    constexpr Handle() = default;
    constexpr explicit Handle(std::uint64_t value) : value_(value) {}
    constexpr std::uint64_t value() const { return value_; }
    constexpr auto operator<=>(const Handle&) const = default;

private:
    std::uint64_t value_ = 0;
};

inline constexpr Handle kNullHandle{};
inline constexpr Handle kCurrentProcess{~0ull};  // NtCurrentProcess(), (HANDLE)-1
inline constexpr Handle kCurrentThread{~1ull};   // NtCurrentThread(), (HANDLE)-2

// Handle attributes (OBJ_* of OBJECT_ATTRIBUTES and NtDuplicateObject's HandleAttributes).
namespace attribute {
inline constexpr std::uint32_t kProtectClose = 0x1;  // OBJ_PROTECT_CLOSE: NtClose refuses it
inline constexpr std::uint32_t kInherit = 0x2;       // OBJ_INHERIT: a child process gets it
inline constexpr std::uint32_t kHandleAttributes = kProtectClose | kInherit;
}  // namespace attribute

struct HandleEntry {
    std::shared_ptr<Object> object;
    AccessMask granted = 0;
    std::uint32_t attributes = 0;
};

class HandleTable {
public:
    // Windows allows about 16 million handles a process; ntoy a million, which no sane guest
    // reaches and which bounds the table's host memory to tens of megabytes.
    static constexpr std::size_t kDefaultCapacity = std::size_t{1} << 20;

    explicit HandleTable(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;
    // A moved-from table is empty.
    HandleTable(HandleTable&& other) noexcept;
    HandleTable& operator=(HandleTable&& other) noexcept;

    // A new handle to `object` with `granted` access (already mapped: see grantedAccess) and
    // the handle attributes of `attributes`; STATUS_INSUFFICIENT_RESOURCES when full.
    std::expected<Handle, NtStatus> insert(std::shared_ptr<Object> object, AccessMask granted,
                                           std::uint32_t attributes = 0);

    // The entry behind `handle`; STATUS_INVALID_HANDLE if there is none.
    std::expected<HandleEntry, NtStatus> lookup(Handle handle) const;

    // The object behind `handle`, checked as ObReferenceObjectByHandle does: the handle
    // (STATUS_INVALID_HANDLE), then the type when one is expected
    // (STATUS_OBJECT_TYPE_MISMATCH), then every right in `desired` (STATUS_ACCESS_DENIED).
    std::expected<std::shared_ptr<Object>, NtStatus> reference(Handle handle,
                                                               std::optional<ObjectType> type,
                                                               AccessMask desired) const;
    // The same for an object class that names its type (T::kObjectType).
    template <typename T>
    std::expected<std::shared_ptr<T>, NtStatus> reference(Handle handle, AccessMask desired) const {
        auto object = reference(handle, T::kObjectType, desired);
        if (!object)
            return std::unexpected(object.error());
        return std::static_pointer_cast<T>(std::move(*object));
    }

    // Replaces the handle's attributes (NtSetInformationObject's HandleFlagInformation); only
    // the handle attributes are kept. STATUS_INVALID_HANDLE if there is none.
    NtStatus setAttributes(Handle handle, std::uint32_t attributes);

    // Removes the handle and drops its reference: STATUS_INVALID_HANDLE if there is none,
    // STATUS_HANDLE_NOT_CLOSABLE if it is protected from closing.
    NtStatus close(Handle handle);
    // Closes every handle, protected or not: the end of the process. Objects whose last
    // reference these were are destroyed after the table is empty.
    void closeAll();

    // Live handles, for leak checks and the debugger.
    std::size_t count() const { return count_; }
    std::size_t capacity() const { return capacity_; }
    // Entries the table has grown to (live or free): what its pages must hold.
    std::size_t slots() const { return entries_.size(); }

    // Calls fn(Handle, const HandleEntry&) for every live handle, in value order (for handle
    // inheritance and the debugger).
    template <typename Fn>
    void forEach(Fn&& fn) const {
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (entries_[i].object)
                fn(handleAt(i), entries_[i]);
    }

private:
    static Handle handleAt(std::size_t index) { return Handle((index + 1) * 4); }
    std::optional<std::size_t> indexOf(Handle handle) const;

    std::size_t capacity_;
    std::size_t count_ = 0;
    std::vector<HandleEntry> entries_;      // entry i is handle (i + 1) * 4
    std::vector<std::size_t> freeIndexes_;  // the most recently freed last
};

// The object a handle names for user mode, pseudo-handles included: -1 is `currentProcess`
// and -2 `currentThread`, each with all the rights of its type (as NtCurrentProcess() has);
// any other value goes to `table`. The checks and statuses are HandleTable::reference's.
struct CallerObjects {
    std::shared_ptr<Object> process;
    std::shared_ptr<Object> thread;
};
std::expected<HandleEntry, NtStatus> lookupHandle(const HandleTable& table,
                                                  const CallerObjects& caller, Handle handle);
std::expected<std::shared_ptr<Object>, NtStatus> referenceHandle(const HandleTable& table,
                                                                 const CallerObjects& caller,
                                                                 Handle handle,
                                                                 std::optional<ObjectType> type,
                                                                 AccessMask desired);

// The checks of a reference on an entry already found.
std::expected<std::shared_ptr<Object>, NtStatus> checkReference(const HandleEntry& entry,
                                                                std::optional<ObjectType> type,
                                                                AccessMask desired);

}  // namespace ntoy::ob
