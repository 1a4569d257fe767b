#include "emulator/UnicornQuirks.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kernel/arch/X86.h"

namespace {
// uc_struct's no_exit_request, once the block-boundary probe has found it (0 until then): the
// forced exit check after an inlined code hook clears it around the check (chosen code hooks).
std::atomic<std::size_t>& noExitRequestOffset() {
    static std::atomic<std::size_t> offset{0};
    return offset;
}
}  // namespace

namespace ntoy::emu {
namespace {

using namespace ntoy::x86;

// A scratch machine for probing: one identity-mapped 2 MiB RAM region with a single page
// table, a GDT, an iretq stub and a user code page. Small on purpose; the real machine is
// built by the kernel.
class ScratchMachine {
public:
    static constexpr std::uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPt = 0x4000;
    static constexpr std::uint64_t kGdt = 0x5000, kTss = 0x5800;
    static constexpr std::uint64_t kStub = 0x6000, kKernelStack = 0x8000;
    static constexpr std::uint64_t kCode = 0x10000, kUserStack = 0x12000;
    static constexpr std::uint64_t kTarget = 0x20000;  // the page each probe faults on
    static constexpr std::uint64_t kPresentRw = 0x3, kUser = 0x4, kNx = 1ull << 63;
    static constexpr std::size_t kMaxInstructions = 100000;  // a bound, should a probe loop

    ScratchMachine() {
        if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc_) != UC_ERR_OK) {
            uc_ = nullptr;
            return;
        }
        uc_mem_map(uc_, 0, 0x200000, UC_PROT_ALL);
        write64(kPml4, kPdpt | kPresentRw | kUser);
        write64(kPdpt, kPd | kPresentRw | kUser);
        write64(kPd, kPt | kPresentRw | kUser);
        for (std::uint64_t page : {kPml4, kPdpt, kPd, kPt, kGdt, kStub, kKernelStack - 0x1000})
            setPte(page, page | kPresentRw);
        setPte(kCode, kCode | kPresentRw | kUser);
        setPte(kUserStack - 0x1000, (kUserStack - 0x1000) | kPresentRw | kUser | kNx);
        const auto gdt = buildGdt(kTss);
        uc_mem_write(uc_, kGdt, gdt.data(), gdt.size() * 8);
        const std::uint8_t iretq[] = {0x48, 0xCF};
        uc_mem_write(uc_, kStub, iretq, sizeof iretq);

        uc_x86_mmr gdtr{0, kGdt, static_cast<std::uint32_t>(gdt.size() * 8 - 1), 0};
        uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr);
        std::uint64_t cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt, cr3 = kPml4;
        std::uint64_t cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
        uc_reg_write(uc_, UC_X86_REG_CR4, &cr4);
        uc_reg_write(uc_, UC_X86_REG_CR3, &cr3);
        uc_reg_write(uc_, UC_X86_REG_CR0, &cr0);
        setEferThroughMsr(kEferLme | kEferLma);
        uc_hook_add(uc_, &intrHook_, UC_HOOK_INTR, reinterpret_cast<void*>(&onInterrupt), this, 1,
                    0);
    }
    ~ScratchMachine() {
        if (uc_)
            uc_close(uc_);
    }
    ScratchMachine(const ScratchMachine&) = delete;
    ScratchMachine& operator=(const ScratchMachine&) = delete;

    uc_engine* uc() const { return uc_; }
    explicit operator bool() const { return uc_ != nullptr; }

    void write64(std::uint64_t pa, std::uint64_t v) { uc_mem_write(uc_, pa, &v, 8); }
    std::uint64_t read64(std::uint64_t pa) {
        std::uint64_t v = 0;
        uc_mem_read(uc_, pa, &v, 8);
        return v;
    }
    void setPte(std::uint64_t va, std::uint64_t pte) { write64(kPt + (va >> 12) * 8, pte); }
    void setEferThroughMsr(std::uint64_t efer) {
        uc_x86_msr msr{kMsrEfer, efer};
        uc_reg_write(uc_, UC_X86_REG_MSR, &msr);
    }

    // Runs `code` at kCode, at CPL0 or (through the iretq stub) at CPL3. Each exception goes
    // to `onException`, which returns true to resume the faulting instruction. `count` bounds
    // the instructions run; 0 runs without a bound, and so without the code hook 2.0.1 counts
    // with (which changes how a stop restores RIP): the code must end at a hlt.
    using ExceptionHandler = bool (*)(ScratchMachine&, std::uint32_t vector, void* context);
    uc_err run(std::span<const std::uint8_t> code, bool user, ExceptionHandler handler,
               void* context, std::uint16_t userCs = kUserCs,
               std::size_t count = kMaxInstructions) {
        handler_ = handler;
        handlerContext_ = context;
        std::vector<std::uint8_t> page(0x1000, 0xF4);  // hlt: privileged at CPL3, ends the run
        std::memcpy(page.data(), code.data(), code.size());
        uc_mem_write(uc_, kCode, page.data(), page.size());
        // The code page was rewritten; it is present and executable in every probe, so the
        // address lookup of uc_ctl_remove_cache cannot fault here.
        uc_ctl_remove_cache(uc_, kCode, kCode + 0x1000);
        if (!user) {
            std::uint64_t rsp = kKernelStack - 0x100;
            uc_reg_write(uc_, UC_X86_REG_RSP, &rsp);
            return uc_emu_start(uc_, kCode, 0, 0, count);
        }
        const std::uint64_t frame[5] = {kCode, std::uint64_t{userCs}, 0x202, kUserStack - 0x80,
                                        std::uint64_t{kUserSs}};
        std::uint64_t rsp = kKernelStack - 0x100;
        uc_mem_write(uc_, rsp, frame, sizeof frame);
        uc_reg_write(uc_, UC_X86_REG_RSP, &rsp);
        return uc_emu_start(uc_, kStub, 0, 0, count);
    }

    // Runs the code already at kCode again, in whatever mode the last run ended in.
    uc_err resume(ExceptionHandler handler, void* context) {
        handler_ = handler;
        handlerContext_ = context;
        return uc_emu_start(uc_, kCode, 0, 0, kMaxInstructions);
    }

private:
    static void onInterrupt(uc_engine* uc, std::uint32_t vector, void* self) {
        auto* m = static_cast<ScratchMachine*>(self);
        if (!m->handler_ || !m->handler_(*m, vector, m->handlerContext_))
            uc_emu_stop(uc);
    }

    uc_engine* uc_ = nullptr;
    uc_hook intrHook_ = 0;
    ExceptionHandler handler_ = nullptr;
    void* handlerContext_ = nullptr;
};

// A saved context as raw bytes, for diffing.
std::vector<std::uint8_t> saveContext(uc_engine* uc) {
    const std::size_t size = uc_context_size(uc);
    uc_context* ctx = nullptr;
    std::vector<std::uint8_t> bytes(size);
    if (uc_context_alloc(uc, &ctx) != UC_ERR_OK)
        return {};
    uc_context_save(uc, ctx);
    std::memcpy(bytes.data(), ctx, size);
    uc_context_free(ctx);
    return bytes;
}

template <typename T>
std::vector<std::size_t> offsetsThatWent(const std::vector<std::uint8_t>& before,
                                         const std::vector<std::uint8_t>& after, T from, T to) {
    std::vector<std::size_t> found;
    for (std::size_t off = 0; off + sizeof(T) <= before.size() && off + sizeof(T) <= after.size();
         off += sizeof(T)) {
        T a, b;
        std::memcpy(&a, &before[off], sizeof(T));
        std::memcpy(&b, &after[off], sizeof(T));
        if (a == from && b == to)
            found.push_back(off);
    }
    return found;
}

std::vector<std::size_t> intersect(const std::vector<std::size_t>& a,
                                   const std::vector<std::size_t>& b) {
    std::vector<std::size_t> r;
    for (auto x : a)
        for (auto y : b)
            if (x == y)
                r.push_back(x);
    return r;
}

struct FaultSnapshot {
    std::vector<std::uint8_t> before, after;
    std::uint32_t vector = 0xFFFFFFFF;
};

// Runs one kernel-mode write to kTarget with the given PTE, snapshotting the context before
// the run and inside the #PF hook.
std::optional<FaultSnapshot> snapshotKernelWriteFault(std::uint64_t targetPte) {
    ScratchMachine m;
    if (!m)
        return std::nullopt;
    m.setPte(ScratchMachine::kTarget, targetPte);
    FaultSnapshot snap;
    snap.before = saveContext(m.uc());
    const std::uint8_t code[] = {0xC6, 0x04, 0x25, 0x00,
                                 0x00, 0x02, 0x00, 0x01};  // mov [0x20000],1
    m.run(
        code, false,
        [](ScratchMachine& mm, std::uint32_t vector, void* ctx) {
            auto* s = static_cast<FaultSnapshot*>(ctx);
            s->vector = vector;
            s->after = saveContext(mm.uc());
            return false;
        },
        &snap);
    return snap;
}

// Runs `code` at CPL3 with code segment `cs` and snapshots the context in the first exception's
// hook.
std::optional<FaultSnapshot> snapshotUser(std::span<const std::uint8_t> code, std::uint16_t cs) {
    ScratchMachine m;
    if (!m)
        return std::nullopt;
    FaultSnapshot snap;
    snap.before = saveContext(m.uc());
    m.run(
        code, true,
        [](ScratchMachine& mm, std::uint32_t vector, void* ctx) {
            auto* s = static_cast<FaultSnapshot*>(ctx);
            s->vector = vector;
            s->after = saveContext(mm.uc());
            return false;
        },
        &snap, cs);
    return snap;
}

