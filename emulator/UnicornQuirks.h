// Every workaround for Debian's Unicorn 2.0.1 lives here (see
// shared/design/unicorn-2.0.1-paging.md). The library keeps three CPU fields out of reach of
// its API: the exception in flight (never cleared, so the second #PF would become #DF), the
// #PF error code, and EFER (whose NXE and SCE bits its CPU model drops). We find their byte
// offsets in a saved uc_context at start-up by differential probing, and patch them there.
// A self-test then checks the rest of what ntoy relies on; if the library behaves
// differently, ntoy refuses to run with a one-line reason.
#pragma once

#include <unicorn/unicorn.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

namespace ntoy::emu {

struct ContextLayout {
    std::size_t contextSize = 0;        // uc_context_size()
    std::size_t exceptionInFlight = 0;  // int32: -1 when no exception is being delivered
    std::size_t errorCode = 0;          // int32: error code of the last exception
    std::size_t exceptionIsInt = 0;     // int32: 1 if the last exception was an INT n
    std::size_t efer = 0;               // int64: the EFER MSR
    // The code segment: uc_reg_write(CS) in 64-bit mode stores the selector and nothing else,
    // so switching between 64-bit and compatibility mode means patching the CS descriptor
    // cache (selector, base, limit, flags: kSegmentCacheSize bytes) and the mode bits of
    // hflags, from references taken on a probe machine with ntoy's GDT.
    static constexpr std::size_t kSegmentCacheSize = 24;
    std::size_t csCache = 0;
    std::size_t hflags = 0;            // uint32
    std::uint32_t hflagsModeBits = 0;  // the bits that differ between the two modes
    std::uint32_t hflags64 = 0, hflagsCompat = 0;
    std::array<std::uint8_t, kSegmentCacheSize> cs64{}, csCompat{};
};

inline constexpr std::uint32_t kMsrEfer = 0xC0000080;
inline constexpr std::uint64_t kEferSce = 1u << 0;
inline constexpr std::uint64_t kEferLme = 1u << 8;
inline constexpr std::uint64_t kEferLma = 1u << 10;
inline constexpr std::uint64_t kEferNxe = 1u << 11;

// Block-boundary stops. 2.0.1 checks for a requested stop at the start of every block, and
// also after every memory access inside one; a stop taken there sets RIP back to the block's
// start although part of it ran, so resuming runs that part twice. A uc_emu_stop made from
// another thread (the preemption timer) can land anywhere, so it is only safe while the inner
// checks are not generated: 2.0.1 leaves them out while its uc_struct's `no_exit_request`
// flag (meant for ARM's IT blocks) is set. The flag's offset is found in the code of
// check_exit_request_x86_64, an exported function that reads it first thing, and is checked
// on a scratch machine: with the flag set, a stop asked in a memory hook lands at the next
// block, with the whole block run. Empty if either step fails: the engine then preempts from
// a block hook, which costs a call per block.
struct BlockBoundaryStops {
    std::size_t flagOffset = 0;  // in the uc_engine (uc_struct), a bool
};
std::optional<BlockBoundaryStops> probeBlockBoundaryStops();
// The probe, run once per host process.
const std::optional<BlockBoundaryStops>& checkedBlockBoundaryStops();
// Sets or clears the flag on `uc`; code translated before keeps its checks (or lack of them).
void setBlockBoundaryStops(uc_engine* uc, const BlockBoundaryStops& stops, bool on);

// Finds the context layout on scratch Unicorn instances. Fails if any probe finds zero or
// several candidate offsets.
std::expected<ContextLayout, std::string> probeContextLayout();

// Runs the behaviours ntoy depends on against a scratch machine built with the workarounds:
// user-mode entry by iretq, #UD stopping the run, #PF delivery with the right error code and CR2,
// many faults in a row without #DF, NX enforcement, U/S enforcement, the identity data-address
// shortcut, the TLB flush by the CPL0 routine, the fetch hook during translation, and a
// region at the last page, and a block hook's stop leaving before its block. Returns the first
// deviation found.
std::expected<void, std::string> selfTest(const ContextLayout& layout);

// The probe and self-test together, run once per host process.
const std::expected<ContextLayout, std::string>& checkedContextLayout();

// Per-engine access to the hidden fields through one reusable context buffer.
class CpuStatePatcher {
public:
    CpuStatePatcher(uc_engine* uc, const ContextLayout& layout);
    ~CpuStatePatcher();
    CpuStatePatcher(const CpuStatePatcher&) = delete;
    CpuStatePatcher& operator=(const CpuStatePatcher&) = delete;

