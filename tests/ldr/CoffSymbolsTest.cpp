// The COFF symbol table of an image file: short and long names, section-relative values,
// auxiliary records, and what is left out.
#include "kernel/ldr/CoffSymbols.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace ntoy::ldr {
namespace {

constexpr std::uint32_t kLfanew = 0x40;
constexpr std::uint32_t kTable = 0x200;

class SymbolFile {
public:
    SymbolFile() : bytes_(kTable) {
        put(offsetof(pe::ImageDosHeader, e_lfanew), kLfanew);
        std::memcpy(bytes_.data() + kLfanew, "PE\0\0", 4);
    }
    // One record; a name longer than 8 goes to the string table.
    void symbol(const std::string& name, std::uint32_t value, std::int16_t section,
                std::uint16_t type, std::uint8_t storageClass, std::uint8_t aux = 0) {
        std::array<std::byte, 18> r{};
        if (name.size() <= 8) {
            std::memcpy(r.data(), name.data(), name.size());
        } else {
            const auto offset = static_cast<std::uint32_t>(4 + strings_.size());
            std::memcpy(r.data() + 4, &offset, 4);
            strings_ += name + '\0';
        }
        std::memcpy(r.data() + 8, &value, 4);
        std::memcpy(r.data() + 12, &section, 2);
        std::memcpy(r.data() + 14, &type, 2);
        r[16] = std::byte{storageClass};
        r[17] = std::byte{aux};
        records_.insert(records_.end(), r.begin(), r.end());
        ++count_;
        for (int i = 0; i < aux; ++i) {
            records_.insert(records_.end(), 18, std::byte{0x2E});  // '.': junk if read as a name
            ++count_;
        }
    }
    std::vector<std::byte> bytes() {
        std::vector<std::byte> out = bytes_;
        pe::ImageFileHeader h{};
        h.PointerToSymbolTable = kTable;
        h.NumberOfSymbols = count_;
        std::memcpy(out.data() + kLfanew + 4, &h, sizeof h);
        out.insert(out.end(), records_.begin(), records_.end());
        const auto size = static_cast<std::uint32_t>(4 + strings_.size());
        const auto* s = reinterpret_cast<const std::byte*>(&size);
        out.insert(out.end(), s, s + 4);
        const auto* text = reinterpret_cast<const std::byte*>(strings_.data());
        out.insert(out.end(), text, text + strings_.size());
        return out;
    }

private:
    template <typename T>
    void put(std::size_t at, const T& v) {
        std::memcpy(bytes_.data() + at, &v, sizeof v);
    }
    std::vector<std::byte> bytes_;
    std::vector<std::byte> records_;
    std::string strings_;
    std::uint32_t count_ = 0;
};

const std::vector<Section> kSections = {{".text", 0x1000, 0x800, 0, 0, 0},
                                        {".data", 0x2000, 0x100, 0, 0, 0}};

TEST(CoffSymbols, DefinedSymbolsAtTheirRvas) {
    SymbolFile f;
    f.symbol("spin.c", 0, -2, 0, 103, 1);  // a file name, with its auxiliary record
    f.symbol("spin_inner", 0x10, 1, 0x20, 2, 1);
    f.symbol(".text", 0, 1, 0, 3, 1);  // a section symbol
    f.symbol("helper", 0x80, 1, 0x20, 3);
    f.symbol("counter", 0x8, 2, 0, 3);
    f.symbol("GetStdHandle", 0, 0, 0x20, 2);  // undefined: imported
    f.symbol("absolute", 0x1234, -1, 0, 2);
    const auto file = f.bytes();
    auto symbols = parseCoffSymbols(file, kSections);
    ASSERT_TRUE(symbols) << symbols.error().message;
    const std::vector<CoffSymbol> want = {{"spin_inner", 0x1010, true, true},
                                          {"helper", 0x1080, true, false},
                                          {"counter", 0x2008, false, false}};
    EXPECT_EQ(*symbols, want);
}

TEST(CoffSymbols, AnImageWithoutATableHasNoSymbols) {
    std::vector<std::byte> file(0x100);
    std::memcpy(file.data() + offsetof(pe::ImageDosHeader, e_lfanew), &kLfanew, 4);
    auto symbols = parseCoffSymbols(file, kSections);
    ASSERT_TRUE(symbols);
    EXPECT_TRUE(symbols->empty());
}

TEST(CoffSymbols, ATableOrANameOutsideTheFileIsAnError) {
    SymbolFile f;
    f.symbol("a_long_function_name", 0, 1, 0x20, 2);
    auto file = f.bytes();
    file.resize(file.size() - 8);  // the string table is cut short
    EXPECT_FALSE(parseCoffSymbols(file, kSections));
    file.resize(kTable + 10);  // the records are cut short
    auto cut = parseCoffSymbols(file, kSections);
    ASSERT_FALSE(cut);
    EXPECT_NE(cut.error().message.find("runs past the end of the file"), std::string::npos);
}

TEST(CoffSymbols, SectionNumbersPastTheSectionTableAreLeftOut) {
    SymbolFile f;
    f.symbol("nowhere", 0, 3, 0x20, 2);
    const auto file = f.bytes();
    auto symbols = parseCoffSymbols(file, kSections);
    ASSERT_TRUE(symbols);
    EXPECT_TRUE(symbols->empty());
}

}  // namespace
}  // namespace ntoy::ldr
