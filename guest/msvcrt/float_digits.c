/* Exact conversions between doubles and decimal, on big integers, so that no digit depends on
 * floating-point arithmetic: crt_double_digits (printf's digits) and crt_decimal_to_double
 * (strtod's rounding). A double is m * 2^e with a 53-bit m; its decimal expansion is finite,
 * at most 767 significant digits, and is computed whole before rounding. */
#include "msvcrt_private.h"

/* Little-endian 32-bit words; 240 words hold 7680 bits, enough for 800 decimal digits
 * times 10^1100, the largest product the two conversions form. */
#define BIG_WORDS 240

typedef struct {
    int length; /* words in use; the top one is nonzero, or length is 0 */
    uint32_t word[BIG_WORDS];
} big;

static void big_set(big* b, uint64_t value) {
    b->length = 0;
    while (value != 0) {
        b->word[b->length++] = (uint32_t)value;
        value >>= 32;
    }
}

static void big_mul_small(big* b, uint32_t factor) {
    uint64_t carry = 0;
    for (int i = 0; i < b->length; i++) {
        uint64_t product = (uint64_t)b->word[i] * factor + carry;
        b->word[i] = (uint32_t)product;
        carry = product >> 32;
    }
    if (carry != 0 && b->length < BIG_WORDS) {
        b->word[b->length++] = (uint32_t)carry;
    }
}

static void big_add_small(big* b, uint32_t addend) {
    uint64_t carry = addend;
    for (int i = 0; i < b->length && carry != 0; i++) {
        uint64_t sum = (uint64_t)b->word[i] + carry;
        b->word[i] = (uint32_t)sum;
        carry = sum >> 32;
    }
    if (carry != 0 && b->length < BIG_WORDS) {
        b->word[b->length++] = (uint32_t)carry;
    }
}

static void big_mul_pow5(big* b, int exponent) {
    while (exponent >= 13) {
        big_mul_small(b, 1220703125u); /* 5^13 */
        exponent -= 13;
    }
    uint32_t factor = 1;
    while (exponent-- > 0) {
        factor *= 5;
    }
    big_mul_small(b, factor);
}

static void big_mul_pow10(big* b, int exponent) {
    while (exponent >= 9) {
        big_mul_small(b, 1000000000u);
        exponent -= 9;
    }
    uint32_t factor = 1;
    while (exponent-- > 0) {
        factor *= 10;
    }
    big_mul_small(b, factor);
}

static void big_shift_left(big* b, int bits) {
    if (b->length == 0 || bits <= 0) {
        return;
    }
    int words = bits / 32, rest = bits % 32;
    int length = b->length + words + 1;
    if (length > BIG_WORDS) {
        length = BIG_WORDS;
    }
    for (int i = length - 1; i >= 0; i--) {
        int from = i - words;
        uint32_t high = (from >= 0 && from < b->length) ? b->word[from] : 0;
        uint32_t low = (from - 1 >= 0 && from - 1 < b->length) ? b->word[from - 1] : 0;
        b->word[i] = rest == 0 ? high : (high << rest) | (low >> (32 - rest));
    }
    b->length = length;
    while (b->length > 0 && b->word[b->length - 1] == 0) {
        b->length--;
    }
}

static void big_shift_right1(big* b) {
    for (int i = 0; i < b->length; i++) {
        uint32_t next = i + 1 < b->length ? b->word[i + 1] : 0;
        b->word[i] = (b->word[i] >> 1) | (next << 31);
    }
    while (b->length > 0 && b->word[b->length - 1] == 0) {
        b->length--;
    }
}

static int big_bits(const big* b) {
    if (b->length == 0) {
        return 0;
    }
    return (b->length - 1) * 32 + (32 - __builtin_clz(b->word[b->length - 1]));
}

static int big_compare(const big* a, const big* b) {
    if (a->length != b->length) {
        return a->length < b->length ? -1 : 1;
    }
    for (int i = a->length - 1; i >= 0; i--) {
        if (a->word[i] != b->word[i]) {
            return a->word[i] < b->word[i] ? -1 : 1;
        }
    }
    return 0;
}

/* A -= B, where A >= B. */
static void big_subtract(big* a, const big* b) {
    int64_t borrow = 0;
    for (int i = 0; i < a->length; i++) {
        int64_t difference = (int64_t)a->word[i] - (i < b->length ? b->word[i] : 0) - borrow;
        borrow = difference < 0;
        a->word[i] = (uint32_t)(difference + (borrow ? ((int64_t)1 << 32) : 0));
    }
    while (a->length > 0 && a->word[a->length - 1] == 0) {
        a->length--;
    }
}

/* B /= 10^9; returns the remainder. */
static uint32_t big_div_billion(big* b) {
    uint64_t remainder = 0;
    for (int i = b->length - 1; i >= 0; i--) {
        uint64_t current = (remainder << 32) | b->word[i];
        b->word[i] = (uint32_t)(current / 1000000000u);
        remainder = current % 1000000000u;
    }
    while (b->length > 0 && b->word[b->length - 1] == 0) {
        b->length--;
    }
    return (uint32_t)remainder;
}

