/* Synchronisation (issue 10): a producer and a consumer on auto-reset events, a counter
 * under a mutex, a pool of workers under a semaphore, WaitForMultipleObjects in both modes
 * (which index, an abandoned mutex), timeouts and Sleep, the errors of releasing what one
 * does not own or beyond the maximum, user APCs and alertable waits, and handles: closing
 * twice, duplicates, and rights. Checks Windows passes as well. */
#include "../framework/ntoy_test.h"

#define PATIENCE 30000 /* ms: a wait that takes longer has failed */

static DWORD wait_for(HANDLE handle) {
    return WaitForSingleObject(handle, PATIENCE);
}

static void wait_all_and_close(HANDLE* threads, int count) {
    for (int i = 0; i < count; ++i) {
        wait_for(threads[i]);
        CloseHandle(threads[i]);
    }
}

/* ---- Producer and consumer --------------------------------------------------------------- */

#define ITEMS 1000

static HANDLE item_ready;
static HANDLE slot_free;
static volatile LONG slot;
static volatile LONG consumed;
static volatile LONG out_of_order;

static DWORD WINAPI produce(LPVOID argument) {
    (void)argument;
    for (LONG i = 0; i < ITEMS; ++i) {
        if (WaitForSingleObject(slot_free, PATIENCE) != WAIT_OBJECT_0) {
            return 1;
        }
        slot = i;
        SetEvent(item_ready);
    }
    return 0;
}

static DWORD WINAPI consume(LPVOID argument) {
    (void)argument;
    for (LONG i = 0; i < ITEMS; ++i) {
        if (WaitForSingleObject(item_ready, PATIENCE) != WAIT_OBJECT_0) {
            return 1;
        }
        if (slot != i) {
            ++out_of_order;
        }
        ++consumed;
        SetEvent(slot_free);
    }
    return 0;
}

static void test_producer_consumer(void) {
    item_ready = CreateEventA(NULL, FALSE, FALSE, NULL);
    slot_free = CreateEventA(NULL, FALSE, TRUE, NULL);
    if (!CHECK_NE("CreateEvent (auto-reset) succeeds", (ULONG_PTR)item_ready, 0)) {
        return;
    }
    HANDLE threads[2] = {CreateThread(NULL, 0, consume, NULL, 0, NULL),
                         CreateThread(NULL, 0, produce, NULL, 0, NULL)};
    DWORD codes[2] = {99, 99};
    for (int i = 0; i < 2; ++i) {
        wait_for(threads[i]);
        GetExitCodeThread(threads[i], &codes[i]);
        CloseHandle(threads[i]);
    }
    CHECK_DEC("the consumer got every item", consumed, ITEMS);
    CHECK_DEC("in the order produced", out_of_order, 0);
    CHECK_DEC("neither side timed out", codes[0] + codes[1], 0);
    CloseHandle(item_ready);
    CloseHandle(slot_free);
}

/* ---- A counter under a mutex ------------------------------------------------------------- */

#define COUNTER_THREADS 8
#define INCREMENTS 10000

static HANDLE counter_mutex;
static volatile LONG counter;
static volatile LONG mutex_failures;

static DWORD WINAPI increment(LPVOID argument) {
    (void)argument;
    for (int i = 0; i < INCREMENTS; ++i) {
        if (WaitForSingleObject(counter_mutex, PATIENCE) != WAIT_OBJECT_0) {
            __atomic_add_fetch(&mutex_failures, 1, __ATOMIC_RELAXED);
            continue;
        }
        LONG value = counter; /* a plain read-modify-write: only the mutex keeps it exact */
        counter = value + 1;
        if (!ReleaseMutex(counter_mutex)) {
            __atomic_add_fetch(&mutex_failures, 1, __ATOMIC_RELAXED);
        }
    }
    return 0;
}

static void test_mutex_counter(void) {
    counter_mutex = CreateMutexA(NULL, FALSE, NULL);
    if (!CHECK_NE("CreateMutex succeeds", (ULONG_PTR)counter_mutex, 0)) {
        return;
    }
    HANDLE threads[COUNTER_THREADS];
    for (int i = 0; i < COUNTER_THREADS; ++i) {
        threads[i] = CreateThread(NULL, 0, increment, NULL, 0, NULL);
    }
    wait_all_and_close(threads, COUNTER_THREADS);
    CHECK_DEC("8 threads x 10,000 increments under a mutex", counter, COUNTER_THREADS * INCREMENTS);
    CHECK_DEC("every wait and release succeeded", mutex_failures, 0);
    CloseHandle(counter_mutex);
}

