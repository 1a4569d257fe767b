// Fuzz target: the byte stream a hostile gdb sends the stub.
//
// Each input is everything "gdb" says in one session, framing and all: packets with good or
// bad checksums, acknowledgements, Ctrl-C bytes, noise. It goes down a socket pair to a real
// RemoteSession over a freshly loaded hello.exe on the real machine, exactly as `ntoy run
// --gdb` serves a connection; then the line closes, as when gdb goes. Whatever the packets
// asked for (registers and memory written, breakpoints, steps, resumes, monitor commands), the
// session must end without a crash, a hang or a bug check, and leave the memory manager's
// invariants whole. The stub's replies are read and dropped.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <thread>

#include "emulator/gdb/RemoteConnection.h"
#include "emulator/gdb/RemoteSession.h"
#include "fuzz/FuzzSupport.h"
#include "fuzz/LiveGuest.h"

namespace ntoy::fuzz {
namespace {

// gdb's end of the line: sends `input`, then shuts its sending side, reading (and dropping)
// whatever the stub answers until the stub closes the line. Sending and reading interleave,
// so that neither side can block the other with a full socket buffer.
void playGdb(int fd, std::string_view input) {
    bool sending = !input.empty();
    if (!sending)
        ::shutdown(fd, SHUT_WR);
    for (;;) {
        pollfd p{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
        if (::poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sending && (p.revents & POLLOUT)) {
            const ssize_t n = ::send(fd, input.data(), input.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                input.remove_prefix(static_cast<std::size_t>(n));
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) {
                sending = false;
                ::shutdown(fd, SHUT_WR);
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buffer[4096];
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                break;
        }
    }
    ::close(fd);
}

}  // namespace
}  // namespace ntoy::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ntoy;
    fuzz::LiveGuest& live = fuzz::LiveGuest::get();
    live.loadFresh();
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        fuzz::fail("cannot make a socket pair");
    std::thread gdb(fuzz::playGdb, fds[1],
                    std::string_view(reinterpret_cast<const char*>(data), size));
    {
        gdb::RemoteConnection connection{gdb::Socket(fds[0])};
        gdb::RemoteSession session(live.kernel(), connection, live.image().string());
        const auto served = session.serve();
        if (!served && served.error().kind == RunError::Kind::BugCheck)
            fuzz::checkKernel(live.kernel());  // says which, and aborts
        if (!served)
            fuzz::fail(fmt::format("the session failed the machine: {}", served.error().message));
    }  // the stub's end closes here, as when ntoy is done with gdb
    gdb.join();
    fuzz::checkKernel(live.kernel());
    return 0;
}
