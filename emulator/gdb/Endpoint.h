// Where the stub listens: `--gdb HOST:PORT`, as gdbserver spells it.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntoy::gdb {

struct Endpoint {
    std::string host;    // a name or a numeric address; IPv6 without its brackets
    std::uint16_t port;  // 0: any free port
};

// "HOST:PORT", "[IPv6]:PORT", or ":PORT" for the loopback address (a debugger stub should
// not face the network unless asked to).
std::expected<Endpoint, std::string> parseEndpoint(std::string_view text);

}  // namespace ntoy::gdb
