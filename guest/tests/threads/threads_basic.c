/* Threads (issue 10): creation with an argument and a result, exit codes (STILL_ACTIVE, then
 * the value, ExitThread's, TerminateThread's), waiting on thread handles, per-thread ids, TLS
 * slots (TlsAlloc/TlsSetValue/TlsGetValue/TlsFree, past the TEB's 64 too) and static TLS
 * (the TLS directory) with DLL_THREAD_ATTACH/DETACH callbacks, a new thread's stack growing
 * through its guard page, suspend counts, a suspended thread's context changed before it
 * runs, and an exception on a thread handled there. Checks Windows passes as well. */
#include "../framework/ntoy_faults.h"
#include "../framework/ntoy_test.h"
#include "../framework/ntoy_tls.h"

#define WORKERS 4
#define PATIENCE 30000 /* ms: a wait that takes longer has failed */

static DWORD wait_for(HANDLE handle) {
    return WaitForSingleObject(handle, PATIENCE);
}

/* ---- Arguments, results, ids ------------------------------------------------------------- */

static volatile DWORD seen_ids[WORKERS];

static DWORD WINAPI double_plus_one(LPVOID argument) {
    ULONG_PTR index = (ULONG_PTR)argument;
    seen_ids[index] = GetCurrentThreadId();
    return (DWORD)(index * 2 + 1);
}

static void test_create_and_exit_codes(void) {
    HANDLE threads[WORKERS];
    DWORD ids[WORKERS];
    for (ULONG_PTR i = 0; i < WORKERS; ++i) {
        threads[i] = CreateThread(NULL, 0, double_plus_one, (LPVOID)i, 0, &ids[i]);
        if (!CHECK_NE("CreateThread succeeds", (ULONG_PTR)threads[i], 0)) {
            return;
        }
    }
    for (int i = 0; i < WORKERS; ++i) {
        CHECK_DEC("WaitForSingleObject(thread): WAIT_OBJECT_0", wait_for(threads[i]),
                  WAIT_OBJECT_0);
        DWORD code = 0;
        CHECK_TRUE("GetExitCodeThread succeeds", GetExitCodeThread(threads[i], &code));
        CHECK_DEC("the exit code is what the thread returned", code, (DWORD)(i * 2 + 1));
        CHECK_DEC("the thread saw the id CreateThread gave", seen_ids[i], ids[i]);
        CHECK_DEC("GetThreadId(handle) is that id", GetThreadId(threads[i]), ids[i]);
        CHECK_NE("a thread's id is not the main thread's", ids[i], GetCurrentThreadId());
        for (int j = 0; j < i; ++j) {
            CHECK_NE("two threads have different ids", ids[i], ids[j]);
        }
        CloseHandle(threads[i]);
    }
    CHECK_DEC("GetThreadId(GetCurrentThread()) is GetCurrentThreadId()",
              GetThreadId(GetCurrentThread()), GetCurrentThreadId());
}

static HANDLE release_event;

static DWORD WINAPI wait_then_return(LPVOID argument) {
    WaitForSingleObject(release_event, INFINITE);
    return (DWORD)(ULONG_PTR)argument;
}

static void test_still_active(void) {
    release_event = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, wait_then_return, (LPVOID)0xBEEF, 0, NULL);
    if (!CHECK_NE("CreateThread (waiter) succeeds", (ULONG_PTR)thread, 0)) {
        return;
    }
    DWORD code = 0;
    GetExitCodeThread(thread, &code);
    CHECK_DEC("a running thread's exit code is STILL_ACTIVE", code, STILL_ACTIVE);
    CHECK_DEC("WaitForSingleObject(running thread, 0): WAIT_TIMEOUT",
              WaitForSingleObject(thread, 0), WAIT_TIMEOUT);
    SetEvent(release_event);
    CHECK_DEC("the waiter ends once released", wait_for(thread), WAIT_OBJECT_0);
    GetExitCodeThread(thread, &code);
    CHECK_EQ("then its exit code is its result", code, 0xBEEF);
    CloseHandle(thread);
}

static __attribute__((noinline)) void exit_from_deep_inside(DWORD code) {
    ExitThread(code);
}

