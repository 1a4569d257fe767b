/* SRW locks, condition variables and one-time initialisation, alone and between threads:
 * exclusive and shared ownership, contention with real waits, a condition variable's wake and
 * its timeout (ERROR_TIMEOUT, the lock held again), and InitOnce's calls and errors. */
#include <windows.h>

#include "../framework/ntoy_test.h"

#define THREADS 4
#define ROUNDS 300

static SRWLOCK lock = SRWLOCK_INIT;
static volatile LONG counter;
static volatile LONG inside;
static volatile LONG overlap;

static DWORD WINAPI contend(LPVOID parameter) {
    (void)parameter;
    for (int i = 0; i < ROUNDS; ++i) {
        AcquireSRWLockExclusive(&lock);
        if (InterlockedIncrement(&inside) != 1) {
            overlap = 1;
        }
        LONG value = counter;
        if (i % 7 == 0) {
            SwitchToThread(); /* let the others find it held and wait */
        }
        counter = value + 1;
        InterlockedDecrement(&inside);
        ReleaseSRWLockExclusive(&lock);
    }
    return 0;
}

static void run_threads(LPTHREAD_START_ROUTINE routine, LPVOID parameter) {
    HANDLE threads[THREADS];
    for (int i = 0; i < THREADS; ++i) {
        threads[i] = CreateThread(NULL, 0, routine, parameter, 0, NULL);
    }
    WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE);
    for (int i = 0; i < THREADS; ++i) {
        CloseHandle(threads[i]);
    }
}

static void test_srw(void) {
    SRWLOCK local;
    InitializeSRWLock(&local);
    CHECK_TRUE("TryAcquireSRWLockExclusive of a free lock", TryAcquireSRWLockExclusive(&local));
    CHECK_TRUE("TryAcquireSRWLockShared while held exclusively fails",
               !TryAcquireSRWLockShared(&local));
    CHECK_TRUE("TryAcquireSRWLockExclusive while held exclusively fails",
               !TryAcquireSRWLockExclusive(&local));
    ReleaseSRWLockExclusive(&local);
    CHECK_TRUE("two shared owners (1)", TryAcquireSRWLockShared(&local));
    CHECK_TRUE("two shared owners (2)", TryAcquireSRWLockShared(&local));
    CHECK_TRUE("TryAcquireSRWLockExclusive while shared fails",
               !TryAcquireSRWLockExclusive(&local));
    ReleaseSRWLockShared(&local);
    CHECK_TRUE("still shared by one", !TryAcquireSRWLockExclusive(&local));
    ReleaseSRWLockShared(&local);
    CHECK_TRUE("free again", TryAcquireSRWLockExclusive(&local));
    ReleaseSRWLockExclusive(&local);

    run_threads(contend, NULL);
    CHECK_DEC("SRW exclusive between threads: every increment kept", counter, THREADS * ROUNDS);
    CHECK_DEC("SRW exclusive between threads: never two inside", overlap, 0);
}

static CONDITION_VARIABLE ready_changed = CONDITION_VARIABLE_INIT;
static volatile LONG ready;
static volatile LONG consumers_done;

static DWORD WINAPI consume(LPVOID parameter) {
    (void)parameter;
    AcquireSRWLockExclusive(&lock);
    while (!ready) {
        SleepConditionVariableSRW(&ready_changed, &lock, INFINITE, 0);
    }
    ++consumers_done;
    ReleaseSRWLockExclusive(&lock);
    return 0;
}

static void test_condition_variable(void) {
    AcquireSRWLockExclusive(&lock);
    SetLastError(0);
    CHECK_TRUE("SleepConditionVariableSRW times out",
               !SleepConditionVariableSRW(&ready_changed, &lock, 10, 0));
    CHECK_DEC("timeout: ERROR_TIMEOUT", GetLastError(), ERROR_TIMEOUT);
    CHECK_TRUE("timeout: the lock is held again", !TryAcquireSRWLockShared(&lock));
    ReleaseSRWLockExclusive(&lock);

    HANDLE threads[THREADS];
    for (int i = 0; i < THREADS; ++i) {
        threads[i] = CreateThread(NULL, 0, consume, NULL, 0, NULL);
    }
    Sleep(20);
    AcquireSRWLockExclusive(&lock);
    ready = 1;
    ReleaseSRWLockExclusive(&lock);
    WakeAllConditionVariable(&ready_changed);
    CHECK_DEC("WakeAllConditionVariable: every sleeper woke",
              WaitForMultipleObjects(THREADS, threads, TRUE, 5000), WAIT_OBJECT_0);
    CHECK_DEC("every consumer saw the change", consumers_done, THREADS);
    for (int i = 0; i < THREADS; ++i) {
        CloseHandle(threads[i]);
    }

    /* Shared mode: the lock is given back shared, and taken again shared. */
    AcquireSRWLockShared(&lock);
    CHECK_TRUE(
        "shared sleep times out",
        !SleepConditionVariableSRW(&ready_changed, &lock, 1, CONDITION_VARIABLE_LOCKMODE_SHARED));
    CHECK_TRUE("shared sleep: held shared again", TryAcquireSRWLockShared(&lock));
    ReleaseSRWLockShared(&lock);
    ReleaseSRWLockShared(&lock);
}

static CRITICAL_SECTION section;
static CONDITION_VARIABLE section_changed = CONDITION_VARIABLE_INIT;
static volatile LONG section_ready;

static DWORD WINAPI consume_with_section(LPVOID parameter) {
    (void)parameter;
    EnterCriticalSection(&section);
    while (!section_ready) {
        SleepConditionVariableCS(&section_changed, &section, INFINITE);
    }
    ++consumers_done;
    LeaveCriticalSection(&section);
    return 0;
}

