// The stub's listening TCP socket: bound before gdb is told where to connect, so a port of 0
// can be resolved to the one the system picked.
#pragma once

#include <expected>
#include <string>

#include "emulator/gdb/Endpoint.h"
#include "emulator/gdb/Socket.h"

namespace ntoy::gdb {

class Listener {
public:
    static std::expected<Listener, std::string> open(const Endpoint& endpoint);

    // HOST:PORT with the port actually bound, as gdb's `target remote` takes it.
    const std::string& address() const { return address_; }
    // Waits for one connection.
    std::expected<Socket, std::string> accept();

private:
    Listener(Socket socket, std::string address)
        : socket_(std::move(socket)), address_(std::move(address)) {}
    Socket socket_;
    std::string address_;
};

}  // namespace ntoy::gdb
