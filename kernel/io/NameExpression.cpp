#include "kernel/io/NameExpression.h"

#include <vector>

namespace ntoy::io {
namespace {

constexpr char16_t kDosStar = u'<', kDosQm = u'>', kDosDot = u'"';

}  // namespace

char16_t upcaseNameCharacter(char16_t c) {
    if ((c >= u'a' && c <= u'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return static_cast<char16_t>(c - 0x20);
    return c;
}

// Dynamic programming from the ends: after[n] says whether expression[e + 1..] matches
// name[n..], here[n] the same for expression[e..]. Time is the product of the lengths and
// memory a row, whatever the stars: a hostile mask costs no more than its length allows.
bool nameInExpression(std::u16string_view expression, std::u16string_view name) {
    const std::size_t length = name.size();
    const std::size_t lastDot = name.rfind(u'.');
    std::vector<char> after(length + 1, 0), here(length + 1, 0);
    after[length] = 1;  // the empty expression matches the empty rest
    for (std::size_t e = expression.size(); e-- > 0;) {
        const char16_t c = expression[e];
        for (std::size_t n = length + 1; n-- > 0;) {
            const bool more = n < length;
            bool m = false;
            switch (c) {
                case u'*':
                    m = after[n] || (more && here[n + 1]);
                    break;
                case u'?':
                    m = more && after[n + 1];
                    break;
                case kDosStar:  // consumes characters before the last '.'; with none, any
                    m = after[n] ||
                        (more && (lastDot == std::u16string_view::npos || n < lastDot) &&
                         here[n + 1]);
                    break;
                case kDosQm:
                    m = (!more || name[n] == u'.') ? after[n] : after[n + 1];
                    break;
                case kDosDot:
                    m = !more ? after[n] : (name[n] == u'.' && after[n + 1]);
                    break;
                default:
                    m = more && upcaseNameCharacter(c) == upcaseNameCharacter(name[n]) &&
                        after[n + 1];
                    break;
            }
            here[n] = m ? 1 : 0;
        }
        after.swap(here);
    }
    return after[0] != 0;
}

}  // namespace ntoy::io
