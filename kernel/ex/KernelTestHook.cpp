// NtoyKernelTestHook: ntoy's own system call for tests of the kernel from a guest, off unless
// the run asks for it (`ntoy run --kernel-test-hooks`; else STATUS_NOT_IMPLEMENTED). It does
// what a driver would: pool calls and ring-0 accesses of system memory, so that a guest test
// can page paged pool out and fault it back at CPL0, or provoke the pool's bug checks.
//
//   NTSTATUS NtoyKernelTestHook(ULONG Operation, ULONG64 A, ULONG64 B, ULONG64 C,
//                               PULONG64 Result);
//
//   NTOY_TEST_POOL_ALLOCATE  A = POOL_FLAG_*, B = bytes, C = tag  -> *Result = the block
//   NTOY_TEST_POOL_FREE      A = block, B = tag (0: ExFreePool)
//   NTOY_TEST_RING0_READ     A = address                       -> *Result = the 8 bytes there,
//                                                                  read by CPL0 code
//   NTOY_TEST_RING0_WRITE    A = address, B = the 8 bytes         written by CPL0 code
//   NTOY_TEST_TRIM_SYSTEM    the system working set emptied and the modified pages written
//                                                              -> *Result = pages trimmed
#include "kernel/Kernel.h"
#include "kernel/ex/Pool.h"
#include "kernel/ke/SystemCall.h"
#include "ntoy/kernel_test_hook.h"

namespace ntoy::ke {

NtStatus NtoyKernelTestHook(SystemCall& call) {
    if (!call.kernel || !call.kernel->testHooksEnabled())
        return NtStatus::NotImplemented;
    const auto operation = static_cast<std::uint32_t>(call.arg(0));
    const std::uint64_t a = call.arg(1), b = call.arg(2), c = call.arg(3);
    const VirtualAddress result = call.pointer(4);
    if (auto s = call.user.probeForWrite(result, 8); s != NtStatus::Success)
        return s;
    Kernel& kernel = *call.kernel;
    ex::Pool& pool = kernel.pool();
    // A kernel routine's result reaches the guest after the call has returned: through
    // *Result, written when the routine ends. The process may be gone by then.
    const auto runRoutine = [&](VirtualAddress routine, std::array<std::uint64_t, 4> args) {
        std::weak_ptr<ob::Object> process = call.process.weak_from_this();
        mm::UserMemory user = call.user;
        hal::Cpu* cpu = &call.process.cpu();
        Kernel* k = &kernel;
        const bool started = call.process.cpu().callKernelRoutine(
            routine.value(), args, [process, user, result, cpu, k](std::uint64_t rax) mutable {
                // Writing *Result may page it in, which may bug check.
                if (!process.expired())
                    k->guarded(*cpu, [&] { (void)user.write(result, rax); });
            });
        return started ? NtStatus::Success : NtStatus::NotImplemented;
    };
    switch (operation) {
        case NTOY_TEST_POOL_ALLOCATE: {
            const auto kind = ex::Pool::kindOfFlags(a);
            if (!kind)
                return NtStatus::InvalidParameter;
            const auto block =
                pool.allocate(*kind, b, static_cast<std::uint32_t>(c),
                              (a & ex::pool_flag::kUseQuota) ? call.process.poolQuota
                                                             : std::shared_ptr<ex::PoolQuota>(),
                              (a & ex::pool_flag::kUninitialized) == 0);
            if (!block)
                return block.error();
            (void)call.user.write(result, block->value());
            return NtStatus::Success;
        }
        case NTOY_TEST_POOL_FREE:
            if (b == 0)
                ex::ExFreePool(pool, VirtualAddress(a));
            else
                ex::ExFreePoolWithTag(pool, VirtualAddress(a), static_cast<std::uint32_t>(b));
            return NtStatus::Success;
        case NTOY_TEST_RING0_READ:
            return runRoutine(kernel.ring0ReadRoutine(), {a, 0, 0, 0});
        case NTOY_TEST_RING0_WRITE:
            return runRoutine(kernel.ring0WriteRoutine(), {a, b, 0, 0});
        case NTOY_TEST_TRIM_SYSTEM: {
            mm::MemoryManager& mm = kernel.memoryManager();
            std::uint64_t trimmed = 0;
            // Two turns: the first clears the Accessed bits the last touches set.
            for (int turn = 0; turn < 2; ++turn)
                trimmed += mm.systemSpace().trim(mm.systemSpace().workingSet().size());
            mm.writeModifiedPages(mm.pfns().count(mm::PageState::Modified));
            mm.systemMmu().flushTlb();
            (void)call.user.write(result, trimmed);
            return NtStatus::Success;
        }
        default:
            return NtStatus::InvalidParameter;
    }
}

}  // namespace ntoy::ke
