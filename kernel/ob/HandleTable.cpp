#include "kernel/ob/HandleTable.h"

#include <utility>

namespace ntoy::ob {

HandleTable::HandleTable(HandleTable&& other) noexcept
    : capacity_(other.capacity_),
      count_(std::exchange(other.count_, 0)),
      entries_(std::exchange(other.entries_, {})),
      freeIndexes_(std::exchange(other.freeIndexes_, {})) {}

HandleTable& HandleTable::operator=(HandleTable&& other) noexcept {
    if (this != &other) {
        // The old entries go last: their objects' destructors see this table consistent.
        std::vector<HandleEntry> old = std::exchange(entries_, std::exchange(other.entries_, {}));
        capacity_ = other.capacity_;
        count_ = std::exchange(other.count_, 0);
        freeIndexes_ = std::exchange(other.freeIndexes_, {});
    }
    return *this;
}

std::expected<Handle, NtStatus> HandleTable::insert(std::shared_ptr<Object> object,
                                                    AccessMask granted, std::uint32_t attributes) {
    HandleEntry entry{std::move(object), granted, attributes & attribute::kHandleAttributes};
    std::size_t index = 0;
    if (!freeIndexes_.empty()) {
        index = freeIndexes_.back();
        freeIndexes_.pop_back();
        entries_[index] = std::move(entry);
    } else {
        if (entries_.size() >= capacity_)
            return std::unexpected(NtStatus::InsufficientResources);
        index = entries_.size();
        entries_.push_back(std::move(entry));
    }
    ++count_;
    return handleAt(index);
}

std::optional<std::size_t> HandleTable::indexOf(Handle handle) const {
    const std::uint64_t value = handle.value() & ~std::uint64_t{3};  // tag bits
    if (value == 0)
        return std::nullopt;
    const std::uint64_t index = value / 4 - 1;
    if (index >= entries_.size() || !entries_[index].object)
        return std::nullopt;
    return static_cast<std::size_t>(index);
}

std::expected<HandleEntry, NtStatus> HandleTable::lookup(Handle handle) const {
    const auto index = indexOf(handle);
    if (!index)
        return std::unexpected(NtStatus::InvalidHandle);
    return entries_[*index];
}

std::expected<std::shared_ptr<Object>, NtStatus> checkReference(const HandleEntry& entry,
                                                                std::optional<ObjectType> type,
                                                                AccessMask desired) {
    if (type && entry.object->type() != *type)
        return std::unexpected(NtStatus::ObjectTypeMismatch);
    if ((desired & ~entry.granted) != 0)
        return std::unexpected(NtStatus::AccessDenied);
    return entry.object;
}

std::expected<std::shared_ptr<Object>, NtStatus> HandleTable::reference(
    Handle handle, std::optional<ObjectType> type, AccessMask desired) const {
    const auto index = indexOf(handle);
    if (!index)
        return std::unexpected(NtStatus::InvalidHandle);
    return checkReference(entries_[*index], type, desired);
}

NtStatus HandleTable::setAttributes(Handle handle, std::uint32_t attributes) {
    const auto index = indexOf(handle);
    if (!index)
        return NtStatus::InvalidHandle;
    entries_[*index].attributes = attributes & attribute::kHandleAttributes;
    return NtStatus::Success;
}

NtStatus HandleTable::close(Handle handle) {
    const auto index = indexOf(handle);
    if (!index)
        return NtStatus::InvalidHandle;
    if (entries_[*index].attributes & attribute::kProtectClose)
        return NtStatus::HandleNotClosable;
    // The object may be destroyed here; the table is consistent by then.
    const std::shared_ptr<Object> released = std::exchange(entries_[*index].object, nullptr);
    freeIndexes_.push_back(*index);
    --count_;
    return NtStatus::Success;
}

void HandleTable::closeAll() {
    std::vector<HandleEntry> entries = std::exchange(entries_, {});
    freeIndexes_.clear();
    count_ = 0;
    // `entries` goes last: an object's destructor sees an empty table, never a half-closed one.
}

std::expected<HandleEntry, NtStatus> lookupHandle(const HandleTable& table,
                                                  const CallerObjects& caller, Handle handle) {
    const std::shared_ptr<Object>* pseudo = nullptr;
    if (handle == kCurrentProcess)
        pseudo = &caller.process;
    else if (handle == kCurrentThread)
        pseudo = &caller.thread;
    if (!pseudo)
        return table.lookup(handle);
    if (!*pseudo)
        return std::unexpected(NtStatus::InvalidHandle);
    return HandleEntry{*pseudo, genericMapping((*pseudo)->type()).all, 0};
}

std::expected<std::shared_ptr<Object>, NtStatus> referenceHandle(const HandleTable& table,
                                                                 const CallerObjects& caller,
                                                                 Handle handle,
                                                                 std::optional<ObjectType> type,
                                                                 AccessMask desired) {
    const auto entry = lookupHandle(table, caller, handle);
    if (!entry)
        return std::unexpected(entry.error());
    return checkReference(*entry, type, desired);
}

}  // namespace ntoy::ob
