"""`astrolabe-ctl link` and `unlink`, run as a user would run them, on real
repositories made with git under a temporary HOME."""
import json
import os
import sqlite3
import subprocess
import tempfile
import unittest

CTL = os.path.join(os.environ["ASTRO_BUILD_DIR"], "src", "cli", "astrolabe-ctl")
SECRET = "tOkEnSeCrEt"


class CtlLinkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.realpath(self.tmp.name)
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        with open(os.path.join(self.home, ".gitconfig"), "w") as f:
            f.write('[init]\n\tdefaultBranch = main\n[url "git@github.com:"]\n\tinsteadOf = gh:\n')
        self.ssh_config = os.path.join(self.root, "ssh_config")
        with open(self.ssh_config, "w") as f:
            f.write("Host github-work\n\tHostName github.com\n")
        self.env = dict(os.environ, HOME=self.home, GIT_CONFIG_NOSYSTEM="1",
                        XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        GIT_CEILING_DIRECTORIES=self.root)
        self.db = os.path.join(self.root, "astrolabe.db")
        # The store makes its schema on first open.
        self.assertEqual(self.ctl("db", "info", "--db", self.db).returncode, 0)

    def tearDown(self):
        self.tmp.cleanup()

    def ctl(self, *args):
        return subprocess.run([CTL, *args], capture_output=True, text=True, env=self.env, timeout=60)

    def git(self, *args, cwd=None):
        subprocess.run(["git", *args], cwd=cwd or self.root, env=self.env, check=True,
                       capture_output=True)

    def repo(self, name, **remotes):
        path = os.path.join(self.root, name)
        self.git("init", "-q", name)
        for remote, url in remotes.items():
            self.git("remote", "add", remote, url, cwd=path)
        return path

    def add_repository(self, repository_id, name, url):
        with sqlite3.connect(self.db) as db:
            db.execute("INSERT INTO repositories (id, organization_id, name, url) VALUES (?, ?, ?, ?)",
                       (repository_id, "org-1", name, url))

    def links(self):
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT path, repository_id, remote_name, remote_key FROM local_repos"
                              " ORDER BY path").fetchall()

    def test_linked(self):
        path = self.repo("widget", origin="git@github.com:Acme/Widget.git")
        os.makedirs(os.path.join(path, "src"))
        self.add_repository("repo-1", "Widget", "https://github.com/acme/widget")

        result = self.ctl("link", "--db", self.db, os.path.join(path, "src"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Widget", result.stdout)
        self.assertIn("origin", result.stdout)
        self.assertIn("github.com/acme/widget", result.stdout)
        self.assertEqual(self.links(), [(path, "repo-1", "origin", "github.com/acme/widget")])

        result = self.ctl("link", "--json", "--db", self.db, path)
        self.assertEqual(result.returncode, 0)
        answer = json.loads(result.stdout)
        self.assertEqual(answer["status"], "linked")
        self.assertEqual(answer["repository_id"], "repo-1")
        self.assertEqual(answer["repository_name"], "Widget")
        self.assertEqual(answer["remote"], "origin")
        self.assertEqual(answer["path"], path)

    def test_local_only_then_not_a_repository(self):
        path = self.repo("alone", origin="https://example.org/me/alone.git")
        result = self.ctl("link", "--db", self.db, path)
        self.assertEqual(result.returncode, 0)
        self.assertIn("local-only project", result.stdout)
        self.assertEqual(self.links(), [(path, None, None, None)])

        plain = os.path.join(self.root, "plain")
        os.makedirs(plain)
        result = self.ctl("link", "--json", "--db", self.db, plain)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(json.loads(result.stdout)["status"], "not-a-repository")
        result = self.ctl("link", "--db", self.db, plain)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not in a git repository", result.stderr)
        self.assertEqual(len(self.links()), 1)

    def test_ambiguous_then_choose(self):
        path = self.repo("shared", origin="gh:acme/shared")
        self.add_repository("repo-a", "shared (team A)", "https://github.com/acme/shared")
        self.add_repository("repo-b", "shared (team B)", "https://github.com/Acme/Shared.git")

        result = self.ctl("link", "--json", "--db", self.db, path)
        self.assertEqual(result.returncode, 3)
        answer = json.loads(result.stdout)
        self.assertEqual(answer["status"], "ambiguous")
        self.assertEqual(sorted(c["repository_id"] for c in answer["candidates"]), ["repo-a", "repo-b"])
        self.assertEqual(self.links(), [])

        result = self.ctl("link", "--db", self.db, "--choose", "repo-b", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.links(), [(path, "repo-b", "origin", "github.com/acme/shared")])

    def test_ssh_alias(self):
        path = self.repo("work", origin="git@github-work:acme/work.git")
        self.add_repository("repo-w", "work", "https://github.com/acme/work")
        result = self.ctl("link", "--json", "--db", self.db, "--ssh-config", self.ssh_config, path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["repository_id"], "repo-w")

    def test_credentials_never_stored_or_printed(self):
        path = self.repo("tokens", origin=f"https://x-access-token:{SECRET}@github.com/acme/tokens.git",
                         other=f"https://oauth2:{SECRET}@gitlab.example.com/g/tokens?private_token={SECRET}")
        self.add_repository("repo-t", "tokens", "https://github.com/acme/tokens")
        for args in (["--json"], []):
            result = self.ctl("link", *args, "--db", self.db, path)
            self.assertEqual(result.returncode, 0)
            self.assertNotIn(SECRET, result.stdout + result.stderr)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                with open(self.db + suffix, "rb") as f:
                    self.assertNotIn(SECRET.encode(), f.read())

    def test_unlink(self):
        path = self.repo("bye", origin="https://github.com/acme/bye")
        self.assertEqual(self.ctl("link", "--db", self.db, path).returncode, 0)
        result = self.ctl("unlink", "--db", self.db, path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.links(), [])
        result = self.ctl("unlink", "--db", self.db, path)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not linked", result.stderr)


if __name__ == "__main__":
    unittest.main()
