/* Ring-0 code on pool (issue 13), through NtoyKernelTestHook (run with
 * `ntoy run --kernel-test-hooks`). With no argument: a paged pool block written at CPL0,
 * trimmed to the paging file, and read back at CPL0, which takes the page fault the kernel
 * resolves; nonpaged pool stays resident. With an argument, one of the pool's bug checks on
 * purpose, each of which stops the machine:
 *   wrong_tag    ExFreePoolWithTag with another tag        BAD_POOL_CALLER 0xA
 *   double_free  the same block freed twice                BAD_POOL_CALLER 0x7
 *   overrun      ring-0 code writes over the next header   BAD_POOL_HEADER 0x20
 *   unmapped     ring-0 code reads pool nothing maps       PAGE_FAULT_IN_NONPAGED_AREA */
#include "../../include/ntoy/kernel_test_hook.h"
#include "../framework/ntoy_faults.h"
#include "../framework/ntoy_test.h"

#define POOL_FLAG_NON_PAGED 0x40ull
#define POOL_FLAG_PAGED 0x100ull
#define TAG(a, b, c, d) ((ULONG64)(a) | (ULONG64)(b) << 8 | (ULONG64)(c) << 16 | (ULONG64)(d) << 24)

typedef LONG(NTAPI* TestHook)(ULONG operation, ULONG64 a, ULONG64 b, ULONG64 c, ULONG64* result);
static TestHook hook;

static ULONG64 call(ULONG operation, ULONG64 a, ULONG64 b, ULONG64 c, LONG* status) {
    ULONG64 result = 0;
    *status = hook(operation, a, b, c, &result);
    return result;
}

int start(void) {
    hook = (TestHook)(void*)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtoyKernelTestHook");
    if (!CHECK_TRUE("ntdll exports NtoyKernelTestHook", hook != NULL)) {
        return test_done();
    }
    LONG status = 0;
    const ULONG64 tag = TAG('T', 'e', 's', 't');
    const ULONG64 paged = call(NTOY_TEST_POOL_ALLOCATE, POOL_FLAG_PAGED, 3000, tag, &status);
    CHECK_STATUS("a paged pool block is allocated", status, 0);
    CHECK_TRUE("in paged pool", paged >= 0xFFFFF8A000000000ull && paged < 0xFFFFF8A040000000ull);
    const ULONG64 nonpaged = call(NTOY_TEST_POOL_ALLOCATE, POOL_FLAG_NON_PAGED, 64, tag, &status);
    CHECK_TRUE("and a nonpaged one", nonpaged >= 0xFFFFFA8000000000ull);

    if (argument_is(1, "wrong_tag")) {
        call(NTOY_TEST_POOL_FREE, paged, TAG('O', 't', 'h', 'r'), 0, &status);
    } else if (argument_is(1, "double_free")) {
        call(NTOY_TEST_POOL_FREE, nonpaged, tag, 0, &status);
        call(NTOY_TEST_POOL_FREE, nonpaged, tag, 0, &status);
    } else if (argument_is(1, "overrun")) {
        /* 3000 bytes are 189 units with the header: the next header is 3008 bytes on. */
        call(NTOY_TEST_RING0_WRITE, paged + 3008, 0x4141414141414141ull, 0, &status);
        call(NTOY_TEST_POOL_FREE, paged, tag, 0, &status);
    } else if (argument_is(1, "unmapped")) {
        call(NTOY_TEST_RING0_READ, 0xFFFFF8A030000000ull, 0, 0, &status);
    }
    if (argument_is(1, "wrong_tag") || argument_is(1, "double_free") || argument_is(1, "overrun") ||
        argument_is(1, "unmapped")) {
        print_str("the machine should have stopped\n");
        return 100;
    }

    /* User mode reaches none of it: the U/S bit, whatever the pool. */
    if (fault_install()) {
        CHECK_TRUE("user mode cannot read nonpaged pool", probe_read8(nonpaged) == PROBE_FAULTED);
        CHECK_STATUS("it is an access violation", fault_log.code, EXCEPTION_ACCESS_VIOLATION);
        CHECK_TRUE("nor paged pool", probe_read8(paged) == PROBE_FAULTED);
    }
    call(NTOY_TEST_RING0_WRITE, paged + 8, 0x1122334455667788ull, 0, &status);
    CHECK_STATUS("ring-0 code writes the paged block", status, 0);
    call(NTOY_TEST_RING0_WRITE, nonpaged, 0x99, 0, &status);
    CHECK_TRUE("ring-0 code reads it back",
               call(NTOY_TEST_RING0_READ, paged + 8, 0, 0, &status) == 0x1122334455667788ull);
    const ULONG64 trimmed = call(NTOY_TEST_TRIM_SYSTEM, 0, 0, 0, &status);
    CHECK_TRUE("the system working set is trimmed", status == 0 && trimmed > 0);
    CHECK_TRUE("the block's page comes back at CPL0 with its contents",
               call(NTOY_TEST_RING0_READ, paged + 8, 0, 0, &status) == 0x1122334455667788ull);
    CHECK_TRUE("nonpaged pool never left",
               call(NTOY_TEST_RING0_READ, nonpaged, 0, 0, &status) == 0x99);
    call(NTOY_TEST_POOL_FREE, paged, tag, 0, &status);
    CHECK_STATUS("the blocks are freed", status, 0);
    call(NTOY_TEST_POOL_FREE, nonpaged, 0, 0, &status);
    return test_done();
}
