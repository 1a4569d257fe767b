// Regression for C++ exceptions on ntoy: libgcc's phase 2 (RtlUnwindEx, started by the
// personality routine from inside the exception dispatch) unwinds from its own frame through
// KiUserExceptionDispatcher into the code that threw. Its unwind info names only the machine
// frame (RIP and RSP), so the non-volatile registers the walk reaches the throwing frames with
// are the ones the dispatcher was entered with; they used to be the raise path's, not the
// exception's. Functions whose establisher frame is their frame pointer (RBP) then had another
// establisher frame in phase 2 than in phase 1 (STATUS_INVALID_UNWIND_TARGET or
// STATUS_BAD_STACK), and a catch block would have resumed with the wrong RBX, RSI, RDI,
// R12-R15 and XMM6-XMM15.
//
// Each case prints what it caught and values kept in non-volatile registers across the throw;
// built -O0 (everything on RBP frames) and -O2 (values live in callee-saved registers across
// the throwing call). Its stdout is compared with
// tests/guest/expected/crt/cxx_unwind_registers.txt.
#include <malloc.h>  // alloca
#include <cstdio>
#include <cstring>

namespace {

volatile long seed = 3;  // opaque to the optimizer
volatile double fseed = 0.5;

int destroyed = 0;

struct Counted {
    int id;
    explicit Counted(int i) : id(i) {}
    ~Counted() { destroyed += id; }
};

__attribute__((noinline)) void thrower(long value) {
    // Clobbers the callee-saved registers (its own prolog saves them) before the throw.
    long a = value * 7, b = value * 11, c = value * 13, d = value * 17, e = value * 19;
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e));
    Counted guard(1);
    if (a + b + c + d + e != 0) {
        throw value;
    }
}

// A frame-pointer frame (alloca forces RBP even at -O2): its establisher frame is RBP.
__attribute__((noinline)) long frame_pointer_catch(long n) {
    char* buffer = static_cast<char*>(alloca(static_cast<size_t>(n) * 16 + 16));
    std::memset(buffer, 'x', static_cast<size_t>(n) * 16);
    buffer[n * 16] = 0;
    try {
        Counted guard(10);
        thrower(n);
    } catch (long caught) {
        return caught + static_cast<long>(std::strlen(buffer));
    }
    return -1;
}

// Values live across the throwing call, in callee-saved registers at -O2.
__attribute__((noinline)) long registers_survive() {
    long s = seed;
    long a = s + 1, b = s * 2, c = s * 3 + 1, d = s * 5 - 2, e = s * 7 + 3, f = s * 11, g = s * 13;
    double x = fseed * 3, y = fseed * 5, z = fseed * 9;
    try {
        thrower(s);
    } catch (long caught) {
        return caught + a + b * 10 + c * 100 + d * 1000 + e * 10000 + f * 100000 + g * 1000000 +
               static_cast<long>((x + y * 10 + z * 100) * 2);
    }
    return -1;
}

// A cleanup on the way (a destructor in a frame that does not catch), then a catch further out.
__attribute__((noinline)) void cleanup_frame(long n) {
    char* buffer = static_cast<char*>(alloca(static_cast<size_t>(n) + 1));
    buffer[0] = 0;
    Counted guard(100);
    thrower(n);
}

__attribute__((noinline)) long through_cleanup(long n) {
    try {
        cleanup_frame(n);
    } catch (long caught) {
        return caught;
    }
    return -1;
}

}  // namespace

int main() {
    // The first throw from main's own frame (the case that first failed).
    try {
        throw 5;
    } catch (int v) {
        std::printf("main caught %d\n", v);
    }
    std::printf("frame pointer catch %ld\n", frame_pointer_catch(4));
    std::printf("registers %ld\n", registers_survive());
    std::printf("through cleanup %ld\n", through_cleanup(9));
    long sum = 0;
    for (long i = 1; i <= 50; ++i) {
        sum += frame_pointer_catch(i) + through_cleanup(i);
    }
    std::printf("loop %ld\n", sum);
    std::printf("destroyed %d\n", destroyed);
    return 0;
}
