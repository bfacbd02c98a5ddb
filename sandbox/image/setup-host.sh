#!/usr/bin/env bash
# Make this host ready for the sandbox: Docker installed and running, and the sandbox image built.
#
#   setup-host.sh                 Docker + Compose + debootstrap + gVisor, dockerd running, the image built
#   setup-host.sh --docker-only   the same without the image (the service builds it in the background)
#
# Installs Debian's docker.io, docker-compose, debootstrap and runsc (gVisor) when missing (needs root
# and apt), registers runsc with Docker as the runtime "runsc" (sandbox/image/register-runsc.py, then a
# SIGHUP: dockerd reloads its runtimes without touching running containers),
# starts dockerd when no daemon answers (systemd if present, else in the background with its log in
# /var/log/dockerd.log). Every step is skipped when already done. Where a step is impossible here
# (not root, no apt-get), it says so in one line, with what to run, and exits 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
REFEREE=${REFEREE:-.venv/bin/referee}
BUILD_IMAGE=1
[ "${1:-}" = "--docker-only" ] && BUILD_IMAGE=0

fail() {
    echo "referee: $*" >&2
    exit 1
}

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v runsc >/dev/null || missing+=(runsc)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || fail "the sandbox needs ${missing[*]} (Debian packages), and installing them needs root: run 'sudo make sandbox', then this command again"
    command -v apt-get >/dev/null || fail "the sandbox needs ${missing[*]} and this host has no apt-get: install Docker (with Compose) and debootstrap yourself, then run this command again"
    echo "referee: installing ${missing[*]} from Debian's packages (about a minute)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || fail "Docker is installed but no daemon answers this user, and starting one needs root: run 'sudo make sandbox' (or start dockerd), then this command again"
    echo "referee: starting dockerd" >&2
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        systemctl start docker
    else
        setsid nohup dockerd >/var/log/dockerd.log 2>&1 < /dev/null &  # its own session: Ctrl-C on make serve leaves it
    fi
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || fail "dockerd did not start; see /var/log/dockerd.log"
fi

if ! docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; then
    [ "$(id -u)" -eq 0 ] || fail "gVisor (runsc) is not registered with Docker, which needs root: run 'sudo make sandbox'"
    echo "referee: registering gVisor (runsc) with Docker" >&2
    python3 sandbox/image/register-runsc.py /etc/docker/daemon.json "$(command -v runsc)"
    pkill -HUP -x dockerd || fail "no dockerd to reload; restart Docker to load /etc/docker/daemon.json"
    for _ in $(seq 1 20); do
        docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"' && break
        sleep 0.5
    done
    docker info --format '{{json .Runtimes}}' | grep -q '"runsc"' || fail "Docker did not load the runsc runtime; see /var/log/dockerd.log"
fi

if [ "$BUILD_IMAGE" = 1 ]; then
    "$REFEREE" sandbox build --languages "${REFEREE_SANDBOX_LANGUAGES:-python,cpp}"
fi
