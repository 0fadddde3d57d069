#!/usr/bin/env bash
# Install a single-node SLURM (slurm-wlm) and munge for the experiment tests.
# Idempotent: does nothing when slurmctld, slurmd and munged are already installed.
set -euo pipefail

if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
    && command -v munged >/dev/null 2>&1 && command -v sbatch >/dev/null 2>&1; then
    echo "slurm and munge already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge
echo "installed: $(slurmctld -V 2>/dev/null || echo slurm)"
