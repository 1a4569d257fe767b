// The target description gdb reads with qXfer:features:read:target.xml: an amd64 machine
// with the core, SSE and segment-base features, one self-contained document generated from
// RegisterFile's layout so the two cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ntoy::gdb {

const std::string& targetDescriptionXml();

// A qXfer read reply for `length` bytes of `document` from `offset`: `m` and the bytes when
// more follow, `l` and the bytes when they reach the end, binary-escaped.
std::string xferChunk(std::string_view document, std::uint64_t offset, std::uint64_t length);

}  // namespace ntoy::gdb