    // To be called in every UC_HOOK_INTR callback: returns the exception's error code and
    // whether an INT n raised it, and marks no exception in flight, so the next fault is
    // delivered as itself.
    struct Acknowledged {
        std::uint32_t errorCode;
        bool software;
    };
    Acknowledged acknowledgeException();
    // Runs user code from now on with the 64-bit (0x33) or compatibility-mode (0x23) code
    // segment of ntoy's GDT; false for any other selector.
    bool setUserCodeSegment(std::uint16_t selector);
    // Sets EFER directly, keeping NXE and SCE that the MSR path would drop.
    void setEfer(std::uint64_t efer);
    std::uint64_t efer();

private:
    uc_engine* uc_;
    ContextLayout layout_;
    uc_context* context_ = nullptr;
};

// The TLB: 2.0.1 has no call that flushes it (UC_CTL_TLB_FLUSH came in 2.1), and writing CR3
// through uc_reg_write only stores the value. A `mov cr3` executed by the guest CPU at CPL0
// does flush it. So the kernel provides a CPL0 routine (mov rax, cr3; mov cr3, rax; syscall),
// and the engine runs it in a context of its own, switched in with uc_context_restore from a
// trap hook (about 1.6 us, against 18-38 us for mapping and unmapping a dummy region, the
// other way, which also leaves a hole in the address space). The self-test checks that a
// cleared PTE faults after the routine has run.

// Regions and fetches: 2.0.1 checks an access's *virtual* address against its regions before
// it walks the page tables, so every address must lie in some region (the last page too: a
// region ending at 2^64 works, its end wraps to 0 but lookups find it). A region without
// UC_PROT_EXEC makes the translator call UC_HOOK_MEM_FETCH_PROT for every code byte it reads,
// with RIP at the start of the block being translated; answering false leaves the
// translation cleanly (UC_ERR_FETCH_PROT, nothing of the block run). ntoy keeps every region
// non-executable and uses this to keep the encodings that abort the translator away from it
// (TranslationGuard.h). Executing already-translated code never calls the hook.

// 2.0.1 adds the SYSCALL instruction's length to RIP after the UC_HOOK_INSN callback
// returns, even when the callback wrote RIP; the hook sees RIP at the SYSCALL itself.
inline constexpr std::uint64_t kSyscallInstructionLength = 2;

// A uc_emu_stop from a UC_HOOK_BLOCK callback leaves before anything of that block runs
// (the TB's exit check follows the hook). But 2.0.1 sets RIP to the stopped block's start
// only while no UC_HOOK_CODE exists (a deleted one counts until the next uc_emu_start ends);
// otherwise RIP keeps the value last synced, often the start of an earlier block of the
// chain, and resuming there runs that block's instructions twice. So the engine remembers
// the block it stopped before and puts RIP there itself. The self-test checks that the
// block did not run.

// 2.0.1 does not deliver #UD (an invalid or undefined opcode) to UC_HOOK_INTR: uc_emu_start
// returns this error with RIP still at the instruction.
inline constexpr uc_err kInvalidOpcodeStop = UC_ERR_INSN_INVALID;

// 2.0.1's uc_ctl_remove_cache translates its address through the guest MMU, at the CPU's
// current privilege: for a page that cannot be fetched it raises #PF by longjmp out of the
// caller (skipping C++ frames) and leaves the exception in flight, so the next fault becomes
// #DF. The engine calls it only for pages its own page walk finds present and executable,
// from a CPL0 context. UC_CTL_TB_FLUSH, which drops every translation, clears the whole code
// buffer (1 GiB by default: each engine's RSS grows by it) and costs 15 ms to seconds; it is
// never used.

}  // namespace ntoy::emu

