#include "kernel/io/File.h"

#include <fcntl.h>
#include <unistd.h>

namespace ntoy::io {

File::~File() {
    if (!deletePending || isRoot() || !identity_.parent.valid())
        return;
    identity_.fd.reset();
    // A failure (the name already gone or replaced by a non-empty directory) leaves the host
    // as it is: the guest has closed its handle and there is nobody to tell.
    (void)::unlinkat(identity_.parent.get(), identity_.path.back().c_str(),
                     identity_.directory ? AT_REMOVEDIR : 0);
}

}  // namespace ntoy::io
