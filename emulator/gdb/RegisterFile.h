// The amd64 registers in gdb's numbering and byte layout (the order of its 64bit-core,
// 64bit-sse and 64bit-segments features), so that `g`/`G` carry them in one block and `p`/`P`
// address them by number. Values are little-endian, as the target stores them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ntoy::gdb {

enum RegisterNumber : unsigned {
    kRax,
    kRbx,
    kRcx,
    kRdx,
    kRsi,
    kRdi,
    kRbp,
    kRsp,
    kR8,
    kR15 = kR8 + 7,
    kRip,
    kEflags,
    kCs,
    kSs,
    kDs,
    kEs,
    kFs,
    kGs,
    kSt0,
    kFctrl = kSt0 + 8,
    kFstat,
    kFtag,
    kFiseg,
    kFioff,
    kFoseg,
    kFooff,
    kFop,
    kXmm0,
    kMxcsr = kXmm0 + 16,
    kFsBase,
    kGsBase,
    kRegisterCount
};

// One register as the target description declares it.
struct RegisterInfo {
    std::string_view name;
    unsigned bits;
    std::string_view type;   // a gdb type name, or one the description defines
    std::string_view group;  // empty for the default group
};

class RegisterFile {
public:
    static std::span<const RegisterInfo, kRegisterCount> layout();
    static std::size_t offset(unsigned n);
    static std::size_t size(unsigned n) { return layout()[n].bits / 8; }
    static constexpr std::size_t kBytes = 552;

    std::span<std::byte> bytes(unsigned n) { return std::span(bytes_).subspan(offset(n), size(n)); }
    std::span<const std::byte> bytes(unsigned n) const {
        return std::span(bytes_).subspan(offset(n), size(n));
    }
    // The low 8 bytes (all of them for the registers up to 64 bits), zero-extended.
    std::uint64_t value(unsigned n) const;
    // Sets the register's bytes from `v`, truncated to its size.
    void setValue(unsigned n, std::uint64_t v);

    // The `g` reply: every register, in order, as hex.
    std::string encode() const;
    // From a `G` packet, which must carry exactly every register.
    bool decode(std::string_view hex);
    // The `p` reply; nullopt for a register number gdb was not told of.
    std::optional<std::string> encodeOne(unsigned n) const;
    // From a `P n=value` packet: the value must be the register's exact size.
    bool decodeOne(unsigned n, std::string_view hex);

    bool operator==(const RegisterFile&) const = default;

private:
    std::array<std::byte, kBytes> bytes_{};
};

}  // namespace ntoy::gdb
