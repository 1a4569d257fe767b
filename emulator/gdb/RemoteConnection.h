// gdb's end of the conversation: packets in and out over the socket, with the `+`/`-`
// acknowledgements until QStartNoAckMode turns them off, and a look at the line while the
// guest runs for gdb's Ctrl-C.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/gdb/PacketFraming.h"
#include "emulator/gdb/Socket.h"

namespace ntoy::gdb {

class RemoteConnection {
public:
    explicit RemoteConnection(Socket socket) : socket_(std::move(socket)) {}

    // Waits for the next packet and acknowledges it; nullopt once gdb has gone.
    std::optional<std::string> receive();
    // Sends one packet (kept for a resend if gdb asks for one); false once gdb has gone.
    bool send(std::string_view payload);
    // After the reply to QStartNoAckMode: neither side acknowledges any more.
    void stopAcknowledging() { acknowledging_ = false; }

    enum class Activity : std::uint8_t { None, Interrupt, Closed };
    // Does not wait: takes what gdb has sent, and says whether it was a Ctrl-C or a hang-up.
    // Packets that came with it are kept for receive().
    Activity poll();
    bool isOpen() const { return open_; }

private:
    // Handles acknowledgements; returns a packet or an interrupt, nullopt when the reader is
    // out of bytes.
    std::optional<Inbound> nextUnit();

    Socket socket_;
    PacketReader reader_;
    std::deque<std::string> early_;  // packets that arrived while the guest ran
    std::string lastSent_;
    bool acknowledging_ = true;
    bool open_ = true;
};

}  // namespace ntoy::gdb
