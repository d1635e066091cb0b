#!/usr/bin/env bash
# Installs what fx needs to build and test, from Debian's packages. Safe to run again: it
# only calls apt-get when something is missing. `--fuzz` adds what scripts/fuzz.sh needs.
set -euo pipefail

fuzz=0
[[ ${1:-} == --fuzz ]] && fuzz=1

packages=(build-essential cmake ninja-build pkg-config ccache
  libcli11-dev libyaml-cpp-dev libcurl4-openssl-dev libfmt-dev catch2
  nlohmann-json3-dev libsqlite3-dev libzip-dev zipcmp zipmerge ziptool
  libssl-dev libboost-dev
  python3 curl ruby  # ruby: the interpreter of the ruby3.x runtimes (Debian 12's is 3.1)
  autoconf automake libtool)  # the last three build AWS's aws-lambda-ric for its e2e test

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The end-to-end tests drive the real AWS CLI and boto3; the machine's Python usually has them.
command -v aws >/dev/null 2>&1 || missing+=(awscli)
python3 -c "import boto3" 2>/dev/null || missing+=(python3-boto3)
# The unit tests sign requests as botocore does and compare, and run moto's server; without
# either they fail rather than skip. Debian 12 packages botocore but not moto: python3-moto is
# installed where the distribution has it, and checked for below either way.
python3 -c "import botocore" 2>/dev/null || missing+=(python3-botocore)
need_moto=0
python3 -c "import moto.server" 2>/dev/null || need_moto=1
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# The fuzz targets: clang 16, the oldest Debian clang that compiles fx's C++20 as GCC 12 does
# (clang 14 refuses lambdas that capture structured bindings); libFuzzer and the sanitizers'
# runtimes are in libclang-rt-16-dev; llvm-16 has the symbolizer that makes reports readable.
# They go in without their recommends (llvm-16-dev and more), which the fuzz build never uses.
missing_fuzz=()
if ((fuzz)); then
  for p in clang-16 libclang-rt-16-dev llvm-16; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing_fuzz+=("$p")
  done
fi

if ((${#missing[@]} + ${#missing_fuzz[@]} + need_moto)); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  if ((need_moto)) && apt-cache show python3-moto >/dev/null 2>&1; then
    missing+=(python3-moto)
  fi
  ((${#missing[@]} + ${#missing_fuzz[@]} == 0)) || echo "installing: ${missing[*]} ${missing_fuzz[*]}"
  ((${#missing[@]} == 0)) ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
  ((${#missing_fuzz[@]} == 0)) ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
      "${missing_fuzz[@]}"
fi

# Debian's packages go to Debian's python3; a python3 of its own (pyenv, a venv) first on PATH
# does not see them.
if ! python3 -c "import botocore, moto.server" 2>/dev/null; then
  echo "install-deps.sh: $(command -v python3) cannot import botocore and moto.server, which" \
    "the AWS tests need. Install them into that python3 (python3 -m pip install" \
    "'moto[server]' brings both), or put a python3 that has them first on PATH." >&2
  exit 1
fi
