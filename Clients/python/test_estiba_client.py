"""Tests of the Python client against a real `estiba` ($ESTIBA_BIN). Run: python3 -m unittest -v test_estiba_client"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from estiba_client import EstibaClient, EstibaError  # noqa: E402

ESTIBA = os.environ.get("ESTIBA_BIN") or shutil.which("estiba")


class StdioClientTests(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(ESTIBA, "set ESTIBA_BIN to the estiba binary")

    def test_call_parse_and_errors(self):
        for framing in ("newline", "content-length"):
            with EstibaClient.spawn(ESTIBA, framing=framing) as c:
                info = c.call("initialize", {"clientInfo": {"name": "unittest"}}, timeout=30)
                self.assertEqual(info["name"], "estiba")
                r = c.call("parse", {"text": "FROM busybox\nRUN echo hi\n"}, timeout=30)
                self.assertEqual([i["keyword"] for i in r["instructions"]], ["FROM", "RUN"])
                with self.assertRaises(EstibaError) as e:
                    c.call("parse", {"path": "/no/such/Dockerfile"}, timeout=30)
                self.assertEqual(e.exception.code, -32001)
                with self.assertRaises(EstibaError) as e:
                    c.call("nope", timeout=30)
                self.assertEqual(e.exception.code, -32601)

    def test_notify_and_batch(self):
        with EstibaClient.spawn(ESTIBA) as c:
            c.notify("parse", {"text": "FROM a"})
            out = c.batch([("initialize", {}), ("parse", {"text": "FROM a\nCMD x"}), ("initialize", {}, "notify"),
                           ("missing", {})], timeout=30)
            self.assertEqual(len(out), 3)
            self.assertEqual(out[0]["name"], "estiba")
            self.assertEqual(len(out[1]["instructions"]), 2)
            self.assertIsInstance(out[2], EstibaError)
            self.assertEqual(out[2].code, -32601)

    def test_progress_callback(self):
        seen = []
        with EstibaClient.spawn(ESTIBA) as c:
            r = c.call("parse", {"text": "FROM a", "progress": True}, on_progress=seen.append, timeout=30)
        self.assertEqual(len(r["instructions"]), 1)
        self.assertEqual([p["stage"] for p in seen], ["read", "parsed", "analyzed"])

    def test_cancel_and_concurrency(self):
        big = "\n" * 1_500_000 + "FROM a\n"
        with EstibaClient.spawn(ESTIBA) as c:
            slow = c.start("parse", {"text": big})
            quick = c.call("parse", {"text": "FROM quick"}, timeout=30)
            self.assertEqual(quick["stages"][0]["baseImage"], "quick")
            slow.cancel()
            with self.assertRaises(EstibaError) as e:
                slow.result(timeout=120)
            self.assertEqual(e.exception.code, -32800)

    def test_threads_share_one_connection(self):
        errors = []
        with EstibaClient.spawn(ESTIBA) as c:
            def work(n):
                try:
                    for i in range(30):
                        r = c.call("parse", {"text": f"FROM img{n}\nRUN step {i}"}, timeout=30)
                        assert r["instructions"][1]["args"] == [f"step {i}"]
                except Exception as ex:  # noqa: BLE001
                    errors.append(ex)
            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])


class SocketClientTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="estiba-py-")
        self.path = os.path.join(self.dir, "estiba.sock")
        self.proc = subprocess.Popen([ESTIBA, "serve", "--socket", self.path], stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not os.path.exists(self.path):
            if time.time() > deadline:
                self.fail("socket did not appear")
            time.sleep(0.01)

    def tearDown(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_socket_client(self):
        os.environ["ESTIBA_SOCKET"] = self.path
        try:
            with EstibaClient.connect() as c:
                self.assertEqual(c.call("initialize", timeout=30)["protocolVersion"], "1.0")
                self.assertEqual(len(c.call("parse", {"text": "FROM a"}, timeout=30)["instructions"]), 1)
        finally:
            del os.environ["ESTIBA_SOCKET"]

    def test_example_script_prints_diagnostics(self):
        dockerfile = os.path.join(self.dir, "Dockerfile")
        with open(dockerfile, "w") as f:
            f.write("FROM busybox AS Build\nENV ONLYKEY\nCMD echo hi\n")
        script = os.path.join(HERE, "parse_dockerfile.py")
        for extra in (["--socket", self.path], ["--estiba", ESTIBA]):
            out = subprocess.run([sys.executable, script, *extra, dockerfile], capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(out.returncode, 1, out.stderr)
            self.assertIn(f"{dockerfile}:2:1: error: ENV must have two arguments [syntax-error]", out.stdout)
            self.assertIn("warning: Stage name 'Build' should be lowercase [StageNameCasing]", out.stdout)
            self.assertIn("1 errors", out.stdout)


class BuildScriptTests(unittest.TestCase):
    def test_build_example_streams_steps_and_explains_the_cache(self):
        with tempfile.TemporaryDirectory() as tmp:
            ctx = os.path.join(tmp, "ctx")
            os.makedirs(ctx)
            with open(os.path.join(ctx, "hello.txt"), "w") as f:
                f.write("hello\n")
            with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                f.write("FROM scratch\nLABEL maintainer=me\nCOPY hello.txt /hello.txt\nCMD [\"/hello\"]\n")
            script = os.path.join(HERE, "build_image.py")
            run = lambda *a: subprocess.run([sys.executable, script, "--estiba", ESTIBA, "--root", os.path.join(tmp, "store"),
                                             *a, ctx], capture_output=True, text=True, timeout=120)
            out = run("-t", "py:1")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("Step 3/4 : COPY hello.txt /hello.txt\n ---> Not cached: previous step rebuilt", out.stdout)
            self.assertIn("Successfully tagged py:1", out.stdout)
            out = run("-t", "py:1")
            self.assertEqual(out.stdout.count(" ---> Using cache"), 3, out.stdout)
            with open(os.path.join(ctx, "hello.txt"), "w") as f:
                f.write("changed\n")
            out = run("--dry-run")
            self.assertIn(" ---> Would run: source changed: hello.txt", out.stdout)
            self.assertIn("Dry run: 1 step(s) would use the cache, 2 would run.", out.stdout)


if __name__ == "__main__":
    unittest.main()
