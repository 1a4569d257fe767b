// The loader's system calls: the kernel's half of LoadLibrary and FreeLibrary, which ntdll's
// loader (guest/ntdll/loader*.c) builds on. The kernel maps and binds images (ImageLoader);
// ntdll keeps the PEB's module lists, reference counts, DllMain and TLS.
//
//   NtMapImage(PCUNICODE_STRING FileName, PVOID* ImageBase)
//       Maps the DLL named FileName (a file name, never a path: DllName.h) with everything it
//       imports, or finds it mapped already, and returns its base. STATUS_DLL_NOT_FOUND for a
//       name that is not a file name or names no DLL; STATUS_ENTRYPOINT_NOT_FOUND or
//       STATUS_ORDINAL_NOT_FOUND for an import nothing exports; STATUS_INVALID_IMAGE_FORMAT
//       for a file that is not a valid image. On failure nothing new stays mapped.
//   NtQueryMappedImages(ULONG AfterSerial, PVOID Buffer, ULONG Length, PULONG ReturnLength)
//       Describes every mapped image whose serial is above AfterSerial, in mapping order
//       (ntoy/mapped_images.h). STATUS_INFO_LENGTH_MISMATCH, with the size needed in
//       *ReturnLength, when Buffer is too small.
//   NtUnmapViewOfSection(HANDLE Process, PVOID BaseAddress)
//       As on Windows, for image views: unmaps the image that contains BaseAddress, or
//       STATUS_NOT_MAPPED_VIEW.
#include <cstring>
#include <string>
#include <vector>

#include "kernel/io/GuestPath.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ldr/DllName.h"
#include "kernel/ldr/ImageLoader.h"
#include "ntoy/mapped_images.h"

