// The other side of each benchmark pair: the same work on bare Unicorn (flat memory, no
// paging, no kernel), natively on the host, and under qemu-x86_64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ntoy::bench {

// Seconds for the compute loop (bench/guest/compute_loop.h) with `iterations`.
double bareUnicornCompute(std::uint64_t iterations);
double nativeCompute(std::uint64_t iterations);
// Seconds to mmap, touch and unmap `pages` fresh anonymous pages.
double nativeDemandZero(std::uint64_t pages);
// Seconds to map `pages` pages of a fresh memfd shared, touch each, unmap and close it: the
// host's own floor for ntoy's design, whose guest RAM is such a memfd (emulator/GuestRam).
double nativeMemfdSharedTouch(std::uint64_t pages);
// Seconds for `faults` minor faults on page-cache pages (a memfd's, mapped shared, dropped
// with MADV_DONTNEED and touched again): the host's own soft fault.
double nativeSoftFaults(std::uint64_t faults);
// Seconds to pread `reads` 4 KB pages from a file of `filePages` pages (written first, so in
// the page cache, as ntoy's paging file is), in order or at random: the I/O floor of paging.
double nativePreadPages(std::uint64_t filePages, std::uint64_t reads, bool random);
// Seconds for `rounds` of mmap 64 KB, touch its 16 pages, munmap.
double nativeReserveCommitTouchRelease(std::uint64_t rounds);
// Seconds for `trips` round trips between two threads on a mutex and two condition
// variables: 2 * trips thread switches.
double nativePingPong(std::uint64_t trips);
// Seconds for `pairs` malloc/free pairs of glibc on the heap benchmark's sequence
// (bench/guest/heap_pairs.h).
double nativeHeapPairs(std::uint64_t pairs);
// Seconds to posix_spawn /bin/true and wait for it, `count` times one after another.
double nativeSpawn(std::uint64_t count);
// Writes a static x86-64 Linux ELF that runs the compute loop `iterations` times and exits 0.
// Returns its path, or empty if it could not be written.
std::optional<std::string> writeComputeElf(std::uint64_t iterations, const std::string& dir);

}  // namespace ntoy::bench
