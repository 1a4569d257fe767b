#include "emulator/gdb/Endpoint.h"

#include <fmt/format.h>

#include <charconv>

namespace ntoy::gdb {

std::expected<Endpoint, std::string> parseEndpoint(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return std::unexpected(fmt::format("bad address '{}': {} (want HOST:PORT)", text, why));
    };
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return bad("no port");
    std::string_view host = text.substr(0, colon);
    const std::string_view portText = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos)
        return bad("an IPv6 address goes in brackets");
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (portText.empty() || error != std::errc() || end != portText.data() + portText.size() ||
        port > 0xFFFF)
        return bad("the port is not a number from 0 to 65535");
    return Endpoint{host.empty() ? std::string("127.0.0.1") : std::string(host),
                    static_cast<std::uint16_t>(port)};
}

}  // namespace ntoy::gdb
