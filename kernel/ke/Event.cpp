#include "kernel/ke/Event.h"

#include <utility>

namespace ntoy::ke {

bool Event::set(WaitManager& waits) {
    const bool before = std::exchange(signaled_, true);
    waits.signaled(*this);
    return before;
}

bool Event::reset() {
    return std::exchange(signaled_, false);
}

bool Event::pulse(WaitManager& waits) {
    const bool before = set(waits);
    signaled_ = false;
    return before;
}

Satisfaction Event::satisfy(ps::Thread&) {
    if (type_ == EventType::Synchronization)
        signaled_ = false;
    return Satisfaction::Normal;
}

}  // namespace ntoy::ke
