#include "kernel/io/File.h"

#include <fcntl.h>
#include <unistd.h>

#include "kernel/ob/Access.h"

namespace ntoy::io {
namespace {

namespace access = ob::access;
constexpr std::uint32_t kShareRead = 0x1, kShareWrite = 0x2, kShareDelete = 0x4;
constexpr ob::AccessMask kReadish = access::kFileReadData | access::kFileExecute;
constexpr ob::AccessMask kWriteish = access::kFileWriteData | access::kFileAppendData;

// Whether an open with `a` may coexist with one with `b`, one way round.
bool allows(const ShareAccess& a, const ShareAccess& b) {
    return !((b.access & kReadish) && !(a.share & kShareRead)) &&
           !((b.access & kWriteish) && !(a.share & kShareWrite)) &&
           !((b.access & access::kDelete) && !(a.share & kShareDelete));
}

// Only opens that read, write or delete take part (attribute-only opens never conflict).
bool takesPart(const ShareAccess& s) {
    return (s.access & (kReadish | kWriteish | access::kDelete)) != 0;
}

}  // namespace

NtStatus ShareTable::check(const Key& key, const ShareAccess& wanted) {
    auto it = opens_.find(key);
    if (it == opens_.end())
        return NtStatus::Success;
    std::erase_if(it->second, [](const std::weak_ptr<File>& f) { return f.expired(); });
    NtStatus status = NtStatus::Success;
    for (const auto& weak : it->second) {
        const auto other = weak.lock();
        if (other->deletePending)
            return NtStatus::DeletePending;
        if (takesPart(wanted) && takesPart(other->shareAccess) &&
            (!allows(other->shareAccess, wanted) || !allows(wanted, other->shareAccess)))
            status = NtStatus::SharingViolation;
    }
    if (it->second.empty())
        opens_.erase(it);
    return status;
}

bool ShareTable::isOpen(const Key& key) {
    auto it = opens_.find(key);
    if (it == opens_.end())
        return false;
    std::erase_if(it->second, [](const std::weak_ptr<File>& f) { return f.expired(); });
    if (!it->second.empty())
        return true;
    opens_.erase(it);
    return false;
}

void ShareTable::add(const Key& key, const std::shared_ptr<File>& file) {
    auto& list = opens_[key];
    std::erase_if(list, [](const std::weak_ptr<File>& f) { return f.expired(); });
    list.push_back(file);
}

File::~File() {
    if (!(deletePending || deleteOnClose) || isRoot() || !identity_.parent.valid())
        return;
    identity_.fd.reset();
    // A failure (the name already gone or replaced by a non-empty directory) leaves the host
    // as it is: the guest has closed its handle and there is nobody to tell.
    (void)::unlinkat(identity_.parent.get(), identity_.path.back().c_str(),
                     identity_.directory ? AT_REMOVEDIR : 0);
}

}  // namespace ntoy::io
