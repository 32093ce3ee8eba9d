#!/bin/bash
# Runs integration test files with lb-proxy and/or ha-agent under valgrind
# (memcheck) and reports the memory errors it saw: invalid reads and writes,
# uses of freed or uninitialised memory, mismatched frees (docs/memory_safety.md).
#
#   scripts/valgrind-sweep.sh [-b BUILD] [-d proxy|agent|both] [-o LOGDIR] TEST_FILE...
#
# TEST_FILE is relative to integration/ (proxy/test_lifecycle.py). No
# rebuild: a directory of symlinks to BUILD whose lb/lb-proxy and
# ha/ha-agent are wrappers is handed to the harness as TANDEM_BUILD (the
# cluster tests' `ip netns exec` runs the wrappers too). Each file runs under
# the integration lock. Tests may fail from valgrind's slowness; what counts
# is the logs. Exits 1 if any log has an error.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
daemons=both
logs=/tmp/tandem-valgrind
while getopts "b:d:o:" opt; do
  case $opt in
    b) build=$(cd "$OPTARG" && pwd) ;;
    d) daemons=$OPTARG ;;
    o) logs=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD] [-d proxy|agent|both] [-o LOGDIR] TEST_FILE..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-b BUILD] [-d proxy|agent|both] [-o LOGDIR] TEST_FILE..." >&2; exit 2; }
command -v valgrind > /dev/null || { echo "valgrind is not installed: apt-get install valgrind" >&2; exit 2; }

mkdir -p "$logs"
shadow=$(mktemp -d /tmp/tandem-vgbuild.XXXXXX)
trap 'rm -rf "$shadow"' EXIT
# Copies of the binaries: a rebuild during the sweep does not change them.
mkdir -p "$shadow/bin" "$shadow/build"
for entry in "$build"/*; do
  name=$(basename "$entry")
  case $name in lb|ha) ;; *) ln -s "$entry" "$shadow/build/$name" ;; esac
done
wrap() {  # wrap DIR BINARY
  local dir=$1 binary=$2
  mkdir -p "$shadow/build/$dir"
  for entry in "$build/$dir"/*; do ln -s "$entry" "$shadow/build/$dir/"; done
  cp "$build/$dir/$binary" "$shadow/bin/$binary"
  rm "$shadow/build/$dir/$binary"
  cat > "$shadow/build/$dir/$binary" <<EOF
#!/bin/sh
exec valgrind --error-limit=no --num-callers=30 --log-file=$logs/\${VG_TAG:-run}.$binary.%p.log $shadow/bin/$binary "\$@"
EOF
  chmod +x "$shadow/build/$dir/$binary"
}
case $daemons in
  proxy) wrap lb lb-proxy; ln -s "$build/ha" "$shadow/build/ha" ;;
  agent) wrap ha ha-agent; ln -s "$build/lb" "$shadow/build/lb" ;;
  both) wrap lb lb-proxy; wrap ha ha-agent ;;
  *) echo "-d takes proxy, agent or both" >&2; exit 2 ;;
esac

cd "$here/integration" || exit 2
for file in "$@"; do
  tag=$(echo "$file" | sed 's#[/.]#_#g; s#_py$##')
  started=$(date +%s)
  VG_TAG=$tag TANDEM_BUILD=$shadow/build PYTHONPATH=. flock /tmp/tandem-integration.lock \
    timeout 900 /usr/bin/python3 -m unittest "$file" > "$logs/$tag.out" 2>&1
  echo "$file: tests rc=$? in $(( $(date +%s) - started ))s (valgrind makes timing tests fail; see $logs/$tag.out)"
done

bad=$(grep -lE "Invalid (read|write|free)|uninitialised|free'd|Mismatched" "$logs"/*.log 2>/dev/null)
if [ -n "$bad" ]; then
  for log in $bad; do
    echo "== $log"
    grep -m1 -A14 -E "Invalid (read|write|free)|uninitialised|free'd|Mismatched" "$log"
  done
  exit 1
fi
echo "no memory errors in $(ls "$logs"/*.log 2>/dev/null | wc -l) valgrind logs under $logs"
