#include "emulator/gdb/MonitorCommand.h"

#include <gtest/gtest.h>

#include "emulator/gdb/Hex.h"
#include "emulator/gdb/PacketFraming.h"

namespace ntoy::gdb {
namespace {

TEST(MonitorCommand, SendsOutputAsHexConsolePackets) {
    const auto packets = consoleOutputPackets("PXE at 0\n");
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0], "O" + toHex(std::string_view("PXE at 0\n")));
}

TEST(MonitorCommand, SplitsLongOutputWithinThePacketSize) {
    const std::string text(3 * kMaxPacketSize, 'x');
    const auto packets = consoleOutputPackets(text);
    ASSERT_GT(packets.size(), 1u);
    std::string joined;
    for (const auto& p : packets) {
        EXPECT_LE(p.size(), kMaxPacketSize);
        ASSERT_EQ(p.front(), 'O');
        const auto data = fromHex(std::string_view(p).substr(1));
        ASSERT_TRUE(data);
        joined.append(reinterpret_cast<const char*>(data->data()), data->size());
    }
    EXPECT_EQ(joined, text);
}

TEST(MonitorCommand, NoOutputNoPackets) {
    EXPECT_TRUE(consoleOutputPackets("").empty());
}

}  // namespace
}  // namespace ntoy::gdb
