#include "emulator/gdb/Listener.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ntoy::gdb {
namespace {

std::string joinHostPort(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

std::uint16_t boundPort(int fd) {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
        return 0;
    if (addr.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

std::expected<Listener, std::string> Listener::open(const Endpoint& endpoint) {
    const std::string where = joinHostPort(endpoint.host, endpoint.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(endpoint.port);
    if (int e = ::getaddrinfo(endpoint.host.c_str(), service.c_str(), &hints, &found); e != 0)
        return std::unexpected(fmt::format("cannot listen on {}: {}", where, ::gai_strerror(e)));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    std::string error = "no address";
    for (const addrinfo* a = list.get(); a; a = a->ai_next) {
        Socket socket(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (socket.fd() < 0) {
            error = std::strerror(errno);
            continue;
        }
        // A stub restarted on the same port must not wait out TIME_WAIT.
        const int on = 1;
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (::bind(socket.fd(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(socket.fd(), 1) != 0) {
            error = std::strerror(errno);
            continue;
        }
        std::string address = joinHostPort(endpoint.host, boundPort(socket.fd()));
        return Listener(std::move(socket), std::move(address));
    }
    return std::unexpected(fmt::format("cannot listen on {}: {}", where, error));
}

std::expected<Socket, std::string> Listener::accept() {
    for (;;) {
        const int fd = ::accept4(socket_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            return std::unexpected(
                fmt::format("accepting gdb's connection: {}", std::strerror(errno)));
        // Packets are small and each waits for an answer: send them at once.
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        return Socket(fd);
    }
}

}  // namespace ntoy::gdb
