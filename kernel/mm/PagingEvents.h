// What the pager tells a listener (the kernel, which passes it on to the tracer and the
// debugger): working sets trimmed, and the paging file's writes and reads.
#pragma once

#include <cstdint>

namespace ntoy::mm {

class AddressSpace;

enum class TrimReason : std::uint8_t {
    Balance,      // the balance set manager, short of frames or of room for valid pages
    Empty,        // the process asked (EmptyWorkingSet, SetProcessWorkingSetSize(-1, -1))
    HardMaximum,  // the process's working set reached its hard maximum
    PageTables,   // the balance set manager paged out leaf tables whose pages hold no frame
};

struct TrimEvent {
    const AddressSpace& space;
    std::uint64_t pages;  // how many left the working set (PageTables: how many tables)
    TrimReason reason;
};

struct PageIoEvent {
    bool write;               // the modified-page writer's write, else a hard fault's read
    std::uint32_t firstSlot;  // the cluster: `pages` neighbouring slots from here
    std::uint32_t pages;
    bool ok;  // false: the host refused (a read that fails is an in-page error)
};

class PagingListener {
public:
    virtual ~PagingListener() = default;
    virtual void trimmed(const TrimEvent&) = 0;
    virtual void pageIo(const PageIoEvent&) = 0;
};

}  // namespace ntoy::mm
