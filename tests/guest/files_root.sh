#!/bin/sh
# The file tree the "files" tests run in (guest/tests/files): a root for `ntoy run --root` and
# a directory outside it that links point to.
#
#   files_root.sh setup ROOT OUTSIDE   makes both afresh (inside.txt, the links, secret.txt)
#   files_root.sh check OUTSIDE        fails unless OUTSIDE is exactly as setup left it: the
#                                      guest reached nothing outside its root
set -eu
case "$1" in
setup)
    root=$2 outside=$3
    rm -rf "$root" "$outside"
    mkdir -p "$root" "$outside"
    printf 'secret' > "$outside/secret.txt"
    printf 'inside' > "$root/inside.txt"
    ln -s inside.txt "$root/inside_link"
    ln -s "$outside" "$root/escape"
    ln -s "$outside/created_by_guest.txt" "$root/escape_file"
    ln -s "$(cd "$root" && pwd)/inside.txt" "$root/absolute_link"
    ;;
check)
    outside=$2
    listing=$(cd "$outside" && ls -A)
    if [ "$listing" != "secret.txt" ]; then
        echo "files_root.sh: $outside holds more than secret.txt: $listing" >&2
        exit 1
    fi
    if [ "$(cat "$outside/secret.txt")" != "secret" ]; then
        echo "files_root.sh: $outside/secret.txt was changed" >&2
        exit 1
    fi
    ;;
*)
    echo "usage: files_root.sh setup ROOT OUTSIDE | check OUTSIDE" >&2
    exit 2
    ;;
esac