static void test_condition_variable_with_section(void) {
    InitializeCriticalSection(&section);
    EnterCriticalSection(&section);
    SetLastError(0);
    CHECK_TRUE("SleepConditionVariableCS times out",
               !SleepConditionVariableCS(&section_changed, &section, 10));
    CHECK_DEC("CS timeout: ERROR_TIMEOUT", GetLastError(), ERROR_TIMEOUT);
    LeaveCriticalSection(&section);

    consumers_done = 0;
    HANDLE thread = CreateThread(NULL, 0, consume_with_section, NULL, 0, NULL);
    Sleep(20);
    EnterCriticalSection(&section);
    section_ready = 1;
    WakeConditionVariable(&section_changed);
    LeaveCriticalSection(&section);
    CHECK_DEC("WakeConditionVariable wakes the CS sleeper", WaitForSingleObject(thread, 5000),
              WAIT_OBJECT_0);
    CHECK_DEC("the CS sleeper saw the change", consumers_done, 1);
    CloseHandle(thread);
    DeleteCriticalSection(&section);
}

static volatile LONG init_calls;

static BOOL CALLBACK initialise(PINIT_ONCE once, PVOID parameter, PVOID* context) {
    (void)once;
    InterlockedIncrement(&init_calls);
    Sleep(5);
    *context = parameter;
    return TRUE;
}

static BOOL CALLBACK fail_to_initialise(PINIT_ONCE once, PVOID parameter, PVOID* context) {
    (void)once;
    (void)parameter;
    (void)context;
    InterlockedIncrement(&init_calls);
    return FALSE;
}

static INIT_ONCE shared_once = INIT_ONCE_STATIC_INIT;
static volatile LONG wrong_context;

static DWORD WINAPI race_once(LPVOID parameter) {
    (void)parameter;
    PVOID context = NULL;
    if (!InitOnceExecuteOnce(&shared_once, initialise, (PVOID)0x7000, &context) ||
        context != (PVOID)0x7000) {
        wrong_context = 1;
    }
    return 0;
}

static void test_init_once(void) {
    INIT_ONCE once;
    InitOnceInitialize(&once);
    PVOID context = NULL;
    init_calls = 0;
    CHECK_TRUE("InitOnceExecuteOnce",
               InitOnceExecuteOnce(&once, initialise, (PVOID)0x1000, &context));
    CHECK_EQ("InitOnceExecuteOnce: the context", (ULONG_PTR)context, 0x1000);
    context = NULL;
    CHECK_TRUE("InitOnceExecuteOnce again",
               InitOnceExecuteOnce(&once, initialise, (PVOID)0x2000, &context));
    CHECK_EQ("again: the first context", (ULONG_PTR)context, 0x1000);
    CHECK_DEC("the callback ran once", init_calls, 1);

    INIT_ONCE failing = INIT_ONCE_STATIC_INIT;
    init_calls = 0;
    CHECK_TRUE("a failing callback fails InitOnceExecuteOnce",
               !InitOnceExecuteOnce(&failing, fail_to_initialise, NULL, NULL));
    CHECK_TRUE("after a failure it runs again",
               InitOnceExecuteOnce(&failing, initialise, (PVOID)0x3000, &context));
    CHECK_DEC("both callbacks ran", init_calls, 2);

    INIT_ONCE manual = INIT_ONCE_STATIC_INIT;
    BOOL pending = FALSE;
    SetLastError(0);
    CHECK_TRUE("CHECK_ONLY before initialisation fails",
               !InitOnceBeginInitialize(&manual, INIT_ONCE_CHECK_ONLY, &pending, &context));
    CHECK_DEC("CHECK_ONLY before: ERROR_GEN_FAILURE", GetLastError(), ERROR_GEN_FAILURE);
    SetLastError(0);
    CHECK_TRUE("InitOnceComplete before it began fails",
               !InitOnceComplete(&manual, 0, (PVOID)0x4000));
    CHECK_DEC("complete before begin: ERROR_GEN_FAILURE", GetLastError(), ERROR_GEN_FAILURE);
    CHECK_TRUE("InitOnceBeginInitialize", InitOnceBeginInitialize(&manual, 0, &pending, &context));
    CHECK_TRUE("InitOnceBeginInitialize: pending", pending);
    SetLastError(0);
    CHECK_TRUE("a context with its low bits set is refused",
               !InitOnceComplete(&manual, 0, (PVOID)0x4001));
    CHECK_DEC("low bits: ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK_TRUE("InitOnceComplete", InitOnceComplete(&manual, 0, (PVOID)0x4000));
    CHECK_TRUE("CHECK_ONLY after",
               InitOnceBeginInitialize(&manual, INIT_ONCE_CHECK_ONLY, &pending, &context));
    CHECK_TRUE("CHECK_ONLY after: not pending", !pending);
    CHECK_EQ("CHECK_ONLY after: the context", (ULONG_PTR)context, 0x4000);
    SetLastError(0);
    CHECK_TRUE("CHECK_ONLY with ASYNC is refused",
               !InitOnceBeginInitialize(&manual, INIT_ONCE_CHECK_ONLY | INIT_ONCE_ASYNC, &pending,
                                        &context));
    CHECK_DEC("CHECK_ONLY with ASYNC: ERROR_INVALID_PARAMETER", GetLastError(),
              ERROR_INVALID_PARAMETER);

    init_calls = 0;
    run_threads(race_once, NULL);
    CHECK_DEC("racing threads: the callback ran once", init_calls, 1);
    CHECK_DEC("racing threads: each got the context", wrong_context, 0);
}

int start(void) {
    test_srw();
    test_condition_variable();
    test_condition_variable_with_section();
    test_init_once();
    return test_done();
}
