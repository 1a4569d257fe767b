// x64 unwinding: the function table, UNWIND_INFO decoding and one-frame virtual unwinds on
// a small laid-out image built here, with a stack held in a map.
#include "kernel/rtl/Unwind.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

namespace ntoy::rtl {
namespace {

constexpr std::uint64_t kBase = 0x140000000;
constexpr std::uint32_t kCode = 0x1000;
constexpr std::uint32_t kPdata = 0x2000;
constexpr std::uint32_t kXdata = 0x2400;

enum Reg : std::uint8_t { Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12 };

// A slot of an UNWIND_CODE array.
std::uint16_t code(std::uint8_t prologOffset, UnwindOp op, std::uint8_t info) {
    return static_cast<std::uint16_t>(prologOffset | (static_cast<unsigned>(op) << 8) |
                                      (info << 12));
}

class Image {
public:
    Image() : bytes_(0x3000) {}

    template <typename T>
    void put(std::uint32_t rva, const T& value) {
        std::memcpy(bytes_.data() + rva, &value, sizeof value);
    }
    void putCode(std::uint32_t rva, std::initializer_list<std::uint8_t> code) {
        for (std::uint8_t b : code)
            put(rva++, b);
    }
    // An UNWIND_INFO at `rva` with `slots` (as stored: the last prolog instruction first),
    // and after them `tail` (a chained RUNTIME_FUNCTION or a handler RVA).
    void putUnwindInfo(std::uint32_t rva, std::uint8_t flags, std::uint8_t prologSize,
                       std::uint8_t frameRegister, std::uint8_t scaledFrameOffset,
                       std::vector<std::uint16_t> slots, std::vector<std::uint32_t> tail = {},
                       std::uint8_t version = 1) {
        put(rva, static_cast<std::uint8_t>(version | (flags << 3)));
        put(rva + 1, prologSize);
        put(rva + 2, static_cast<std::uint8_t>(slots.size()));
        put(rva + 3, static_cast<std::uint8_t>(frameRegister | (scaledFrameOffset << 4)));
        std::uint32_t at = rva + 4;
        for (std::uint16_t s : slots) {
            put(at, s);
            at += 2;
        }
        at = rva + 4 + ((static_cast<std::uint32_t>(slots.size()) + 1) & ~1u) * 2;
        for (std::uint32_t t : tail) {
            put(at, t);
            at += 4;
        }
    }
    // The function table: entries of (begin, end, unwind info).
    void putTable(std::vector<RuntimeFunction> entries) {
        std::uint32_t at = kPdata;
        for (const auto& e : entries) {
            put(at, e);
            at += 12;
        }
        tableSize_ = static_cast<std::uint32_t>(entries.size() * 12);
    }
    std::span<const std::byte> bytes() const { return bytes_; }
    ldr::pe::ImageDataDirectory directory() const { return {kPdata, tableSize_}; }

