// The kernel services: what ntoskrnl.exe's exports ask of the hosted kernel from ring 0
// (ntoy/kernel_services.h). A SYSCALL at CPL0 comes here; the arguments are the x64
// convention's, the result goes to RAX, and RCX and R11 are left alone (ring-0 code has no
// SYSRET to undo). A bug check here names the calling driver.
#include <fmt/format.h>
#include <unistd.h>

#include <array>

#include "kernel/Kernel.h"
#include "kernel/io/SystemImages.h"
#include "ntoy/kernel_services.h"

namespace ntoy {
namespace {

enum class Service : std::uint64_t {
#define NTOY_KS_ENUM(number, name, argument_count) name = number,
    NTOY_KERNEL_SERVICES(NTOY_KS_ENUM)
#undef NTOY_KS_ENUM
};

// DbgPrint's line: ntoskrnl.exe truncates it at 512 bytes, as Windows does.
constexpr std::uint64_t kDebugPrintLimit = 512;

}  // namespace

void Kernel::dispatchKernelService(hal::Cpu& cpu, ps::Thread& thread) {
    std::array<std::uint64_t, 6> a{cpu.reg(hal::Reg::R10),
                                   cpu.reg(hal::Reg::Rdx),
                                   cpu.reg(hal::Reg::R8),
                                   cpu.reg(hal::Reg::R9),
                                   0,
                                   0};
    const auto result = [&](std::uint64_t v) { cpu.setReg(hal::Reg::Rax, v); };
    const auto callerName = [&](std::uint64_t caller) {
        const io::SystemImage* image =
            systemImages_ ? systemImages_->containing(VirtualAddress(caller)) : nullptr;
        return image ? image->name : std::string("kernel");
    };
    switch (static_cast<Service>(cpu.reg(hal::Reg::Rax))) {
        case Service::NtoyKsEndSystemThread:
            terminateThread(thread, static_cast<std::uint32_t>(a[0]));
            cpu.requestStop();
            return;
        case Service::NtoyKsDebugPrint: {
            std::string text(std::min(a[1], kDebugPrintLimit), '\0');
            readSystem(VirtualAddress(a[0]), std::as_writable_bytes(std::span(text)));
            const std::string line = fmt::format("{}: {}", callerName(a[2]), text);
            for (std::size_t done = 0; done < line.size();) {
                const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
                if (n <= 0)
                    break;
                done += static_cast<std::size_t>(n);
            }
            result(0);
            return;
        }
        case Service::NtoyKsAllocatePool:
            result(ex::ExAllocatePool2(*pool_, a[0], a[1], static_cast<std::uint32_t>(a[2]), {})
                       .value());
            return;
        case Service::NtoyKsAllocatePoolType:
            result(ex::ExAllocatePoolWithTag(*pool_, static_cast<std::uint32_t>(a[0]), a[1],
                                             static_cast<std::uint32_t>(a[2]))
                       .value());
            return;
        case Service::NtoyKsFreePool:
            if (a[1] == 0)
                ex::ExFreePool(*pool_, VirtualAddress(a[0]));
            else
                ex::ExFreePoolWithTag(*pool_, VirtualAddress(a[0]),
                                      static_cast<std::uint32_t>(a[1]));
            result(0);
            return;
        case Service::NtoyKsBugCheck: {
            // The fifth and sixth arguments: above the stub's return address and the home
            // space.
            readSystem(VirtualAddress(cpu.reg(hal::Reg::Rsp) + 0x28),
                       std::as_writable_bytes(std::span(&a[4], 2)));
            ke::bugCheck(static_cast<ke::BugCheckCode>(a[0]), a[1], a[2], a[3], a[4],
                         "KeBugCheckEx called " + ring0Location(cpu, a[5]));
        }
        case Service::NtoyKsCurrentIds:
            result(a[0] == NTOY_KS_CURRENT_PROCESS_ID ? thread.process().id() : thread.id());
            return;
        case Service::NtoyKsIsAddressValid: {
            const VirtualAddress va(a[0]);
            const mm::PageTables& tables = mm::isSystemAddress(va.value())
                                               ? mm_->systemTables()
                                               : thread.process().space().tables();
            const auto pte = tables.findPte(va);
            result(pte && tables.read(*pte).isValid() ? 1 : 0);
            return;
        }
    }
    // ntoskrnl.exe is ntoy's own: an unknown service is a kernel bug.
    ke::bugCheck(ke::BugCheckCode::UnexpectedKernelModeTrap, 0, cpu.reg(hal::Reg::Rax),
                 cpu.reg(hal::Reg::Rip), 0, "an unknown kernel service");
}

}  // namespace ntoy