std::expected<std::size_t, std::string> exactlyOne(const std::vector<std::size_t>& c,
                                                   const char* what) {
    if (c.size() == 1)
        return c.front();
    return std::unexpected(fmt::format(
        "unicorn self-test: found {} candidate offsets for the {} field (want exactly 1)", c.size(),
        what));
}

}  // namespace

std::expected<ContextLayout, std::string> probeContextLayout() {
    ContextLayout layout;
    {
        ScratchMachine m;
        if (!m)
            return std::unexpected("unicorn self-test: uc_open(x86, 64) failed");
        layout.contextSize = uc_context_size(m.uc());
        m.setEferThroughMsr(kEferLme | kEferLma);
        const auto a = saveContext(m.uc());
        m.setEferThroughMsr(kEferLma);
        const auto b = saveContext(m.uc());
        auto efer = exactlyOne(offsetsThatWent<std::uint64_t>(a, b, 0x500, 0x400), "EFER");
        if (!efer)
            return std::unexpected(efer.error());
        layout.efer = *efer;
    }

    // Not-present write at CPL0: error code 2. Read-only present write with CR0.WP: 3.
    const auto notPresent = snapshotKernelWriteFault(0);
    const auto readOnly = snapshotKernelWriteFault(ScratchMachine::kTarget | 0x1);
    if (!notPresent || !readOnly || notPresent->vector != 14 || readOnly->vector != 14)
        return std::unexpected(
            "unicorn self-test: a kernel write to a not-present page did not "
            "raise #PF through UC_HOOK_INTR");
    auto inFlight = exactlyOne(
        intersect(offsetsThatWent<std::int32_t>(notPresent->before, notPresent->after, -1, 14),
                  offsetsThatWent<std::int32_t>(readOnly->before, readOnly->after, -1, 14)),
        "exception-in-flight");
    if (!inFlight)
        return std::unexpected(inFlight.error());
    auto errorCode = exactlyOne(
        intersect(offsetsThatWent<std::int32_t>(notPresent->before, notPresent->after, 0, 2),
                  offsetsThatWent<std::int32_t>(readOnly->before, readOnly->after, 0, 3)),
        "error-code");
    if (!errorCode)
        return std::unexpected(errorCode.error());
    layout.exceptionInFlight = *inFlight;
    layout.errorCode = *errorCode;

    // INT 0x80 at CPL3, in 64-bit and in compatibility mode, and a user read of a page that is
    // not present (mov al, [0x20000]).
    const std::uint8_t int80[] = {0xCD, 0x80};
    const std::uint8_t read[] = {0x8A, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00};
    const auto soft64 = snapshotUser(int80, kUserCs);
    const auto softCompat = snapshotUser(int80, kUserCompatCs);
    const auto userFault = snapshotUser(read, kUserCs);
    if (!soft64 || !softCompat || !userFault || soft64->vector != 0x80 ||
        softCompat->vector != 0x80 || userFault->vector != 14)
        return std::unexpected(
            "unicorn self-test: INT 0x80 or a user page fault did not reach UC_HOOK_INTR");
    auto isInt = exactlyOne(
        intersect(offsetsThatWent<std::int32_t>(soft64->before, soft64->after, 0, 1),
                  offsetsThatWent<std::int32_t>(userFault->before, userFault->after, 0, 0)),
        "exception-is-int");
    if (!isInt)
        return std::unexpected(isInt.error());
    layout.exceptionIsInt = *isInt;
    auto cs = exactlyOne(
        offsetsThatWent<std::int32_t>(soft64->after, softCompat->after, kUserCs, kUserCompatCs),
        "CS selector");
    if (!cs)
        return std::unexpected(cs.error());
    // hflags lies just before the segment caches in QEMU's CPUX86State.
    std::vector<std::size_t> modeBits;
    for (std::size_t off = *cs >= 64 ? *cs - 64 : 0; off < *cs; off += 4) {
        std::uint32_t a, b;
        std::memcpy(&a, &soft64->after[off], 4);
        std::memcpy(&b, &softCompat->after[off], 4);
        if (a != b && std::has_single_bit(a ^ b) && (a & (a ^ b)))
            modeBits.push_back(off);
    }
    auto hflags = exactlyOne(modeBits, "hflags");
    if (!hflags)
        return std::unexpected(hflags.error());
    if (*cs + ContextLayout::kSegmentCacheSize > layout.contextSize)
        return std::unexpected("unicorn self-test: the CS descriptor cache runs past the context");
    layout.csCache = *cs;
    layout.hflags = *hflags;
    std::memcpy(&layout.hflags64, &soft64->after[*hflags], 4);
    std::memcpy(&layout.hflagsCompat, &softCompat->after[*hflags], 4);
    layout.hflagsModeBits = layout.hflags64 ^ layout.hflagsCompat;
    std::memcpy(layout.cs64.data(), &soft64->after[*cs], ContextLayout::kSegmentCacheSize);
    std::memcpy(layout.csCompat.data(), &softCompat->after[*cs], ContextLayout::kSegmentCacheSize);
    return layout;
}

CpuStatePatcher::CpuStatePatcher(uc_engine* uc, const ContextLayout& layout)
    : uc_(uc), layout_(layout) {
    uc_context_alloc(uc_, &context_);
}

CpuStatePatcher::~CpuStatePatcher() {
    if (context_)
        uc_context_free(context_);
}

CpuStatePatcher::Acknowledged CpuStatePatcher::acknowledgeException() {
    uc_context_save(uc_, context_);
    auto* bytes = reinterpret_cast<std::uint8_t*>(context_);
    std::uint32_t errorCode;
    std::int32_t isInt;
    std::memcpy(&errorCode, bytes + layout_.errorCode, 4);
    std::memcpy(&isInt, bytes + layout_.exceptionIsInt, 4);
    const std::int32_t none = -1;
    std::memcpy(bytes + layout_.exceptionInFlight, &none, 4);
    uc_context_restore(uc_, context_);
    return {errorCode, isInt != 0};
}

bool CpuStatePatcher::setUserCodeSegment(std::uint16_t selector) {
    if (selector != x86::kUserCs && selector != x86::kUserCompatCs)
        return false;
    const bool compat = selector == x86::kUserCompatCs;
    uc_context_save(uc_, context_);
    auto* bytes = reinterpret_cast<std::uint8_t*>(context_);
    std::memcpy(bytes + layout_.csCache, (compat ? layout_.csCompat : layout_.cs64).data(),
                ContextLayout::kSegmentCacheSize);
    std::uint32_t hflags;
    std::memcpy(&hflags, bytes + layout_.hflags, 4);
    hflags = (hflags & ~layout_.hflagsModeBits) |
             ((compat ? layout_.hflagsCompat : layout_.hflags64) & layout_.hflagsModeBits);
    std::memcpy(bytes + layout_.hflags, &hflags, 4);
    uc_context_restore(uc_, context_);
    return true;
}

void CpuStatePatcher::setEfer(std::uint64_t efer) {
    // The MSR path sets the derived mode flags (long mode active); then patch the bits it drops.
    uc_x86_msr msr{kMsrEfer, efer & ~(kEferNxe | kEferSce)};
    uc_reg_write(uc_, UC_X86_REG_MSR, &msr);
    uc_context_save(uc_, context_);
    std::memcpy(reinterpret_cast<std::uint8_t*>(context_) + layout_.efer, &efer, 8);
    uc_context_restore(uc_, context_);
}

std::uint64_t CpuStatePatcher::efer() {
    uc_context_save(uc_, context_);
    std::uint64_t efer;
    std::memcpy(&efer, reinterpret_cast<std::uint8_t*>(context_) + layout_.efer, 8);
    return efer;
}