namespace ntoy::emu {

// Guest stores. 2.0.1 stubs out dirty-memory tracking, so every RAM page's TLB write entry
// keeps TLB_NOTDIRTY, and every guest store leaves the translated code for the slow path:
// the library's store helper, which builds and frees a GTree "page collection" and asks
// whether the page holds translated code that the store must invalidate. Two repairs, both by
// defining library functions in ntoy's executables (UnicornQuirks.cpp), which export them so
// that the dynamic linker binds the library's PLT calls to ntoy's definitions:
//
// 1. The page collection. Its locking is compiled out (#if 0 in translate-all.c), so it is
//    bookkeeping that only its own unlock reads: page_collection_lock/unlock_x86_64 return
//    and accept a sentinel. storeBookkeepingElided() says whether the binding is in effect.
// 2. Clean pages. For an engine enabled with CleanStores, ntoy keeps the set of its RAM pages
//    that hold translated code (tlb_protect_code and tlb_unprotect_code, stubs in 2.0.1, are
//    called when a page gains its first block, and when the range invalidation leaves it
//    with none; the other ways blocks go, a flush included, leave a page in the set, which
//    only costs it the slow path). After the slow path has done its invalidation check, a
//    store to a page outside the set clears TLB_NOTDIRTY from that page's TLB entry in each
//    MMU mode, found by its virtual address (2.0.1 reaches a region's host memory at the
//    virtual address: CleanStores::addRegion), so later stores run inline. A page that gains
//    code gets TLB_NOTDIRTY back on every entry before the block runs (tlb_reset_dirty), so
//    self-modifying code is still caught, exactly as before. The TLB's place in the CPU
//    state is read from the code of tlb_set_dirty_x86_64 and uc_emu_stop, and the whole
//    mechanism is checked on a scratch machine: a store leaves a clean entry, and code that
//    rewrites a block it has run runs the new instruction.
//
// When a step is not available (another library, one whose code does not decode as
// expected), stores keep the slow path and nothing else changes. Linking libunicorn
// statically would collide with these definitions: ntoy links the shared library.
bool storeBookkeepingElided();

struct TlbLayout {
    std::size_t cpuInUc = 0;       // uc_struct::cpu
    std::size_t envInCpu = 0;      // CPUState::env_ptr
    std::ptrdiff_t fastInEnv = 0;  // CPUTLBDescFast f[0] {mask, table}, before the env
    unsigned mmuModes = 0;         // NB_MMU_MODES
};
std::optional<TlbLayout> probeTlbLayout();
// The probe and the scratch-machine check, run once per host process.
const std::optional<TlbLayout>& checkedTlbLayout();

// Clean pages for one engine, from construction until destruction (which must come before
// uc_close). Empty when checkedTlbLayout() failed.
class CleanStores {
public:
    static std::unique_ptr<CleanStores> enable(uc_engine* uc);
    static std::unique_ptr<CleanStores> enable(uc_engine* uc, const TlbLayout& layout);
    // A region mapped at `va` over `host` (uc_mem_map_ptr's arguments): stores to pages
    // outside every region keep the slow path.
    void addRegion(std::uint64_t va, const void* host, std::uint64_t size);
    ~CleanStores();
    CleanStores(const CleanStores&) = delete;
    CleanStores& operator=(const CleanStores&) = delete;

private:
    explicit CleanStores(uc_engine* uc) : uc_(uc) {}
    uc_engine* uc_;
};

// The write half of the TLB entry that maps `va` in any MMU mode of `uc`, if one does: for
// tests and the self-check. 2.0.1's TLB_NOTDIRTY bit is kTlbNotDirty.
inline constexpr std::uint64_t kTlbNotDirty = 0x400;
std::optional<std::uint64_t> tlbWriteEntry(uc_engine* uc, const TlbLayout& layout,
                                           std::uint64_t va);

// Chosen code hooks. 2.0.1 instruments an instruction for UC_HOOK_CODE if its address lies
// in some code hook's range when the translator reaches it (it asks before reading the
// instruction's first byte); an instrumented instruction calls the hook when it runs, straight
// to the callback when the hook is the engine's only code hook (tcg-op.h inlines the call),
// otherwise through a helper that checks the range again. Two fields of the library's
// struct hook hold the range, found by a probe; changing them as translation goes makes one
// hook instrument exactly the instructions ntoy chooses, at one call each as they run and
// nothing for the rest:
// - ntoy's executables replace gen_intermediate_code_x86_64, which 2.0.1 calls through its
//   PLT for every translation, and call on to the library's; around it, the thread's
//   TranslationObserver learns that a block's translation starts (and at which address) and
//   ends;
// - the observer sets the range to the block's first instruction if chosen (else to nowhere),
//   then to each next instruction as the previous one's first byte is read (the
//   TranslationGuard follows the reads), and to everything when translation ends, so that
//   the helper's second check passes for every instrumented instruction;
// - the exit check the translator emits after the hook's call is emitted even while
//   block-boundary stops (no_exit_request) leave the others out, so that a hook that moves RIP
//   leaves the block before its instruction runs: ntoy replaces uc_add_inline_hook_x86_64
//   (which the library reaches through its GOT) to learn that a code hook's call was just
//   inlined, and check_exit_request_x86_64 to emit that one check regardless. A stop there is
//   exact: the translator synced the PC to the instruction before the call.
// A scratch machine checks the probe, the bindings and both behaviours: empty if any fails.
struct CodeHookRange {
    std::size_t beginOffset = 0, endOffset = 0;  // in 2.0.1's struct hook
};
const std::optional<CodeHookRange>& checkedCodeHookRange();
void setCodeHookRange(uc_hook hook, const CodeHookRange& range, std::uint64_t begin,
                      std::uint64_t end);
// An address where no instruction can be (it is not canonical).
inline constexpr std::uint64_t kNoInstruction = 0x8000'0000'0000'0000;

// Hiding the chosen-code hook while code runs. 2.0.1 sets RIP back to a block's start when a
// stop lands there (the timer's, between blocks) only while the engine has no UC_HOOK_CODE
// (cpu-exec.c; UnicornQuirks.h above: a block hook's stop). An inlined hook call needs nothing
// of the hook list at run time, so the engine takes its hook's entry out of the list between
// translations while it is the only one, and puts it back as each translation starts: timer
// stops stay exact. The list's place in uc_struct (its hook[UC_HOOK_CODE_IDX]) is found by its
// neighbours' shape, every list of the array ending with the same delete function, and
// checked on a scratch machine: with the entry out, a stop before a block leaves RIP at the
// block, and the chosen instruction still calls its hook.
struct CodeHookList {
    std::size_t offset = 0;  // of hook[UC_HOOK_CODE_IDX] (head, tail, delete_fn) in uc_struct
};
const std::optional<CodeHookList>& checkedCodeHookList();

class CodeHookHiding {
public:
    CodeHookHiding(uc_engine* uc, const CodeHookList& list);
    // Takes `hook`'s entry out of the list if it is the only one there.
    void hide(uc_hook hook);
    // Puts a hidden entry back, at the list's end.
    void show();

private:
    struct Item {
        Item* next;
        void* data;
    };
    struct List {
        Item* head;
        Item* tail;
    };
    List* list_;
    Item* hidden_ = nullptr;
};

class TranslationObserver {
public:
    virtual void translationStarts(std::uint64_t pc) = 0;
    virtual void translationEnds() = 0;

protected:
    ~TranslationObserver() = default;
};

// The observer of the translations made on this thread while this lives (2.0.1 translates on
// the thread that called uc_emu_start). Scopes nest.
class ObservedTranslations {
public:
    explicit ObservedTranslations(TranslationObserver& observer);
    ~ObservedTranslations();
    ObservedTranslations(const ObservedTranslations&) = delete;
    ObservedTranslations& operator=(const ObservedTranslations&) = delete;

private:
    TranslationObserver* previous_;
};

}  // namespace ntoy::emu
