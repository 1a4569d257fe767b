#include "bench/runner/References.h"

#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench/guest/compute_loop.h"
#include "bench/runner/Measure.h"

namespace {
// The guest's sequence (bench_heap.exe), on glibc.
#define HEAP_PAIRS_ALLOC(size) std::malloc(size)
#define HEAP_PAIRS_FREE(block) std::free(block)
#include "bench/guest/heap_pairs.h"
#undef HEAP_PAIRS_ALLOC
#undef HEAP_PAIRS_FREE

std::uint64_t nativeHeapPairSequence(std::uint64_t pairs) {
    return heap_pairs(pairs);
}

// A fresh memfd of `pages` pages mapped shared and read-write, each page written once (as
// ntoy's guest RAM is: emulator/GuestRam); unmapped and closed when it ends.
class TouchedMemfd {
public:
    explicit TouchedMemfd(std::uint64_t pages) : bytes_(pages * 4096) {
        fd_ = memfd_create("ntoy-bench", MFD_CLOEXEC);
        if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(bytes_)) != 0)
            throw std::runtime_error("memfd_create or ftruncate failed");
        void* map = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (map == MAP_FAILED)
            throw std::runtime_error("mmap of the memfd failed");
        pages_ = static_cast<volatile char*>(map);
        for (std::uint64_t i = 0; i < pages; ++i)
            pages_[i * 4096] = 1;
    }
    ~TouchedMemfd() {
        munmap(const_cast<char*>(pages_), bytes_);
        close(fd_);
    }
    TouchedMemfd(const TouchedMemfd&) = delete;
    TouchedMemfd& operator=(const TouchedMemfd&) = delete;
    volatile char* pages() const { return pages_; }
    std::uint64_t bytes() const { return bytes_; }

private:
    std::uint64_t bytes_;
    int fd_ = -1;
    volatile char* pages_ = nullptr;
};
}  // namespace

