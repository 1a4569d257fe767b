// The gdb remote serial protocol's framing: `$payload#cs` with a modulo-256 checksum in two
// hex digits, `+`/`-` acknowledgements, the 0x03 interrupt byte, and the `}` escape that
// binary data (the X packet, qXfer replies) uses for the four bytes framing reserves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntoy::gdb {

// The largest packet we accept, advertised to gdb as PacketSize in qSupported.
inline constexpr std::size_t kMaxPacketSize = 0x4000;

std::uint8_t checksum(std::string_view payload);
// `$payload#cs`. The payload must already be escaped where it carries binary data.
std::string frame(std::string_view payload);

// `#`, `$`, `}` and `*` (run-length marker in replies) become `}` then the byte XOR 0x20.
std::string escapeBinary(std::span<const std::byte> data);
// nullopt if the data ends inside an escape.
std::optional<std::vector<std::byte>> unescapeBinary(std::string_view escaped);

// What arrives from gdb, one unit at a time.
struct Inbound {
    enum class Kind : std::uint8_t {
        Packet,     // a well-formed packet; `payload` is its (still escaped) body
        Corrupt,    // a bad checksum or an oversized packet: ask for it again with `-`
        Interrupt,  // 0x03 outside a packet: gdb's Ctrl-C
        Ack,        // `+`
        Nack,       // `-`: resend the last packet
    };
    Kind kind;
    std::string payload;
};

// Splits the byte stream from gdb into Inbound units; bytes may arrive in any chunking.
class PacketReader {
public:
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // The next complete unit, or nullopt until more bytes arrive. Bytes between units that
    // mean nothing (line noise) are skipped.
    std::optional<Inbound> next();

private:
    std::string buffer_;
};

}  // namespace ntoy::gdb
