#include "kernel/ldr/PageProtection.h"

#include "kernel/ldr/PeFormat.h"

namespace ntoy::ldr {

std::uint32_t sectionPageProtection(std::uint32_t characteristics) {
    const bool execute = (characteristics & pe::kScnMemExecute) != 0;
    const bool write = (characteristics & pe::kScnMemWrite) != 0;
    const bool read = (characteristics & pe::kScnMemRead) != 0 || write;
    if (execute) {
        return write ? kPageExecuteReadWrite : read ? kPageExecuteRead : kPageExecute;
    }
    return write ? kPageReadWrite : read ? kPageReadOnly : kPageNoAccess;
}

}  // namespace ntoy::ldr