    // Parses the table and keeps it for unwinds.
    const LoadedImage& loaded() {
        auto t = FunctionTable::parse(bytes(), directory());
        EXPECT_TRUE(t) << t.error();
        table_ = std::move(*t);
        loaded_ = {kBase, bytes(), &table_};
        return loaded_;
    }

private:
    std::vector<std::byte> bytes_;
    std::uint32_t tableSize_ = 0;
    FunctionTable table_;
    LoadedImage loaded_;
};

class Stack {
public:
    void put(std::uint64_t va, std::uint64_t value) { slots_[va] = value; }
    StackReader reader() const {
        return [this](std::uint64_t va) -> std::optional<std::uint64_t> {
            const auto it = slots_.find(va);
            if (it == slots_.end())
                return std::nullopt;
            return it->second;
        };
    }

private:
    std::map<std::uint64_t, std::uint64_t> slots_;
};

constexpr std::uint64_t kReturn = 0x140001800;

TEST(FunctionTable, LooksUpTheEntryWhoseCodeHoldsTheAddress) {
    Image image;
    image.putTable({{0x1000, 0x1040, kXdata}, {0x1050, 0x1080, kXdata + 0x10}});
    auto table = FunctionTable::parse(image.bytes(), image.directory());
    ASSERT_TRUE(table) << table.error();
    ASSERT_EQ(table->entries().size(), 2u);
    EXPECT_EQ(table->lookup(0x1000)->begin, 0x1000u);
    EXPECT_EQ(table->lookup(0x103F)->begin, 0x1000u);
    EXPECT_EQ(table->lookup(0x1040), nullptr) << "the end is exclusive";
    EXPECT_EQ(table->lookup(0x1048), nullptr) << "between functions";
    EXPECT_EQ(table->lookup(0x1060)->begin, 0x1050u);
    EXPECT_EQ(table->lookup(0xFFF), nullptr);
    EXPECT_EQ(table->lookup(0x2000), nullptr);
}

TEST(FunctionTable, AnImageWithoutOneHasAnEmptyTable) {
    Image image;
    auto table = FunctionTable::parse(image.bytes(), {0, 0});
    ASSERT_TRUE(table);
    EXPECT_TRUE(table->entries().empty());
    EXPECT_EQ(table->lookup(0x1000), nullptr);
}

TEST(FunctionTable, RefusesEntriesOutsideTheImageOrOutOfOrder) {
    Image image;
    image.putTable({{0x1050, 0x1080, kXdata}, {0x1000, 0x1040, kXdata}});
    auto table = FunctionTable::parse(image.bytes(), image.directory());
    ASSERT_FALSE(table);
    EXPECT_NE(table.error().find("out of order"), std::string::npos) << table.error();
    image.putTable({{0x1000, 0x9000, kXdata}});
    EXPECT_FALSE(FunctionTable::parse(image.bytes(), image.directory()));
    image.putTable({{0x1040, 0x1000, kXdata}});
    EXPECT_FALSE(FunctionTable::parse(image.bytes(), image.directory()));
    EXPECT_FALSE(FunctionTable::parse(image.bytes(), {0x2FF0, 0x24})) << "the table itself";
}

TEST(UnwindInfo, DecodesEveryOperationWithItsOperand) {
    Image image;
    image.putUnwindInfo(
        kXdata, 0, 0x20, Rbp, 2,
        {code(0x20, UnwindOp::SaveNonvolFar, Rsi), 0x0000, 0x0001,
         code(0x18, UnwindOp::SaveNonvol, Rdi), 0x0006, code(0x14, UnwindOp::SetFpreg, 0),
         code(0x10, UnwindOp::AllocLarge, 1), 0x0000, 0x0002, code(0x09, UnwindOp::AllocLarge, 0),
         0x0020, code(0x05, UnwindOp::AllocSmall, 3), code(0x01, UnwindOp::PushNonvol, Rbp)});
    auto info = decodeUnwindInfo(image.bytes(), kXdata);
    ASSERT_TRUE(info) << info.error();
    EXPECT_EQ(info->version, 1);
    EXPECT_EQ(info->prologSize, 0x20);
    EXPECT_EQ(info->frameRegister, Rbp);
    EXPECT_EQ(info->frameOffset, 32u);
    const std::vector<UnwindCode> want = {
        {0x20, UnwindOp::SaveNonvolFar, Rsi, 0x10000},
        {0x18, UnwindOp::SaveNonvol, Rdi, 0x30},
        {0x14, UnwindOp::SetFpreg, 0, 0},
        {0x10, UnwindOp::AllocLarge, 1, 0x20000},
        {0x09, UnwindOp::AllocLarge, 0, 0x100},
        {0x05, UnwindOp::AllocSmall, 3, 32},
        {0x01, UnwindOp::PushNonvol, Rbp, 0},
    };
    EXPECT_EQ(info->codes, want);
    EXPECT_FALSE(info->chained);
    EXPECT_FALSE(info->handler);
}

TEST(UnwindInfo, ReadsTheChainedEntryOrTheHandlerAfterTheCodes) {
    Image image;
    image.putUnwindInfo(kXdata, kUnwFlagChainInfo, 0, 0, 0, {code(0, UnwindOp::AllocSmall, 0)},
                        {0x1000, 0x1040, kXdata + 0x40});
    auto chained = decodeUnwindInfo(image.bytes(), kXdata);
    ASSERT_TRUE(chained) << chained.error();
    EXPECT_EQ(chained->chained, (RuntimeFunction{0x1000, 0x1040, kXdata + 0x40}));
    image.putUnwindInfo(kXdata + 0x40, kUnwFlagExceptionHandler, 0, 0, 0, {}, {0x1234});
    auto handled = decodeUnwindInfo(image.bytes(), kXdata + 0x40);
    ASSERT_TRUE(handled) << handled.error();
    EXPECT_EQ(handled->handler, 0x1234u);
}

TEST(UnwindInfo, RefusesWhatIsNotWellFormed) {
    Image image;
    image.putUnwindInfo(kXdata, 0, 0, 0, 0, {}, {}, 3);
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), kXdata)) << "version 3";
    image.putUnwindInfo(kXdata, 0, 4, 0, 0, {code(4, UnwindOp::SaveNonvol, Rbx)});
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), kXdata)) << "an operand slot missing";
    image.putUnwindInfo(kXdata, 0, 4, 0, 0, {code(4, UnwindOp::SetFpreg, 0)});
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), kXdata)) << "no frame register";
    image.putUnwindInfo(kXdata, 0, 4, 0, 0, {code(4, UnwindOp::SpareCode, 0)});
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), kXdata)) << "operation 7";
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), 0x2FFE)) << "past the image";
    image.putUnwindInfo(0x2FF0, kUnwFlagChainInfo, 0, 0, 0, {0, 0, 0, 0, 0, 0});
    EXPECT_FALSE(decodeUnwindInfo(image.bytes(), 0x2FF0)) << "the chained entry past the image";
}

