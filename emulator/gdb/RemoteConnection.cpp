#include "emulator/gdb/RemoteConnection.h"

namespace ntoy::gdb {

std::optional<Inbound> RemoteConnection::nextUnit() {
    while (auto unit = reader_.next()) {
        switch (unit->kind) {
            case Inbound::Kind::Ack:
                break;
            case Inbound::Kind::Nack:
                if (open_ && !lastSent_.empty())
                    open_ = socket_.sendAll(lastSent_);
                break;
            case Inbound::Kind::Corrupt:
                if (open_ && acknowledging_)
                    open_ = socket_.sendAll("-");
                break;
            case Inbound::Kind::Packet:
                if (open_ && acknowledging_)
                    open_ = socket_.sendAll("+");
                return unit;
            case Inbound::Kind::Interrupt:
                return unit;
        }
    }
    return std::nullopt;
}

std::optional<std::string> RemoteConnection::receive() {
    for (;;) {
        if (!early_.empty()) {
            std::string packet = std::move(early_.front());
            early_.pop_front();
            return packet;
        }
        if (auto unit = nextUnit()) {
            // A Ctrl-C while the guest is stopped has nothing to interrupt.
            if (unit->kind == Inbound::Kind::Packet)
                return std::move(unit->payload);
            continue;
        }
        if (!open_)
            return std::nullopt;
        std::string bytes;
        if (socket_.receive(bytes, -1) == Socket::ReadStatus::Closed) {
            open_ = false;
            return std::nullopt;
        }
        reader_.feed(bytes);
    }
}

bool RemoteConnection::send(std::string_view payload) {
    if (!open_)
        return false;
    lastSent_ = frame(payload);
    open_ = socket_.sendAll(lastSent_);
    return open_;
}

RemoteConnection::Activity RemoteConnection::poll() {
    if (!open_)
        return Activity::Closed;
    std::string bytes;
    if (socket_.receive(bytes, 0) == Socket::ReadStatus::Closed) {
        open_ = false;
        return Activity::Closed;
    }
    reader_.feed(bytes);
    Activity activity = Activity::None;
    while (auto unit = nextUnit()) {
        if (unit->kind == Inbound::Kind::Interrupt)
            activity = Activity::Interrupt;
        else
            early_.push_back(std::move(unit->payload));
    }
    return open_ ? activity : Activity::Closed;
}

}  // namespace ntoy::gdb
