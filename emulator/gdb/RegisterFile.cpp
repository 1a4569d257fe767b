#include "emulator/gdb/RegisterFile.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "emulator/gdb/Hex.h"

namespace ntoy::gdb {
namespace {

static_assert(std::endian::native == std::endian::little, "register bytes are copied as is");

constexpr std::array<RegisterInfo, kRegisterCount> kLayout = {{
    {"rax", 64, "int64", ""},
    {"rbx", 64, "int64", ""},
    {"rcx", 64, "int64", ""},
    {"rdx", 64, "int64", ""},
    {"rsi", 64, "int64", ""},
    {"rdi", 64, "int64", ""},
    {"rbp", 64, "data_ptr", ""},
    {"rsp", 64, "data_ptr", ""},
    {"r8", 64, "int64", ""},
    {"r9", 64, "int64", ""},
    {"r10", 64, "int64", ""},
    {"r11", 64, "int64", ""},
    {"r12", 64, "int64", ""},
    {"r13", 64, "int64", ""},
    {"r14", 64, "int64", ""},
    {"r15", 64, "int64", ""},
    {"rip", 64, "code_ptr", ""},
    {"eflags", 32, "i386_eflags", ""},
    {"cs", 32, "int32", ""},
    {"ss", 32, "int32", ""},
    {"ds", 32, "int32", ""},
    {"es", 32, "int32", ""},
    {"fs", 32, "int32", ""},
    {"gs", 32, "int32", ""},
    {"st0", 80, "i387_ext", ""},
    {"st1", 80, "i387_ext", ""},
    {"st2", 80, "i387_ext", ""},
    {"st3", 80, "i387_ext", ""},
    {"st4", 80, "i387_ext", ""},
    {"st5", 80, "i387_ext", ""},
    {"st6", 80, "i387_ext", ""},
    {"st7", 80, "i387_ext", ""},
    {"fctrl", 32, "int", "float"},
    {"fstat", 32, "int", "float"},
    {"ftag", 32, "int", "float"},
    {"fiseg", 32, "int", "float"},
    {"fioff", 32, "int", "float"},
    {"foseg", 32, "int", "float"},
    {"fooff", 32, "int", "float"},
    {"fop", 32, "int", "float"},
    {"xmm0", 128, "vec128", ""},
    {"xmm1", 128, "vec128", ""},
    {"xmm2", 128, "vec128", ""},
    {"xmm3", 128, "vec128", ""},
    {"xmm4", 128, "vec128", ""},
    {"xmm5", 128, "vec128", ""},
    {"xmm6", 128, "vec128", ""},
    {"xmm7", 128, "vec128", ""},
    {"xmm8", 128, "vec128", ""},
    {"xmm9", 128, "vec128", ""},
    {"xmm10", 128, "vec128", ""},
    {"xmm11", 128, "vec128", ""},
    {"xmm12", 128, "vec128", ""},
    {"xmm13", 128, "vec128", ""},
    {"xmm14", 128, "vec128", ""},
    {"xmm15", 128, "vec128", ""},
    {"mxcsr", 32, "i386_mxcsr", "vector"},
    {"fs_base", 64, "int", ""},
    {"gs_base", 64, "int", ""},
}};

constexpr std::array<std::size_t, kRegisterCount + 1> kOffsets = [] {
    std::array<std::size_t, kRegisterCount + 1> offsets{};
    for (unsigned n = 0; n < kRegisterCount; ++n)
        offsets[n + 1] = offsets[n] + kLayout[n].bits / 8;
    return offsets;
}();
static_assert(kOffsets[kRegisterCount] == RegisterFile::kBytes);

}  // namespace

std::span<const RegisterInfo, kRegisterCount> RegisterFile::layout() {
    return kLayout;
}

std::size_t RegisterFile::offset(unsigned n) {
    return kOffsets[n];
}

std::uint64_t RegisterFile::value(unsigned n) const {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + offset(n), std::min<std::size_t>(size(n), sizeof v));
    return v;
}

void RegisterFile::setValue(unsigned n, std::uint64_t v) {
    auto out = bytes(n);
    std::ranges::fill(out, std::byte{0});
    std::memcpy(out.data(), &v, std::min(out.size(), sizeof v));
}

std::string RegisterFile::encode() const {
    return toHex(bytes_);
}

bool RegisterFile::decode(std::string_view hex) {
    auto data = fromHex(hex);
    if (!data || data->size() != kBytes)
        return false;
    std::ranges::copy(*data, bytes_.begin());
    return true;
}

std::optional<std::string> RegisterFile::encodeOne(unsigned n) const {
    if (n >= kRegisterCount)
        return std::nullopt;
    return toHex(bytes(n));
}

bool RegisterFile::decodeOne(unsigned n, std::string_view hex) {
    if (n >= kRegisterCount)
        return false;
    auto data = fromHex(hex);
    if (!data || data->size() != size(n))
        return false;
    std::ranges::copy(*data, bytes(n).begin());
    return true;
}

}  // namespace ntoy::gdb
