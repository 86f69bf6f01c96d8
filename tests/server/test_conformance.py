"""Conformance: the official @electric-sql/client syncs from this server (see conformance/).

Installs the pinned client with `npm ci` into $ASTRO_NODE_CACHE (default
/tmp/astrolabe-node-cache), never into the source tree. Skipped only when node or npm is
missing. Set ASTRO_SKIP_CONFORMANCE=1 to leave it out of a plain unittest run (meson runs
it as its own test).
"""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import HERE, Server

CONFORMANCE = os.path.join(HERE, "conformance")


def node_cache():
    path = os.environ.get("ASTRO_NODE_CACHE") or os.path.join(tempfile.gettempdir(), "astrolabe-node-cache")
    os.makedirs(path, exist_ok=True)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def install(cache):
    """npm ci into cache, skipped when the lock file is unchanged since the last install."""
    with open(os.path.join(CONFORMANCE, "package-lock.json"), "rb") as f:
        lock = f.read()
    stamp = os.path.join(cache, ".installed-lock")
    if os.path.exists(stamp) and read(stamp) == lock \
            and os.path.isdir(os.path.join(cache, "node_modules", "@electric-sql", "client")):
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(CONFORMANCE, name), cache)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=cache, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    with open(stamp, "wb") as f:
        f.write(lock)


@unittest.skipIf(os.environ.get("ASTRO_SKIP_CONFORMANCE") == "1", "ASTRO_SKIP_CONFORMANCE=1")
@unittest.skipUnless(shutil.which("node") and shutil.which("npm"),
                     "node and npm are not installed: conformance with @electric-sql/client skipped")
class Conformance(unittest.TestCase):
    def test_official_client_agrees_with_server(self):
        cache = node_cache()
        install(cache)
        # The script must sit beside node_modules for ESM resolution.
        shutil.copy(os.path.join(CONFORMANCE, "conformance.mjs"), cache)
        # Small chunks so the client pages through a multi-chunk snapshot.
        with Server("--chunk-bytes", "8000", long_poll_ms=2000) as srv:
            run = subprocess.run(["node", os.path.join(cache, "conformance.mjs"), srv.url],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
        print(run.stdout[-4000:])
        self.assertEqual(run.returncode, 0, run.stdout[-4000:])
        self.assertIn("all shapes agree", run.stdout)


if __name__ == "__main__":
    unittest.main()