static DWORD WINAPI exit_thread_early(LPVOID argument) {
    exit_from_deep_inside((DWORD)(ULONG_PTR)argument);
    return 1;
}

static DWORD WINAPI wait_forever(LPVOID argument) {
    SetEvent((HANDLE)argument);
    WaitForSingleObject(release_event, INFINITE);
    return 1;
}

static void test_exit_and_terminate(void) {
    HANDLE thread = CreateThread(NULL, 0, exit_thread_early, (LPVOID)0x1234, 0, NULL);
    CHECK_DEC("a thread that calls ExitThread ends", wait_for(thread), WAIT_OBJECT_0);
    DWORD code = 0;
    GetExitCodeThread(thread, &code);
    CHECK_EQ("its exit code is ExitThread's", code, 0x1234);
    CloseHandle(thread);

    /* Terminated only once in its wait: a thread ended during its start-up, inside the loader
     * lock (DLL_THREAD_ATTACH), would leave the lock held for ever, on Windows too. */
    ResetEvent(release_event);
    HANDLE waiting = CreateEventA(NULL, TRUE, FALSE, NULL);
    thread = CreateThread(NULL, 0, wait_forever, waiting, 0, NULL);
    wait_for(waiting);
    CloseHandle(waiting);
    CHECK_TRUE("TerminateThread succeeds", TerminateThread(thread, 99));
    CHECK_DEC("the terminated thread's handle is signalled", wait_for(thread), WAIT_OBJECT_0);
    GetExitCodeThread(thread, &code);
    CHECK_DEC("its exit code is TerminateThread's", code, 99);
    CloseHandle(thread);
}

/* ---- TLS slots --------------------------------------------------------------------------- */

static DWORD slot;
static DWORD expansion_slot;
static volatile LONG tls_mismatches;

static DWORD WINAPI use_slots(LPVOID argument) {
    ULONG_PTR mine = 0x1000 + (ULONG_PTR)argument;
    if (TlsGetValue(slot) != NULL || TlsGetValue(expansion_slot) != NULL) {
        __atomic_add_fetch(&tls_mismatches, 1, __ATOMIC_RELAXED);
    }
    TlsSetValue(slot, (LPVOID)mine);
    TlsSetValue(expansion_slot, (LPVOID)(mine + 1));
    for (int round = 0; round < 20; ++round) {
        Sleep(1);
        if (TlsGetValue(slot) != (LPVOID)mine ||
            TlsGetValue(expansion_slot) != (LPVOID)(mine + 1)) {
            __atomic_add_fetch(&tls_mismatches, 1, __ATOMIC_RELAXED);
        }
    }
    return 0;
}

static void test_tls_slots(void) {
    slot = TlsAlloc();
    if (!CHECK_NE("TlsAlloc succeeds", slot, TLS_OUT_OF_INDEXES)) {
        return;
    }
    /* Take slots until one is past the TEB's 64. */
    DWORD taken[80];
    int taken_count = 0;
    expansion_slot = TLS_OUT_OF_INDEXES;
    while (taken_count < 80) {
        DWORD index = TlsAlloc();
        if (index == TLS_OUT_OF_INDEXES) {
            break;
        }
        if (index >= 64) {
            expansion_slot = index;
            break;
        }
        taken[taken_count++] = index;
    }
    if (!CHECK_NE("TlsAlloc gives a slot past 63", expansion_slot, TLS_OUT_OF_INDEXES)) {
        return;
    }
    TlsSetValue(slot, (LPVOID)0x77);
    SetLastError(1234);
    CHECK_EQ("TlsGetValue returns the value set", (ULONG_PTR)TlsGetValue(slot), 0x77);
    CHECK_DEC("TlsGetValue sets the last error to 0", GetLastError(), 0);
    CHECK_EQ("a slot is a TEB TlsSlots entry (0x1480)", ntoy_read_gs(0x1480 + slot * sizeof(PVOID)),
             0x77);

    HANDLE threads[WORKERS];
    for (ULONG_PTR i = 0; i < WORKERS; ++i) {
        threads[i] = CreateThread(NULL, 0, use_slots, (LPVOID)i, 0, NULL);
    }
    for (int i = 0; i < WORKERS; ++i) {
        wait_for(threads[i]);
        CloseHandle(threads[i]);
    }
    CHECK_DEC("every thread starts with zero and keeps its own values", tls_mismatches, 0);
    CHECK_EQ("the main thread's value is its own", (ULONG_PTR)TlsGetValue(slot), 0x77);

    CHECK_TRUE("TlsFree succeeds", TlsFree(slot));
    DWORD again = TlsAlloc();
    CHECK_DEC("TlsAlloc hands the freed slot out again", again, slot);
    CHECK_EQ("a slot handed out again is zero", (ULONG_PTR)TlsGetValue(again), 0);
    TlsFree(again);
    TlsFree(expansion_slot);
    for (int i = 0; i < taken_count; ++i) {
        TlsFree(taken[i]);
    }
    SetLastError(0);
    CHECK_EQ("TlsGetValue(1088) fails", (ULONG_PTR)TlsGetValue(1088), 0);
    CHECK_DEC("TlsGetValue(1088): ERROR_INVALID_PARAMETER", GetLastError(), 87);
}

