#include "emulator/gdb/PacketFraming.h"

#include <fmt/format.h>

#include "emulator/gdb/Hex.h"

namespace ntoy::gdb {
namespace {

constexpr char kEscape = '}';
constexpr std::uint8_t kEscapeXor = 0x20;
constexpr char kInterrupt = '\x03';

bool needsEscape(char c) {
    return c == '#' || c == '$' || c == '}' || c == '*';
}

}  // namespace

std::uint8_t checksum(std::string_view payload) {
    std::uint8_t sum = 0;
    for (char c : payload)
        sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(c));
    return sum;
}

std::string frame(std::string_view payload) {
    return fmt::format("${}#{:02x}", payload, checksum(payload));
}

std::string escapeBinary(std::span<const std::byte> data) {
    std::string out;
    out.reserve(data.size());
    for (std::byte b : data) {
        const char c = static_cast<char>(b);
        if (needsEscape(c)) {
            out += kEscape;
            out += static_cast<char>(c ^ kEscapeXor);
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::vector<std::byte>> unescapeBinary(std::string_view escaped) {
    std::vector<std::byte> out;
    out.reserve(escaped.size());
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        char c = escaped[i];
        if (c == kEscape) {
            if (++i == escaped.size())
                return std::nullopt;
            c = static_cast<char>(escaped[i] ^ kEscapeXor);
        }
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

std::optional<Inbound> PacketReader::next() {
    // Skip noise up to something meaningful.
    constexpr char kLeads[] = {'$', '+', '-', kInterrupt};
    const std::size_t start = buffer_.find_first_of(std::string_view(kLeads, sizeof kLeads));
    if (start == std::string::npos) {
        buffer_.clear();
        return std::nullopt;
    }
    buffer_.erase(0, start);
    const char lead = buffer_.front();
    if (lead != '$') {
        buffer_.erase(0, 1);
        if (lead == '+')
            return Inbound{Inbound::Kind::Ack, {}};
        if (lead == '-')
            return Inbound{Inbound::Kind::Nack, {}};
        return Inbound{Inbound::Kind::Interrupt, {}};
    }
    const std::size_t hash = buffer_.find('#', 1);
    // A `$` never occurs raw inside a packet: one before the `#` starts a new packet and the
    // earlier one was cut short.
    if (const std::size_t restart = buffer_.find('$', 1);
        restart != std::string::npos && restart < hash) {
        buffer_.erase(0, restart);
        return Inbound{Inbound::Kind::Corrupt, {}};
    }
    if (hash == std::string::npos) {
        // Twice the advertised size leaves room for escapes; anything longer is not gdb.
        if (buffer_.size() > 2 * kMaxPacketSize) {
            buffer_.clear();
            return Inbound{Inbound::Kind::Corrupt, {}};
        }
        return std::nullopt;
    }
    if (buffer_.size() < hash + 3)
        return std::nullopt;
    std::string payload = buffer_.substr(1, hash - 1);
    const auto sent = parseHexNumber(std::string_view(buffer_).substr(hash + 1, 2));
    buffer_.erase(0, hash + 3);
    if (!sent || *sent != checksum(payload))
        return Inbound{Inbound::Kind::Corrupt, {}};
    return Inbound{Inbound::Kind::Packet, std::move(payload)};
}

}  // namespace ntoy::gdb
