"""Launching 2 gloo processes on this machine with torchrun, loopback only, bounded in time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

LAUNCH_TIMEOUT_S = 300
"""A hung rendezvous or collective fails the test after this instead of hanging the suite."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(args: list[str], *, cwd=None) -> subprocess.CompletedProcess:
    """``torchrun --nproc-per-node 2`` of ``args`` (a script or ``-m module`` and its arguments)."""
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
               "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), *args]
    done = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"torchrun exited {done.returncode}\nstdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}")
    return done