/* ---- Static TLS and the thread callbacks ------------------------------------------------- */

NTOY_TLS_VARIABLE int tls_counter = 5;
static volatile LONG thread_attaches;
static volatile LONG thread_detaches;

static void WINAPI count_thread_calls(PVOID module, DWORD reason, PVOID reserved) {
    (void)module;
    (void)reserved;
    if (reason == DLL_THREAD_ATTACH) {
        __atomic_add_fetch(&thread_attaches, 1, __ATOMIC_RELAXED);
    } else if (reason == DLL_THREAD_DETACH) {
        __atomic_add_fetch(&thread_detaches, 1, __ATOMIC_RELAXED);
    }
}
NTOY_TLS_CALLBACK(thread_callback) = count_thread_calls;

static volatile LONG static_tls_mismatches;

static DWORD WINAPI use_static_tls(LPVOID argument) {
    if (NTOY_TLS(tls_counter) != 5) {
        __atomic_add_fetch(&static_tls_mismatches, 1, __ATOMIC_RELAXED);
    }
    NTOY_TLS(tls_counter) = 100 + (int)(ULONG_PTR)argument;
    for (int round = 0; round < 20; ++round) {
        Sleep(1);
        if (NTOY_TLS(tls_counter) != 100 + (int)(ULONG_PTR)argument) {
            __atomic_add_fetch(&static_tls_mismatches, 1, __ATOMIC_RELAXED);
        }
    }
    return 0;
}

static void test_static_tls(void) {
    NTOY_TLS(tls_counter) = 42;
    LONG attaches = thread_attaches;
    LONG detaches = thread_detaches;
    HANDLE threads[WORKERS];
    for (ULONG_PTR i = 0; i < WORKERS; ++i) {
        threads[i] = CreateThread(NULL, 0, use_static_tls, (LPVOID)i, 0, NULL);
    }
    for (int i = 0; i < WORKERS; ++i) {
        wait_for(threads[i]);
        CloseHandle(threads[i]);
    }
    CHECK_DEC("each thread has its own copy of a TLS variable, from the template",
              static_tls_mismatches, 0);
    CHECK_DEC("the main thread's copy is its own", NTOY_TLS(tls_counter), 42);
    CHECK_DEC("a TLS callback hears DLL_THREAD_ATTACH for each thread", thread_attaches - attaches,
              WORKERS);
    CHECK_DEC("and DLL_THREAD_DETACH as each ends", thread_detaches - detaches, WORKERS);
}

/* ---- A new thread's stack ---------------------------------------------------------------- */

static __attribute__((noinline)) ULONG_PTR recurse(int depth) {
    volatile char frame[4096];
    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = (char)depth;
    if (depth == 0) {
        return 1;
    }
    return recurse(depth - 1) + frame[0] - frame[sizeof(frame) - 1] + 1;
}

static DWORD WINAPI grow_stack(LPVOID argument) {
    return (DWORD)recurse((int)(ULONG_PTR)argument);
}

static void test_stack_growth(void) {
    /* 128 frames of over 4 KB: more than 512 KB, far past the initial commit. */
    HANDLE thread = CreateThread(NULL, 0, grow_stack, (LPVOID)128, 0, NULL);
    CHECK_DEC("a thread recursing through 512 KB of stack ends", wait_for(thread), WAIT_OBJECT_0);
    DWORD code = 0;
    GetExitCodeThread(thread, &code);
    CHECK_DEC("and returns its depth", code, 129);
    CloseHandle(thread);
}

