// Events (NtCreateEvent): a notification event stays signalled until reset and releases
// every waiter; a synchronization event releases one waiter per set and resets as it does.
#pragma once

#include <cstdint>

#include "kernel/ke/Dispatcher.h"
#include "kernel/ke/Wait.h"

namespace ntoy::ke {

enum class EventType : std::uint8_t { Notification = 0, Synchronization = 1 };  // EVENT_TYPE

class Event final : public DispatcherObject {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Event;

    Event(EventType type, bool signaled)
        : DispatcherObject(kObjectType), type_(type), signaled_(signaled) {}

    EventType eventType() const { return type_; }
    bool isSignaled() const { return signaled_; }

    // NtSetEvent: signals it and wakes waiters (for a synchronization event, the oldest one
    // that can take it, which resets it). Returns the state before.
    bool set(WaitManager& waits);
    // NtResetEvent (and NtClearEvent): returns the state before.
    bool reset();
    // NtPulseEvent: sets it, waking whoever waits now, then resets it. Returns the state
    // before.
    bool pulse(WaitManager& waits);

    bool signaledFor(const ps::Thread&) const override { return signaled_; }
    Satisfaction satisfy(ps::Thread&) override;

private:
    EventType type_;
    bool signaled_;
};

}  // namespace ntoy::ke