namespace {

struct Recorded {
    CpuStatePatcher* patcher;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> exceptions;  // vector, error code
    std::uint64_t cr2 = 0;
    int fixups = 0;  // how many faults to resolve by mapping the page, before stopping
};

bool recordAndMaybeFix(ScratchMachine& m, std::uint32_t vector, void* ctx) {
    auto* r = static_cast<Recorded*>(ctx);
    const std::uint32_t error = r->patcher->acknowledgeException().errorCode;
    r->exceptions.emplace_back(vector, error);
    uc_reg_read(m.uc(), UC_X86_REG_CR2, &r->cr2);
    if (vector != 14 || r->fixups-- <= 0)
        return false;
    // Resolve by making the faulting page present, writable and user.
    m.setPte(r->cr2 & ~0xFFFull, (r->cr2 & ~0xFFFull) | 0x7);
    return true;
}

// The flush-routine probe: a CPL0 context saved while the scratch machine is still at CPL0,
// and a SYSCALL hook that switches to it at the routine and back when it ends.
struct FlushProbe {
    static constexpr std::uint64_t kRoutine = ScratchMachine::kStub + 0x80;
    uc_context* guest = nullptr;
    uc_context* kernel = nullptr;
    int syscalls = 0;
    uc_hook hook = 0;
    ~FlushProbe() {
        for (uc_context* c : {guest, kernel})
            if (c)
                uc_context_free(c);
    }
    bool prepare(ScratchMachine& m) {
        if (uc_context_alloc(m.uc(), &guest) != UC_ERR_OK ||
            uc_context_alloc(m.uc(), &kernel) != UC_ERR_OK)
            return false;
        uc_mem_write(m.uc(), kRoutine, x86::kTlbFlushRoutine.data(), x86::kTlbFlushRoutine.size());
        uc_context_save(m.uc(), kernel);
        machine = &m;
        uc_hook_add(m.uc(), &hook, UC_HOOK_INSN, reinterpret_cast<void*>(&onSyscall), this, 1, 0,
                    UC_X86_INS_SYSCALL);
        return true;
    }
    ScratchMachine* machine = nullptr;
    static void onSyscall(uc_engine* uc, void* self) {
        auto* p = static_cast<FlushProbe*>(self);
        if (++p->syscalls == 1) {  // the guest's: clear the PTE, run the routine
            p->machine->setPte(ScratchMachine::kTarget, 0);
            uc_context_save(uc, p->guest);
            uc_context_restore(uc, p->kernel);
            const std::uint64_t rip = kRoutine - kSyscallInstructionLength;
            uc_reg_write(uc, UC_X86_REG_RIP, &rip);
        } else {  // the routine's: back to the guest, after its SYSCALL
            uc_context_restore(uc, p->guest);
        }
    }
};

struct FetchProbe {
    std::uint64_t refuse;
    std::vector<std::uint64_t> reads, blockStarts;
    static bool onFetch(uc_engine* uc, uc_mem_type, std::uint64_t address, int, std::int64_t,
                        void* self) {
        auto* p = static_cast<FetchProbe*>(self);
        std::uint64_t rip = 0;
        uc_reg_read(uc, UC_X86_REG_RIP, &rip);
        p->reads.push_back(address);
        p->blockStarts.push_back(rip);
        return address != p->refuse;
    }
};

// Stops the run from a block hook before the block at `stopAt`.
struct BlockStopProbe {
    std::uint64_t stopAt;
    static void onBlock(uc_engine* uc, std::uint64_t address, std::uint32_t, void* self) {
        if (address == static_cast<BlockStopProbe*>(self)->stopAt)
            uc_emu_stop(uc);
    }
    static void onCode(uc_engine*, std::uint64_t, std::uint32_t, void*) {}
};

std::uint64_t coverRead(uc_engine*, std::uint64_t, unsigned, void*) {
    return 0;
}
void coverWrite(uc_engine*, std::uint64_t, unsigned, std::uint64_t, void*) {}

// The offset of uc_struct's no_exit_request in 2.0.1's check_exit_request_x86_64, which
// starts `mov rax, [rdi + tcg_ctx.uc]; cmp byte ptr [rax + no_exit_request], 0`.
std::optional<std::size_t> findNoExitRequestOffset() {
    // The library's own: the executable replaces it (UnicornQuirks.h, chosen code hooks).
    const void* function = dlsym(RTLD_NEXT, "check_exit_request_x86_64");
    if (!function)
        return std::nullopt;
    csh capstone = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &capstone) != CS_ERR_OK)
        return std::nullopt;
    cs_option(capstone, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn* insn = nullptr;
    const auto* bytes = static_cast<const std::uint8_t*>(function);
    const std::size_t count =
        cs_disasm(capstone, bytes, 32, reinterpret_cast<std::uint64_t>(function), 2, &insn);
    std::optional<std::size_t> offset;
    if (count == 2) {
        const cs_x86& load = insn[0].detail->x86;
        const cs_x86& compare = insn[1].detail->x86;
        const bool loadsUc = insn[0].id == X86_INS_MOV && load.op_count == 2 &&
                             load.operands[0].type == X86_OP_REG && load.operands[0].size == 8 &&
                             load.operands[1].type == X86_OP_MEM &&
                             load.operands[1].mem.base == X86_REG_RDI &&
                             load.operands[1].mem.index == X86_REG_INVALID;
        const bool testsFlag =
            insn[1].id == X86_INS_CMP && compare.op_count == 2 &&
            compare.operands[0].type == X86_OP_MEM && compare.operands[0].size == 1 &&
            compare.operands[0].mem.base == load.operands[0].reg &&
            compare.operands[0].mem.index == X86_REG_INVALID && compare.operands[0].mem.disp > 0 &&
            compare.operands[1].type == X86_OP_IMM && compare.operands[1].imm == 0;
        if (loadsUc && testsFlag)
            offset = static_cast<std::size_t>(compare.operands[0].mem.disp);
    }
    if (insn)
        cs_free(insn, count);
    cs_close(&capstone);
    return offset;
}

// Stops the run at the first memory write it sees.
void stopOnWrite(uc_engine* uc, uc_mem_type, std::uint64_t, int, std::int64_t, void*) {
    uc_emu_stop(uc);
}

std::string describe(const Recorded& r) {
    std::string s;
    for (auto [v, e] : r.exceptions)
        s += fmt::format(" vector {} error {:#x};", v, e);
    return s.empty() ? " none" : s;
}

}  // namespace

