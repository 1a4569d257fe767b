#include "emulator/gdb/StopReply.h"

#include <gtest/gtest.h>

#include "kernel/base/NtStatus.h"

namespace ntoy::gdb {
namespace {

RegisterFile sampleRegisters() {
    RegisterFile regs;
    regs.setValue(kRbp, 0x20ffa0);
    regs.setValue(kRsp, 0x20ff98);
    regs.setValue(kRip, 0x140001000);
    return regs;
}

TEST(StopReply, NamesSignalRegistersAndThread) {
    EXPECT_EQ(stopReply(Signal::Trap, sampleRegisters(), 1),
              "T0506:a0ff200000000000;07:98ff200000000000;10:0010004001000000;thread:1;");
}

TEST(StopReply, SaysWhyItStopped) {
    const RegisterFile regs = sampleRegisters();
    auto tail = [&](StopReason reason) {
        const std::string reply = stopReply(Signal::Trap, regs, 1, reason);
        return reply.substr(reply.find("thread:1;") + 9);
    };
    EXPECT_EQ(tail({}), "");
    EXPECT_EQ(tail({StopReason::Kind::SoftwareBreakpoint}), "swbreak:;");
    EXPECT_EQ(tail({StopReason::Kind::HardwareBreakpoint}), "hwbreak:;");
    EXPECT_EQ(tail({StopReason::Kind::Watch, 0x20ff88}), "watch:20ff88;");
    EXPECT_EQ(tail({StopReason::Kind::ReadWatch, 0x10}), "rwatch:10;");
    EXPECT_EQ(tail({StopReason::Kind::AccessWatch, 0x140002000}), "awatch:140002000;");
    EXPECT_TRUE(stopReply(Signal::Segv, regs, 1).starts_with("T0b"));
    EXPECT_TRUE(stopReply(Signal::Int, regs, 1).starts_with("T02"));
}

TEST(StopReply, ReportsTheEnd) {
    EXPECT_EQ(exitedReply(0), "W00");
    EXPECT_EQ(exitedReply(42), "W2a");
    EXPECT_EQ(exitedReply(300), "W2c");  // what the shell sees
    EXPECT_EQ(terminatedReply(Signal::Segv), "X0b");
}

TEST(Signal, StandsForTheException) {
    EXPECT_EQ(signalForException(raw(NtStatus::AccessViolation)), Signal::Segv);
    EXPECT_EQ(signalForException(raw(NtStatus::StackOverflow)), Signal::Segv);
    EXPECT_EQ(signalForException(raw(NtStatus::GuardPageViolation)), Signal::Segv);
    EXPECT_EQ(signalForException(raw(NtStatus::IllegalInstruction)), Signal::Ill);
    EXPECT_EQ(signalForException(raw(NtStatus::PrivilegedInstruction)), Signal::Ill);
    EXPECT_EQ(signalForException(raw(NtStatus::IntegerDivideByZero)), Signal::Fpe);
    EXPECT_EQ(signalForException(raw(NtStatus::Breakpoint)), Signal::Trap);
    EXPECT_EQ(signalForException(raw(NtStatus::DatatypeMisalignment)), Signal::Bus);
    EXPECT_EQ(signalForException(0xE06D7363), Signal::Abrt);  // a C++ exception
}

}  // namespace
}  // namespace ntoy::gdb
