# Sourced by the bench/*.sh wrappers: where the bench and the repo are, and the fx binary
# to measure (FX_BIN, default build/fx under the repo root; a relative path is the repo's).
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
FX_BIN="${FX_BIN:-$repo/build/fx}"
case "$FX_BIN" in /*) ;; *) FX_BIN="$repo/$FX_BIN" ;; esac
[ -x "$FX_BIN" ] || { echo "bench: no fx binary at $FX_BIN" >&2; exit 1; }
export FX_BIN

# need_wrk: the HTTP load generator the gateway and scaling benches drive.
need_wrk() {
  command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install -y wrk" >&2; exit 1; }
}
