// The object types' names, as Windows' object manager spells them (!object, ObjectTypeInformation).
#include "kernel/ob/Object.h"

#include "kernel/ex/Pool.h"

namespace ntoy::ob {

std::string_view typeName(ObjectType type) {
    switch (type) {
        case ObjectType::Process:
            return "Process";
        case ObjectType::Thread:
            return "Thread";
        case ObjectType::Event:
            return "Event";
        case ObjectType::Mutant:
            return "Mutant";
        case ObjectType::Semaphore:
            return "Semaphore";
        case ObjectType::Console:
            return "Console";
        case ObjectType::File:
        case ObjectType::DeviceFile:
            return "File";
    }
    return "Unknown";
}

Object::~Object() {
    // A bug check found freeing it is kept for the kernel's trap exit (Pool::takePendingStop).
    if (pool_)
        pool_->freeNoThrow(body_, bodyTag_);
}

}  // namespace ntoy::ob
