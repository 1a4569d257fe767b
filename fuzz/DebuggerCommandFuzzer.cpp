// Fuzz target: command lines typed at `ntoy debug`.
//
// Each input is a batch of lines, one command each, run by a real DebugSession over a freshly
// loaded hello.exe on the real machine, as `ntoy debug --batch` runs a file: the debugger's
// own commands and their arguments (counts, addresses, register offsets, x/N formats), and the
// kernel's extensions (!pte, !vad, !address, !pfn, !vm, !memusage, !verify) with theirs. Every
// line must end in output or a one-line complaint, never a crash or a bug check, and the
// memory manager's invariants must hold after the batch. The output is formatted in full and
// dropped.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string_view>

#include "emulator/debugger/DebugSession.h"
#include "emulator/debugger/Disassembler.h"
#include "fuzz/FuzzSupport.h"
#include "fuzz/LiveGuest.h"

namespace ntoy::fuzz {
namespace {

// Lines past this many are not run: a batch that long explores nothing new, only slowly.
constexpr std::size_t kMaxLines = 64;

// Takes every character and keeps none.
class NullBuffer final : public std::streambuf {
protected:
    int_type overflow(int_type c) override { return traits_type::not_eof(c); }
    std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

const dbg::Disassembler& disassembler() {
    static const dbg::Disassembler d = [] {
        auto created = dbg::Disassembler::create();
        if (!created)
            fail(fmt::format("cannot create the disassembler: {}", created.error()));
        return std::move(*created);
    }();
    return d;
}

}  // namespace
}  // namespace ntoy::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ntoy;
    fuzz::LiveGuest& live = fuzz::LiveGuest::get();
    live.loadFresh();
    fuzz::NullBuffer sink;
    std::ostream out(&sink);
    {
        dbg::DebugSession session(live.kernel(), fuzz::disassembler(), out);
        live.kernel().setObserver(&session.observer());
        session.start("hello.exe");
        std::string_view input(reinterpret_cast<const char*>(data), size);
        for (std::size_t lines = 0; !input.empty() && lines < fuzz::kMaxLines && !session.ended();
             ++lines) {
            const std::size_t end = input.find('\n');
            session.execute(input.substr(0, end));
            input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        }
        live.kernel().setObserver(nullptr);
    }
    fuzz::checkKernel(live.kernel());
    return 0;
}
