// The commands behind runExtension, one per file. Each gets the words after its name and
// returns its output or a one-line message.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace ntoy {
class Kernel;
}

namespace ntoy::kd {

using ExtensionResult = std::expected<std::string, std::string>;
using ExtensionArguments = std::span<const std::string_view>;

ExtensionResult pteCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult vadCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult addressCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult pfnCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult vmCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult memusageCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult verifyCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult tebCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult pebCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult processCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult wsleCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult poolCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult poolusedCommand(Kernel& kernel, ExtensionArguments args);
ExtensionResult poolfindCommand(Kernel& kernel, ExtensionArguments args);

}  // namespace ntoy::kd