int crt_double_digits(double value, int max_digits, char* digits, int* exponent) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    int biased = (int)((bits >> 52) & 0x7FF);
    uint64_t mantissa = bits & ((1ull << 52) - 1);
    int e2;
    if (biased == 0) {
        e2 = -1074;
    } else {
        mantissa |= 1ull << 52;
        e2 = biased - 1075;
    }
    /* value = mantissa * 2^e2 = N * 10^scale with N an integer. */
    big n;
    big_set(&n, mantissa);
    int scale = 0;
    if (e2 >= 0) {
        big_shift_left(&n, e2);
    } else {
        big_mul_pow5(&n, -e2);
        scale = e2;
    }
    /* N's decimal digits, nine at a time from the low end. */
    char all[800];
    int count = 0;
    char chunk_text[9];
    while (n.length > 0) {
        uint32_t chunk = big_div_billion(&n);
        for (int i = 0; i < 9; i++) {
            chunk_text[i] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
        for (int i = 0; i < 9; i++) {
            all[count++] = chunk_text[i]; /* reversed for now */
        }
    }
    while (count > 1 && all[count - 1] == '0') {
        count--; /* leading zeros of the top chunk */
    }
    for (int i = 0; i < count / 2; i++) {
        char c = all[i];
        all[i] = all[count - 1 - i];
        all[count - 1 - i] = c;
    }
    int first = count - 1 + scale;
    int used = count < max_digits ? count : max_digits;
    memcpy(digits, all, (size_t)used);
    if (count > max_digits && all[max_digits] >= '5') {
        /* Half-up at the last digit kept. */
        int i = used - 1;
        while (i >= 0 && digits[i] == '9') {
            digits[i--] = '0';
        }
        if (i >= 0) {
            digits[i]++;
        } else {
            digits[0] = '1';
            first++;
        }
    }
    while (used > 1 && digits[used - 1] == '0') {
        used--;
    }
    *exponent = first;
    return used;
}

double crt_decimal_to_double(const char* digits, int count, int exponent) {
    while (count > 0 && *digits == '0') {
        digits++;
        count--;
    }
    while (count > 0 && digits[count - 1] == '0') {
        count--;
        exponent++;
    }
    if (count == 0) {
        return 0.0;
    }
    /* Past these the result is infinite or zero whatever the digits. */
    if (count + exponent > 310) {
        return __builtin_inf();
    }
    if (count + exponent < -330) {
        return 0.0;
    }
    /* 780 digits decide the rounding; any beyond only say "a little more", which a sticky
     * digit 1 keeps. */
    big numerator, denominator;
    big_set(&numerator, 0);
    int kept = count > 780 ? 780 : count;
    for (int i = 0; i < kept; i++) {
        big_mul_small(&numerator, 10);
        big_add_small(&numerator, (uint32_t)(digits[i] - '0'));
    }
    exponent += count - kept;
    if (count > kept) {
        big_mul_small(&numerator, 10);
        big_add_small(&numerator, 1);
        exponent--;
    }
    big_set(&denominator, 1);
    if (exponent >= 0) {
        big_mul_pow10(&numerator, exponent);
    } else {
        big_mul_pow10(&denominator, -exponent);
    }
    /* Scale so that the quotient has 63 or 64 bits: value = q * 2^-k. */
    int k = 63 - (big_bits(&numerator) - big_bits(&denominator));
    if (k >= 0) {
        big_shift_left(&numerator, k);
    } else {
        big_shift_left(&denominator, -k);
    }
    uint64_t q = 0;
    big shifted = denominator;
    big_shift_left(&shifted, 64);
    for (int bit = 64; bit >= 0; bit--) {
        if (big_compare(&numerator, &shifted) >= 0) {
            big_subtract(&numerator, &shifted);
            if (bit < 64) {
                q |= 1ull << bit;
            }
        }
        big_shift_right1(&shifted);
    }
    int sticky = numerator.length != 0;
    int bits = 64 - __builtin_clzll(q);
    int e2 = bits - 1 - k; /* value = 1.xxx * 2^e2 */
    if (e2 > 1023) {
        return __builtin_inf();
    }
    int keep = e2 >= -1022 ? 53 : 53 - (-1022 - e2);
    if (keep < 0) {
        return 0.0;
    }
    int drop = bits - keep;
    uint64_t mant, rest, half;
    if (drop <= 0) {
        mant = q << -drop;
        rest = 0;
        half = 1;
    } else if (drop < 64) {
        mant = q >> drop;
        rest = q & ((1ull << drop) - 1);
        half = 1ull << (drop - 1);
    } else {
        mant = 0;
        rest = q;
        half = 1ull << 63;
        sticky |= drop > 64;
        if (drop > 64) {
            return 0.0;
        }
    }
    if (rest > half || (rest == half && (sticky || (mant & 1)))) {
        mant++;
    }
    uint64_t result;
    if (e2 >= -1022) {
        if (mant >> 53) {
            mant >>= 1;
            e2++;
            if (e2 > 1023) {
                return __builtin_inf();
            }
        }
        result = ((uint64_t)(e2 + 1023) << 52) | (mant & ((1ull << 52) - 1));
    } else {
        result = mant; /* a carry into bit 52 makes it the smallest normal, as it should */
    }
    double d;
    memcpy(&d, &result, sizeof d);
    return d;
}
