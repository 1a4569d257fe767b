/* The CPU state and ids a Windows x64 process sees: Windows' segment selectors, RCX and R11
 * after a system call holding what SYSCALL put there (the return address and RFLAGS), and
 * process and thread ids that are multiples of 4 and not 4 (the System process's). */
#include "../framework/ntoy_gs.h"
#include "../framework/ntoy_test.h"

static WORD selector(int which) {
    WORD value = 0;
    switch (which) {
        case 0:
            __asm__ volatile("mov %%cs, %0" : "=r"(value));
            break;
        case 1:
            __asm__ volatile("mov %%ds, %0" : "=r"(value));
            break;
        case 2:
            __asm__ volatile("mov %%es, %0" : "=r"(value));
            break;
        case 3:
            __asm__ volatile("mov %%ss, %0" : "=r"(value));
            break;
        case 4:
            __asm__ volatile("mov %%fs, %0" : "=r"(value));
            break;
        default:
            __asm__ volatile("mov %%gs, %0" : "=r"(value));
            break;
    }
    return value;
}

static void test_selectors(void) {
    CHECK_EQ("CS", selector(0), 0x33);
    CHECK_EQ("DS", selector(1), 0x2B);
    CHECK_EQ("ES", selector(2), 0x2B);
    CHECK_EQ("SS", selector(3), 0x2B);
    CHECK_EQ("FS", selector(4), 0x53);
    CHECK_EQ("GS", selector(5), 0x2B);
    ULONG_PTR teb = ntoy_read_gs(0x30);
    CHECK_EQ("GS base is the TEB: gs:[0x30] is TEB->Self", *(ULONG_PTR*)(teb + 0x30), teb);
}

typedef LONG(NTAPI* QuerySystemInformation)(ULONG, PVOID, ULONG, PULONG);

/* Calls ntdll's NtQuerySystemInformation stub (an invalid class: it fails at once) and
 * returns RCX and R11 as the stub's `ret` left them, with RFLAGS read just before. */
static void call_and_capture(QuerySystemInformation query, ULONG_PTR* rcx, ULONG_PTR* r11,
                             ULONG_PTR* flags_before) {
    ULONG_PTR out_rcx, out_r11, flags;
    __asm__ volatile(
        "pushfq\n\t"
        "popq %[flags]\n\t"
        "movl $0xFFFF, %%ecx\n\t" /* an information class no Windows has */
        "xorl %%edx, %%edx\n\t"
        "xorl %%r8d, %%r8d\n\t"
        "xorl %%r9d, %%r9d\n\t"
        "subq $40, %%rsp\n\t"
        "call *%[fn]\n\t"
        "addq $40, %%rsp\n\t"
        "movq %%rcx, %[rcx]\n\t"
        "movq %%r11, %[r11]\n\t"
        : [rcx] "=m"(out_rcx), [r11] "=m"(out_r11), [flags] "=&r"(flags)
        : [fn] "r"(query)
        : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
    *rcx = out_rcx;
    *r11 = out_r11;
    *flags_before = flags;
}

static void test_syscall_registers(void) {
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    QuerySystemInformation query =
        (QuerySystemInformation)(void*)GetProcAddress(ntdll, "NtQuerySystemInformation");
    if (!CHECK_NE("ntdll exports NtQuerySystemInformation", (ULONG_PTR)query, 0)) {
        return;
    }
    ULONG_PTR rcx = 0, r11 = 0, flags = 0;
    call_and_capture(query, &rcx, &r11, &flags);
    IMAGE_NT_HEADERS64* nt =
        (IMAGE_NT_HEADERS64*)((char*)ntdll + ((IMAGE_DOS_HEADER*)ntdll)->e_lfanew);
    BOOL in_ntdll =
        rcx > (ULONG_PTR)ntdll && rcx < (ULONG_PTR)ntdll + nt->OptionalHeader.SizeOfImage;
    if (CHECK_TRUE("after syscall, RCX is in ntdll", in_ntdll)) {
        const BYTE* after = (const BYTE*)rcx;
        CHECK_TRUE("... just past a SYSCALL instruction (0F 05)",
                   after[-2] == 0x0F && after[-1] == 0x05);
    }
    /* The stub's instructions may change the arithmetic flags; the rest must be as before. */
    const ULONG_PTR arithmetic = 0x8D5; /* CF PF AF ZF SF OF */
    CHECK_EQ("after syscall, R11 holds RFLAGS", r11 & ~arithmetic, flags & ~arithmetic);
    CHECK_EQ("... with IF and the reserved bit 1 set", r11 & 0x202, 0x202);
}

static void test_ids(void) {
    DWORD process = GetCurrentProcessId();
    DWORD thread = GetCurrentThreadId();
    CHECK_NE("the process id is not 4 (the System process's)", process, 4);
    CHECK_NE("the process id is not 0", process, 0);
    CHECK_EQ("the process id is a multiple of 4", process % 4, 0);
    CHECK_EQ("the thread id is a multiple of 4", thread % 4, 0);
    CHECK_NE("the thread id is not the process id", thread, process);
}

int start(void) {
    test_selectors();
    test_syscall_registers();
    test_ids();
    return test_done();
}
