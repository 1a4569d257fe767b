// A process's handles. The kernel puts the three console handles in every new process; the
// current-process pseudo-handle (-1) is recognised without an entry.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace ntoy::ps {

inline constexpr std::uint64_t kCurrentProcessHandle = ~0ull;  // (HANDLE)-1

enum class ObjectKind : std::uint8_t { ConsoleInput, ConsoleOutput, ConsoleError };

class HandleTable {
public:
    void insert(std::uint64_t handle, ObjectKind kind) { objects_[handle] = kind; }
    std::optional<ObjectKind> lookup(std::uint64_t handle) const {
        auto it = objects_.find(handle);
        if (it == objects_.end())
            return std::nullopt;
        return it->second;
    }

private:
    std::map<std::uint64_t, ObjectKind> objects_;
};

}  // namespace ntoy::ps