/* ---- A semaphore-limited pool ------------------------------------------------------------ */

#define POOL_LIMIT 3
#define POOL_WORKERS 10

static HANDLE pool;
static volatile LONG inside;
static volatile LONG most_inside;
static volatile LONG pool_done;

static DWORD WINAPI pool_worker(LPVOID argument) {
    (void)argument;
    for (int round = 0; round < 5; ++round) {
        if (WaitForSingleObject(pool, PATIENCE) != WAIT_OBJECT_0) {
            return 1;
        }
        LONG now = __atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        LONG most = most_inside;
        while (now > most && !__atomic_compare_exchange_n(&most_inside, &most, now, FALSE,
                                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        }
        Sleep(1);
        __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        ReleaseSemaphore(pool, 1, NULL);
    }
    __atomic_add_fetch(&pool_done, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void test_semaphore_pool(void) {
    pool = CreateSemaphoreA(NULL, POOL_LIMIT, POOL_LIMIT, NULL);
    if (!CHECK_NE("CreateSemaphore succeeds", (ULONG_PTR)pool, 0)) {
        return;
    }
    HANDLE threads[POOL_WORKERS];
    for (int i = 0; i < POOL_WORKERS; ++i) {
        threads[i] = CreateThread(NULL, 0, pool_worker, NULL, 0, NULL);
    }
    wait_all_and_close(threads, POOL_WORKERS);
    CHECK_DEC("every pool worker finished", pool_done, POOL_WORKERS);
    CHECK_TRUE("never more than 3 workers inside", most_inside <= POOL_LIMIT);
    CHECK_TRUE("and at least one", most_inside >= 1);
    LONG previous = -1;
    CHECK_TRUE("ReleaseSemaphore to the maximum fails...", !ReleaseSemaphore(pool, 1, &previous));
    CHECK_DEC("...with ERROR_TOO_MANY_POSTS", GetLastError(), 298);
    CloseHandle(pool);

    HANDLE counted = CreateSemaphoreA(NULL, 0, 2, NULL);
    CHECK_TRUE("ReleaseSemaphore below the maximum succeeds",
               ReleaseSemaphore(counted, 1, &previous));
    CHECK_DEC("and reports the previous count", previous, 0);
    CHECK_DEC("a semaphore with a count satisfies a wait", WaitForSingleObject(counted, 0),
              WAIT_OBJECT_0);
    CHECK_DEC("which takes the count", WaitForSingleObject(counted, 0), WAIT_TIMEOUT);
    CloseHandle(counted);
}

/* ---- WaitForMultipleObjects and timeouts ------------------------------------------------- */

static HANDLE abandoned_mutex;

static DWORD WINAPI take_and_leave(LPVOID argument) {
    (void)argument;
    return WaitForSingleObject(abandoned_mutex, PATIENCE);
}

static void test_wait_multiple(void) {
    HANDLE events[3];
    for (int i = 0; i < 3; ++i) {
        events[i] = CreateEventA(NULL, TRUE, FALSE, NULL);
    }
    CHECK_DEC("wait any, none set, timeout 0: WAIT_TIMEOUT",
              WaitForMultipleObjects(3, events, FALSE, 0), WAIT_TIMEOUT);
    SetEvent(events[1]);
    SetEvent(events[2]);
    CHECK_DEC("wait any: the lowest signalled index (WAIT_OBJECT_0 + 1)",
              WaitForMultipleObjects(3, events, FALSE, 0), WAIT_OBJECT_0 + 1);
    CHECK_DEC("wait all, one not set, 50 ms: WAIT_TIMEOUT",
              WaitForMultipleObjects(3, events, TRUE, 50), WAIT_TIMEOUT);
    SetEvent(events[0]);
    CHECK_DEC("wait all, all set: WAIT_OBJECT_0", WaitForMultipleObjects(3, events, TRUE, 0),
              WAIT_OBJECT_0);
    CHECK_DEC("waiting on no handles fails", WaitForMultipleObjects(0, events, FALSE, 0),
              WAIT_FAILED);
    CHECK_DEC("with ERROR_INVALID_PARAMETER", GetLastError(), 87);

    abandoned_mutex = CreateMutexA(NULL, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, take_and_leave, NULL, 0, NULL);
    wait_for(thread);
    DWORD code = 99;
    GetExitCodeThread(thread, &code);
    CHECK_DEC("a thread took the mutex and ended holding it", code, WAIT_OBJECT_0);
    CloseHandle(thread);
    ResetEvent(events[0]);
    HANDLE pair[2] = {events[0], abandoned_mutex};
    CHECK_DEC("wait any on it: WAIT_ABANDONED_0 + 1", WaitForMultipleObjects(2, pair, FALSE, 0),
              WAIT_ABANDONED_0 + 1);
    CHECK_TRUE("the waiter owns the abandoned mutex now", ReleaseMutex(abandoned_mutex));
    CloseHandle(abandoned_mutex);

    for (int i = 0; i < 3; ++i) {
        CloseHandle(events[i]);
    }
}

static void test_timeouts(void) {
    HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK_DEC("WaitForSingleObject(unset, 0): WAIT_TIMEOUT", WaitForSingleObject(event, 0),
              WAIT_TIMEOUT);
    CHECK_DEC("WaitForSingleObject(unset, 50): WAIT_TIMEOUT", WaitForSingleObject(event, 50),
              WAIT_TIMEOUT);
    CloseHandle(event);

    LARGE_INTEGER frequency;
    LARGE_INTEGER before;
    LARGE_INTEGER after;
    QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&before);
    Sleep(100);
    QueryPerformanceCounter(&after);
    LONGLONG elapsed_ms = (after.QuadPart - before.QuadPart) * 1000 / frequency.QuadPart;
    CHECK_TRUE("Sleep(100) takes at least 100 ms", elapsed_ms >= 100);
    CHECK_DEC("SleepEx(0, FALSE) returns 0", SleepEx(0, FALSE), 0);
}

/* ---- Ownership errors -------------------------------------------------------------------- */

static HANDLE owned_mutex;
static volatile BOOL foreign_release;
static volatile DWORD foreign_release_error;

static DWORD WINAPI release_foreign_mutex(LPVOID argument) {
    (void)argument;
    SetLastError(0);
    foreign_release = ReleaseMutex(owned_mutex);
    foreign_release_error = GetLastError();
    return 0;
}

static void test_not_owner(void) {
    owned_mutex = CreateMutexA(NULL, TRUE, NULL);
    HANDLE thread = CreateThread(NULL, 0, release_foreign_mutex, NULL, 0, NULL);
    wait_for(thread);
    CloseHandle(thread);
    CHECK_DEC("ReleaseMutex by a thread that does not own it fails", foreign_release, FALSE);
    CHECK_DEC("with ERROR_NOT_OWNER", foreign_release_error, 288);
    CHECK_TRUE("the owner releases it", ReleaseMutex(owned_mutex));
    CHECK_TRUE("a recursive acquisition counts",
               WaitForSingleObject(owned_mutex, 0) == WAIT_OBJECT_0 &&
                   WaitForSingleObject(owned_mutex, 0) == WAIT_OBJECT_0);
    CHECK_TRUE("and is released as often", ReleaseMutex(owned_mutex) && ReleaseMutex(owned_mutex));
    CHECK_TRUE("once more is too often", !ReleaseMutex(owned_mutex));
    CHECK_DEC("ERROR_NOT_OWNER again", GetLastError(), 288);
    CloseHandle(owned_mutex);
}

/* ---- User APCs --------------------------------------------------------------------------- */

static volatile ULONG_PTR apc_data;
static volatile DWORD apc_thread;

static void WINAPI record_apc(ULONG_PTR data) {
    apc_data = data;
    apc_thread = GetCurrentThreadId();
}

static volatile DWORD sleeper_result;
static volatile DWORD sleeper_id;

static DWORD WINAPI sleep_alertably(LPVOID argument) {
    (void)argument;
    sleeper_id = GetCurrentThreadId();
    sleeper_result = SleepEx(PATIENCE, TRUE);
    return 0;
}

static void test_apcs(void) {
    CHECK_NE("QueueUserAPC to this thread succeeds",
             QueueUserAPC(record_apc, GetCurrentThread(), 0x51), 0);
    CHECK_EQ("the APC waits for an alertable wait", apc_data, 0);
    CHECK_DEC("SleepEx(alertable) returns WAIT_IO_COMPLETION", SleepEx(PATIENCE, TRUE),
              WAIT_IO_COMPLETION);
    CHECK_EQ("the APC ran with its data", apc_data, 0x51);
    CHECK_DEC("on this thread", apc_thread, GetCurrentThreadId());

    HANDLE thread = CreateThread(NULL, 0, sleep_alertably, NULL, 0, NULL);
    CHECK_NE("QueueUserAPC to another thread succeeds", QueueUserAPC(record_apc, thread, 0x52), 0);
    wait_for(thread);
    CloseHandle(thread);
    CHECK_DEC("its alertable sleep returned WAIT_IO_COMPLETION", sleeper_result,
              WAIT_IO_COMPLETION);
    CHECK_EQ("the APC ran with its data", apc_data, 0x52);
    CHECK_DEC("on that thread", apc_thread, sleeper_id);

    HANDLE event = CreateEventA(NULL, FALSE, FALSE, NULL);
    QueueUserAPC(record_apc, GetCurrentThread(), 0x53);
    CHECK_DEC("an alertable WaitForSingleObjectEx returns WAIT_IO_COMPLETION",
              WaitForSingleObjectEx(event, PATIENCE, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ("after running the APC", apc_data, 0x53);
    QueueUserAPC(record_apc, GetCurrentThread(), 0x54);
    CHECK_DEC("a wait that is not alertable runs no APC", WaitForSingleObject(event, 0),
              WAIT_TIMEOUT);
    CHECK_EQ("so the APC still waits", apc_data, 0x53);
    SleepEx(0, TRUE);
    CHECK_EQ("until the next alertable wait", apc_data, 0x54);
    CloseHandle(event);
}

/* ---- Handles ----------------------------------------------------------------------------- */

static void test_handles(void) {
    HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK_TRUE("CloseHandle succeeds", CloseHandle(event));
    SetLastError(0);
    CHECK_TRUE("CloseHandle of a closed handle fails", !CloseHandle(event));
    CHECK_DEC("with ERROR_INVALID_HANDLE", GetLastError(), 6);
    CHECK_DEC("waiting on a closed handle: WAIT_FAILED", WaitForSingleObject(event, 0),
              WAIT_FAILED);
    CHECK_DEC("with ERROR_INVALID_HANDLE too", GetLastError(), 6);

    event = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE duplicate = NULL;
    CHECK_TRUE("DuplicateHandle succeeds",
               DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &duplicate, 0,
                               FALSE, DUPLICATE_SAME_ACCESS));
    CHECK_NE("the duplicate is another handle", (ULONG_PTR)duplicate, (ULONG_PTR)event);
    CloseHandle(event);
    CHECK_TRUE("the duplicate works after the original is closed", SetEvent(duplicate));
    CHECK_DEC("and names the same event", WaitForSingleObject(duplicate, 0), WAIT_OBJECT_0);

    HANDLE limited = NULL;
    CHECK_TRUE("DuplicateHandle with SYNCHRONIZE only succeeds",
               DuplicateHandle(GetCurrentProcess(), duplicate, GetCurrentProcess(), &limited,
                               SYNCHRONIZE, FALSE, 0));
    SetLastError(0);
    CHECK_TRUE("SetEvent without EVENT_MODIFY_STATE fails", !SetEvent(limited));
    CHECK_DEC("with ERROR_ACCESS_DENIED", GetLastError(), 5);
    CHECK_DEC("but the handle can be waited on", WaitForSingleObject(limited, 0), WAIT_OBJECT_0);
    CloseHandle(limited);

    HANDLE signalled = CreateEventA(NULL, FALSE, FALSE, NULL);
    CHECK_DEC("SignalObjectAndWait on one auto-reset event: WAIT_OBJECT_0",
              SignalObjectAndWait(signalled, signalled, 0, FALSE), WAIT_OBJECT_0);
    CHECK_DEC("the wait took the signal", WaitForSingleObject(signalled, 0), WAIT_TIMEOUT);
    CloseHandle(signalled);
    CloseHandle(duplicate);
}

int start(void) {
    test_producer_consumer();
    test_mutex_counter();
    test_semaphore_pool();
    test_wait_multiple();
    test_timeouts();
    test_not_owner();
    test_apcs();
    test_handles();
    return test_done();
}
