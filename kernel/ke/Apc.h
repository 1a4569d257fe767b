// User APCs: a routine and its three arguments, queued to a thread (NtQueueApcThread) and
// run in user mode by ntdll's KiUserApcDispatcher when the thread next ends an alertable wait.
// The queue is the thread's (ps::Thread::userApcs); the wait side is ke/Wait.h's.
#pragma once

#include <cstdint>

#include "kernel/base/Types.h"

namespace ntoy::ke {

struct UserApc {
    VirtualAddress routine;
    std::uint64_t argument1 = 0, argument2 = 0, argument3 = 0;
};

}  // namespace ntoy::ke
