#include "emulator/gdb/StopReply.h"

#include <fmt/format.h>

namespace ntoy::gdb {

std::string stopReply(Signal signal, const RegisterFile& regs, std::uint64_t thread,
                      StopReason reason) {
    std::string reply = fmt::format("T{:02x}", static_cast<unsigned>(signal));
    for (unsigned n : {kRbp, kRsp, kRip})
        reply += fmt::format("{:02x}:{};", n, *regs.encodeOne(n));
    reply += fmt::format("thread:{:x};", thread);
    switch (reason.kind) {
        case StopReason::Kind::None:
            break;
        case StopReason::Kind::SoftwareBreakpoint:
            reply += "swbreak:;";
            break;
        case StopReason::Kind::HardwareBreakpoint:
            reply += "hwbreak:;";
            break;
        case StopReason::Kind::Watch:
            reply += fmt::format("watch:{:x};", reason.address);
            break;
        case StopReason::Kind::ReadWatch:
            reply += fmt::format("rwatch:{:x};", reason.address);
            break;
        case StopReason::Kind::AccessWatch:
            reply += fmt::format("awatch:{:x};", reason.address);
            break;
    }
    return reply;
}

std::string exitedReply(std::uint32_t status) {
    return fmt::format("W{:02x}", status & 0xFF);
}

std::string terminatedReply(Signal signal) {
    return fmt::format("X{:02x}", static_cast<unsigned>(signal));
}

}  // namespace ntoy::gdb
