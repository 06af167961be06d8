"""The soak benchmark (run it with scripts/soak.sh).

A fresh release cluster with a short retention window; a burst measures its top throughput;
then at least two million sagas run at 75% of it, while every 10 s this samples each process's
RSS and disk, the settle rate, the saga latency (p50, p99) and the monitor's lag. At one million
sagas it SIGKILLs the orchestrator and one service and measures how long each takes to restart;
at 300,000 it times every dashboard API call and list query. It ends with `sagactl check`, and
writes a JSON report and a PNG plot (RSS, disk and rate against sagas).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .wire import WireClient, WireError

PROCESSES = ["order", "inventory", "payment", "shipping", "saga", "monitor"]
PORTS = {"saga": 7001, "order": 7101, "inventory": 7201, "payment": 7301, "shipping": 7401, "monitor": 7501}
ROOT = Path(__file__).resolve().parents[2]


def router(name: str) -> str:
    return f"tcp://127.0.0.1:{PORTS[name]}"


@dataclass
class Soak:
    """One soak run and everything it measured."""

    home: Path
    bin: Path
    sagas: int
    retention: str
    concurrency: int
    kill_at: int
    probe_at: int
    interval: float
    http: str = "127.0.0.1:8080"
    client: WireClient = field(default_factory=lambda: WireClient(timeout_ms=15_000))
    samples: list[dict[str, Any]] = field(default_factory=list)
    restarts: list[dict[str, Any]] = field(default_factory=list)
    query_times: dict[str, float] = field(default_factory=dict)
    query_times_under_load: dict[str, float] = field(default_factory=dict)
    query_history: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    #: Sagas settled before the soak's load began (the throughput probe's); sample counts start after them.
    base: int = 0
    #: The throughput probes: before retention, and with it running.
    probes: dict[str, Any] = field(default_factory=dict)
    #: The load generator, paused while the queries are timed.
    load: subprocess.Popen[str] | None = None

    # The cluster

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"ZSAGA_HOME": str(self.home), "ZSAGA_BIN_DIR": str(self.bin), "ZSAGA_RETENTION": self.retention,
                    "ZSAGA_STOCK": "item1:1000000000,item2:1000000000,item3:1000000000",
                    "ZSAGA_MAX_IN_FLIGHT": "50000", "ZSAGA_CLIENT_RATE": "0", "ZSAGA_HTTP": self.http})
        return env

    def cluster(self, action: str) -> None:
        subprocess.run([str(ROOT / "scripts/cluster.sh"), action], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL)

    def pid(self, name: str) -> int | None:
        try:
            return int((self.home / "pids" / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def sagactl(self, *args: str, timeout: float = 3600) -> dict[str, Any]:
        out = subprocess.run([str(self.bin / "sagactl"), *args, "--json"], env=self.env(), capture_output=True, text=True,
                             timeout=timeout)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"sagactl {' '.join(args)} printed no report: {out.stderr[-2000:]}")
        return json.loads(lines[-1])

    # Measurements

    def rss_mb(self, name: str) -> float | None:
        pid = self.pid(name)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else None

    def disk_mb(self, name: str) -> float:
        total = 0
        for path in (self.home / name).rglob("*"):
            try:
                total += path.stat().st_size if path.is_file() else 0
            except OSError:
                pass
        return total / (1 << 20)

    def stats(self) -> dict[str, Any]:
        return self.client.query(router("saga"), "saga.Stats")

    def monitor_lag(self) -> int:
        """Events the monitor has not consumed yet, over every source (from the sources' heads)."""
        streams = self.client.query(router("monitor"), "sys.Ping").get("streams", {})
        lag = 0
        for name in ["saga", "order", "inventory", "payment", "shipping"]:
            head = self.client.query(router(name), "sys.Head")["head"]
            lag += max(0, head - streams.get(name, {}).get("position", 0))
        return lag

    def sample(self, last: dict[str, Any] | None) -> dict[str, Any]:
        now = time.monotonic() - self.started
        stats = self.stats()
        by = stats["by_status"]
        settled = by["completed"] + by["compensated"] - self.base
        latency: dict[str, Any] = {}
        try:
            latency = self.client.query(router("monitor"), "monitor.Analytics", {"window": "1m"})["sagas"]["latency_ms"]
        except (WireError, KeyError):
            pass
        sample = {
            "t": round(now, 1), "sagas": stats["total"] - self.base, "settled": settled, "in_flight": stats["in_flight"],
            "rate": round((settled - last["settled"]) / max(now - last["t"], 0.001), 1) if last else 0.0,
            "p50_ms": latency.get("p50"), "p99_ms": latency.get("p99"),
            "rss_mb": {name: self.rss_mb(name) for name in PROCESSES},
            "disk_mb": {name: round(self.disk_mb(name), 1) for name in PROCESSES},
        }
        try:
            sample["monitor_lag_events"] = self.monitor_lag()
        except WireError:
            sample["monitor_lag_events"] = None
        sample["retention"] = retention = self.retention_status()
        for name in ["saga", "monitor"]:
            if name in retention:
                retention[name]["holds_sagas"] = stats["total"] - retention[name]["retired"]
        return sample

    def retention_status(self) -> dict[str, Any]:
        """Each process's retirement so far: what it retired (aggregates, or the monitor's
        sagas) and how long its last batch took. The sagas started less the orchestrator's and
        the monitor's retired ones are what each still holds: they should stay near one window's
        worth, and apart only by the sagas in flight."""
        status: dict[str, Any] = {}
        for name in PROCESSES:
            try:
                retention = self.client.query(router(name), "sys.Ping").get("retention", {})
            except WireError:
                continue
            status[name] = {"retired": retention.get("retired", {}).get("streams", 0), "last_batch_ms": retention.get("last_batch_ms")}
        return status

    def restart(self, name: str) -> dict[str, Any]:
        """SIGKILLs a process, restarts it, and measures its recovery (its own log line) and the
        wall time until it answers a ping."""
        pid = self.pid(name)
        assert pid, f"{name} is not running"
        log = self.home / "logs" / f"{name}.log"
        offset = log.stat().st_size
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists():
            time.sleep(0.01)
        began = time.monotonic()
        self.cluster("up")
        while True:
            try:
                self.client.query(router(name), "sys.Ping")
                break
            except WireError:
                time.sleep(0.05)
        answered = time.monotonic() - began
        text = log.read_bytes()[offset:].decode(errors="replace")
        recovered = re.findall(r'msg="(?:recovered[^"]*|monitor recovered)".* ms=(\d+)', text)
        return {"process": name, "recovery_ms": int(recovered[-1]) if recovered else None,
                "until_ping_s": round(answered, 3), "at_sagas": self.stats()["total"]}

    def time_queries(self) -> None:
        """Times every dashboard API call and list query at this size of history (the slowest of
        3): once under the load, and once with the load paused and the monitor caught up."""
        self.query_times = self.timed_queries()
        self.query_times_under_load = dict(self.query_times)
        assert self.load is not None
        self.load.send_signal(signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (self.stats()["in_flight"] > 0 or self.monitor_lag() > 0):
                time.sleep(0.2)
            self.query_times = self.timed_queries()
            self.query_history = {"sagas": self.stats()["total"], "retained_sagas_listed": self.retained_sagas()}
        finally:
            self.load.send_signal(signal.SIGCONT)

    def retained_sagas(self) -> int:
        """How many sagas the orchestrator still holds (retention keeps the window only): all it
        ever ran less the saga streams retired."""
        retired = self.client.query(router("saga"), "sys.Ping").get("retention", {}).get("retired", {}).get("streams", 0)
        return int(self.stats()["total"]) - int(retired)

    def timed_queries(self) -> dict[str, float]:
        times_by_query: dict[str, float] = {}
        some = self.client.query(router("saga"), "saga.ListSagas", {"limit": 1})["sagas"]
        saga = some[0]["saga_id"] if some else "none"
        queries: list[tuple[str, str, dict[str, Any]]] = [
            ("saga", "saga.ListSagas", {"limit": 100}), ("saga", "saga.ListSagas", {"status": "completed", "limit": 100}),
            ("saga", "saga.Stats", {}), ("saga", "saga.GetSaga", {"saga_id": saga}),
            ("order", "order.ListOrders", {"limit": 100}), ("order", "order.OrdersByUser", {"user_id": "u1", "limit": 100}),
            ("order", "order.Stats", {}), ("inventory", "inventory.ListReservations", {"limit": 100}),
            ("inventory", "inventory.Stats", {}), ("payment", "payment.ListPayments", {"limit": 100}),
            ("payment", "payment.Totals", {}), ("shipping", "shipping.ListShipments", {"limit": 100}),
            ("monitor", "monitor.Stats", {}), ("monitor", "monitor.ListSagas", {"limit": 50}),
            ("monitor", "monitor.Search", {"text": "soak-1", "limit": 50}), ("monitor", "monitor.OrdersByUser", {"user_id": "u1"}),
            ("monitor", "monitor.Timeline", {"saga_id": saga}),
        ]
        for process, type_, body in queries:
            times = []
            for _ in range(3):
                began = time.monotonic()
                try:
                    self.client.query(router(process), type_, body)
                except WireError:
                    pass
                times.append((time.monotonic() - began) * 1000)
            times_by_query[f"{process} {type_} {json.dumps(body, sort_keys=True)}"] = round(max(times), 2)
        for path in ["/api/summary", "/api/sagas?limit=50", "/api/sagas?status=compensated&limit=50", f"/api/sagas/{saga}",
                     "/api/series?seconds=300", "/api/alerts?limit=50", "/api/health", "/metrics"]:
            times = []
            for _ in range(3):
                began = time.monotonic()
                try:
                    urllib.request.urlopen(f"http://{self.http}{path}", timeout=10).read()
                except OSError:
                    pass
                times.append((time.monotonic() - began) * 1000)
            times_by_query[f"GET {path}"] = round(max(times), 2)
        return times_by_query

    # The run

    def probe(self) -> tuple[float, float]:
        """Measures the cluster's top throughput with retention running, and returns it with the
        soak's rate (75% of it).

        A first burst gives a rough top; a warm-up at 75% of it then runs one retention window
        and 30 s more, so that every process is retiring history when the second burst measures
        the top the soak's rate is taken from. (Measured before retention starts, the top is
        higher than what the cluster sustains once it runs, and 75% of it saturates the cluster.)
        """
        rough = self.sagactl("run", "--sagas", "30000", "--concurrency", "256", "--prefix", "probe")["sagas_per_s"]
        if self.retention == "off":
            # Nothing is retired: the first burst's top is the one the soak sustains.
            self.probes = {"before_retention_sagas_per_s": rough, "with_retention_sagas_per_s": None, "warm_up_s": 0}
            return rough, round(rough * 0.75, 1)
        warm_s = duration_s(self.retention) + 30
        self.sagactl("run", "--sagas", str(int(rough * 0.75 * warm_s)), "--concurrency", str(self.concurrency),
                     "--rate", str(round(rough * 0.75, 1)), "--prefix", "warm")
        top = self.sagactl("run", "--sagas", "30000", "--concurrency", "256", "--prefix", "probe2")["sagas_per_s"]
        self.probes = {"before_retention_sagas_per_s": rough, "with_retention_sagas_per_s": top, "warm_up_s": warm_s}
        rate = round(top * 0.75, 1)
        print(f"top throughput {rough:.0f} sagas/s, {top:.0f} with retention running; soak at {rate:.0f}/s", file=sys.stderr)
        return top, rate

    def run(self) -> dict[str, Any]:
        shutil.rmtree(self.home, ignore_errors=True)
        self.cluster("up")
        try:
            top, rate = self.probe()
            by = self.stats()["by_status"]
            self.base = by["completed"] + by["compensated"]
            self.load = load = subprocess.Popen([str(self.bin / "sagactl"), "run", "--sagas", str(self.sagas), "--concurrency",
                                     str(self.concurrency), "--rate", str(rate), "--prefix", "soak", "--json"],
                                    env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            last: dict[str, Any] | None = None
            killed = probed = False
            while load.poll() is None:
                time.sleep(self.interval)
                try:
                    last = self.sample(last)
                except WireError as error:
                    print(f"sample failed: {error}", file=sys.stderr)
                    continue
                self.samples.append(last)
                print(json.dumps(last), file=sys.stderr)
                if not probed and last["sagas"] >= self.probe_at:
                    self.time_queries()
                    probed = True
                if not killed and last["sagas"] >= self.kill_at:
                    self.restarts = [self.restart("saga"), self.restart("payment")]
                    killed = True
            out, _ = load.communicate()
            ended = time.monotonic()
            summary = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
            # The monitor's lag once the load stops: how long until it has every event.
            lag_after_1s = None
            while True:
                lag = self.monitor_lag()
                if time.monotonic() - ended >= 1 and lag_after_1s is None:
                    lag_after_1s = lag
                if lag == 0 or time.monotonic() - ended > 300:
                    break
                time.sleep(0.1)
            caught_up = round(time.monotonic() - ended, 2)
            self.samples.append(self.sample(last))
            check = self.sagactl("check", timeout=7200)
            return {"sagas": self.sagas, "retention": self.retention, "top_sagas_per_s": top, "rate": rate,
                    "load": summary, "samples": self.samples, "restarts": self.restarts, "query_ms": self.query_times,
                    "query_ms_under_load": self.query_times_under_load, "query_history": self.query_history, "probe_sagas": self.base, "probes": self.probes,
                    "monitor_caught_up_s": caught_up, "monitor_lag_events_1s_after": lag_after_1s,
                    "check": {"violations": check["violations"], "sagas": check["sagas"]}}
        finally:
            self.cluster("down")


def duration_s(text: str) -> float:
    """Seconds of a duration written as the processes take it: `90s`, `3m`, `2h`, `7d`."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    """The targets of the soak, read off the report."""
    samples = [s for s in report["samples"] if s["rate"] > 0]
    sagas = report["sagas"]
    first = [s for s in samples if s["settled"] <= sagas * 0.1]
    final = [s for s in samples if s["settled"] >= sagas * 0.9]

    def nearest(target: int) -> dict[str, Any]:
        return min(report["samples"], key=lambda s: abs(s["settled"] - target))

    rss_max = {name: max((s["rss_mb"].get(name) or 0) for s in report["samples"]) for name in PROCESSES}
    at_200k, at_end = nearest(200_000), report["samples"][-1]
    growth = {name: round((at_end["rss_mb"][name] or 0) / max(at_200k["rss_mb"][name] or 1, 1), 3) for name in PROCESSES}
    # Disk once retention has long started (a fifth of the run in) against the end.
    at_fifth = nearest(sagas // 5)
    disk_growth = {name: round((at_end["disk_mb"].get(name) or 0) / max(at_fifth["disk_mb"].get(name) or 1, 1), 3) for name in PROCESSES}
    rate_first = statistics.mean(s["rate"] for s in first) if first else 0
    rate_last = statistics.mean(s["rate"] for s in final) if final else 0
    p99_first = statistics.median(s["p99_ms"] for s in first if s["p99_ms"]) if first else None
    p99_last = statistics.median(s["p99_ms"] for s in final if s["p99_ms"]) if final else None
    return {
        "rss_max_mb": rss_max, "rss_at_end_over_200k": growth,
        "rss_ok": all(v <= 150 for v in rss_max.values()) and all(v <= 1.2 for v in growth.values()),
        "disk_at_end_over_20pct": disk_growth, "disk_ok": all(v <= 1.2 for v in disk_growth.values()),
        "rate_first_10pct": round(rate_first, 1), "rate_last_10pct": round(rate_last, 1),
        "rate_ok": rate_first > 0 and rate_last >= 0.9 * rate_first,
        "p99_first_10pct_ms": p99_first, "p99_last_10pct_ms": p99_last,
        "p99_ok": bool(p99_first and p99_last and p99_last <= 1.5 * p99_first),
        "restart_ok": all((r["recovery_ms"] or 10_000) <= 1000 for r in report["restarts"]),
        "monitor_lag_ok": report["monitor_caught_up_s"] <= 1,
        "queries_max_ms": max(report["query_ms"].values()) if report["query_ms"] else None,
        "queries_ok": all(v <= 50 for v in report["query_ms"].values()),
        "check_ok": report["check"]["violations"] == [],
    }


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = report["samples"]
    x = [s["settled"] / 1e6 for s in samples]
    figure, (rss, disk, rate) = plt.subplots(3, 1, figsize=(10, 11), sharex=True)
    for name in PROCESSES:
        rss.plot(x, [s["rss_mb"].get(name) for s in samples], label=name)
        disk.plot(x, [s["disk_mb"].get(name) for s in samples], label=name)
    rss.axhline(150, color="grey", linestyle=":", label="150 MB target")
    rss.set_ylabel("RSS (MB)")
    rss.legend(ncol=4, fontsize=8)
    disk.set_ylabel("data directory (MB)")
    disk.legend(ncol=3, fontsize=8)
    rate.plot(x, [s["rate"] for s in samples], label="settled / s")
    p99 = rate.twinx()
    p99.plot(x, [s["p99_ms"] for s in samples], color="tab:red", alpha=0.5, label="p99 (ms, right)")
    rate.set_ylabel("sagas settled per second")
    p99.set_ylabel("p99 latency (ms)")
    rate.set_xlabel("sagas settled (millions)")
    rate.legend(loc="lower left", fontsize=8)
    p99.legend(loc="lower right", fontsize=8)
    achieved = report.get("load", {}).get("sagas_per_s", 0)
    figure.suptitle(f"ZSaga soak: {report['sagas']:,} sagas, load target {report['rate']:.0f}/s (achieved {achieved:.0f}/s), "
                    f"retention {report['retention']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sagas", type=int, default=2_000_000)
    parser.add_argument("--retention", default="3m")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--home", type=Path, default=Path("/tmp/zsaga-soak"))
    parser.add_argument("--bin", type=Path, default=ROOT / ".build/release")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args()
    soak = Soak(home=args.home, bin=args.bin, sagas=args.sagas, retention=args.retention, concurrency=args.concurrency,
                kill_at=args.sagas // 2, probe_at=min(300_000, args.sagas // 2), interval=args.interval)
    report = soak.run()
    report["verdicts"] = verdicts(report)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"soak-{stamp}.json").write_text(json.dumps(report, indent=1))
    plot(report, args.out / f"soak-{stamp}.png")
    print(json.dumps(report["verdicts"], indent=1))
    print(f"report: {args.out}/soak-{stamp}.json and .png")
    return 0 if report["verdicts"]["check_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
