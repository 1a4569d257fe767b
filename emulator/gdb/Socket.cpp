#include "emulator/gdb/Socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace ntoy::gdb {

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Socket::~Socket() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool Socket::sendAll(std::string_view data) {
    while (!data.empty()) {
        // MSG_NOSIGNAL: a gdb that went away must not kill us with SIGPIPE.
        const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Socket::ReadStatus Socket::receive(std::string& out, int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
        const int ready = ::poll(&p, 1, timeoutMs);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return ReadStatus::Closed;
        if (ready == 0)
            return ReadStatus::NothingYet;
        break;
    }
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ReadStatus::Closed;
        out.append(buffer, static_cast<std::size_t>(n));
        return ReadStatus::Data;
    }
}

}  // namespace ntoy::gdb
