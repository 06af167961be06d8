"""`./scripts/cluster.sh build` (and `up`) build only when a source changed since the last
build, and with the OTLP trait when OTEL_TRACES_EXPORTER=otlp asks for it: the script runs in
a copy of the repository's layout with a `swift` on PATH that records its calls."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_repo(tmp: Path) -> tuple[Path, Path, Path]:
    root = tmp / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "cluster.sh", root / "scripts" / "cluster.sh")
    (root / "scripts" / "bootstrap.sh").write_text("#!/usr/bin/env bash\nexit 0\n")
    (root / "scripts" / "bootstrap.sh").chmod(0o755)
    (root / "Sources" / "a").mkdir(parents=True)
    (root / "Sources" / "a" / "a.swift").write_text("let a = 1\n")
    (root / "Package.swift").write_text("// manifest\n")
    calls = tmp / "calls"
    tools = tmp / "bin"
    tools.mkdir()
    swift = tools / "swift"
    swift.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {calls}\n'
        'mkdir -p .build/release && printf "#!/bin/sh\\n" > .build/release/sagactl && chmod +x .build/release/sagactl\n'
    )
    swift.chmod(0o755)
    return root, calls, tools


def build(root: Path, tools: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZSAGA_BIN_DIR", "OTEL_TRACES_EXPORTER")}
    env["PATH"] = f"{tools}:{env['PATH']}"
    env.update(extra)
    return subprocess.run([str(root / "scripts" / "cluster.sh"), "build"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60, check=True)


def calls(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_second_build_with_no_change_runs_no_compile_step(tmp_path: Path) -> None:
    root, log, tools = make_repo(tmp_path)
    build(root, tools)
    assert calls(log) == ["build -c release"]
    build(root, tools)
    assert calls(log) == ["build -c release"], "the second build compiled again"
    time.sleep(1.1)
    (root / "Sources" / "a" / "a.swift").write_text("let a = 2\n")
    build(root, tools)
    assert calls(log) == ["build -c release", "build -c release"], "a changed source was not built"


def test_traces_asked_for_build_the_otlp_trait_and_back(tmp_path: Path) -> None:
    root, log, tools = make_repo(tmp_path)
    build(root, tools)
    build(root, tools, OTEL_TRACES_EXPORTER="otlp")
    build(root, tools, OTEL_TRACES_EXPORTER="otlp")
    build(root, tools)
    assert calls(log) == ["build -c release", "build -c release --traits OTLP", "build -c release"]