namespace ntoy::bench {

double bareUnicornCompute(std::uint64_t iterations) {
    constexpr std::uint64_t kCode = 0x10000, kStack = 0x20000, kReturn = 0x30000;
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return -1;
    uc_mem_map(uc, kCode, 0x1000, UC_PROT_ALL);
    uc_mem_map(uc, kStack, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uc_mem_map(uc, kReturn, 0x1000, UC_PROT_ALL);
    uc_mem_write(uc, kCode, kComputeLoop, sizeof kComputeLoop);
    // As if called: the return address on the stack is where emulation stops.
    std::uint64_t rsp = kStack + 0x800, ret = kReturn;
    uc_mem_write(uc, rsp, &ret, 8);
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_write(uc, UC_X86_REG_RCX, &iterations);
    const double seconds = timeIt([&] { uc_emu_start(uc, kCode, kReturn, 0, 0); });
    uc_close(uc);
    return seconds;
}

double nativeCompute(std::uint64_t iterations) {
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    std::memcpy(page, kComputeLoop, sizeof kComputeLoop);
    mprotect(page, 4096, PROT_READ | PROT_EXEC);
    // The loop takes its count in rcx (Windows x64); call it with that convention.
    using Loop = std::uint64_t (*)(std::uint64_t);
    auto loop = reinterpret_cast<Loop>(page);
    volatile std::uint64_t sink = 0;
    const double seconds = timeIt([&] {
        std::uint64_t result;
        asm volatile("call *%[fn]"
                     : "=a"(result), "+c"(iterations)
                     : [fn] "r"(loop)
                     : "rdx", "memory", "cc");
        sink = result;
    });
    (void)sink;
    munmap(page, 4096);
    return seconds;
}

double nativePingPong(std::uint64_t trips) {
    std::mutex lock;
    std::condition_variable changed;
    std::uint64_t turn = 0;  // even: the main thread's move, odd: the other's
    const double seconds = timeIt([&] {
        std::thread other([&] {
            for (std::uint64_t i = 0; i < trips; ++i) {
                std::unique_lock held(lock);
                changed.wait(held, [&] { return turn == 2 * i + 1; });
                ++turn;
                changed.notify_one();
            }
        });
        for (std::uint64_t i = 0; i < trips; ++i) {
            std::unique_lock held(lock);
            ++turn;
            changed.notify_one();
            changed.wait(held, [&] { return turn == 2 * i + 2; });
        }
        other.join();
    });
    return seconds;
}

double nativeHeapPairs(std::uint64_t pairs) {
    volatile std::uint64_t sink = 0;
    const double seconds = timeIt([&] { sink = nativeHeapPairSequence(pairs); });
    (void)sink;
    return seconds;
}

double nativeSpawn(std::uint64_t count) {
    return timeIt([&] {
        for (std::uint64_t i = 0; i < count; ++i) {
            char program[] = "/bin/true";
            char* argv[] = {program, nullptr};
            pid_t pid = 0;
            if (posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0)
                throw std::runtime_error("posix_spawn /bin/true failed");
            int status = 0;
            waitpid(pid, &status, 0);
        }
    });
}

double nativeDemandZero(std::uint64_t pages) {
    return timeIt([&] {
        auto* p = static_cast<volatile char*>(mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE,
                                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        for (std::uint64_t i = 0; i < pages; ++i)
            p[i * 4096] = 1;
        munmap(const_cast<char*>(p), pages * 4096);
    });
}

double nativeMemfdSharedTouch(std::uint64_t pages) {
    return timeIt([&] { const TouchedMemfd touched(pages); });
}

double nativeSoftFaults(std::uint64_t faults) {
    constexpr std::uint64_t kPages = 256;  // as bench_paging soft
    const TouchedMemfd touched(kPages);
    volatile char* p = touched.pages();
    unsigned sum = 0;
    const double seconds = timeIt([&] {
        for (std::uint64_t r = 0; r < faults / kPages; ++r) {
            // The mappings go, the pages stay in the page cache: each touch is a minor fault.
            madvise(const_cast<char*>(p), touched.bytes(), MADV_DONTNEED);
            for (std::uint64_t i = 0; i < kPages; ++i)
                sum += p[i * 4096];
        }
    });
    return seconds + (sum == ~0u ? 1e-9 : 0);
}

double nativePreadPages(std::uint64_t filePages, std::uint64_t reads, bool random) {
    char name[] = "/tmp/ntoy-bench-pread-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0)
        throw std::runtime_error("mkstemp failed");
    unlink(name);
    std::vector<char> page(4096, 1);
    for (std::uint64_t i = 0; i < filePages; ++i)
        if (pwrite(fd, page.data(), page.size(), static_cast<off_t>(i * 4096)) != 4096)
            throw std::runtime_error("pwrite of the reference file failed");
    std::uint64_t state = 12345;
    const double seconds = timeIt([&] {
        for (std::uint64_t k = 0; k < reads; ++k) {
            std::uint64_t index = k % filePages;
            if (random) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                index = (state >> 33) % filePages;
            }
            if (pread(fd, page.data(), page.size(), static_cast<off_t>(index * 4096)) != 4096)
                throw std::runtime_error("pread of the reference file failed");
        }
    });
    close(fd);
    return seconds;
}

double nativeReserveCommitTouchRelease(std::uint64_t rounds) {
    return timeIt([&] {
        for (std::uint64_t r = 0; r < rounds; ++r) {
            auto* p = static_cast<volatile char*>(
                mmap(nullptr, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
            for (unsigned off = 0; off < 0x10000; off += 0x1000)
                p[off] = 1;
            munmap(const_cast<char*>(p), 0x10000);
        }
    });
}

std::optional<std::string> writeComputeElf(std::uint64_t iterations, const std::string& dir) {
    // _start: mov rcx, iterations; call loop; xor edi, edi; mov eax, 60; syscall; loop: ...
    std::vector<std::uint8_t> code = {0x48, 0xB9};
    for (int i = 0; i < 8; ++i)
        code.push_back(static_cast<std::uint8_t>(iterations >> (8 * i)));
    code.insert(code.end(), {0xE8, 0x09, 0x00, 0x00, 0x00,  // call +9 (the loop)
                             0x31, 0xFF, 0xB8, 0x3C, 0x00, 0x00, 0x00, 0x0F, 0x05});
    code.insert(code.end(), std::begin(kComputeLoop), std::end(kComputeLoop));

    constexpr std::uint64_t kBase = 0x400000, kHeaders = 64 + 56;
    std::vector<std::uint8_t> elf(kHeaders, 0);
    auto put = [&](std::size_t off, std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            elf[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    const std::uint8_t ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1, 0};
    std::memcpy(elf.data(), ident, sizeof ident);
    put(16, 2, 2);                 // ET_EXEC
    put(18, 62, 2);                // EM_X86_64
    put(20, 1, 4);                 // EV_CURRENT
    put(24, kBase + kHeaders, 8);  // entry
    put(32, 64, 8);                // program headers at 64
    put(52, 64, 2);                // header size
    put(54, 56, 2);                // program header size
    put(56, 1, 2);                 // one program header
    put(64, 1, 4);                 // PT_LOAD
    put(68, 5, 4);                 // R X
    put(72, 0, 8);                 // file offset
    put(80, kBase, 8);             // vaddr
    put(88, kBase, 8);             // paddr
    put(96, kHeaders + code.size(), 8);
    put(104, kHeaders + code.size(), 8);
    put(112, 0x1000, 8);
    elf.insert(elf.end(), code.begin(), code.end());
    const std::string path = dir + "/compute_loop.elf";
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(elf.data()), static_cast<std::streamsize>(elf.size()));
    if (!out)
        return std::nullopt;
    out.close();
    chmod(path.c_str(), 0755);
    return path;
}

}  // namespace ntoy::bench
