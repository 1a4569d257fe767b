// The event, mutant and semaphore calls, and the waits: NtWaitForSingleObject,
// NtWaitForMultipleObjects, NtSignalAndWaitForSingleObject, NtDelayExecution and
// NtYieldExecution. Each checks its arguments in Windows' order, probes every output before
// anything changes and writes outputs once the work is done. A wait that blocks returns
// STATUS_PENDING to the dispatcher, which takes the thread off its processor; the status the
// guest sees arrives in the thread's resumeRax when the wait ends.
#include <array>
#include <vector>

#include "kernel/ke/Event.h"
#include "kernel/ke/Mutant.h"
#include "kernel/ke/Semaphore.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/ObjectBody.h"
#include "kernel/ob/ObjectCallSupport.h"
#include "kernel/ps/Thread.h"

namespace ntoy::ke {
namespace {

using ob::booleanArgument;
namespace access = ob::access;

inline constexpr std::uint32_t kBasicInformation = 0;  // Event/Mutant/SemaphoreBasicInformation

struct EventBasicInformation {
    std::uint32_t eventType;
    std::int32_t eventState;
};
struct MutantBasicInformation {
    std::int32_t currentCount;
    std::uint8_t ownedByCaller;
    std::uint8_t abandonedState;
    std::uint16_t pad;
};
struct SemaphoreBasicInformation {
    std::int32_t currentCount;
    std::int32_t maximumCount;
};
static_assert(sizeof(EventBasicInformation) == 8 && sizeof(MutantBasicInformation) == 8 &&
              sizeof(SemaphoreBasicInformation) == 8);

// An optional output (PreviousState, PreviousCount, ReturnLength): probed if present.
NtStatus probeOptional(SystemCall& call, VirtualAddress va, std::uint64_t size) {
    return va.value() == 0 ? NtStatus::Success : call.user.probeForWrite(va, size);
}
template <typename T>
void writeOptional(SystemCall& call, VirtualAddress va, const T& value) {
    if (va.value() != 0)
        (void)call.user.write(va, value);  // probed: it cannot fail
}

// The creation calls' common part: probe *Handle, capture the attributes, make the object
// (`make` returns it or a status), give it its body in pool, charged to the caller's quota
// (its dispatcher header's SignalState `signalState`), and hand back a handle with the rights
// asked for.
template <typename Make, typename Finish = void (*)(ob::Object&)>
NtStatus createObject(
    SystemCall& call, ob::ObjectType type, std::int32_t signalState, Make&& make,
    Finish&& finish = [](ob::Object&) {}) {
    const VirtualAddress handleOut = call.pointer(0);
    const auto desired = static_cast<ob::AccessMask>(call.arg(1));
    if (auto s = call.user.probeForWrite(handleOut, 8); s != NtStatus::Success)
        return s;
    const auto attributes = ob::captureObjectAttributes(call, call.pointer(2));
    if (!attributes)
        return attributes.error();
    auto object = make();
    if (!object)
        return object.error();
    if (call.pool)
        if (auto s = ob::giveBody(*call.pool, **object, call.process.poolQuota, signalState);
            s != NtStatus::Success)
            return s;
    finish(**object);  // what the object does once it surely exists (a mutant's first owner)
    return ob::insertForCaller(call, handleOut, std::move(*object),
                               ob::grantedAccess(type, desired), *attributes);
}

// The query calls' common part: the class, the length, then the probes.
NtStatus checkQuery(SystemCall& call, std::uint32_t size) {
    if (static_cast<std::uint32_t>(call.arg(1)) != kBasicInformation)
        return NtStatus::InvalidInfoClass;
    return ob::probeQueryBuffers(call, size);
}

template <typename Info>
NtStatus writeQuery(SystemCall& call, const Info& info) {
    (void)call.user.write(call.pointer(2), info);
    writeOptional(call, call.pointer(4), std::uint32_t{sizeof(Info)});
    return NtStatus::Success;
}

// NtSetEvent, NtResetEvent and NtPulseEvent: the handle, EVENT_MODIFY_STATE, the operation,
// and the state before in *PreviousState.
template <typename Operation>
NtStatus modifyEvent(SystemCall& call, Operation&& operation) {
    const VirtualAddress previousOut = call.pointer(1);
    if (auto s = probeOptional(call, previousOut, 4); s != NtStatus::Success)
        return s;
    const auto event = ob::referenceForCaller<Event>(call, call.arg(0), access::kEventModifyState);
    if (!event)
        return event.error();
    const bool before = operation(**event);
    writeOptional(call, previousOut, std::int32_t{before ? 1 : 0});
    return NtStatus::Success;
}

// The object a handle names, for a wait: SYNCHRONIZE, and a type a thread can wait on.
std::expected<std::shared_ptr<DispatcherObject>, NtStatus> referenceWaitable(SystemCall& call,
                                                                             std::uint64_t handle) {
    auto object = ob::referenceForCaller(call, handle, std::nullopt, access::kSynchronize);
    if (!object)
        return std::unexpected(object.error());
    auto waitable = std::dynamic_pointer_cast<DispatcherObject>(std::move(*object));
    if (!waitable)
        return std::unexpected(NtStatus::ObjectTypeMismatch);
    return waitable;
}

NtStatus finish(const WaitOutcome& outcome) {
    return outcome.isBlocked() ? NtStatus::Pending : outcome.status;
}

NtStatus waitFor(SystemCall& call, std::span<const std::shared_ptr<DispatcherObject>> objects,
                 WaitType type, bool alertable, std::optional<std::int64_t> timeout) {
    const auto deadline = deadlineFor(timeout, call.interruptTime, call.systemTime);
    return finish(ob::waitsOf(call).wait(ob::callingThread(call), objects, type, alertable,
                                         deadline, call.interruptTime));
}

}  // namespace

NtStatus NtCreateEvent(SystemCall& call) {
    const auto type = static_cast<std::uint32_t>(call.arg(3));
    const bool initialState = booleanArgument(call.arg(4));
    if (auto s = call.user.probeForWrite(call.pointer(0), 8); s != NtStatus::Success)
        return s;
    if (type != static_cast<std::uint32_t>(EventType::Notification) &&
        type != static_cast<std::uint32_t>(EventType::Synchronization))
        return NtStatus::InvalidParameter;
    return createObject(call, ob::ObjectType::Event, initialState ? 1 : 0,
                        [&]() -> std::expected<std::shared_ptr<ob::Object>, NtStatus> {
                            return std::make_shared<Event>(static_cast<EventType>(type),
                                                           initialState);
                        });
}

NtStatus NtSetEvent(SystemCall& call) {
    return modifyEvent(call, [&](Event& e) { return e.set(ob::waitsOf(call)); });
}

NtStatus NtResetEvent(SystemCall& call) {
    return modifyEvent(call, [](Event& e) { return e.reset(); });
}

NtStatus NtPulseEvent(SystemCall& call) {
    return modifyEvent(call, [&](Event& e) { return e.pulse(ob::waitsOf(call)); });
}

NtStatus NtQueryEvent(SystemCall& call) {
    if (auto s = checkQuery(call, sizeof(EventBasicInformation)); s != NtStatus::Success)
        return s;
    const auto event = ob::referenceForCaller<Event>(call, call.arg(0), access::kEventQueryState);
    if (!event)
        return event.error();
    return writeQuery(call, EventBasicInformation{static_cast<std::uint32_t>((*event)->eventType()),
                                                  (*event)->isSignaled() ? 1 : 0});
}

NtStatus NtCreateMutant(SystemCall& call) {
    const bool initialOwner = booleanArgument(call.arg(3));
    return createObject(
        call, ob::ObjectType::Mutant, initialOwner ? 0 : 1,
        [&]() -> std::expected<std::shared_ptr<ob::Object>, NtStatus> {
            return Mutant::create(nullptr);
        },
        [&](ob::Object& mutant) {
            if (initialOwner)
                (void)static_cast<Mutant&>(mutant).satisfy(ob::callingThread(call));
        });
}

NtStatus NtReleaseMutant(SystemCall& call) {
    const VirtualAddress previousOut = call.pointer(1);
    if (auto s = probeOptional(call, previousOut, 4); s != NtStatus::Success)
        return s;
    // No right is needed: only the owner can release it (NtReleaseMutant asks for none).
    const auto mutant = ob::referenceForCaller<Mutant>(call, call.arg(0), 0);
    if (!mutant)
        return mutant.error();
    const auto before = (*mutant)->release(ob::callingThread(call), ob::waitsOf(call));
    if (!before)
        return before.error();
    writeOptional(call, previousOut, *before);
    return NtStatus::Success;
}

NtStatus NtQueryMutant(SystemCall& call) {
    if (auto s = checkQuery(call, sizeof(MutantBasicInformation)); s != NtStatus::Success)
        return s;
    const auto mutant =
        ob::referenceForCaller<Mutant>(call, call.arg(0), access::kMutantQueryState);
    if (!mutant)
        return mutant.error();
    const Mutant& m = **mutant;
    return writeQuery(
        call, MutantBasicInformation{m.currentCount(),
                                     m.owner() == call.thread ? std::uint8_t{1} : std::uint8_t{0},
                                     m.abandoned() ? std::uint8_t{1} : std::uint8_t{0}, 0});
}

NtStatus NtCreateSemaphore(SystemCall& call) {
    const auto initial = static_cast<std::int32_t>(call.arg(3));
    const auto maximum = static_cast<std::int32_t>(call.arg(4));
    if (maximum <= 0 || initial < 0 || initial > maximum)
        return NtStatus::InvalidParameter;
    return createObject(call, ob::ObjectType::Semaphore, initial,
                        [&]() -> std::expected<std::shared_ptr<ob::Object>, NtStatus> {
                            auto s = Semaphore::create(initial, maximum);
                            if (!s)
                                return std::unexpected(s.error());
                            return *s;
                        });
}

NtStatus NtReleaseSemaphore(SystemCall& call) {
    const auto count = static_cast<std::int32_t>(call.arg(1));
    const VirtualAddress previousOut = call.pointer(2);
    if (auto s = probeOptional(call, previousOut, 4); s != NtStatus::Success)
        return s;
    if (count <= 0)
        return NtStatus::InvalidParameter;
    const auto semaphore =
        ob::referenceForCaller<Semaphore>(call, call.arg(0), access::kSemaphoreModifyState);
    if (!semaphore)
        return semaphore.error();
    const auto before = (*semaphore)->release(count, ob::waitsOf(call));
    if (!before)
        return before.error();
    writeOptional(call, previousOut, *before);
    return NtStatus::Success;
}

NtStatus NtQuerySemaphore(SystemCall& call) {
    if (auto s = checkQuery(call, sizeof(SemaphoreBasicInformation)); s != NtStatus::Success)
        return s;
    const auto semaphore =
        ob::referenceForCaller<Semaphore>(call, call.arg(0), access::kSemaphoreQueryState);
    if (!semaphore)
        return semaphore.error();
    return writeQuery(call,
                      SemaphoreBasicInformation{(*semaphore)->count(), (*semaphore)->maximum()});
}

NtStatus NtWaitForSingleObject(SystemCall& call) {
    const bool alertable = booleanArgument(call.arg(1));
    const auto timeout = ob::captureTimeout(call, call.pointer(2));
    if (!timeout)
        return timeout.error();
    const auto object = referenceWaitable(call, call.arg(0));
    if (!object)
        return object.error();
    return waitFor(call, std::span(&*object, 1), WaitType::Any, alertable, *timeout);
}

NtStatus NtWaitForMultipleObjects(SystemCall& call) {
    const auto count = static_cast<std::uint32_t>(call.arg(0));
    const VirtualAddress handles = call.pointer(1);
    const auto type = static_cast<std::uint32_t>(call.arg(2));
    const bool alertable = booleanArgument(call.arg(3));
    if (count == 0 || count > kMaximumWaitObjects)
        return NtStatus::InvalidParameter1;
    if (type != static_cast<std::uint32_t>(WaitType::All) &&
        type != static_cast<std::uint32_t>(WaitType::Any))
        return NtStatus::InvalidParameter3;
    std::array<std::uint64_t, kMaximumWaitObjects> values{};
    if (auto s = call.user.read(handles, std::as_writable_bytes(std::span(values.data(), count)));
        s != NtStatus::Success)
        return s;
    const auto timeout = ob::captureTimeout(call, call.pointer(4));
    if (!timeout)
        return timeout.error();
    std::vector<std::shared_ptr<DispatcherObject>> objects;
    objects.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        auto object = referenceWaitable(call, values[i]);
        if (!object)
            return object.error();
        objects.push_back(std::move(*object));
    }
    return waitFor(call, objects, static_cast<WaitType>(type), alertable, *timeout);
}

