// The object types' names, as Windows' object manager spells them (!object, ObjectTypeInformation).
#include "kernel/ob/Object.h"

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
            return "File";
    }
    return "Unknown";
}

}  // namespace ntoy::ob
