#include "kernel/ldr/AsciiText.h"

#include <algorithm>

namespace ntoy::ldr {

bool asciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b,
                              [](char x, char y) { return asciiToLower(x) == asciiToLower(y); });
}

std::string printableAscii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c < 0x20 || c > 0x7E) {
            c = '?';
        }
    }
    return out;
}

}  // namespace ntoy::ldr
