#include "emulator/Machine.h"

#include <gtest/gtest.h>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {
namespace {

class NoTraps final : public hal::TrapHandler {
public:
    void systemCall(hal::Cpu&) override {}
    void exception(hal::Cpu&, const hal::CpuException&) override {}
};

TEST(Machine, RejectsABadRamSizeWithAClearMessage) {
    for (std::uint64_t bytes : {std::uint64_t{0}, std::uint64_t{12345}, kPageSize + 1}) {
        auto machine = Machine::create(bytes);
        ASSERT_FALSE(machine) << bytes;
        EXPECT_NE(machine.error().find("whole number of pages"), std::string::npos)
            << machine.error();
        EXPECT_EQ(machine.error().find('\n'), std::string::npos) << machine.error();
    }
    // Too big: refused for the RAM limit or for the host's mapping limit, in MiB either way.
    auto huge = Machine::create(mm::kMaxRamBytes + kPageSize);
    ASSERT_FALSE(huge);
    EXPECT_NE(huge.error().find("MiB"), std::string::npos) << huge.error();
    EXPECT_EQ(huge.error().find('\n'), std::string::npos) << huge.error();
}

TEST(Machine, GivesTheKernelItsRam) {
    auto machine = Machine::create(16u << 20);
    ASSERT_TRUE(machine) << machine.error();
    const auto ram = (*machine)->physicalMemory();
    EXPECT_EQ(ram.firstPfn(), PhysicalAddress(mm::kRamPhysicalBase).pfn());
    EXPECT_EQ(ram.frameCount(), (16u << 20) / kPageSize);
    ram.write(ram.firstPfn().address() + 8, std::uint64_t{0x1122334455667788});
    EXPECT_EQ(ram.read<std::uint64_t>(ram.firstPfn().address() + 8), 0x1122334455667788u);
}

TEST(Machine, CreatesProcessorsWhoseRegistersHoldTheirValues) {
    auto machine = Machine::create(4u << 20);
    ASSERT_TRUE(machine) << machine.error();
    NoTraps traps;
    auto cpu = (*machine)->createProcessor(traps);
    ASSERT_TRUE(cpu) << cpu.error();
    (*cpu)->setReg(hal::Reg::R13, 0xFEEDFACE'CAFEBEEF);
    EXPECT_EQ((*cpu)->reg(hal::Reg::R13), 0xFEEDFACE'CAFEBEEFu);
    hal::Cpu::Vector128 v{};
    v[0] = 1;
    v[15] = 0xFF;
    (*cpu)->setXmm(7, v);
    EXPECT_EQ((*cpu)->xmm(7), v);
    auto second = (*machine)->createProcessor(traps);
    ASSERT_TRUE(second) << second.error();
    EXPECT_EQ((*second)->reg(hal::Reg::R13), 0u) << "each address space has its own processor";
}

}  // namespace
}  // namespace ntoy::emu