namespace ntoy::ke {
namespace {

static_assert(sizeof(NTOY_MAPPED_IMAGE) == NTOY_MAPPED_IMAGE_BINDINGS_OFFSET);

// UNICODE_STRING, x64 layout.
struct UnicodeString {
    std::uint16_t length;  // bytes
    std::uint16_t maximumLength;
    std::uint32_t padding;
    std::uint64_t buffer;
};
static_assert(sizeof(UnicodeString) == 16);

// A DLL name from a UNICODE_STRING in user memory, as ASCII, or the status refusing it.
std::expected<std::string, NtStatus> captureDllName(SystemCall& call, VirtualAddress at) {
    auto string = call.user.read<UnicodeString>(at);
    if (!string)
        return std::unexpected(string.error());
    if (string->length % 2 != 0)
        return std::unexpected(NtStatus::InvalidParameter);
    // Longer than any file name: not one, and not worth reading.
    if (string->length / 2 > ldr::kMaxDllNameLength)
        return std::unexpected(NtStatus::DllNotFound);
    std::vector<char16_t> wide(string->length / 2);
    if (auto s =
            call.user.read(VirtualAddress(string->buffer), std::as_writable_bytes(std::span(wide)));
        s != NtStatus::Success)
        return std::unexpected(s);
    std::string name;
    for (char16_t c : wide) {
        // Names are printable ASCII (DllName.h); anything else names no DLL here.
        if (c > 0x7E)
            return std::unexpected(NtStatus::DllNotFound);
        name.push_back(static_cast<char>(c));
    }
    return name;
}

std::uint64_t recordSize(const ps::LoadedImage& image, std::size_t pathChars) {
    return alignUp(NTOY_MAPPED_IMAGE_BINDINGS_OFFSET + image.bindings.size() * 8 + pathChars * 2,
                   8);
}

// The module's DOS path (UTF-8, built from names the guest can use) in UTF-16, at most what a
// UNICODE_STRING holds.
std::u16string guestPath(const std::string& path) {
    auto wide = io::utf8ToUtf16(path);
    std::u16string out = wide ? std::move(*wide) : std::u16string(path.begin(), path.end());
    if (out.size() > 0x7FFF)
        out.resize(0x7FFF);
    return out;
}

}  // namespace

NtStatus NtMapImage(SystemCall& call) {
    auto name = captureDllName(call, call.pointer(0));
    if (!name)
        return name.error();
    const VirtualAddress baseOut = call.pointer(1);
    if (auto s = call.user.probeForWrite(baseOut, 8); s != NtStatus::Success)
        return s;
    auto image = ldr::ImageLoader(call.process).loadDll(*name);
    if (!image)
        return image.error().status;
    (void)call.user.write(baseOut, (*image)->base.value());
    return NtStatus::Success;
}

NtStatus NtQueryMappedImages(SystemCall& call) {
    const auto afterSerial = static_cast<std::uint32_t>(call.arg(0));
    const VirtualAddress buffer = call.pointer(1);
    const auto length = static_cast<std::uint32_t>(call.arg(2));
    const VirtualAddress returnLength = call.pointer(3);

    std::vector<const ps::LoadedImage*> images;
    for (const ps::LoadedImage& image : call.process.images())
        if (image.serial > afterSerial)
            images.push_back(&image);
    std::vector<std::byte> out;
    for (const ps::LoadedImage* image : images) {
        const std::u16string path = guestPath(image->guestPath);
        const std::size_t at = out.size();
        const std::uint64_t size = recordSize(*image, path.size());
        out.resize(at + size);
        const std::size_t slash = path.find_last_of(u'\\');
        NTOY_MAPPED_IMAGE record{};
        record.NextEntryOffset = image == images.back() ? 0 : static_cast<std::uint32_t>(size);
        record.Serial = image->serial;
        record.ImageBase = image->base.value();
        record.SizeOfImage = static_cast<std::uint32_t>(image->size);
        record.BindingCount = static_cast<std::uint32_t>(image->bindings.size());
        record.PathLength = static_cast<std::uint16_t>(path.size() * 2);
        record.FileNameOffset = slash == std::string::npos || slash + 1 >= path.size()
                                    ? 0
                                    : static_cast<std::uint16_t>((slash + 1) * 2);
        record.PathOffset = static_cast<std::uint32_t>(NTOY_MAPPED_IMAGE_BINDINGS_OFFSET +
                                                       image->bindings.size() * 8);
        std::memcpy(out.data() + at, &record, sizeof record);
        for (std::size_t i = 0; i < image->bindings.size(); ++i) {
            const std::uint64_t base = image->bindings[i].value();
            std::memcpy(out.data() + at + NTOY_MAPPED_IMAGE_BINDINGS_OFFSET + i * 8, &base, 8);
        }
        std::memcpy(out.data() + at + record.PathOffset, path.data(), path.size() * 2);
    }
    if (out.size() > 0xFFFFFFFFu)
        return NtStatus::NoMemory;
    const auto needed = static_cast<std::uint32_t>(out.size());
    if (returnLength.value() != 0) {
        if (auto s = call.user.probeForWrite(returnLength, 4); s != NtStatus::Success)
            return s;
    }
    if (needed > length) {
        if (returnLength.value() != 0)
            (void)call.user.write(returnLength, needed);
        return NtStatus::InfoLengthMismatch;
    }
    if (!out.empty()) {
        if (auto s = call.user.write(buffer, std::span<const std::byte>(out));
            s != NtStatus::Success)
            return s;
    }
    if (returnLength.value() != 0)
        (void)call.user.write(returnLength, needed);
    return NtStatus::Success;
}

NtStatus NtUnmapViewOfSection(SystemCall& call) {
    if (!call.process.isCurrentProcessHandle(call.arg(0)))
        return NtStatus::InvalidHandle;
    if (!ldr::ImageLoader(call.process).unmap(call.pointer(1)))
        return NtStatus::NotMappedView;
    return NtStatus::Success;
}

}  // namespace ntoy::ke