std::expected<void, std::string> selfTest(const ContextLayout& layout) {
    auto fail = [](std::string what) {
        return std::unexpected("unicorn self-test: " + std::move(what));
    };

    // 1. CPL3 entry by iretq, then 200 not-present user writes in a row, each resolved by
    //    the handler: every one must arrive as #PF with error code 6 and CR2, none as #DF.
    {
        ScratchMachine m;
        CpuStatePatcher patcher(m.uc(), layout);
        for (std::uint64_t p = 0; p < 200; ++p)
            m.setPte(0x100000 + p * 0x1000, 0);
        // rdi = 0x100000; loop: mov [rdi], dil; add rdi, 0x1000; cmp rdi, 0x1C8000; jb loop; hlt
        const std::uint8_t code[] = {0x48, 0xC7, 0xC7, 0x00, 0x00, 0x10, 0x00,  // mov rdi, 0x100000
                                     0x40, 0x88, 0x3F,                          // mov [rdi], dil
                                     0x48, 0x81, 0xC7, 0x00, 0x10, 0x00, 0x00,  // add rdi, 0x1000
                                     0x48, 0x81, 0xFF, 0x00, 0x80, 0x1C, 0x00,  // cmp rdi, 0x1C8000
                                     0x72, 0xEE,                                // jb loop
                                     0xF4};                                     // hlt
        Recorded r{&patcher, {}, 0, 200};
        m.run(code, true, recordAndMaybeFix, &r);
        if (r.exceptions.size() != 201)
            return fail(fmt::format("200 user page faults in a row gave{}", describe(r)));
        for (std::size_t i = 0; i < 200; ++i)
            if (r.exceptions[i] != std::pair<std::uint32_t, std::uint32_t>{14, 6})
                return fail(fmt::format("fault {} of 200 gave{}", i + 1, describe(r)));
        // The final hlt is privileged at CPL3: #GP proves the code really ran in user mode.
        if (r.exceptions.back().first != 13)
            return fail("hlt at CPL3 did not raise #GP: the CPU is not in user mode");
    }

    // Each remaining check runs on a fresh machine with NXE on: a run ends at CPL3, and
    // CPL survives into the next uc_emu_start.
    struct Fresh {
        ScratchMachine m;
        CpuStatePatcher patcher;
        explicit Fresh(const ContextLayout& l) : patcher(m.uc(), l) {
            patcher.setEfer(kEferLme | kEferLma | kEferNxe | kEferSce);
        }
        Recorded run(std::span<const std::uint8_t> code) {
            Recorded r{&patcher, {}, 0, 0};
            m.run(code, true, recordAndMaybeFix, &r);
            return r;
        }
        Recorded resume() {
            Recorded r{&patcher, {}, 0, 0};
            m.resume(recordAndMaybeFix, &r);
            return r;
        }
    };
    using Exception = std::pair<std::uint32_t, std::uint32_t>;
    const std::uint8_t readTarget[] = {0x8A, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00};  // mov al,[]

    // 2. U/S: a user read of a supervisor page faults with error code 5.
    {
        Fresh f(layout);
        if ((f.patcher.efer() & kEferNxe) == 0)
            return fail("EFER.NXE did not stick");
        f.m.setPte(ScratchMachine::kTarget, ScratchMachine::kTarget | 0x3);
        auto r = f.run(readTarget);
        if (r.exceptions.empty() || r.exceptions[0] != Exception{14, 5})
            return fail(
                fmt::format("user read of a supervisor page gave{} (want #PF 5)", describe(r)));
    }
    // 3. NX: with NXE patched into EFER, a user fetch from an NX page faults with 0x15.
    {
        Fresh f(layout);
        const std::uint64_t nxPage = ScratchMachine::kUserStack - 0x1000;
        static_assert(nxPage == 0x11000);
        const std::uint8_t callNx[] = {0x48, 0xB8, 0x00, 0x10, 0x01, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0xFF, 0xD0};  // mov rax, 0x11000; call rax
        auto r = f.run(callNx);
        if (r.exceptions.empty() || r.exceptions[0] != Exception{14, 0x15} || r.cr2 != nxPage)
            return fail(
                fmt::format("user fetch from an NX page gave{} cr2 {:#x} (want #PF 0x15 "
                            "at {:#x})",
                            describe(r), r.cr2, nxPage));
    }
    // 4. The identity shortcut ntoy's host aliasing relies on (removed in Unicorn 2.1): with
    //    the PTE naming another frame, a write still lands at its virtual address.
    {
        Fresh f(layout);
        f.m.setPte(ScratchMachine::kTarget, 0x30000 | 0x7);
        const std::uint8_t writeByte[] = {0xC6, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x5A};
        f.run(writeByte);
        std::uint8_t atVirtual = 0, atFrame = 0;
        uc_mem_read(f.m.uc(), ScratchMachine::kTarget, &atVirtual, 1);
        uc_mem_read(f.m.uc(), 0x30000, &atFrame, 1);
        if (atVirtual != 0x5A || atFrame != 0)
            return fail(
                "a data access went to the frame its PTE names, not to its virtual "
                "address: this is not the Unicorn 2.0.1 ntoy was built for");
    }
    // 6. #UD: the run stops with kInvalidOpcodeStop, RIP at the ud2, no hook called.
    {
        Fresh f(layout);
        const std::uint8_t ud2[] = {0x0F, 0x0B};
        Recorded r{&f.patcher, {}, 0, 0};
        const uc_err e = f.m.run(ud2, true, recordAndMaybeFix, &r);
        std::uint64_t rip = 0;
        uc_reg_read(f.m.uc(), UC_X86_REG_RIP, &rip);
        if (e != kInvalidOpcodeStop || rip != ScratchMachine::kCode || !r.exceptions.empty())
            return fail(fmt::format("ud2 at CPL3 gave {} at rip {:#x} and{}", uc_strerror(e), rip,
                                    describe(r)));
    }
    // 5. TLB flush: a user read fills the TLB; a SYSCALL's hook clears the PTE and switches to
    //    a CPL0 context at the flush routine, whose own SYSCALL switches back. The same read
    //    must then fault.
    {
        Fresh f(layout);
        FlushProbe probe;
        if (!probe.prepare(f.m))
            return fail("uc_context_alloc failed");
        f.m.setPte(ScratchMachine::kTarget, ScratchMachine::kTarget | 0x7);
        // mov al, [0x20000]; syscall; mov al, [0x20000]; hlt
        const std::uint8_t code[] = {0x8A, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x0F, 0x05,
                                     0x8A, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0xF4};
        auto r = f.run(code);
        if (probe.syscalls != 2)
            return fail(fmt::format("the flush routine's SYSCALL was not taken ({} hooks)",
                                    probe.syscalls));
        if (r.exceptions.empty() || r.exceptions[0] != Exception{14, 4} ||
            r.cr2 != ScratchMachine::kTarget)
            return fail(fmt::format("a cleared PTE still translated after the flush routine:{}",
                                    describe(r)));
    }
    // 9. Leaving compatibility mode: 32-bit code raises INT 0x80; the hook patches the code
    //    segment to 64-bit and resumes at 64-bit code, whose mov rax, imm64 must load all 64
    //    bits (in compatibility mode 48 B8 is dec eax; mov eax, imm32).
    {
        Fresh f(layout);
        std::uint8_t code[0x40] = {0xCD, 0x80};
        const std::uint8_t wide[] = {0x48, 0xB8, 0x88, 0x77, 0x66, 0x55,
                                     0x44, 0x33, 0x22, 0x11, 0xF4};  // mov rax, imm64; hlt
        std::memcpy(code + 0x20, wide, sizeof wide);
        struct Switch {
            CpuStatePatcher* patcher;
            int interrupts = 0;
        } sw{&f.patcher};
        f.m.run(
            code, true,
            [](ScratchMachine& mm, std::uint32_t, void* ctx) {
                auto* s = static_cast<Switch*>(ctx);
                s->patcher->acknowledgeException();
                if (s->interrupts++ != 0)
                    return false;
                s->patcher->setUserCodeSegment(kUserCs);
                const std::uint64_t rip = ScratchMachine::kCode + 0x20;
                uc_reg_write(mm.uc(), UC_X86_REG_RIP, &rip);
                return true;
            },
            &sw, kUserCompatCs);
        std::uint64_t rax = 0, csValue = 0;
        uc_reg_read(f.m.uc(), UC_X86_REG_RAX, &rax);
        uc_reg_read(f.m.uc(), UC_X86_REG_CS, &csValue);
        if (rax != 0x1122334455667788 || csValue != kUserCs)
            return fail(
                fmt::format("switching from compatibility to 64-bit mode left rax {:#x}, "
                            "cs {:#x}",
                            rax, csValue));
    }
    // 7. The translator's code reads reach UC_HOOK_MEM_FETCH_PROT on a region without EXEC,
    //    with RIP at the block's start; refusing one leaves before anything of the block ran.
    {
        Fresh f(layout);
        if (uc_mem_protect(f.m.uc(), ScratchMachine::kCode, 0x1000, UC_PROT_READ | UC_PROT_WRITE) !=
            UC_ERR_OK)
            return fail("uc_mem_protect of the code page failed");
        FetchProbe probe{ScratchMachine::kCode + 3, {}, {}};
        uc_hook h;
        uc_hook_add(f.m.uc(), &h, UC_HOOK_MEM_FETCH_PROT,
                    reinterpret_cast<void*>(&FetchProbe::onFetch), &probe, 1, 0);
        const std::uint8_t code[] = {0x48, 0xFF, 0xC3, 0x90, 0xF4};  // inc rbx; nop; hlt
        Recorded r{&f.patcher, {}, 0, 0};
        std::uint64_t rbx = 0;
        uc_reg_write(f.m.uc(), UC_X86_REG_RBX, &rbx);
        const uc_err e = f.m.run(code, true, recordAndMaybeFix, &r);
        std::uint64_t rip = 0;
        uc_reg_read(f.m.uc(), UC_X86_REG_RIP, &rip);
        uc_reg_read(f.m.uc(), UC_X86_REG_RBX, &rbx);
        if (e != UC_ERR_FETCH_PROT || rip != ScratchMachine::kCode || rbx != 0 ||
            probe.reads.empty() || probe.reads.front() != ScratchMachine::kCode ||
            probe.blockStarts.front() != ScratchMachine::kCode)
            return fail(fmt::format(
                "refusing a code read in translation gave {} at rip {:#x} with rbx {} and {} "
                "reads (want UC_ERR_FETCH_PROT at the block's start, nothing run)",
                uc_strerror(e), rip, rbx, probe.reads.size()));
    }
    // 8. A region can cover the last page of the address space, and a user access there is
    //    walked (a #PF for a supervisor address) instead of stopping the machine.
    {
        Fresh f(layout);
        if (uc_mmio_map(f.m.uc(), 0xFFFF'FFFF'FFFF'F000, 0x1000, coverRead, nullptr, coverWrite,
                        nullptr) != UC_ERR_OK)
            return fail("an MMIO region at the last page of the address space was refused");
        // xor edi, edi; mov rax, [rdi-8]
        const std::uint8_t code[] = {0x31, 0xFF, 0x48, 0x8B, 0x47, 0xF8};
        auto r = f.run(code);
        if (r.exceptions.empty() || r.exceptions[0].first != 14 || r.cr2 != 0xFFFF'FFFF'FFFF'FFF8)
            return fail(fmt::format("a read of the last page gave{} cr2 {:#x} (want #PF)",
                                    describe(r), r.cr2));
    }
    // 9. A block hook's uc_emu_stop leaves before anything of its block runs (the engine
    //    resumes a preempted thread there, UnicornQuirks.h), even with a code hook present,
    //    which is when 2.0.1 leaves RIP stale.
    {
        Fresh f(layout);
        // inc rbx; jmp $+2 | inc rcx; jmp $+2 | inc rdx; hlt: three blocks
        const std::uint8_t code[] = {0x48, 0xFF, 0xC3, 0xEB, 0x00, 0x48, 0xFF,
                                     0xC1, 0xEB, 0x00, 0x48, 0xFF, 0xC2, 0xF4};
        BlockStopProbe probe{ScratchMachine::kCode + 10};
        uc_hook block, unrelatedCode;
        uc_hook_add(f.m.uc(), &block, UC_HOOK_BLOCK,
                    reinterpret_cast<void*>(&BlockStopProbe::onBlock), &probe, 1, 0);
        uc_hook_add(f.m.uc(), &unrelatedCode, UC_HOOK_CODE,
                    reinterpret_cast<void*>(&BlockStopProbe::onCode), &probe,
                    ScratchMachine::kCode + 0x800, ScratchMachine::kCode + 0x800);
        auto r = f.run(code);
        std::uint64_t rbx = 0, rcx = 0, rdx = 0;
        uc_reg_read(f.m.uc(), UC_X86_REG_RBX, &rbx);
        uc_reg_read(f.m.uc(), UC_X86_REG_RCX, &rcx);
        uc_reg_read(f.m.uc(), UC_X86_REG_RDX, &rdx);
        if (!r.exceptions.empty() || rbx != 1 || rcx != 1 || rdx != 0)
            return fail(fmt::format(
                "a stop from a block hook gave{} rbx {} rcx {} rdx {} (want the third block "
                "not run: 1 1 0)",
                describe(r), rbx, rcx, rdx));
    }
    return {};
}

const std::expected<ContextLayout, std::string>& checkedContextLayout() {
    static const std::expected<ContextLayout, std::string> result =
        []() -> std::expected<ContextLayout, std::string> {
        auto layout = probeContextLayout();
        if (!layout)
            return layout;
        if (auto ok = selfTest(*layout); !ok)
            return std::unexpected(ok.error());
        return layout;
    }();
    return result;
}

void setBlockBoundaryStops(uc_engine* uc, const BlockBoundaryStops& stops, bool on) {
    reinterpret_cast<std::uint8_t*>(uc)[stops.flagOffset] = on ? 1 : 0;
}

std::optional<BlockBoundaryStops> probeBlockBoundaryStops() {
    const auto offset = findNoExitRequestOffset();
    const auto& layout = checkedContextLayout();
    if (!offset || !layout)
        return std::nullopt;
    const BlockBoundaryStops stops{*offset};
    // mov [0x20000], al; inc rbx; inc rcx; jmp $+2 | hlt: a stop asked at the write lands
    // inside the first block without the flag (RIP back at its start, rbx 0) and after it
    // with the flag (rbx 1, rcx 1, RIP at the hlt).
    const std::uint8_t code[] = {0x88, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x48,
                                 0xFF, 0xC3, 0x48, 0xFF, 0xC1, 0xEB, 0x00, 0xF4};
    struct Outcome {
        std::uint64_t rip, rbx, rcx;
    };
    auto run = [&](bool on) -> std::optional<Outcome> {
        ScratchMachine m;
        if (!m)
            return std::nullopt;
        const std::uint8_t flag = reinterpret_cast<const std::uint8_t*>(m.uc())[stops.flagOffset];
        if (flag > 1)
            return std::nullopt;  // not a bool: not the field we look for
        m.setPte(ScratchMachine::kTarget, ScratchMachine::kTarget | 0x7);
        setBlockBoundaryStops(m.uc(), stops, on);
        uc_hook write;
        uc_hook_add(m.uc(), &write, UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(&stopOnWrite),
                    nullptr, ScratchMachine::kTarget, ScratchMachine::kTarget + 0xFFF);
        if (m.run(code, false, nullptr, nullptr, kUserCs, 0) != UC_ERR_OK)
            return std::nullopt;
        Outcome o{};
        uc_reg_read(m.uc(), UC_X86_REG_RIP, &o.rip);
        uc_reg_read(m.uc(), UC_X86_REG_RBX, &o.rbx);
        uc_reg_read(m.uc(), UC_X86_REG_RCX, &o.rcx);
        return o;
    };
    const auto without = run(false);
    const auto with = run(true);
    if (!without || !with)
        return std::nullopt;
    const bool stoppedInside = without->rip == ScratchMachine::kCode && without->rbx == 0;
    const bool stoppedAtNext =
        with->rip == ScratchMachine::kCode + 15 && with->rbx == 1 && with->rcx == 1;
    if (!stoppedInside || !stoppedAtNext)
        return std::nullopt;
    return stops;
}

const std::optional<BlockBoundaryStops>& checkedBlockBoundaryStops() {
    static const std::optional<BlockBoundaryStops> result = [] {
        auto stops = probeBlockBoundaryStops();
        if (stops)
            noExitRequestOffset().store(stops->flagOffset, std::memory_order_relaxed);
        return stops;
    }();
    return result;
}

}  // namespace ntoy::emu

