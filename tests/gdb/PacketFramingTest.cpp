#include "emulator/gdb/PacketFraming.h"

#include <gtest/gtest.h>

namespace ntoy::gdb {
namespace {

std::span<const std::byte> asBytes(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(PacketFraming, ChecksumIsTheByteSumModulo256) {
    EXPECT_EQ(checksum(""), 0);
    EXPECT_EQ(checksum("OK"), 0x9a);
    EXPECT_EQ(checksum(std::string(300, '\xff')), (300 * 0xff) % 256);
}

TEST(PacketFraming, FramesWithTwoHexDigits) {
    EXPECT_EQ(frame("OK"), "$OK#9a");
    EXPECT_EQ(frame(""), "$#00");
    EXPECT_EQ(frame("qSupported"), "$qSupported#37");
}

TEST(PacketFraming, EscapesTheFourReservedBytes) {
    EXPECT_EQ(escapeBinary(asBytes("a#b$c}d*e")),
              "a}\x03"
              "b}\x04"
              "c}]d}\x0a"
              "e");
    EXPECT_EQ(escapeBinary(asBytes("plain")), "plain");
}

TEST(PacketFraming, UnescapingUndoesEscaping) {
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    const auto back = unescapeBinary(escapeBinary(asBytes(all)));
    ASSERT_TRUE(back);
    EXPECT_TRUE(std::ranges::equal(*back, asBytes(all)));
}

TEST(PacketFraming, UnescapingRefusesADanglingEscape) {
    EXPECT_FALSE(unescapeBinary("ab}"));
}

TEST(PacketReader, ReadsAPacketSplitAcrossChunks) {
    PacketReader reader;
    reader.feed("$qSuppor");
    EXPECT_FALSE(reader.next());
    reader.feed("ted#3");
    EXPECT_FALSE(reader.next());
    reader.feed("7");
    const auto unit = reader.next();
    ASSERT_TRUE(unit);
    EXPECT_EQ(unit->kind, Inbound::Kind::Packet);
    EXPECT_EQ(unit->payload, "qSupported");
    EXPECT_FALSE(reader.next());
}

TEST(PacketReader, SeparatesAcksInterruptsAndPackets) {
    PacketReader reader;
    reader.feed("+-\x03$g#67+");
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Ack);
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Nack);
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Interrupt);
    const auto packet = reader.next();
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->kind, Inbound::Kind::Packet);
    EXPECT_EQ(packet->payload, "g");
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Ack);
    EXPECT_FALSE(reader.next());
}

TEST(PacketReader, ReportsABadChecksumAndGoesOn) {
    PacketReader reader;
    reader.feed("$g#00$g#67");
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Corrupt);
    EXPECT_EQ(reader.next()->payload, "g");
}

TEST(PacketReader, SkipsLineNoiseBetweenUnits) {
    PacketReader reader;
    reader.feed("\r\nxyz$g#67");
    const auto packet = reader.next();
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->payload, "g");
}

TEST(PacketReader, AnInterruptByteInsideAPacketIsData) {
    // An escaped '#' is 0x03 on the wire: it must not read as Ctrl-C.
    const std::string body = "X0,1:}\x03";
    PacketReader reader;
    reader.feed(frame(body));
    const auto packet = reader.next();
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->kind, Inbound::Kind::Packet);
    EXPECT_EQ(packet->payload, body);
}

TEST(PacketReader, APacketCutShortByANewOneIsCorrupt) {
    PacketReader reader;
    reader.feed("$m10,$g#67");
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Corrupt);
    EXPECT_EQ(reader.next()->payload, "g");
}

TEST(PacketReader, DropsAnEndlessPacket) {
    PacketReader reader;
    reader.feed("$" + std::string(2 * kMaxPacketSize + 1, 'a'));
    EXPECT_EQ(reader.next()->kind, Inbound::Kind::Corrupt);
    reader.feed("$g#67");
    EXPECT_EQ(reader.next()->payload, "g");
}

}  // namespace
}  // namespace ntoy::gdb
