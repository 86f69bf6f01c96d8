"""Every row of the remote URL vectors (shared/design/git-remotes.md, section 0),
run through `astrolabe-ctl remote normalize` in the contract's fixture
environment (0.3): a temporary HOME whose .gitconfig has the insteadOf and
pushInsteadOf rules, and an ssh config file with the alias Host blocks."""
import os
import subprocess
import tempfile
import unittest

BUILD = os.environ["ASTRO_BUILD_DIR"]
CTL = os.path.join(BUILD, "src", "cli", "astrolabe-ctl")
VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                       "git-remote-vectors.tsv")

GITCONFIG = """\
[url "git@github.com:"]
\tinsteadOf = gh:
[url "ssh://git@git.corp.example.com:2222/"]
\tinsteadOf = corp:
[url "https://github.com/acme/"]
\tinsteadOf = corp:gh/
[url "https://gitlab.example.com/"]
\tinsteadOf = glx:
[url "git@github.com:"]
\tpushInsteadOf = https://github.com/
"""

# Host (matched exactly), HostName, Port or None
ALIASES = [
    ("github-work", "github.com", None),
    ("github.com-work", "github.com", None),
    ("gl", "gitlab.com", None),
    ("corp-git", "git.corp.example.com", 2222),
    ("bb-alt", "altssh.bitbucket.org", 443),
    ("azure-ssh", "ssh.dev.azure.com", None),
    ("github.com", "ssh.github.com", 443),
]

TOKEN = "ghp_EXAMPLEsecretTOKEN0123456789"


def read_vectors():
    with open(VECTORS, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    assert lines[0] == "input\texpected\tnote", "unexpected header: %r" % lines[0]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if line == "":
            continue
        fields = line.split("\t")
        assert len(fields) == 3, "line %d has %d fields" % (number, len(fields))
        rows.append((number, *fields))
    return rows


class Fixture:
    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = os.path.join(self.tmp.name, "home")
        os.makedirs(self.home)
        with open(os.path.join(self.home, ".gitconfig"), "w") as f:
            f.write(GITCONFIG)
        self.ssh_config = os.path.join(self.tmp.name, "ssh_config")
        with open(self.ssh_config, "w") as f:
            for host, hostname, port in ALIASES:
                f.write("Host %s\n  HostName %s\n" % (host, hostname))
                if port is not None:
                    f.write("  Port %d\n" % port)
        self.env = dict(os.environ)
        self.env["HOME"] = self.home
        # Only the fixture's rules: not the user's XDG git config.
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.tmp.name, "xdg")

    def normalize(self, *urls, ssh_config=True):
        args = [CTL, "remote", "normalize"]
        if ssh_config:
            args += ["--ssh-config", self.ssh_config]
        return subprocess.run(args + list(urls), capture_output=True, text=True,
                              env=self.env, timeout=120)

    def cleanup(self):
        self.tmp.cleanup()


class RemoteVectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fixture = Fixture()

    @classmethod
    def tearDownClass(cls):
        cls.fixture.cleanup()

    def test_every_row_one_by_one(self):
        failures = []
        rows = read_vectors()
        for number, url, expected, note in rows:
            result = self.fixture.normalize(url)
            output = result.stdout
            if expected == "ERROR":
                ok = (result.returncode == 1 and output.startswith("ERROR: ")
                      and output.count("\n") == 1)
            else:
                ok = result.returncode == 0 and output == expected + "\n"
            if not ok:
                failures.append("line %d: %r -> %r (exit %d), expected %r  [%s]%s" % (
                    number, url, output, result.returncode, expected, note,
                    ("\n    stderr: " + result.stderr.strip()) if result.stderr else ""))
        self.assertEqual(failures, [], "\n%d of %d rows fail:\n%s" % (
            len(failures), len(rows), "\n".join(failures)))
        print("%d of %d vector rows pass" % (len(rows), len(rows)))

    def test_all_rows_in_one_call(self):
        rows = read_vectors()
        result = self.fixture.normalize(*[url for _, url, _, _ in rows])
        lines = result.stdout.split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual(len(lines) - 1, len(rows))
        for (number, url, expected, note), line in zip(rows, lines):
            if expected == "ERROR":
                self.assertTrue(line.startswith("ERROR: "), "line %d: %r [%s]" % (number, line, note))
            else:
                self.assertEqual(line, expected, "line %d [%s]" % (number, note))
        any_error = any(expected == "ERROR" for _, _, expected, _ in rows)
        self.assertEqual(result.returncode, 1 if any_error else 0)

    def test_exit_status_is_zero_when_all_link(self):
        result = self.fixture.normalize("https://github.com/a/b", "git@gitlab.com:g/p.git")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "github.com/a/b\ngitlab.com/g/p\n")

    def test_without_ssh_config_aliases_are_the_user_s(self):
        # With no --ssh-config the rows that need no alias still hold.
        result = self.fixture.normalize("git@github.com:Org/Repo.git", ssh_config=False)
        self.assertEqual(result.stdout, "github.com/org/repo\n")

    def test_push_insteadof_is_ignored(self):
        result = self.fixture.normalize("https://github.com/Org/Repo.git")
        self.assertEqual(result.stdout, "github.com/org/repo\n")

    def test_credentials_never_appear(self):
        urls = [
            "https://x-access-token:%s@github.com/org/repo.git" % TOKEN,
            "https://oauth2:%s@gitlab.com/group/sub/project.git" % TOKEN,
            "https://%s@example.com/team/repo.git" % TOKEN,
            "https://user:%s@example.com:99999/team/repo.git" % TOKEN,
            "https://user:%s@github.com/org" % TOKEN,
            "https://user:%s@github.com/org/../x/y" % TOKEN,
            "https://user:%s@[::1/repo" % TOKEN,
            "https://example.com/team/repo.git?private_token=%s" % TOKEN,
            "https://example.com/team/repo.git#%s" % TOKEN,
            "svn+ssh://user:%s@example.com/repo" % TOKEN,
            "file://user:%s@host/repo" % TOKEN,
        ]
        for url in urls:
            result = self.fixture.normalize(url)
            for stream in (result.stdout, result.stderr):
                self.assertNotIn(TOKEN, stream, url)
                self.assertNotIn(TOKEN[4:20], stream, url)
                self.assertNotIn(url, stream)
            self.assertEqual(result.stdout.count("\n"), 1, url)

    def test_double_dash_and_dev_null(self):
        result = subprocess.run([CTL, "remote", "normalize", "--", "git@x:a/b", "-oX=y:z"],
                                capture_output=True, text=True, env=self.fixture.env)
        self.assertEqual(result.stdout.split("\n")[0], "x/a/b")
        self.assertTrue(result.stdout.split("\n")[1].startswith("ERROR: "))
        self.assertEqual(result.returncode, 1)
        result = subprocess.run([CTL, "remote", "normalize", "--ssh-config", "/dev/null",
                                 "github-work:Org/Repo"],
                                capture_output=True, text=True, env=self.fixture.env)
        self.assertEqual(result.stdout, "github-work/Org/Repo\n")

    def test_bad_usage(self):
        result = subprocess.run([CTL, "remote"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        result = subprocess.run([CTL, "remote", "normalize"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        result = self.fixture.normalize("https://github.com/a/b", ssh_config=False)
        self.assertEqual(result.returncode, 0)
        missing = os.path.join(self.fixture.tmp.name, "missing")
        result = subprocess.run([CTL, "remote", "normalize", "--ssh-config", missing, "x:y"],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