// ---- Guest stores (see the header) ---------------------------------------------------------

namespace {

using ntoy::emu::kTlbNotDirty;
using ntoy::emu::TlbLayout;

// The shape of 2.0.1's struct page_collection; the sentinel is never written or read.
struct PageCollectionShape {
    void* tree;
    void* max;
};
constinit PageCollectionShape noPageCollection{};

// 2.0.1's CPUTLBEntry: the page's virtual address with flags, for each access, and the
// host-minus-guest addend.
struct TlbEntry {
    std::uint64_t addrRead, addrWrite, addrCode;
    std::uintptr_t addend;
};
static_assert(sizeof(TlbEntry) == 32);  // 1 << CPU_TLB_ENTRY_BITS
constexpr std::uint64_t kTlbFlagBits = 0xFFF;

// The library's own functions that ntoy's replacements call on to, and those it calls for
// its own purposes; resolved once. A missing one leaves checkedTlbLayout() empty.
struct LibraryCalls {
    using Invalidate = void (*)(void*, void*, std::uint64_t, int, std::uintptr_t);
    using CodeMark = void (*)(void*, std::uint64_t);
    using MapRamPtr = void* (*)(void*, void*, std::uint64_t);
    using ResetDirty = void (*)(void*, std::uintptr_t, std::uint64_t);
    using Unlock = void (*)(void*);
    Invalidate invalidate;
    CodeMark protect, unprotect;
    MapRamPtr mapRamPtr;
    ResetDirty resetDirty;
    Unlock unlock;

    static const LibraryCalls& get() {
        static const LibraryCalls calls{
            reinterpret_cast<Invalidate>(dlsym(RTLD_NEXT, "tb_invalidate_phys_page_fast_x86_64")),
            reinterpret_cast<CodeMark>(dlsym(RTLD_NEXT, "tlb_protect_code_x86_64")),
            reinterpret_cast<CodeMark>(dlsym(RTLD_NEXT, "tlb_unprotect_code_x86_64")),
            reinterpret_cast<MapRamPtr>(dlsym(RTLD_DEFAULT, "qemu_map_ram_ptr_x86_64")),
            reinterpret_cast<ResetDirty>(dlsym(RTLD_DEFAULT, "tlb_reset_dirty_x86_64")),
            reinterpret_cast<Unlock>(dlsym(RTLD_NEXT, "page_collection_unlock_x86_64"))};
        return calls;
    }
    bool complete() const {
        return invalidate && protect && unprotect && mapRamPtr && resetDirty && unlock;
    }
};

template <typename T>
T loadAt(const void* base, std::ptrdiff_t offset) {
    T value;
    std::memcpy(&value, static_cast<const std::uint8_t*>(base) + offset, sizeof value);
    return value;
}

// Each main TLB table of the engine's CPU, as a span.
template <typename F>
void forEachTlbTable(const void* uc, const TlbLayout& layout, F&& f) {
    const auto* cpu = loadAt<const std::uint8_t*>(uc, static_cast<std::ptrdiff_t>(layout.cpuInUc));
    if (cpu == nullptr)
        return;
    const auto* env =
        loadAt<const std::uint8_t*>(cpu, static_cast<std::ptrdiff_t>(layout.envInCpu));
    for (unsigned mode = 0; mode < layout.mmuModes; ++mode) {
        const std::ptrdiff_t fast = layout.fastInEnv + static_cast<std::ptrdiff_t>(16 * mode);
        const auto mask = loadAt<std::uintptr_t>(env, fast);
        auto* table = loadAt<TlbEntry*>(env, fast + 8);
        f(std::span<TlbEntry>(table, (mask >> 5) + 1));
    }
}

// The engines with clean pages, each with the RAM pages (ram_addr_t) that hold translated
// code. The library's calls carry nothing but the uc, so this table is where they find an
// engine's state. The map changes under the exclusive lock (an engine made or closed); an
// engine's page set is only touched by the thread running that engine, as Unicorn requires.
class CleanStoreEngines {
public:
    static CleanStoreEngines& get() {
        static CleanStoreEngines engines;
        return engines;
    }
    void add(const void* uc, const TlbLayout& layout) {
        std::unique_lock lock(mutex_);
        engines_.insert_or_assign(uc, State{layout, {}, {}});
    }
    void addRegion(const void* uc, std::uint64_t va, const void* host, std::uint64_t size) {
        std::unique_lock lock(mutex_);
        if (const auto it = engines_.find(uc); it != engines_.end())
            it->second.regions.push_back({va, reinterpret_cast<std::uintptr_t>(host), size});
    }
    void remove(const void* uc) {
        std::unique_lock lock(mutex_);
        engines_.erase(uc);
    }
    // The library saw a store to `ramAddr` and has done its invalidation check.
    void stored(void* uc, std::uint64_t ramAddr) {
        std::shared_lock lock(mutex_);
        const auto it = engines_.find(uc);
        if (it == engines_.end() || it->second.codePages.contains(ramAddr & ~kTlbFlagBits))
            return;
        const auto host = reinterpret_cast<std::uintptr_t>(
            LibraryCalls::get().mapRamPtr(uc, nullptr, ramAddr & ~kTlbFlagBits));
        // 2.0.1 sends an access to the host memory of the region at its *virtual* address, so
        // the page's address is the host page's place in its region: one entry per MMU mode
        // to look at, however large the TLB has grown.
        const auto region = std::ranges::find_if(it->second.regions, [&](const Region& r) {
            return host >= r.host && host - r.host < r.size;
        });
        if (region == it->second.regions.end())
            return;  // not a region ntoy mapped: the page keeps the slow path
        const std::uint64_t va = region->va + (host - region->host);
        forEachTlbTable(uc, it->second.layout, [&](std::span<TlbEntry> table) {
            TlbEntry& e = table[(va >> 12) & (table.size() - 1)];
            if (e.addrWrite == (va | kTlbNotDirty) && va + e.addend == host)
                e.addrWrite = va;
        });
    }
    void codeGained(void* uc, std::uint64_t ramAddr) {
        std::shared_lock lock(mutex_);
        const auto it = engines_.find(uc);
        if (it == engines_.end())
            return;
        it->second.codePages.insert(ramAddr & ~kTlbFlagBits);
        const auto& calls = LibraryCalls::get();
        const auto host =
            reinterpret_cast<std::uintptr_t>(calls.mapRamPtr(uc, nullptr, ramAddr & ~kTlbFlagBits));
        // Back to the slow path on every entry (victims included), before the block runs.
        calls.resetDirty(loadAt<void*>(uc, static_cast<std::ptrdiff_t>(it->second.layout.cpuInUc)),
                         host, 0x1000);
    }
    void codeLost(void* uc, std::uint64_t ramAddr) {
        std::shared_lock lock(mutex_);
        if (const auto it = engines_.find(uc); it != engines_.end())
            it->second.codePages.erase(ramAddr & ~kTlbFlagBits);
    }

private:
    struct Region {
        std::uint64_t va;
        std::uintptr_t host;
        std::uint64_t size;
    };
    struct State {
        TlbLayout layout;
        std::unordered_set<std::uint64_t> codePages;
        std::vector<Region> regions;  // what uc_mem_map_ptr (or uc_mem_map) placed where
    };
    std::shared_mutex mutex_;
    std::unordered_map<const void*, State> engines_;
};

// ---- Chosen code hooks (see the header) ----------------------------------------------------

// The observer of this thread's translations (ObservedTranslations).
ntoy::emu::TranslationObserver*& currentTranslationObserver() {
    thread_local ntoy::emu::TranslationObserver* observer = nullptr;
    return observer;
}

// A code hook's call was just inlined into the block being translated (by the uc given): the
// exit check the translator emits next must be emitted whatever no_exit_request says.
void*& exitCheckOwed() {
    thread_local void* uc = nullptr;
    return uc;
}

using AddInlineHook = void (*)(void* uc, void* hook, void** args, int argsLength);
AddInlineHook libraryAddInlineHook() {
    static const auto add =
        reinterpret_cast<AddInlineHook>(dlsym(RTLD_NEXT, "uc_add_inline_hook_x86_64"));
    return add;
}

using CheckExitRequest = void (*)(void* tcgContext);
CheckExitRequest libraryCheckExitRequest() {
    static const auto check =
        reinterpret_cast<CheckExitRequest>(dlsym(RTLD_NEXT, "check_exit_request_x86_64"));
    return check;
}

using TranslateBlock = void (*)(void* cpu, void* tb, int maxInstructions);
TranslateBlock libraryTranslateBlock() {
    static const auto translate =
        reinterpret_cast<TranslateBlock>(dlsym(RTLD_NEXT, "gen_intermediate_code_x86_64"));
    return translate;
}

}  // namespace

