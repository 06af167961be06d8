#!/usr/bin/env python3
"""Run compose/docker-compose.yml's services as separate network hosts, without Docker.

Each service runs as its real executable in its own network namespace, with its own address
on a bridge that itself lives in a separate namespace: nothing outside the test hosts can route
to them and no traffic leaves the machine. /etc/netns/<ns>/hosts maps the compose service names
to the addresses, so the processes find each other exactly as under compose. A `client` host on
the same bridge runs sagactl (`exec`).

    hosts.py up | down | status | partition NAME | heal [NAME] | exec -- COMMAND...

Environment: ZSAGA_BIN_DIR (.build/release), ZSAGA_HOSTS_HOME (./data/hosts),
ZSAGA_HOSTS_PREFIX (zsaga: names of namespaces and links), COMPOSE_FILE (compose/docker-compose.yml),
and any variable the compose file interpolates (ZSAGA_CLUSTER_SECRET, which it requires,
ZSAGA_STOCK, PAYMENT_FAULT, …).
"""
import json, os, re, shutil, signal, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPOSE = os.environ.get("COMPOSE_FILE", os.path.join(ROOT, "compose", "docker-compose.yml"))
BIN = os.environ.get("ZSAGA_BIN_DIR", os.path.join(ROOT, ".build", "release"))
HOME = os.path.abspath(os.environ.get("ZSAGA_HOSTS_HOME", os.path.join(ROOT, "data", "hosts")))
PREFIX = os.environ.get("ZSAGA_HOSTS_PREFIX", "zsaga")[:6]
SUBNET = "10.231.0"
NET = f"{PREFIX}-net"
BRIDGE = f"{PREFIX}br"
CLIENT = "client"