// push rbp; push rbx; sub rsp, 0x28 — 1 + 1 + 4 bytes of prolog; then the body; then the
// epilog add rsp, 0x28; pop rbx; pop rbp; ret.
class PushAndAllocate : public ::testing::Test {
protected:
    PushAndAllocate() {
        image.putCode(kCode, {0x55, 0x53, 0x48, 0x83, 0xEC, 0x28});
        image.putCode(kCode + 0x20, {0x48, 0x83, 0xC4, 0x28, 0x5B, 0x5D, 0xC3});
        image.putUnwindInfo(kXdata, 0, 6, 0, 0,
                            {code(6, UnwindOp::AllocSmall, 4), code(2, UnwindOp::PushNonvol, Rbx),
                             code(1, UnwindOp::PushNonvol, Rbp)});
        image.putTable({{kCode, kCode + 0x28, kXdata}});
        // The caller's frame: its rbp and rbx pushed below the return address.
        stack.put(kEntryRsp, kReturn);
        stack.put(kEntryRsp - 8, 0xB9);   // rbp
        stack.put(kEntryRsp - 16, 0xB8);  // rbx
    }
    static constexpr std::uint64_t kEntryRsp = 0x20FF00;  // rsp at the function's entry
    Image image;
    Stack stack;
};

TEST_F(PushAndAllocate, AfterThePrologEveryCodeIsUndone) {
    UnwindContext c;
    c.rip = kBase + kCode + 0x10;
    c.rsp() = kEntryRsp - 16 - 0x28;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), kEntryRsp + 8);
    EXPECT_EQ(c.gpr[Rbp], 0xB9u);
    EXPECT_EQ(c.gpr[Rbx], 0xB8u);
}

TEST_F(PushAndAllocate, InsideThePrologOnlyTheInstructionsRunAreUndone) {
    UnwindContext c;
    c.rip = kBase + kCode + 1;  // push rbp has run, push rbx has not
    c.rsp() = kEntryRsp - 8;
    c.gpr[Rbx] = 0x77;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), kEntryRsp + 8);
    EXPECT_EQ(c.gpr[Rbp], 0xB9u);
    EXPECT_EQ(c.gpr[Rbx], 0x77u) << "not saved yet";
}

TEST_F(PushAndAllocate, InsideTheEpilogTheRestOfItIsRun) {
    UnwindContext c;
    c.rip = kBase + kCode + 0x24;  // at pop rbx: the add has run
    c.rsp() = kEntryRsp - 16;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), kEntryRsp + 8);
    EXPECT_EQ(c.gpr[Rbx], 0xB8u);
    EXPECT_EQ(c.gpr[Rbp], 0xB9u);
    c.rip = kBase + kCode + 0x20;  // at the add
    c.rsp() = kEntryRsp - 16 - 0x28;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), kEntryRsp + 8);
}

TEST_F(PushAndAllocate, AnUnreadableStackIsAnError) {
    UnwindContext c;
    c.rip = kBase + kCode + 0x10;
    c.rsp() = 0x5000;
    auto r = virtualUnwind(&image.loaded(), c, stack.reader());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("cannot read the stack at 0x5028"), std::string::npos) << r.error();
}

TEST(VirtualUnwind, ALeafReturnsThroughTheTopOfTheStack) {
    Stack stack;
    stack.put(0x20FF00, kReturn);
    UnwindContext c;
    c.rip = 0x7000;  // in no image
    c.rsp() = 0x20FF00;
    ASSERT_TRUE(virtualUnwind(nullptr, c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), 0x20FF08u);
    Image image;  // in an image, but no entry covers it
    c.rip = kBase + 0x1500;
    c.rsp() = 0x20FF00;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
}

