// The object manager's handle table and access rights: handle values as Windows hands them
// out, the checks of a reference in Windows' order, closing, the cap, and the console handles.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "kernel/io/Console.h"
#include "kernel/ke/Event.h"
#include "kernel/ke/Semaphore.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/HandleTable.h"
#include "kernel/ps/Thread.h"
#include "ntoy/process_layout.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using ob::Handle;
using ob::HandleTable;
namespace access = ob::access;

template <typename T>
NtStatus statusOf(const std::expected<T, NtStatus>& result) {
    return result ? NtStatus::Success : result.error();
}

std::shared_ptr<ke::Event> newEvent() {
    return std::make_shared<ke::Event>(ke::EventType::Notification, false);
}

TEST(HandleTableTest, HandsOutMultiplesOfFourFromFour) {
    HandleTable table;
    for (std::uint64_t expected = 4; expected <= 0x40; expected += 4)
        EXPECT_EQ(table.insert(newEvent(), access::kEventAllAccess), Handle(expected));
    EXPECT_EQ(table.count(), 16u);
}

TEST(HandleTableTest, ReusesTheMostRecentlyFreedValueFirst) {
    HandleTable table;
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(table.insert(newEvent(), 0));
    EXPECT_EQ(table.close(Handle(8)), NtStatus::Success);
    EXPECT_EQ(table.close(Handle(4)), NtStatus::Success);
    EXPECT_EQ(table.count(), 2u);
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(4));
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(8));
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(0x14));
}

TEST(HandleTableTest, IgnoresTheTwoTagBits) {
    HandleTable table;
    auto event = newEvent();
    ASSERT_EQ(table.insert(event, access::kEventAllAccess), Handle(4));
    for (std::uint64_t v : {5u, 6u, 7u}) {
        auto found = table.reference(Handle(v), ob::ObjectType::Event, 0);
        ASSERT_TRUE(found) << v;
        EXPECT_EQ(found->get(), event.get());
    }
}

TEST(HandleTableTest, UnknownValuesAreInvalidHandles) {
    HandleTable table;
    ASSERT_TRUE(table.insert(newEvent(), 0));
    for (std::uint64_t v : std::initializer_list<std::uint64_t>{0, 1, 3, 8, 0x1000, 0x1'0000'0004,
                                                                ob::kCurrentProcess.value(),
                                                                ob::kCurrentThread.value()}) {
        EXPECT_EQ(statusOf(table.lookup(Handle(v))), NtStatus::InvalidHandle) << std::hex << v;
        EXPECT_EQ(table.close(Handle(v)), NtStatus::InvalidHandle) << std::hex << v;
    }
    EXPECT_EQ(table.close(Handle(4)), NtStatus::Success);
    EXPECT_EQ(table.close(Handle(4)), NtStatus::InvalidHandle) << "closed twice";
    EXPECT_EQ(statusOf(table.reference(Handle(4), std::nullopt, 0)), NtStatus::InvalidHandle);
}

TEST(HandleTableTest, ReferenceChecksTheTypeBeforeTheAccess) {
    HandleTable table;
    const Handle h = *table.insert(newEvent(), access::kEventQueryState);
    EXPECT_EQ(table.reference(h, ob::ObjectType::Mutant, access::kEventModifyState).error(),
              NtStatus::ObjectTypeMismatch);
    EXPECT_EQ(table.reference(h, ob::ObjectType::Event, access::kEventModifyState).error(),
              NtStatus::AccessDenied);
    EXPECT_EQ(table.reference(h, std::nullopt, access::kSynchronize).error(),
              NtStatus::AccessDenied);
    EXPECT_TRUE(table.reference(h, ob::ObjectType::Event, access::kEventQueryState));
    EXPECT_TRUE(table.reference(h, std::nullopt, 0)) << "no right asked, any type";
    auto typed = table.reference<ke::Event>(h, access::kEventQueryState);
    ASSERT_TRUE(typed);
    EXPECT_EQ((*typed)->eventType(), ke::EventType::Notification);
    EXPECT_EQ(table.reference<ke::Semaphore>(h, 0).error(), NtStatus::ObjectTypeMismatch);
}