/* ---- Suspension and context -------------------------------------------------------------- */

static DWORD WINAPI return_argument(LPVOID argument) {
    return (DWORD)(ULONG_PTR)argument;
}

static CONTEXT context; /* 16-byte aligned by its type */

static void test_suspend_and_context(void) {
    DWORD id = 0;
    HANDLE thread = CreateThread(NULL, 0, return_argument, (LPVOID)5, CREATE_SUSPENDED, &id);
    if (!CHECK_NE("CreateThread(CREATE_SUSPENDED) succeeds", (ULONG_PTR)thread, 0)) {
        return;
    }
    CHECK_DEC("a suspended thread does not run", WaitForSingleObject(thread, 50), WAIT_TIMEOUT);
    CHECK_DEC("SuspendThread returns the previous count (1)", SuspendThread(thread), 1);
    CHECK_DEC("ResumeThread returns the previous count (2)", ResumeThread(thread), 2);

    context.ContextFlags = CONTEXT_FULL;
    if (CHECK_TRUE("GetThreadContext on a suspended thread succeeds",
                   GetThreadContext(thread, &context))) {
        FARPROC start = GetProcAddress(GetModuleHandleA("ntdll.dll"), "RtlUserThreadStart");
        CHECK_EQ("it is about to run ntdll!RtlUserThreadStart", context.Rip, (ULONG_PTR)start);
        CHECK_EQ("with the start routine in RCX", context.Rcx, (ULONG_PTR)return_argument);
        CHECK_EQ("and its argument in RDX", context.Rdx, 5);
        context.Rdx = 777;
        CHECK_TRUE("SetThreadContext succeeds", SetThreadContext(thread, &context));
    }
    CHECK_DEC("ResumeThread returns the previous count (1)", ResumeThread(thread), 1);
    CHECK_DEC("the resumed thread ends", wait_for(thread), WAIT_OBJECT_0);
    DWORD code = 0;
    GetExitCodeThread(thread, &code);
    CHECK_DEC("it ran with the argument SetThreadContext gave it", code, 777);
    CloseHandle(thread);
}

/* ---- An exception on a thread ------------------------------------------------------------ */

static volatile DWORD faulting_thread;

static LONG WINAPI record_faulting_thread(EXCEPTION_POINTERS* pointers) {
    if (pointers->ExceptionRecord->ExceptionCode == EXCEPTION_ACCESS_VIOLATION) {
        faulting_thread = GetCurrentThreadId();
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static volatile ULONG_PTR probe_result;
static volatile DWORD probe_thread;

static DWORD WINAPI fault_here(LPVOID argument) {
    (void)argument;
    probe_thread = GetCurrentThreadId();
    probe_result = probe_read8(0);
    return 0;
}

static void test_exception_on_a_thread(void) {
    fault_install();
    PVOID recorder = AddVectoredExceptionHandler(1, record_faulting_thread);
    HANDLE thread = CreateThread(NULL, 0, fault_here, NULL, 0, NULL);
    if (!CHECK_NE("CreateThread (faulting) succeeds", (ULONG_PTR)thread, 0)) {
        RemoveVectoredExceptionHandler(recorder);
        return;
    }
    CHECK_DEC("a thread that faults and handles it ends", wait_for(thread), WAIT_OBJECT_0);
    CHECK_EQ("its read of address 0 faulted and was resumed", probe_result, PROBE_FAULTED);
    CHECK_DEC("the handlers ran on the faulting thread", faulting_thread, probe_thread);
    CHECK_EQ("the exception was an access violation", fault_log.code, EXCEPTION_ACCESS_VIOLATION);
    RemoveVectoredExceptionHandler(recorder);
    CloseHandle(thread);
}

int start(void) {
    test_create_and_exit_codes();
    test_still_active();
    test_exit_and_terminate();
    test_tls_slots();
    test_static_tls();
    test_stack_growth();
    test_suspend_and_context();
    test_exception_on_a_thread();
    return test_done();
}
