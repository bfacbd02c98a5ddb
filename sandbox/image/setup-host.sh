#!/usr/bin/env bash
# Make this host ready for the sandbox: Docker installed and running, and the sandbox image built.
# Installs Debian's docker.io and debootstrap when missing (needs root and apt), starts dockerd when
# no daemon answers (systemd if present, else in the background with its log in /var/log/dockerd.log),
# then runs `referee sandbox build` (a no-op when a current image exists).
set -euo pipefail
cd "$(dirname "$0")/../.."
REFEREE=${REFEREE:-.venv/bin/referee}

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v docker-compose >/dev/null; then
    echo "referee: installing docker.io, docker-compose and debootstrap from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    echo "referee: starting dockerd" >&2
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        systemctl start docker
    else
        nohup dockerd >/var/log/dockerd.log 2>&1 &
    fi
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { echo "referee: dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi

"$REFEREE" sandbox build
