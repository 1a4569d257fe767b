#include "kernel/io/IoManager.h"

namespace ntoy::io {

std::u16string IoManager::key(std::u16string_view name) {
    // \DosDevices\ and \GLOBAL??\ are other names of \??\ (the WDK samples use the first).
    std::u16string k(name);
    for (std::u16string_view alias : {u"\\DosDevices\\", u"\\GLOBAL??\\"})
        if (k.size() >= alias.size() &&
            std::equal(alias.begin(), alias.end(), k.begin(), [](char16_t a, char16_t b) {
                const auto up = [](char16_t c) {
                    return c >= u'a' && c <= u'z' ? static_cast<char16_t>(c - u'a' + u'A') : c;
                };
                return up(a) == up(b);
            })) {
            k = u"\\??\\" + k.substr(alias.size());
            break;
        }
    for (char16_t& c : k)
        if (c >= u'a' && c <= u'z')
            c = static_cast<char16_t>(c - u'a' + u'A');
    return k;
}

NtStatus IoManager::addDevice(Device device) {
    auto k = key(device.name);
    if (devices_.contains(k))
        return NtStatus::ObjectNameCollision;
    devices_.emplace(std::move(k), std::move(device));
    return NtStatus::Success;
}

void IoManager::removeDevice(VirtualAddress object) {
    std::erase_if(devices_, [&](const auto& d) { return d.second.object == object; });
}

void IoManager::unname(VirtualAddress object) {
    for (auto it = devices_.begin(); it != devices_.end(); ++it)
        if (it->second.object == object) {
            Device d = std::move(it->second);
            devices_.erase(it);
            d.deleted = true;
            // Kept, nameless, under a key no name can have.
            devices_.emplace(
                u"\x01" + std::u16string(reinterpret_cast<const char16_t*>(&d.object), 4),
                std::move(d));
            return;
        }
}

Device* IoManager::device(VirtualAddress object) {
    for (auto& [k, d] : devices_)
        if (d.object == object)
            return &d;
    return nullptr;
}

std::vector<const Device*> IoManager::devicesOf(VirtualAddress driverObject) const {
    std::vector<const Device*> out;
    for (const auto& [k, d] : devices_)
        if (d.driverObject == driverObject)
            out.push_back(&d);
    return out;
}

NtStatus IoManager::addLink(std::u16string_view link, std::u16string_view target) {
    auto k = key(link);
    if (links_.contains(k))
        return NtStatus::ObjectNameCollision;
    links_.emplace(std::move(k), std::u16string(target));
    return NtStatus::Success;
}

NtStatus IoManager::removeLink(std::u16string_view link) {
    return links_.erase(key(link)) != 0 ? NtStatus::Success : NtStatus::ObjectNameNotFound;
}

Device* IoManager::resolve(std::u16string_view path) {
    std::u16string k = key(path);
    if (const auto link = links_.find(k); link != links_.end())
        k = key(link->second);
    const auto d = devices_.find(k);
    return d != devices_.end() && !d->second.deleted ? &d->second : nullptr;
}

}  // namespace ntoy::io