def run(*args, check=True, quiet=False, env=None):
    result = subprocess.run(list(args), capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise SystemExit(f"hosts: {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def interpolate(value):
    """Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
    ${VAR?error} and $$ for a literal $."""
    if not isinstance(value, str):
        return value
    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        current = os.environ.get(name)
        unset_or_empty = current is None or (current == "" and op in (":-", ":?"))
        if op in (":-", "-"):
            return arg if unset_or_empty else current
        if op in (":?", "?"):
            if unset_or_empty:
                raise SystemExit(f"hosts: {name}: {arg or 'is required'}")
            return current
        return current or ""
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", replace, value)


def load():
    import yaml
    with open(COMPOSE) as f:
        compose = yaml.safe_load(f)
    services = {}
    for name, spec in compose["services"].items():
        if ((spec.get("deploy") or {}).get("replicas", 1)) == 0:
            continue  # an opt-in profile (chaos): not part of the cluster
        command = [interpolate(c) for c in spec["command"]]
        env = {k: str(interpolate(v)) for k, v in (spec.get("environment") or {}).items()}
        health = [interpolate(c) for c in (spec.get("healthcheck") or {}).get("test", [])]
        services[name] = {"command": command, "env": env, "health": health[1:] if health[:1] == ["CMD"] else health}
    return services


def hosts_of(services):
    names = list(services) + [CLIENT]
    return {name: f"{SUBNET}.{10 + i}" for i, name in enumerate(names)}


def ns(name):
    return f"{PREFIX}-{name}"


def state_file():
    return os.path.join(HOME, "hosts.json")


def binary(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name) or name


def roles():
    """Which process of the topology each executable runs, for the client's environment:
    from `sagactl topology` (the built-in one, or ZSAGA_TOPOLOGY's), not a copy kept here."""
    table = run(binary("sagactl"), "topology").stdout
    return {fields[2]: fields[0] for fields in (line.split("\t") for line in table.splitlines()) if len(fields) == 5}


def client_env(services):
    env = {}
    names = roles()
    for name, spec in services.items():
        role = names.get(spec["command"][0])
        if not role:
            continue
        for kind in ("ROUTER", "PUB"):
            bound = spec["env"].get(f"ZSAGA_{kind}", "")
            port = bound.rsplit(":", 1)[-1]
            if port.isdigit():
                env[f"ZSAGA_{role.upper().replace('-', '_')}_{kind}"] = f"tcp://{name}:{port}"
        if role == "saga":
            env["ZSAGA_ORCHESTRATOR"] = env.get("ZSAGA_SAGA_ROUTER", "")
    return env


def up():
    services = load()
    if os.path.exists(state_file()):
        raise SystemExit("hosts: already up (hosts.sh down first)")
    addresses = hosts_of(services)
    probe = run("ip", "netns", "add", ns("probe"), check=False)
    if probe.returncode != 0:
        print(f"hosts: cannot create network namespaces here: {probe.stderr.strip()}", file=sys.stderr)
        sys.exit(3)
    run("ip", "netns", "del", ns("probe"))
    os.makedirs(os.path.join(HOME, "logs"), exist_ok=True)
    # The bridge lives in a namespace of its own.
    run("ip", "netns", "add", NET)
    run("ip", "netns", "exec", NET, "ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "netns", "exec", NET, "ip", "link", "set", BRIDGE, "up")
    run("ip", "netns", "exec", NET, "ip", "link", "set", "lo", "up")
    hosts_text = "127.0.0.1 localhost\n" + "".join(f"{ip} {name}\n" for name, ip in addresses.items())
    for index, (name, ip) in enumerate(addresses.items()):
        space, outer, inner = ns(name), f"{PREFIX}b{index}", f"{PREFIX}h{index}"
        run("ip", "netns", "add", space)
        os.makedirs(f"/etc/netns/{space}", exist_ok=True)
        with open(f"/etc/netns/{space}/hosts", "w") as f:
            f.write(hosts_text)
        run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
        run("ip", "link", "set", inner, "netns", space)
        run("ip", "link", "set", outer, "netns", NET)
        run("ip", "netns", "exec", space, "ip", "link", "set", inner, "name", "eth0")
        run("ip", "netns", "exec", space, "ip", "addr", "add", f"{ip}/24", "dev", "eth0")
        run("ip", "netns", "exec", space, "ip", "link", "set", "eth0", "up")
        run("ip", "netns", "exec", space, "ip", "link", "set", "lo", "up")
        run("ip", "netns", "exec", NET, "ip", "link", "set", outer, "master", BRIDGE)
        run("ip", "netns", "exec", NET, "ip", "link", "set", outer, "up")
    state = {"addresses": addresses, "links": {name: f"{PREFIX}b{i}" for i, name in enumerate(addresses)}, "pids": {}}
    for name, spec in services.items():
        env = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME}
        env.update(spec["env"])
        env["ZSAGA_DATA_DIR"] = os.path.join(HOME, "data", name)
        log = open(os.path.join(HOME, "logs", f"{name}.log"), "ab")
        process = subprocess.Popen(["ip", "netns", "exec", ns(name), binary(spec["command"][0])] + spec["command"][1:],
                                   env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        state["pids"][name] = process.pid
    with open(state_file(), "w") as f:
        json.dump(state, f)
    # Ready when every healthcheck (run inside its own host) passes.
    deadline = time.time() + 90
    pending = {name for name, spec in services.items() if spec["health"]}
    while pending and time.time() < deadline:
        for name in sorted(pending):
            check = services[name]["health"]
            # Like a container's healthcheck: with the service's own environment.
            env = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME, **services[name]["env"]}
            result = run("ip", "netns", "exec", ns(name), binary(check[0]), *check[1:], check=False, env=env)
            if result.returncode == 0:
                pending.discard(name)
        if pending:
            time.sleep(0.3)
    if pending:
        print(f"hosts: not healthy after 90 s: {sorted(pending)}; see {HOME}/logs", file=sys.stderr)
        sys.exit(1)
    for name, ip in addresses.items():
        print(f"{name}\t{ip}\t{ns(name)}")


def down():
    if not os.path.exists(state_file()):
        return
    with open(state_file()) as f:
        state = json.load(f)
    for pid in state["pids"].values():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 20
    for pid in state["pids"].values():
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for name in state["addresses"]:
        run("ip", "netns", "del", ns(name), check=False)
        shutil.rmtree(f"/etc/netns/{ns(name)}", ignore_errors=True)
    run("ip", "netns", "del", NET, check=False)
    os.remove(state_file())


def link(name, up_or_down):
    with open(state_file()) as f:
        state = json.load(f)
    names = [name] if name else list(state["links"])
    for host in names:
        if host not in state["links"]:
            raise SystemExit(f"hosts: no host {host}; hosts: {', '.join(state['links'])}")
        run("ip", "netns", "exec", NET, "ip", "link", "set", state["links"][host], up_or_down)


def status():
    if not os.path.exists(state_file()):
        print("hosts: down")
        return
    with open(state_file()) as f:
        state = json.load(f)
    for name, ip in state["addresses"].items():
        pid = state["pids"].get(name)
        alive = pid is not None and os.path.exists(f"/proc/{pid}")
        carrier = run("ip", "netns", "exec", NET, "cat", f"/sys/class/net/{state['links'][name]}/operstate", check=False).stdout.strip()
        print(f"{name}\t{ip}\t{'running' if alive else ('-' if pid is None else 'exited')}\tlink {carrier}")


def exec_(command):
    services = load()
    env = dict(os.environ)
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(client_env(services))
    os.execvpe("ip", ["ip", "netns", "exec", ns(CLIENT)] + [binary(command[0])] + command[1:], env)


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    verb = args[0]
    if verb == "up":
        up()
    elif verb == "down":
        down()
    elif verb == "status":
        status()
    elif verb == "partition" and len(args) == 2:
        link(args[1], "down")
    elif verb == "heal":
        link(args[1] if len(args) > 1 else None, "up")
    elif verb == "exec":
        command = args[2:] if args[1:2] == ["--"] else args[1:]
        exec_(command)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
