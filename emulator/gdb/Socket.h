// A connected stream socket that owns its descriptor: whole writes that never raise SIGPIPE,
// and reads that can wait or just look.
#pragma once

#include <string>
#include <string_view>

namespace ntoy::gdb {

class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(Socket&& other) noexcept;
    Socket& operator=(Socket&& other) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket();

    int fd() const { return fd_; }
    // Writes all of `data`; false once the peer has gone.
    bool sendAll(std::string_view data);

    enum class ReadStatus { Data, NothingYet, Closed };
    // Appends what has arrived to `out`, waiting up to `timeoutMs` for something (-1: as long
    // as it takes, 0: not at all). Closed when the peer hung up or the connection broke.
    ReadStatus receive(std::string& out, int timeoutMs);

private:
    int fd_;
};

}  // namespace ntoy::gdb