// The replacements. C linkage in the global namespace: these are the names libunicorn's PLT
// looks up.
extern "C" {

// Every caller in 2.0.1 pairs a lock with an unlock of what it returned, and nothing between
// them reads the collection.
void* page_collection_lock_x86_64(void* /*uc*/, std::uint64_t /*start*/, std::uint64_t /*end*/) {
    return &noPageCollection;
}

void page_collection_unlock_x86_64(void* pages) {
    if (pages == &noPageCollection)
        return;
    // A collection the library built itself (a call bound past the PLT): its own unlock frees it.
    if (const auto unlock = LibraryCalls::get().unlock)
        unlock(pages);
}

// A store to a page the TLB marks not dirty. The library's check may leave by longjmp (the
// store rewrote the running block); nothing of ntoy's is live across it.
void tb_invalidate_phys_page_fast_x86_64(void* uc, void* pages, std::uint64_t start, int len,
                                         std::uintptr_t retaddr) {
    const auto invalidate = LibraryCalls::get().invalidate;
    if (invalidate == nullptr)
        std::abort();  // unreachable: the library calls this only if it has its own
    invalidate(uc, pages, start, len, retaddr);
    CleanStoreEngines::get().stored(uc, start);
}

void tlb_protect_code_x86_64(void* uc, std::uint64_t ramAddr) {
    if (const auto protect = LibraryCalls::get().protect)
        protect(uc, ramAddr);
    CleanStoreEngines::get().codeGained(uc, ramAddr);
}

void tlb_unprotect_code_x86_64(void* uc, std::uint64_t ramAddr) {
    if (const auto unprotect = LibraryCalls::get().unprotect)
        unprotect(uc, ramAddr);
    CleanStoreEngines::get().codeLost(uc, ramAddr);
}

// 2.0.1 inlines the call of a UC_HOOK_CODE hook that is the engine's only one (tcg-op.h's
// gen_uc_tracecode, through uc->add_inline_hook, which the library takes from its GOT and so
// is this); the translator's next step is the exit check after the hook (translate.c).
void uc_add_inline_hook_x86_64(void* uc, void* hook, void** args, int argsLength) {
    const auto add = libraryAddInlineHook();
    if (add == nullptr)
        std::abort();  // unreachable: the library calls this only if it has its own
    add(uc, hook, args, argsLength);
    int type = 0;  // struct hook starts with its UC_HOOK_* type
    std::memcpy(&type, hook, sizeof type);
    if (type == UC_HOOK_CODE)
        exitCheckOwed() = uc;
}

// The exit check: after an inlined code hook it is emitted even while no_exit_request (block-
// boundary stops) leaves the others out, so that a hook that moves RIP (a fault it raises)
// leaves the block before its instruction runs. A stop taken there is exact: the translator
// synced the PC to the instruction before the hook's call.
void check_exit_request_x86_64(void* tcgContext) {
    const auto check = libraryCheckExitRequest();
    if (check == nullptr)
        std::abort();  // unreachable: as above
    void* uc = std::exchange(exitCheckOwed(), nullptr);
    const std::size_t offset = noExitRequestOffset().load(std::memory_order_relaxed);
    if (uc == nullptr || offset == 0) {
        check(tcgContext);
        return;
    }
    auto* flag = static_cast<std::uint8_t*>(uc) + offset;
    const std::uint8_t saved = *flag;
    *flag = 0;
    check(tcgContext);
    *flag = saved;
}

// Translates a block: the observer hears of it before and after. 2.0.1's TranslationBlock
// starts with its pc (CS base included, 0 in 64-bit mode).
void gen_intermediate_code_x86_64(void* cpu, void* tb, int maxInstructions) {
    const auto translate = libraryTranslateBlock();
    if (translate == nullptr)
        std::abort();  // unreachable: the library calls this only if it has its own
    ntoy::emu::TranslationObserver* observer = currentTranslationObserver();
    if (observer == nullptr) {
        translate(cpu, tb, maxInstructions);
        return;
    }
    std::uint64_t pc = 0;
    std::memcpy(&pc, tb, sizeof pc);
    observer->translationStarts(pc);
    translate(cpu, tb, maxInstructions);
    observer->translationEnds();
}

}  // extern "C"

