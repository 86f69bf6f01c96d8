"""Opening a folder in the real window links it: `astrolabe PATH` handed to the
running instance, a toast naming the repository and the remote that matched,
and the link in SQLite."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import harness  # noqa: E402
import uitest  # noqa: E402


db_path = uitest.db_path


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


class LinkTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.server = harness.Server(long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        token = self.server.login()["access_token"]
        self.env = {"ASTROLABE_SERVER": self.server.url, "ASTROLABE_TOKEN": token}
        self.app = uitest.App(env=self.env)
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        repositories = self.server.control("GET", "rows/repositories")
        uitest.find(self.window, "the synced copy", role_name="label",
                    name_contains="%d repositories" % len(repositories))
        self.repository = next(r for r in repositories if r["name"] == "Design-System")

    def second_launch(self, path):
        """`astrolabe PATH` from a terminal: it hands the folder over and exits."""
        env = dict(os.environ, **self.env)
        result = subprocess.run([uitest.APP, path], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_open_links_and_says_which_remote(self):
        checkout = os.path.join(self.tmp.name, "design-system")
        os.makedirs(os.path.join(checkout, "src", "tokens"))
        git(checkout, "init", "-q")
        # an scp-like remote with different case: the key still matches the https URL
        git(checkout, "remote", "add", "origin", "git@github.com:astrolabe-labs/design-system.git")

        self.second_launch(os.path.join(checkout, "src", "tokens"))

        uitest.find(self.window, "the link toast", role_name="label",
                    name_is="“design-system” linked to Design-System (remote “origin”)")
        uitest.screenshot("window-linked.png")
        with sqlite3.connect(db_path()) as db:
            row = db.execute("SELECT repository_id, remote_name, remote_key FROM local_repos WHERE path = ?",
                             (os.path.realpath(checkout),)).fetchone()
        self.assertEqual(row, (self.repository["id"], "origin", "github.com/astrolabe-labs/design-system"))

        # the Repositories page shows where it lives, the others are not here
        tab = uitest.find(self.window, "the Repositories page", role_name="page tab", name_is="Repositories")
        uitest.click(tab)
        uitest.find(self.window, "the linked folder", role_name="label",
                    name_is="%s (remote “origin”)" % os.path.realpath(checkout))
        uitest.find(self.window, "a repository elsewhere", role_name="label", name_is="Not on this device")
        uitest.screenshot("repositories.png")
        # only the active organization's repositories are listed
        repositories = self.server.control("GET", "rows/repositories")
        titles = {uitest.name(n) for n in uitest.find_all(self.window, role_name="label")}
        others = [r for r in repositories if r["organization_id"] != self.repository["organization_id"]]
        self.assertTrue(others)
        for other in others:
            self.assertNotIn(other["name"], titles)
        self.assertIn("Design-System", titles)

        # and unlinking from there forgets the link
        uitest.click(uitest.find(self.window, "Unlink", role_name="push button", name_is="Unlink"))
        uitest.find(self.window, "the unlink toast", role_name="label", name_is="“design-system” unlinked")
        with sqlite3.connect(db_path()) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM local_repos").fetchone()[0], 0)

    def test_several_matches_ask_which(self):
        # the same repository URL in the other organization: two candidates
        orgs = [o["id"] for o in self.server.control("GET", "rows/organizations")]
        other = next(o for o in orgs if o != self.repository["organization_id"])
        twin = dict(self.repository, id="00000000-0000-4000-8000-0000000000aa", organization_id=other,
                    name="Design-System-Mirror", github_id=None)
        self.server.control("POST", "rows/repositories", twin)
        uitest.find(self.window, "the new repository", role_name="label", name_contains="12 repositories")

        checkout = os.path.join(self.tmp.name, "design-system")
        os.makedirs(checkout)
        git(checkout, "init", "-q")
        git(checkout, "remote", "add", "origin", "https://github.com/Astrolabe-Labs/Design-System")
        self.second_launch(checkout)

        dialog = uitest.find(self.app.node, "the question", role_name="label", name_is="Which Repository?")
        uitest.screenshot("window-ambiguous.png")
        choice = uitest.find(self.app.node, "the mirror", role_name="push button",
                             name_contains="Design-System-Mirror")
        uitest.click(choice)
        uitest.find(self.window, "the link toast", role_name="label",
                    name_is="“design-system” linked to Design-System-Mirror (remote “origin”)")
        with sqlite3.connect(db_path()) as db:
            self.assertEqual(db.execute("SELECT repository_id FROM local_repos").fetchone(), (twin["id"],))

    def test_not_a_repository_is_said(self):
        plain = os.path.join(self.tmp.name, "just-files")
        os.makedirs(plain)
        self.second_launch(plain)
        uitest.find(self.window, "the reason", role_name="label", name_contains="is not in a git repository")
        with sqlite3.connect(db_path()) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM local_repos").fetchone()[0], 0)

    def test_no_match_is_a_local_project(self):
        checkout = os.path.join(self.tmp.name, "side-project")
        os.makedirs(checkout)
        git(checkout, "init", "-q")
        git(checkout, "remote", "add", "origin", "https://github.com/someone-else/side-project.git")
        self.second_launch(checkout)
        uitest.find(self.window, "the local-only toast", role_name="label",
                    name_contains="“side-project” matches none of your team’s repositories")
        with sqlite3.connect(db_path()) as db:
            row = db.execute("SELECT repository_id FROM local_repos").fetchone()
        self.assertEqual(row, (None,))


if __name__ == "__main__":
    unittest.main(verbosity=2)