TEST(HandleTableTest, TheLastHandleDestroysTheObjectAndAReferenceKeepsIt) {
    HandleTable table;
    std::weak_ptr<ke::Event> watch;
    Handle a, b;
    {
        auto event = newEvent();
        watch = event;
        a = *table.insert(event, 0);
        b = *table.insert(event, 0);
    }
    EXPECT_EQ(table.close(a), NtStatus::Success);
    EXPECT_FALSE(watch.expired()) << "the second handle holds it";
    auto held = table.reference(b, std::nullopt, 0);
    ASSERT_TRUE(held);
    EXPECT_EQ(table.close(b), NtStatus::Success);
    EXPECT_FALSE(watch.expired()) << "a reference outlives the handle";
    held->reset();
    EXPECT_TRUE(watch.expired());
}

TEST(HandleTableTest, ProtectedHandlesCloseOnlyWithTheTable) {
    HandleTable table;
    std::weak_ptr<ke::Event> watch;
    Handle h;
    {
        auto event = newEvent();
        watch = event;
        h = *table.insert(event, 0,
                          ob::attribute::kProtectClose | ob::attribute::kInherit |
                              0x40 /* not a handle attribute */);
    }
    EXPECT_EQ(table.lookup(h)->attributes, ob::attribute::kProtectClose | ob::attribute::kInherit);
    EXPECT_EQ(table.close(h), NtStatus::HandleNotClosable);
    EXPECT_EQ(table.count(), 1u);
    EXPECT_EQ(table.setAttributes(h, ob::attribute::kInherit | 0x40), NtStatus::Success);
    EXPECT_EQ(table.lookup(h)->attributes, ob::attribute::kInherit);
    EXPECT_EQ(table.setAttributes(Handle(0x40), 0), NtStatus::InvalidHandle);
    EXPECT_EQ(table.setAttributes(h, ob::attribute::kProtectClose), NtStatus::Success);
    ASSERT_TRUE(table.insert(newEvent(), 0));
    table.closeAll();
    EXPECT_EQ(table.count(), 0u);
    EXPECT_TRUE(watch.expired());
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(4)) << "an emptied table starts again at 4";
}

TEST(HandleTableTest, ACappedTableRefusesWithInsufficientResources) {
    HandleTable table(3);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(table.insert(newEvent(), 0));
    EXPECT_EQ(table.insert(newEvent(), 0).error(), NtStatus::InsufficientResources);
    EXPECT_EQ(table.count(), 3u);
    ASSERT_EQ(table.close(Handle(8)), NtStatus::Success);
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(8));
}

TEST(HandleTableTest, TheDefaultCapIsAMillionHandles) {
    HandleTable table;
    ASSERT_EQ(table.capacity(), std::size_t{1} << 20);
    auto event = newEvent();  // one object, a million handles: the table's cost alone
    for (std::size_t i = 0; i < table.capacity(); ++i)
        ASSERT_TRUE(table.insert(event, 0)) << i;
    EXPECT_EQ(table.insert(event, 0).error(), NtStatus::InsufficientResources);
    EXPECT_EQ(event.use_count(), static_cast<long>(table.capacity()) + 1);
    table.closeAll();
    EXPECT_EQ(event.use_count(), 1);
}

TEST(HandleTableTest, AMovedFromTableIsEmpty) {
    HandleTable table;
    ASSERT_TRUE(table.insert(newEvent(), 0));
    HandleTable moved = std::move(table);
    EXPECT_EQ(moved.count(), 1u);
    EXPECT_EQ(table.count(), 0u);  // NOLINT(bugprone-use-after-move): the contract
    EXPECT_EQ(table.insert(newEvent(), 0), Handle(4));
    moved = std::move(table);
    EXPECT_EQ(moved.count(), 1u);
}

TEST(HandleTableTest, ForEachVisitsLiveHandlesInValueOrder) {
    HandleTable table;
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(table.insert(newEvent(), static_cast<ob::AccessMask>(i)));
    ASSERT_EQ(table.close(Handle(8)), NtStatus::Success);
    std::vector<std::pair<std::uint64_t, ob::AccessMask>> seen;
    table.forEach(
        [&](Handle h, const ob::HandleEntry& e) { seen.emplace_back(h.value(), e.granted); });
    EXPECT_EQ(seen,
              (std::vector<std::pair<std::uint64_t, ob::AccessMask>>{{4, 0}, {0xC, 2}, {0x10, 3}}));
}

