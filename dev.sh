#!/usr/bin/env bash
# Tideline set-up and entry points. Boring on purpose:
#   ./dev.sh run    set up what is missing, then open the app on the demo case
#   ./dev.sh test   set up what is missing, then run ruff, import-linter and the whole test suite
# Set-up installs system packages (Tesseract with its language data, Qt's xcb libraries, fonts
# for Arabic and Persian, Raqm) with apt-get where they are missing, creates .venv and installs
# the project with its dev extras. It is skipped when nothing changed since the last run.
set -euo pipefail
cd "$(dirname "$0")"

SYSTEM_PACKAGES=(
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara tesseract-ocr-fas tesseract-ocr-fra
  tesseract-ocr-tur
  libraqm0 libfribidi0 libharfbuzz0b fonts-noto-core fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxcb-randr0 libxkbcommon0 libxkbcommon-x11-0
  libegl1 libgl1 libopengl0 libfontconfig1 libdbus-1-3 libglib2.0-0
  sqlite3
)

say() { printf 'tideline: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

install_system_packages() {
  command -v apt-get >/dev/null 2>&1 || {
    say "no apt-get here: install Tesseract (eng, ara, fas, fra, tur) yourself, see README.md"
    return 0
  }
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || say "apt-get update failed; trying with the lists we have"
  if ! as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # A package name can differ between releases: take what is there, one by one.
    for p in "${missing[@]}"; do
      as_root apt-get install -y -qq --no-install-recommends "$p" >/dev/null \
        || say "could not install $p"
    done
  fi
}

ensure_python() {
  local py="${PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || { as_root apt-get install -y -qq python3 || true; }
  if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    as_root apt-get install -y -qq python3-venv python3-pip >/dev/null || true
  fi
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    say "Python 3.11 or newer is needed ($("$py" --version 2>&1) found)"; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
}

setup() {
  local stamp=.venv/.setup-stamp want
  want="$(cat pyproject.toml dev.sh | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  install_system_packages
  ensure_python
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    setup
    exec .venv/bin/python main.py demo "$@"
    ;;
  test)
    setup
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    .venv/bin/ruff check .
    .venv/bin/lint-imports
    exec .venv/bin/python -m pytest "$@"
    ;;
  setup)
    setup
    ;;
  *)
    echo "usage: ./dev.sh run|test|setup" >&2
    exit 2
    ;;
esac
