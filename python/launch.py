#!/usr/bin/env python3
"""A minimal single-machine stand-in for torchrun, for PyTorch builds whose torchrun does not
start (Debian 12's 1.13 on Python 3.11 crashes in elastic/multiprocessing/api.py `to_map`):

    python3 python/launch.py --nproc_per_node 2 python/train.py gan --steps 100 --out g.safetensors

Starts N copies of the script with the environment torchrun gives them (RANK, LOCAL_RANK,
WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; OMP_NUM_THREADS=1 unless set), waits,
and when one fails stops the others and exits with its status. --master_port 0 (the default)
picks a free port.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def _die_with_parent():
    """Linux: the rank gets SIGTERM if the launcher itself is killed (no orphaned ranks)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="launch.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--nproc_per_node", "--nproc-per-node", type=int, default=1)
    parser.add_argument("--master_port", "--master-port", type=int, default=0)
    parser.add_argument("script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.nproc_per_node < 1:
        parser.error("--nproc_per_node must be >= 1")
    port = args.master_port or free_port()
    procs = []
    for rank in range(args.nproc_per_node):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank),
                   WORLD_SIZE=str(args.nproc_per_node), LOCAL_WORLD_SIZE=str(args.nproc_per_node),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        env.setdefault("OMP_NUM_THREADS", "1")
        procs.append(subprocess.Popen([sys.executable, args.script, *args.script_args], env=env,
                                      preexec_fn=_die_with_parent))
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # meant for the ranks (train.py prints its stack)
    status = 0
    try:
        while procs and status == 0:
            for p in list(procs):
                code = p.poll()
                if code is not None:
                    procs.remove(p)
                    status = status or code
            time.sleep(0.1)
    except KeyboardInterrupt:
        status = 130
    for p in procs:  # a rank failed (or Ctrl-C): the others would wait for it forever
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    if status:
        print(f"launch.py: a rank exited with status {status}", file=sys.stderr)
    return 1 if status < 0 else status


if __name__ == "__main__":
    sys.exit(main())
