// One kernel observer that passes every event on to several (the tracer and the debugger,
// when both are on): the kernel has a single observer slot.
#pragma once

#include <vector>

#include "kernel/ke/KernelObserver.h"

namespace ntoy::kd {

class ObserverFanOut final : public ke::KernelObserver {
public:
    void add(ke::KernelObserver& observer) { observers_.push_back(&observer); }

    void processStart(const ps::Process& p) override {
        for (auto* o : observers_)
            o->processStart(p);
    }
    void pageFault(const ke::PageFaultEvent& e) override {
        for (auto* o : observers_)
            o->pageFault(e);
    }
    void systemCall(const ke::SystemCallEvent& e) override {
        for (auto* o : observers_)
            o->systemCall(e);
    }
    void exception(const ke::ExceptionEvent& e) override {
        for (auto* o : observers_)
            o->exception(e);
    }
    void cpuException(const hal::CpuException& e, std::uint64_t rip) override {
        for (auto* o : observers_)
            o->cpuException(e, rip);
    }
    void threadStart(const ps::Thread& t) override {
        for (auto* o : observers_)
            o->threadStart(t);
    }
    void threadExit(const ps::Thread& t) override {
        for (auto* o : observers_)
            o->threadExit(t);
    }
    void trim(ke::EventOrigin origin, const ps::Process& p, const mm::TrimEvent& e) override {
        for (auto* o : observers_)
            o->trim(origin, p, e);
    }
    void pageIo(ke::EventOrigin origin, const mm::PageIoEvent& e) override {
        for (auto* o : observers_)
            o->pageIo(origin, e);
    }
    void processExit(const ps::Process& p, std::uint32_t status) override {
        for (auto* o : observers_)
            o->processExit(p, status);
    }

private:
    std::vector<ke::KernelObserver*> observers_;
};

}  // namespace ntoy::kd
