"""Watches retention keep up under load (a shorter companion of the soak).

A fresh release cluster with a retention window; `sagactl run` at a set rate (above the top
throughput, it saturates the cluster); every 10 s one JSON line: sagas started and in flight,
what the orchestrator and the monitor have retired, how far the oldest saga the monitor still
holds lies behind now (it should stay near the window), the monitor's last retirement batch, its
disk, and the CPU each process used since the last line.

    cd scripts && python3 -m zsaga_scripts.retention_watch --rate 3000 --sagas 420000 --retention 3m
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .soak import ROOT, Soak, router

WATCHED = ["monitor", "saga", "order", "inventory", "payment", "shipping"]


def cpu_s(pid: int | None) -> float:
    """User plus system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def oldest_held_s(home: Path) -> float | None:
    """How long ago the oldest saga the monitor still holds ended (s), read from its log."""
    try:
        db = sqlite3.connect(f"file:{home}/monitor/monitor.sqlite?mode=ro", uri=True)
        try:
            oldest = db.execute("SELECT min(saga_ended_ms) FROM sagas").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return round(time.time() - oldest / 1000, 1) if oldest else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sagas", type=int, default=420_000)
    parser.add_argument("--rate", type=float, default=3000)
    parser.add_argument("--retention", default="3m")
    parser.add_argument("--home", type=Path, default=Path("/tmp/zsaga-retention-watch"))
    parser.add_argument("--bin", type=Path, default=ROOT / ".build/release")
    args = parser.parse_args()
    soak = Soak(home=args.home, bin=args.bin, sagas=args.sagas, retention=args.retention, concurrency=256, kill_at=0,
                probe_at=0, interval=10)
    shutil.rmtree(args.home, ignore_errors=True)
    soak.cluster("up")
    try:
        load = subprocess.Popen([str(args.bin / "sagactl"), "run", "--sagas", str(args.sagas), "--concurrency", "256",
                                 "--rate", str(args.rate), "--prefix", "watch", "--json"],
                                env=soak.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        began = last = time.monotonic()
        used = {name: cpu_s(soak.pid(name)) for name in WATCHED}
        while load.poll() is None:
            time.sleep(10)
            now = time.monotonic()
            stats = soak.stats()
            monitor = soak.client.query(router("monitor"), "sys.Ping").get("retention", {})
            saga = soak.client.query(router("saga"), "sys.Ping").get("retention", {})
            cpu = {name: cpu_s(soak.pid(name)) for name in WATCHED}
            print(json.dumps({
                "t": round(now - began), "sagas": stats["total"], "in_flight": stats["in_flight"],
                "saga_retired": saga.get("retired", {}).get("streams", 0),
                "monitor_retired": monitor.get("retired", {}).get("streams", 0),
                "monitor_oldest_held_s": oldest_held_s(args.home),
                "monitor_last_batch_ms": monitor.get("last_batch_ms"), "monitor_disk_mb": round(soak.disk_mb("monitor")),
                "cpu_cores": {name: round((cpu[name] - used[name]) / (now - last), 2) for name in WATCHED},
            }), flush=True)
            used, last = cpu, now
        out, _ = load.communicate()
        print([line for line in out.splitlines() if line.startswith("{")][-1])
    finally:
        soak.cluster("down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
