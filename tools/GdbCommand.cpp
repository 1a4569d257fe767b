#include "tools/GdbCommand.h"

#include <fmt/format.h>

#include "emulator/gdb/Endpoint.h"
#include "emulator/gdb/Listener.h"
#include "emulator/gdb/RemoteConnection.h"
#include "emulator/gdb/RemoteSession.h"

namespace ntoy::cli {

CLI::Option* addGdbOption(CLI::App& run, std::string& address) {
    return run
        .add_option("--gdb", address,
                    "Wait for gdb (target remote HOST:PORT) before the guest's first "
                    "instruction; port 0 picks a free one, an empty HOST is 127.0.0.1. If gdb "
                    "disconnects without detaching, the guest is ended; after `detach` it runs "
                    "to its end")
        ->type_name("HOST:PORT")
        ->check(CLI::Validator(
            [](std::string& text) {
                auto endpoint = gdb::parseEndpoint(text);
                return endpoint ? std::string() : endpoint.error();
            },
            ""));
}

std::expected<std::uint32_t, RunError> runUnderGdb(Kernel& kernel,
                                                   const std::filesystem::path& image,
                                                   const std::vector<std::string>& argv,
                                                   const std::filesystem::path& systemDir,
                                                   const std::string& address,
                                                   ke::KernelObserver* observer) {
    auto machineError = [](std::string message) {
        return std::unexpected(RunError{RunError::Kind::Machine, std::move(message)});
    };
    // Checked when the command line was parsed.
    const auto endpoint = gdb::parseEndpoint(address);
    if (!endpoint)
        return machineError(endpoint.error());
    kernel.setObserver(observer);  // the tracer hears the process start
    if (auto loaded = kernel.load(image, argv, systemDir); !loaded)
        return std::unexpected(loaded.error());
    if (!kernel.process()->cpu().debugTarget())
        return machineError("this machine's processor has no debug controls");
    auto listener = gdb::Listener::open(*endpoint);
    if (!listener)
        return machineError(listener.error());
    fmt::print(stderr, "ntoy: listening for gdb on {}\n", listener->address());
    std::fflush(stderr);
    auto socket = listener->accept();
    if (!socket)
        return machineError(socket.error());
    gdb::RemoteConnection connection(std::move(*socket));
    gdb::RemoteSession session(kernel, connection, std::filesystem::absolute(image).string(),
                               observer);
    return session.serve();
}

}  // namespace ntoy::cli