namespace ntoy::emu {

namespace {

// The library's PLT resolves through the global scope, where the executable comes first;
// this is the same lookup.
bool bindsToNtoy(const char* name, const void* ours) {
    return dlsym(RTLD_DEFAULT, name) == ours;
}

// The first instructions of an exported library function, decoded; empty if not found.
struct Decoded {
    csh capstone = 0;
    cs_insn* insn = nullptr;
    std::size_t count = 0;
    Decoded(const char* name, std::size_t bytes) {
        const void* function = dlsym(RTLD_DEFAULT, name);
        if (function == nullptr || cs_open(CS_ARCH_X86, CS_MODE_64, &capstone) != CS_ERR_OK)
            return;
        cs_option(capstone, CS_OPT_DETAIL, CS_OPT_ON);
        count = cs_disasm(capstone, static_cast<const std::uint8_t*>(function), bytes,
                          reinterpret_cast<std::uint64_t>(function), 0, &insn);
    }
    ~Decoded() {
        if (insn)
            cs_free(insn, count);
        if (capstone)
            cs_close(&capstone);
    }
    Decoded(const Decoded&) = delete;
    Decoded& operator=(const Decoded&) = delete;
    std::span<const cs_insn> instructions() const { return {insn, count}; }
};

// `mov reg64, [base + disp]` (no index): the displacement, if `i` is one.
std::optional<std::int64_t> loadFrom(const cs_insn& i, x86_reg base, x86_reg* into = nullptr) {
    const cs_x86& x = i.detail->x86;
    if (i.id != X86_INS_MOV || x.op_count != 2 || x.operands[0].type != X86_OP_REG ||
        x.operands[0].size != 8 || x.operands[1].type != X86_OP_MEM ||
        x.operands[1].mem.base != base || x.operands[1].mem.index != X86_REG_INVALID)
        return std::nullopt;
    if (into)
        *into = x.operands[0].reg;
    return x.operands[1].mem.disp;
}

}  // namespace

bool storeBookkeepingElided() {
    return bindsToNtoy("page_collection_lock_x86_64",
                       reinterpret_cast<void*>(&page_collection_lock_x86_64)) &&
           bindsToNtoy("page_collection_unlock_x86_64",
                       reinterpret_cast<void*>(&page_collection_unlock_x86_64));
}

std::optional<TlbLayout> probeTlbLayout() {
    TlbLayout layout;
    // uc_emu_stop: `mov rdi, [rdi + cpu]` then cpu_exit(uc->cpu).
    {
        const Decoded stop("uc_emu_stop", 64);
        for (const cs_insn& i : stop.instructions()) {
            x86_reg into = X86_REG_INVALID;
            if (const auto disp = loadFrom(i, X86_REG_RDI, &into); disp && into == X86_REG_RDI) {
                layout.cpuInUc = static_cast<std::size_t>(*disp);
                break;
            }
        }
    }
    // tlb_set_dirty_x86_64(cpu, vaddr): `mov r, [rdi + env_ptr]`, then `lea a, [r - f]` and
    // `lea b, [r - end]` bound the loop over f[0..NB_MMU_MODES).
    {
        const Decoded setDirty("tlb_set_dirty_x86_64", 48);
        const auto insns = setDirty.instructions();
        x86_reg env = X86_REG_INVALID;
        std::optional<std::int64_t> first, end;
        if (!insns.empty())
            if (const auto disp = loadFrom(insns[0], X86_REG_RDI, &env))
                layout.envInCpu = static_cast<std::size_t>(*disp);
        for (const cs_insn& i : insns) {
            const cs_x86& x = i.detail->x86;
            if (i.id != X86_INS_LEA || x.op_count != 2 || x.operands[1].mem.base != env ||
                x.operands[1].mem.index != X86_REG_INVALID || x.operands[1].mem.disp >= 0)
                continue;
            (first ? end : first) = x.operands[1].mem.disp;
            if (end)
                break;
        }
        if (!first || !end || *end <= *first || (*end - *first) % 16 != 0)
            return std::nullopt;
        layout.fastInEnv = static_cast<std::ptrdiff_t>(*first);
        layout.mmuModes = static_cast<unsigned>((*end - *first) / 16);
    }
    if (layout.cpuInUc == 0 || layout.envInCpu == 0 || layout.mmuModes == 0 || layout.mmuModes > 16)
        return std::nullopt;
    return layout;
}

std::optional<std::uint64_t> tlbWriteEntry(uc_engine* uc, const TlbLayout& layout,
                                           std::uint64_t va) {
    std::optional<std::uint64_t> found;
    forEachTlbTable(uc, layout, [&](std::span<TlbEntry> table) {
        const TlbEntry& e = table[(va >> 12) & (table.size() - 1)];
        if (!found && (e.addrWrite & ~kTlbFlagBits) == (va & ~kTlbFlagBits))
            found = e.addrWrite;
    });
    return found;
}

std::unique_ptr<CleanStores> CleanStores::enable(uc_engine* uc, const TlbLayout& layout) {
    CleanStoreEngines::get().add(uc, layout);
    return std::unique_ptr<CleanStores>(new CleanStores(uc));
}

std::unique_ptr<CleanStores> CleanStores::enable(uc_engine* uc) {
    const auto& layout = checkedTlbLayout();
    return layout ? enable(uc, *layout) : nullptr;
}

void CleanStores::addRegion(std::uint64_t va, const void* host, std::uint64_t size) {
    CleanStoreEngines::get().addRegion(uc_, va, host, size);
}

CleanStores::~CleanStores() {
    CleanStoreEngines::get().remove(uc_);
}

namespace {

// The scratch-machine check of clean stores with `layout`.
bool cleanStoresWork(const TlbLayout& layout) {
    constexpr std::uint64_t target = ScratchMachine::kTarget;
    // mov [target], rax; hlt
    const std::uint8_t store[] = {0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0xF4};
    auto entryAfterStore = [&](bool enabled) -> std::optional<std::uint64_t> {
        ScratchMachine m;
        if (!m)
            return std::nullopt;
        const auto clean = enabled ? CleanStores::enable(m.uc(), layout) : nullptr;
        if (clean)
            clean->addRegion(0, LibraryCalls::get().mapRamPtr(m.uc(), nullptr, 0), 0x200000);
        m.setPte(target, target | ScratchMachine::kPresentRw);
        if (m.run(store, false, nullptr, nullptr) != UC_ERR_OK)
            return std::nullopt;
        return tlbWriteEntry(m.uc(), layout, target);
    };
    // Without ntoy's clean pages, the library leaves the entry not dirty; with them, clean.
    if (entryAfterStore(false) != (target | kTlbNotDirty) || entryAfterStore(true) != target)
        return false;

    // Code that writes `mov eax, 1; ret` with a (clean) store, calls it, rewrites its
    // immediate to 2, and calls it again: the second call must return 2.
    //   mov rax, 0x0000C300000001B8; mov [target], rax; mov ebx, target; call rbx;
    //   mov ecx, eax; mov byte [target + 1], 2; call rbx; hlt
    const std::uint8_t rewrite[] = {0x48, 0xB8, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3, 0x00, 0x00,
                                    0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0xBB, 0x00,
                                    0x00, 0x02, 0x00, 0xFF, 0xD3, 0x89, 0xC1, 0xC6, 0x04, 0x25,
                                    0x01, 0x00, 0x02, 0x00, 0x02, 0xFF, 0xD3, 0xF4};
    ScratchMachine m;
    if (!m)
        return false;
    const auto clean = CleanStores::enable(m.uc(), layout);
    clean->addRegion(0, LibraryCalls::get().mapRamPtr(m.uc(), nullptr, 0), 0x200000);
    m.setPte(target, target | ScratchMachine::kPresentRw);
    if (m.run(rewrite, false, nullptr, nullptr) != UC_ERR_OK)
        return false;
    std::uint64_t rax = 0, rcx = 0;
    uc_reg_read(m.uc(), UC_X86_REG_RAX, &rax);
    uc_reg_read(m.uc(), UC_X86_REG_RCX, &rcx);
    return rcx == 1 && rax == 2 && tlbWriteEntry(m.uc(), layout, target) == (target | kTlbNotDirty);
}

}  // namespace

const std::optional<TlbLayout>& checkedTlbLayout() {
    static const std::optional<TlbLayout> result = []() -> std::optional<TlbLayout> {
        const bool bound =
            storeBookkeepingElided() &&
            bindsToNtoy("tb_invalidate_phys_page_fast_x86_64",
                        reinterpret_cast<void*>(&tb_invalidate_phys_page_fast_x86_64)) &&
            bindsToNtoy("tlb_protect_code_x86_64",
                        reinterpret_cast<void*>(&tlb_protect_code_x86_64)) &&
            bindsToNtoy("tlb_unprotect_code_x86_64",
                        reinterpret_cast<void*>(&tlb_unprotect_code_x86_64));
        if (!bound || !LibraryCalls::get().complete())
            return std::nullopt;
        auto layout = probeTlbLayout();
        if (!layout || !cleanStoresWork(*layout))
            return std::nullopt;
        return layout;
    }();
    return result;
}

ObservedTranslations::ObservedTranslations(TranslationObserver& observer)
    : previous_(std::exchange(currentTranslationObserver(), &observer)) {}

ObservedTranslations::~ObservedTranslations() {
    currentTranslationObserver() = previous_;
}

void setCodeHookRange(uc_hook hook, const CodeHookRange& range, std::uint64_t begin,
                      std::uint64_t end) {
    auto* h = reinterpret_cast<std::uint8_t*>(hook);
    std::memcpy(h + range.beginOffset, &begin, sizeof begin);
    std::memcpy(h + range.endOffset, &end, sizeof end);
}

namespace {

// The range's place in struct hook: the two fields that hold what uc_hook_add was given.
std::optional<CodeHookRange> probeCodeHookRange() {
    constexpr std::uint64_t kBegin = 0x0123'4567'89AB'CDE0, kEnd = 0x0123'4567'89AB'CDEF;
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return std::nullopt;
    std::optional<CodeHookRange> found;
    uc_hook h = 0;
    auto ignore = +[](uc_engine*, std::uint64_t, std::uint32_t, void*) {};
    if (uc_hook_add(uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(ignore), nullptr, kBegin, kEnd) ==
        UC_ERR_OK) {
        // 2.0.1's struct hook: five ints and a bool, the range, then three pointers (64 bytes).
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(h);
        std::optional<std::size_t> begin, end;
        for (std::size_t offset = 0; offset + 8 <= 48; offset += 8) {
            std::uint64_t v = 0;
            std::memcpy(&v, bytes + offset, sizeof v);
            if (v == kBegin && !begin)
                begin = offset;
            else if (v == kEnd && !end)
                end = offset;
        }
        if (begin && end)
            found = CodeHookRange{*begin, *end};
    }
    uc_close(uc);
    return found;
}

struct ChosenHookProbe final : TranslationObserver {
    uc_hook hook = 0;
    CodeHookRange range;
    std::uint64_t chosenOffset = 1;           // from the block's start
    std::optional<std::uint64_t> redirectTo;  // where the hook sends RIP, if anywhere
    std::vector<std::uint64_t> starts, calls;
    void translationStarts(std::uint64_t pc) override {
        starts.push_back(pc);
        // One instruction after the first is chosen, as the engine chooses it when the first
        // one's byte is read.
        setCodeHookRange(hook, range, pc + chosenOffset, pc + chosenOffset);
    }
    void translationEnds() override { setCodeHookRange(hook, range, 1, 0); }
    static void onCode(uc_engine* uc, std::uint64_t address, std::uint32_t, void* self) {
        auto* probe = static_cast<ChosenHookProbe*>(self);
        probe->calls.push_back(address);
        if (probe->redirectTo)
            uc_reg_write(uc, UC_X86_REG_RIP, &*probe->redirectTo);
    }
};

// On a scratch machine: nop; nop; nop; hlt with the second nop chosen calls the hook there
// alone, and the observer saw the block's translation start at its first byte. Then, with
// block-boundary stops on (which leave the exit checks out), a hook that moves RIP still
// leaves before its instruction: inc rbx; inc rcx; hlt with inc rcx chosen, and sent to a hlt,
// runs inc rbx alone.
bool chosenHooksWork(const CodeHookRange& range) {
    {
        ScratchMachine m;
        if (!m)
            return false;
        ChosenHookProbe probe;
        probe.range = range;
        if (uc_hook_add(m.uc(), &probe.hook, UC_HOOK_CODE,
                        reinterpret_cast<void*>(&ChosenHookProbe::onCode), &probe, kNoInstruction,
                        kNoInstruction) != UC_ERR_OK)
            return false;
        const std::uint8_t code[] = {0x90, 0x90, 0x90, 0xF4};
        {
            ObservedTranslations observed(probe);
            // No instruction count: 2.0.1 counts with a code hook of its own, over everything.
            m.run(code, false, nullptr, nullptr, ntoy::x86::kUserCs, 0);
        }
        if (probe.starts.empty() || probe.starts.front() != ScratchMachine::kCode ||
            probe.calls != std::vector<std::uint64_t>{ScratchMachine::kCode + 1})
            return false;
    }
    const auto& stops = checkedBlockBoundaryStops();
    if (!stops)
        return true;  // the engine never leaves the exit checks out
    ScratchMachine m;
    if (!m)
        return false;
    setBlockBoundaryStops(m.uc(), *stops, true);
    ChosenHookProbe probe;
    probe.range = range;
    probe.chosenOffset = 3;
    probe.redirectTo = ScratchMachine::kCode + 0x40;  // the page is hlt past the code
    if (uc_hook_add(m.uc(), &probe.hook, UC_HOOK_CODE,
                    reinterpret_cast<void*>(&ChosenHookProbe::onCode), &probe, kNoInstruction,
                    kNoInstruction) != UC_ERR_OK)
        return false;
    const std::uint8_t code[] = {0x48, 0xFF, 0xC3, 0x48, 0xFF, 0xC1, 0xF4};  // inc rbx; inc rcx
    {
        ObservedTranslations observed(probe);
        m.run(code, false, nullptr, nullptr, ntoy::x86::kUserCs, 0);
    }
    std::uint64_t rbx = 0, rcx = 0;
    uc_reg_read(m.uc(), UC_X86_REG_RBX, &rbx);
    uc_reg_read(m.uc(), UC_X86_REG_RCX, &rcx);
    return probe.calls == std::vector<std::uint64_t>{ScratchMachine::kCode + 3} && rbx == 1 &&
           rcx == 0;
}

}  // namespace

CodeHookHiding::CodeHookHiding(uc_engine* uc, const CodeHookList& list)
    : list_(reinterpret_cast<List*>(reinterpret_cast<std::uint8_t*>(uc) + list.offset)) {}

void CodeHookHiding::hide(uc_hook hook) {
    Item* only = list_->head;
    if (hidden_ || only == nullptr || only != list_->tail || only->next != nullptr ||
        only->data != reinterpret_cast<void*>(hook))
        return;
    hidden_ = only;
    list_->head = list_->tail = nullptr;
}

void CodeHookHiding::show() {
    if (!hidden_)
        return;
    hidden_->next = nullptr;
    if (list_->head == nullptr)
        list_->head = hidden_;
    else
        list_->tail->next = hidden_;
    list_->tail = hidden_;
    hidden_ = nullptr;
}

namespace {

// uc_struct's hook lists: `struct list hook[UC_HOOK_MAX]` then `hooks_to_del`, each list
// {head, tail, delete_fn} with the same delete function; hook[2] is UC_HOOK_CODE's. With one
// code hook added, its list holds one entry whose data is the hook.
constexpr std::size_t kHookLists = 17 + 1;  // UC_HOOK_MAX, and hooks_to_del
constexpr std::size_t kListSize = 24;
constexpr std::size_t kCodeHookIndex = 2;

std::optional<CodeHookList> probeCodeHookList() {
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return std::nullopt;
    std::optional<CodeHookList> found;
    uc_hook h = 0;
    auto ignore = +[](uc_engine*, std::uint64_t, std::uint32_t, void*) {};
    if (uc_hook_add(uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(ignore), nullptr, 1, 0) ==
        UC_ERR_OK) {
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(uc);
        const std::size_t size = malloc_usable_size(uc);
        const auto slot = [&](std::size_t at) { return loadAt<std::uint64_t>(bytes, at); };
        for (std::size_t at = 0; !found && at + kHookLists * kListSize <= size; at += 8) {
            const std::uint64_t deleter = slot(at + 16);
            bool shaped = deleter != 0;
            for (std::size_t i = 1; shaped && i < kHookLists; ++i)
                shaped = slot(at + i * kListSize + 16) == deleter;
            if (!shaped)
                continue;
            const std::size_t code = at + kCodeHookIndex * kListSize;
            const std::uint64_t head = slot(code), tail = slot(code + 8);
            if (head == 0 || head != tail)
                continue;
            const auto* item = reinterpret_cast<const std::uint64_t*>(head);
            if (item[0] == 0 && item[1] == static_cast<std::uint64_t>(h))
                found = CodeHookList{code};
        }
    }
    uc_close(uc);
    return found;
}

struct HiddenHookProbe {
    std::vector<std::uint64_t> calls;
    std::uint64_t stopAt = 0;
    static void onCode(uc_engine*, std::uint64_t address, std::uint32_t, void* self) {
        static_cast<HiddenHookProbe*>(self)->calls.push_back(address);
    }
    static void onBlock(uc_engine* uc, std::uint64_t address, std::uint32_t, void* self) {
        if (address == static_cast<HiddenHookProbe*>(self)->stopAt)
            uc_emu_stop(uc);
    }
};

// inc rbx; jmp $+2 | inc rcx; jmp $+2 | inc rdx; hlt, three blocks, with inc rcx chosen for a
// code hook that is hidden while the code runs, and a block hook's stop before the third
// block, run twice: the hook is called at inc rcx, the third block does not run, and RIP is
// its start.
bool hidingWorks(const CodeHookList& list, const CodeHookRange& range) {
    ScratchMachine m;
    if (!m)
        return false;
    HiddenHookProbe probe{{}, ScratchMachine::kCode + 10};
    ChosenHookProbe chooser;
    chooser.range = range;
    chooser.chosenOffset = 5;
    uc_hook block = 0;
    if (uc_hook_add(m.uc(), &chooser.hook, UC_HOOK_CODE,
                    reinterpret_cast<void*>(&HiddenHookProbe::onCode), &probe, kNoInstruction,
                    kNoInstruction) != UC_ERR_OK ||
        uc_hook_add(m.uc(), &block, UC_HOOK_BLOCK,
                    reinterpret_cast<void*>(&HiddenHookProbe::onBlock), &probe, 1, 0) != UC_ERR_OK)
        return false;
    CodeHookHiding hiding(m.uc(), list);
    struct Observer final : TranslationObserver {
        ChosenHookProbe& chooser;
        CodeHookHiding& hiding;
        Observer(ChosenHookProbe& c, CodeHookHiding& h) : chooser(c), hiding(h) {}
        void translationStarts(std::uint64_t pc) override {
            hiding.show();
            // Only the second block's first instruction is chosen.
            const std::uint64_t chosen = pc == ScratchMachine::kCode + 5 ? pc : kNoInstruction;
            setCodeHookRange(chooser.hook, chooser.range, chosen, chosen);
        }
        void translationEnds() override {
            setCodeHookRange(chooser.hook, chooser.range, 1, 0);
            hiding.hide(chooser.hook);
        }
    } observer(chooser, hiding);
    hiding.hide(chooser.hook);
    const std::uint8_t code[] = {0x48, 0xFF, 0xC3, 0xEB, 0x00, 0x48, 0xFF,
                                 0xC1, 0xEB, 0x00, 0x48, 0xFF, 0xC2, 0xF4};
    {
        // The second run goes through blocks the first one chained, which sync no RIP: only
        // the restore at the stop can put RIP at the third block.
        ObservedTranslations observed(observer);
        m.run(code, false, nullptr, nullptr, ntoy::x86::kUserCs, 0);
        uc_emu_start(m.uc(), ScratchMachine::kCode, 0, 0, 0);
    }
    hiding.show();  // before uc_close, which frees the list's entries
    std::uint64_t rbx = 0, rcx = 0, rdx = 0, rip = 0;
    uc_reg_read(m.uc(), UC_X86_REG_RBX, &rbx);
    uc_reg_read(m.uc(), UC_X86_REG_RCX, &rcx);
    uc_reg_read(m.uc(), UC_X86_REG_RDX, &rdx);
    uc_reg_read(m.uc(), UC_X86_REG_RIP, &rip);
    const std::uint64_t chosen = ScratchMachine::kCode + 5;
    return probe.calls == std::vector<std::uint64_t>{chosen, chosen} && rbx == 2 && rcx == 2 &&
           rdx == 0 && rip == ScratchMachine::kCode + 10;
}

}  // namespace

const std::optional<CodeHookList>& checkedCodeHookList() {
    static const std::optional<CodeHookList> result = []() -> std::optional<CodeHookList> {
        const auto& range = checkedCodeHookRange();
        if (!range)
            return std::nullopt;
        const auto list = probeCodeHookList();
        if (!list || !hidingWorks(*list, *range))
            return std::nullopt;
        return list;
    }();
    return result;
}

const std::optional<CodeHookRange>& checkedCodeHookRange() {
    static const std::optional<CodeHookRange> result = []() -> std::optional<CodeHookRange> {
        if (!bindsToNtoy("gen_intermediate_code_x86_64",
                         reinterpret_cast<void*>(&gen_intermediate_code_x86_64)) ||
            !bindsToNtoy("uc_add_inline_hook_x86_64",
                         reinterpret_cast<void*>(&uc_add_inline_hook_x86_64)) ||
            !bindsToNtoy("check_exit_request_x86_64",
                         reinterpret_cast<void*>(&check_exit_request_x86_64)) ||
            libraryTranslateBlock() == nullptr || libraryAddInlineHook() == nullptr ||
            libraryCheckExitRequest() == nullptr)
            return std::nullopt;
        const auto range = probeCodeHookRange();
        if (!range || !chosenHooksWork(*range))
            return std::nullopt;
        return range;
    }();
    return result;
}

}  // namespace ntoy::emu