TEST(VirtualUnwind, AFramePointerLocatesTheFrameWhateverRspIs) {
    // push rbp; sub rsp, 0x40; lea rbp, [rsp + 0x20]; then rsp moves (alloca).
    Image image;
    image.putUnwindInfo(kXdata, 0, 10, Rbp, 2,
                        {code(10, UnwindOp::SetFpreg, 0), code(5, UnwindOp::AllocSmall, 7),
                         code(1, UnwindOp::PushNonvol, Rbp)});
    image.putTable({{kCode, kCode + 0x40, kXdata}});
    Stack stack;
    const std::uint64_t entry = 0x20FF00;
    stack.put(entry, kReturn);
    stack.put(entry - 8, 0xB9);
    UnwindContext c;
    c.rip = kBase + kCode + 0x30;
    c.gpr[Rbp] = entry - 8 - 0x40 + 0x20;
    c.rsp() = 0x20F000;  // far below: alloca
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), entry + 8);
    EXPECT_EQ(c.gpr[Rbp], 0xB9u);
}

TEST(VirtualUnwind, SavedRegistersAreReadFromTheFrame) {
    // sub rsp, 0x28; mov [rsp + 0x20], rbx.
    Image image;
    image.putUnwindInfo(kXdata, 0, 9, 0, 0,
                        {code(9, UnwindOp::SaveNonvol, Rbx), 4, code(4, UnwindOp::AllocSmall, 4)});
    image.putTable({{kCode, kCode + 0x40, kXdata}});
    Stack stack;
    const std::uint64_t rsp = 0x20FE00;
    stack.put(rsp + 0x20, 0xB8);
    stack.put(rsp + 0x28, kReturn);
    UnwindContext c;
    c.rip = kBase + kCode + 0x10;
    c.rsp() = rsp;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.gpr[Rbx], 0xB8u);
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), rsp + 0x30);
}

TEST(VirtualUnwind, ChainedInfoUnwindsThePrimaryFunctionsPrologToo) {
    // A cold part at 0x1100 whose info chains to the function at 0x1000 (push rbx).
    Image image;
    image.putUnwindInfo(kXdata, 0, 1, 0, 0, {code(1, UnwindOp::PushNonvol, Rbx)});
    image.putUnwindInfo(kXdata + 0x20, kUnwFlagChainInfo, 0, 0, 0,
                        {code(0, UnwindOp::AllocSmall, 1)}, {kCode, kCode + 0x40, kXdata});
    image.putTable({{kCode, kCode + 0x40, kXdata}, {kCode + 0x100, kCode + 0x140, kXdata + 0x20}});
    Stack stack;
    const std::uint64_t rsp = 0x20FE00;
    stack.put(rsp + 16, 0xB8);
    stack.put(rsp + 24, kReturn);
    UnwindContext c;
    c.rip = kBase + kCode + 0x110;
    c.rsp() = rsp;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.gpr[Rbx], 0xB8u);
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), rsp + 32);
}

TEST(VirtualUnwind, AMachineFrameGivesRipAndRspFromTheInterruptFrame) {
    Image image;
    image.putUnwindInfo(kXdata, 0, 0, 0, 0, {code(0, UnwindOp::PushMachframe, 1)});
    image.putTable({{kCode, kCode + 0x40, kXdata}});
    Stack stack;
    const std::uint64_t rsp = 0x20FE00;  // error code, rip, cs, rflags, rsp, ss
    stack.put(rsp + 8, kReturn);
    stack.put(rsp + 32, 0x20FF80);
    UnwindContext c;
    c.rip = kBase + kCode + 0x10;
    c.rsp() = rsp;
    ASSERT_TRUE(virtualUnwind(&image.loaded(), c, stack.reader()));
    EXPECT_EQ(c.rip, kReturn);
    EXPECT_EQ(c.rsp(), 0x20FF80u);
}

TEST(VirtualUnwind, ChainsThatLoopAreRefused) {
    Image image;
    image.putUnwindInfo(kXdata, kUnwFlagChainInfo, 0, 0, 0, {}, {kCode, kCode + 0x40, kXdata});
    image.putTable({{kCode, kCode + 0x40, kXdata}});
    Stack stack;
    UnwindContext c;
    c.rip = kBase + kCode + 0x10;
    c.rsp() = 0x20FE00;
    auto r = virtualUnwind(&image.loaded(), c, stack.reader());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("chains more than"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace ntoy::rtl
