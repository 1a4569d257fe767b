// The object manager's objects: typed, reference counted (a std::shared_ptr is a reference;
// a handle holds one), and kept alive until the last handle and reference go. A process
// object outlives its process, so its exit status can still be read through a handle.
//
// Objects are always made by std::make_shared (or held by a std::shared_ptr from birth): code
// that must keep one alive while it works on it, or hand itself to a list, uses
// weak_from_this/shared_from_this.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "kernel/base/Types.h"

namespace ntoy::ex {
class Pool;
}

namespace ntoy::ob {

// DeviceFile: an open device (a driver's), which Windows also calls a File.
enum class ObjectType : std::uint8_t {
    Process,
    Thread,
    Event,
    Mutant,
    Semaphore,
    Console,
    File,
    DeviceFile
};

std::string_view typeName(ObjectType type);

using AccessMask = std::uint32_t;

// Generic and standard rights (winnt.h).
namespace access {
inline constexpr AccessMask kDelete = 0x00010000;
inline constexpr AccessMask kReadControl = 0x00020000;
inline constexpr AccessMask kSynchronize = 0x00100000;
inline constexpr AccessMask kStandardRequired = 0x000F0000;
inline constexpr AccessMask kMaximumAllowed = 0x02000000;
inline constexpr AccessMask kGenericRead = 0x80000000;
inline constexpr AccessMask kGenericWrite = 0x40000000;
inline constexpr AccessMask kGenericExecute = 0x20000000;
inline constexpr AccessMask kGenericAll = 0x10000000;
}  // namespace access

class Object : public std::enable_shared_from_this<Object> {
public:
    explicit Object(ObjectType type) : type_(type) {}
    // Frees its body in pool, if it has one.
    virtual ~Object();
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    ObjectType type() const { return type_; }

    // Its body in pool (ObjectBody.h), or 0 if it has none (unit tests, console objects).
    VirtualAddress body() const { return body_; }
    ex::Pool* bodyPool() const { return pool_; }
    void attachBody(ex::Pool& pool, VirtualAddress body, std::uint32_t tag) {
        pool_ = &pool;
        body_ = body;
        bodyTag_ = tag;
    }

private:
    ObjectType type_;
    ex::Pool* pool_ = nullptr;
    VirtualAddress body_;
    std::uint32_t bodyTag_ = 0;
};

}  // namespace ntoy::ob
