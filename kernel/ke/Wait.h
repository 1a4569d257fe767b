// Waits: a thread blocks on dispatcher objects (all or any of them), with a timeout, and is
// readied when they are signalled, when the timeout expires, or (alertable waits) when a user
// APC or an alert arrives.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace ntoy::ps {
class Thread;
}

namespace ntoy::ke {

class DispatcherObject;

enum class WaitType : std::uint8_t { All = 0, Any = 1 };  // NT's WAIT_TYPE values

// One object of a thread's wait.
struct WaitBlock {
    ps::Thread* thread = nullptr;
    std::shared_ptr<DispatcherObject> object;
    std::uint32_t index = 0;  // its position in the wait, for STATUS_WAIT_0 + index
};

// The wait a thread is blocked in, if any.
struct ThreadWait {
    std::vector<WaitBlock> blocks;
    WaitType type = WaitType::Any;
    bool alertable = false;
    std::optional<std::uint64_t> deadline;  // interrupt time, 100 ns units
};

}  // namespace ntoy::ke
