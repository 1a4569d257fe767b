#!/bin/sh
# The project's own set-up: installs what is missing with apt-get, builds, and then
#   ./ntoy.sh demo   runs the default demo guest, and writes a report of it (build/touch_demo.html)
#   ./ntoy.sh test   runs every test (CTest's summary at the end)
#   ./ntoy.sh build  only builds
# This is the developers' build: warnings are errors (NTOY_WERROR) and the libFuzzer fuzzers
# are built. Extra CMake options go in NTOY_CMAKE_ARGS (e.g. -DNTOY_SANITIZE=ON), the build
# directory is NTOY_BUILD_DIR (build).
set -eu
cd "$(dirname "$0")"
action=${1:-demo}
build=${NTOY_BUILD_DIR:-build}

# g++-mingw-w64-x86-64-win32: the C++ guests (crt_cxx_*) link with mingw's libstdc++.
# clang-19 and libclang-rt-19-dev: libFuzzer for the host fuzzers (fuzz/); 19 is the first
# clang whose concepts let libstdc++ 12 offer std::expected.
# libjs-chart.js: Chart.js, built into every HTML report (docs/report.md); chromium and python3:
# the browser tests that open those reports headless (tests/browser).
packages="cmake ninja-build g++ pkg-config libunicorn-dev libcapstone-dev libcli11-dev
googletest libgtest-dev libgmock-dev libfmt-dev nlohmann-json3-dev gcc-mingw-w64-x86-64
g++-mingw-w64-x86-64-win32
libreadline-dev gdb clang-19 libclang-rt-19-dev libjs-chart.js chromium python3"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "ntoy: installing$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi

cmake -S . -B "$build" -G Ninja -DNTOY_GUESTS=ON -DNTOY_WERROR=ON -DNTOY_FUZZERS=ON \
    ${NTOY_CMAKE_ARGS:-}
cmake --build "$build" -j2

case "$action" in
    demo)
        status=0
        "$build/ntoy" run --stats --report "$build/touch_demo.html" images/touch_demo.exe ||
            status=$?
        echo "ntoy: a report of this run, to open in a browser: $build/touch_demo.html" >&2
        exit $status ;;
    test) exec ctest --test-dir "$build" -j2 --output-on-failure ;;
    build) ;;
    *) echo "usage: $0 [demo|test|build]" >&2; exit 2 ;;
esac