TEST(HandleTableTest, PseudoHandlesNameTheCallerWithAllAccess) {
    HandleTable table;
    auto thread = std::make_shared<ps::Thread>(8, nullptr);
    auto stand_in = newEvent();  // for the process, which need not be a real one here
    const ob::CallerObjects caller{stand_in, thread};

    auto self = ob::lookupHandle(table, caller, ob::kCurrentThread);
    ASSERT_TRUE(self);
    EXPECT_EQ(self->object.get(), thread.get());
    EXPECT_EQ(self->granted, access::kThreadAllAccess);
    EXPECT_EQ(ob::referenceHandle(table, caller, ob::kCurrentProcess, ob::ObjectType::Event,
                                  access::kEventModifyState)
                  ->get(),
              stand_in.get());
    EXPECT_EQ(
        ob::referenceHandle(table, caller, ob::kCurrentThread, ob::ObjectType::Process, 0).error(),
        NtStatus::ObjectTypeMismatch);
    EXPECT_EQ(ob::referenceHandle(table, {}, ob::kCurrentThread, std::nullopt, 0).error(),
              NtStatus::InvalidHandle)
        << "no thread to name";

    const Handle h = *table.insert(newEvent(), access::kSynchronize);
    EXPECT_TRUE(ob::referenceHandle(table, caller, h, std::nullopt, access::kSynchronize));
    EXPECT_EQ(ob::referenceHandle(table, caller, Handle(0x40), std::nullopt, 0).error(),
              NtStatus::InvalidHandle);
}

TEST(AccessTest, GenericRightsMapToEachTypesOwn) {
    using ob::ObjectType;
    EXPECT_EQ(ob::grantedAccess(ObjectType::Event, access::kGenericAll), 0x1F0003u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Event, access::kGenericRead), 0x20001u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Event, access::kGenericWrite), 0x20002u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Event, access::kGenericExecute), 0x120000u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Mutant, access::kGenericWrite), 0x20000u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Mutant, access::kGenericAll), 0x1F0001u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Semaphore, access::kGenericWrite), 0x20002u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Process, access::kGenericRead), 0x20410u);
    EXPECT_EQ(
        ob::grantedAccess(ObjectType::Process, access::kGenericExecute | access::kProcessVmRead),
        0x121010u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Thread, access::kGenericWrite), 0x20437u);
    EXPECT_EQ(ob::grantedAccess(ObjectType::Console, access::kGenericRead),
              access::kFileGenericRead);
}

TEST(AccessTest, MaximumAllowedGrantsEveryRightOfTheType) {
    EXPECT_EQ(ob::grantedAccess(ob::ObjectType::Process, access::kMaximumAllowed),
              access::kProcessAllAccess);
    EXPECT_EQ(ob::grantedAccess(ob::ObjectType::Mutant, access::kMaximumAllowed | 1),
              access::kMutantAllAccess);
}

TEST(AccessTest, RightsTheTypeDoesNotHaveAreDropped) {
    EXPECT_EQ(ob::grantedAccess(ob::ObjectType::Event, 0xFFFC | access::kSynchronize),
              access::kSynchronize);
    EXPECT_EQ(ob::grantedAccess(ob::ObjectType::Mutant, access::kSemaphoreModifyState), 0u);
    EXPECT_EQ(ob::grantedAccess(ob::ObjectType::Event, 0), 0u);
}

TEST(AccessTest, TypesHaveTheirWindowsNames) {
    EXPECT_EQ(ob::typeName(ob::ObjectType::Mutant), "Mutant");
    EXPECT_EQ(ob::typeName(ob::ObjectType::Process), "Process");
}

TEST(ConsoleHandlesTest, AreFourEightAndTwelveWithTheirStreamsAndRights) {
    HandleTable table;
    ASSERT_EQ(io::insertConsoleHandles(table), NtStatus::Success);
    struct Expected {
        std::uint64_t handle;
        io::Console::Stream stream;
        bool writable;
    };
    for (const Expected& e : {Expected{NTOY_HANDLE_STDIN, io::Console::Stream::Input, false},
                              Expected{NTOY_HANDLE_STDOUT, io::Console::Stream::Output, true},
                              Expected{NTOY_HANDLE_STDERR, io::Console::Stream::Error, true}}) {
        auto console = table.reference<io::Console>(Handle(e.handle), 0);
        ASSERT_TRUE(console) << e.handle;
        EXPECT_EQ((*console)->stream(), e.stream);
        EXPECT_EQ(
            table.reference<io::Console>(Handle(e.handle), access::kFileWriteData).has_value(),
            e.writable)
            << e.handle;
    }
    EXPECT_EQ(io::insertConsoleHandles(table), NtStatus::InvalidHandle) << "not a new table";
    EXPECT_EQ(table.count(), 3u);
}

}  // namespace
}  // namespace ntoy::test
