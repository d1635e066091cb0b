#!/usr/bin/env bash
# Installs what fx needs to build and test, from Debian's packages. Safe to run again: it
# only calls apt-get when something is missing.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config ccache
  libcli11-dev libyaml-cpp-dev libcurl4-openssl-dev libfmt-dev catch2
  nlohmann-json3-dev libsqlite3-dev libzip-dev zipcmp zipmerge ziptool
  libssl-dev libboost-dev
  python3 curl
  autoconf automake libtool)  # the last three build AWS's aws-lambda-ric for its e2e test

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The end-to-end tests drive the real AWS CLI and boto3; the machine's Python usually has them.
command -v aws >/dev/null 2>&1 || missing+=(awscli)
python3 -c "import boto3" 2>/dev/null || missing+=(python3-boto3)
command -v node >/dev/null 2>&1 || missing+=(nodejs)

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
