/* N round trips between two threads on two auto-reset events: each trip is two thread
 * switches (bench/run's pair: two pthreads on a condition variable). */
#include <windows.h>

#include "bench_args.h"

static HANDLE ping, pong;
static volatile unsigned long long trips;

static DWORD WINAPI answer(LPVOID argument) {
    (void)argument;
    for (unsigned long long i = 0; i < trips; ++i) {
        if (WaitForSingleObject(ping, INFINITE) != WAIT_OBJECT_0 || !SetEvent(pong))
            return 1;
    }
    return 0;
}

int start(void) {
    trips = bench_iterations(100000ull);
    ping = CreateEventA(NULL, FALSE, FALSE, NULL);
    pong = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, answer, NULL, 0, NULL);
    if (ping == NULL || pong == NULL || thread == NULL)
        return 1;
    for (unsigned long long i = 0; i < trips; ++i) {
        if (!SetEvent(ping) || WaitForSingleObject(pong, INFINITE) != WAIT_OBJECT_0)
            return 2;
    }
    DWORD code = 1;
    WaitForSingleObject(thread, INFINITE);
    GetExitCodeThread(thread, &code);
    return (int)code;
}
