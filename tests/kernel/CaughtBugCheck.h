// What a bug check carried, for tests that provoke one: runs `f` and returns the BugCheck it
// threw, failing the test if it threw none.
#pragma once

#include <gtest/gtest.h>

#include "kernel/ke/BugCheck.h"

namespace ntoy::test {

template <typename F>
ke::BugCheck caught(F&& f) {
    try {
        f();
    } catch (const ke::BugCheckStop& stop) {
        return stop.check;
    }
    ADD_FAILURE() << "no bug check";
    return {};
}

}  // namespace ntoy::test