NtStatus NtSignalAndWaitForSingleObject(SystemCall& call) {
    const bool alertable = booleanArgument(call.arg(2));
    const auto timeout = ob::captureTimeout(call, call.pointer(3));
    if (!timeout)
        return timeout.error();
    const auto signalEntry =
        ob::lookupHandle(call.process.handles(), ob::callerObjects(call), ob::Handle(call.arg(0)));
    if (!signalEntry)
        return signalEntry.error();
    const auto waitObject = referenceWaitable(call, call.arg(1));
    if (!waitObject)
        return waitObject.error();
    WaitManager& waits = ob::waitsOf(call);
    ps::Thread& thread = ob::callingThread(call);
    // The signal: each type's own operation and right (NtSignalAndWaitForSingleObject's).
    const auto& object = signalEntry->object;
    switch (object->type()) {
        case ob::ObjectType::Event:
            if (!(signalEntry->granted & access::kEventModifyState))
                return NtStatus::AccessDenied;
            (void)std::static_pointer_cast<Event>(object)->set(waits);
            break;
        case ob::ObjectType::Semaphore: {
            if (!(signalEntry->granted & access::kSemaphoreModifyState))
                return NtStatus::AccessDenied;
            if (auto r = std::static_pointer_cast<Semaphore>(object)->release(1, waits); !r)
                return r.error();
            break;
        }
        case ob::ObjectType::Mutant:
            if (auto r = std::static_pointer_cast<Mutant>(object)->release(thread, waits); !r)
                return r.error();
            break;
        default:
            return NtStatus::ObjectTypeMismatch;
    }
    return waitFor(call, std::span(&*waitObject, 1), WaitType::Any, alertable, *timeout);
}

NtStatus NtDelayExecution(SystemCall& call) {
    const bool alertable = booleanArgument(call.arg(0));
    const auto interval = call.user.read<std::int64_t>(call.pointer(1));
    if (!interval)
        return interval.error();
    ps::Thread& thread = ob::callingThread(call);
    WaitManager& waits = ob::waitsOf(call);
    // Sleep(0): a yield, unless alertable (then a poll for APCs and alerts, as SleepEx(0, TRUE)).
    if (*interval == 0 && !alertable)
        return waits.yield(thread);
    const auto deadline = deadlineFor(*interval, call.interruptTime, call.systemTime);
    return finish(waits.delay(thread, alertable, deadline, call.interruptTime));
}

NtStatus NtYieldExecution(SystemCall& call) {
    return ob::waitsOf(call).yield(ob::callingThread(call));
}

}  // namespace ntoy::ke
