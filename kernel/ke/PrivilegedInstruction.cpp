#include "kernel/ke/PrivilegedInstruction.h"

namespace ntoy::ke {
namespace {

bool isPrefix(std::uint8_t b) {
    switch (b) {
        case 0x26:
        case 0x2E:
        case 0x36:
        case 0x3E:
        case 0x64:
        case 0x65:
        case 0x66:
        case 0x67:
        case 0xF0:
        case 0xF2:
        case 0xF3:
            return true;
        default:
            return (b & 0xF0) == 0x40;  // REX
    }
}

}  // namespace

bool isPrivilegedInstruction(std::span<const std::uint8_t> code) {
    std::size_t i = 0;
    while (i < code.size() && isPrefix(code[i]))
        ++i;
    if (i >= code.size())
        return false;
    const std::uint8_t op = code[i];
    switch (op) {
        case 0xF4:  // hlt
        case 0xFA:  // cli
        case 0xFB:  // sti
        case 0x6C:
        case 0x6D:
        case 0x6E:
        case 0x6F:  // ins, outs
        case 0xE4:
        case 0xE5:
        case 0xE6:
        case 0xE7:  // in, out imm8
        case 0xEC:
        case 0xED:
        case 0xEE:
        case 0xEF:  // in, out dx
            return true;
        case 0x0F:
            break;
        default:
            return false;
    }
    if (i + 1 >= code.size())
        return false;
    const std::uint8_t op2 = code[i + 1];
    const unsigned reg = i + 2 < code.size() ? (code[i + 2] >> 3) & 7 : 8;
    const unsigned mod = i + 2 < code.size() ? code[i + 2] >> 6 : 0;
    switch (op2) {
        case 0x06:  // clts
        case 0x07:  // sysret
        case 0x08:  // invd
        case 0x09:  // wbinvd
        case 0x20:
        case 0x21:
        case 0x22:
        case 0x23:  // mov to/from CR, DR
        case 0x30:  // wrmsr
        case 0x32:  // rdmsr
        case 0x35:  // sysexit
            return true;
        case 0x00:  // lldt /2, ltr /3
            return reg == 2 || reg == 3;
        case 0x01:  // lgdt /2, lidt /3, lmsw /6, invlpg /7 (memory forms)
            return (reg == 2 || reg == 3 || reg == 6 || reg == 7) && mod != 3;
        default:
            return false;
    }
}

}  // namespace ntoy::ke
