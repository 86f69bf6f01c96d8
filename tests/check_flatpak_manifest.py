"""Checks the Flatpak manifest, which cannot be built offline: that it parses,
pins every module the GNOME runtime lacks, and asks for no more than it needs."""
import json
import os
import re
import sys
import unittest

SOURCE = os.environ.get("ASTRO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
MANIFEST = os.path.join(SOURCE, "flatpak", "dev.astrolabe.Astrolabe.json")

# What org.gnome.Platform already ships of our dependencies.
IN_RUNTIME = {"glib-2.0", "gio-2.0", "gobject-2.0", "gtk4", "libadwaita-1", "libsoup-3.0",
              "json-glib-1.0", "sqlite3", "libsecret-1"}

REQUIRED_ARGS = {"--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11",
                 "--device=dri"}

# Holes the app must not open: whole-disk access, the raw secret service (the
# portal backend of libsecret is enough), plain X11, every device, the session bus.
FORBIDDEN = [
    r"^--filesystem=(host|host-os|home|~|/)(:.*)?$",
    r"^--talk-name=org\.freedesktop\.secrets$",
    r"^--filesystem=xdg-run/keyring",
    r"^--socket=x11$",
    r"^--device=all$",
    r"^--socket=session-bus$",
    r"^--socket=system-bus$",
    r"^--filesystem=.*:create$",
]


def meson_dependencies():
    names = set()
    with open(os.path.join(SOURCE, "meson.build")) as f:
        for match in re.finditer(r"dependency\('([^']+)'", f.read()):
            names.add(match.group(1))
    return names


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(MANIFEST) as f:
            cls.manifest = json.load(f)

    def test_identity(self):
        m = self.manifest
        self.assertEqual(m["id"], "dev.astrolabe.Astrolabe")
        self.assertEqual(m["runtime"], "org.gnome.Platform")
        self.assertEqual(m["sdk"], "org.gnome.Sdk")
        self.assertRegex(m["runtime-version"], r"^\d+$")
        self.assertEqual(m["command"], "astrolabe")

    def test_every_dependency_is_in_the_runtime_or_a_module(self):
        modules = {module["name"] for module in self.manifest["modules"]}
        for dependency in meson_dependencies():
            self.assertTrue(dependency in IN_RUNTIME or dependency.replace("lib", "", 1) in modules
                            or dependency in modules,
                            "%s is neither in the GNOME runtime nor a module" % dependency)
        self.assertIn("libgit2", modules)

    def test_modules_are_pinned(self):
        for module in self.manifest["modules"]:
            for source in module["sources"]:
                if source["type"] == "dir":
                    continue
                if source["type"] == "archive":
                    self.assertRegex(source.get("sha256", ""), r"^[0-9a-f]{64}$", module["name"])
                elif source["type"] == "git":
                    self.assertRegex(source.get("commit", ""), r"^[0-9a-f]{40}$", module["name"])
                else:
                    self.fail("unexpected source type %s" % source["type"])

    def test_libgit2_is_built_lean(self):
        libgit2 = next(m for m in self.manifest["modules"] if m["name"] == "libgit2")
        opts = set(libgit2["config-opts"])
        self.assertEqual(libgit2["buildsystem"], "cmake-ninja")
        self.assertIn("-DBUILD_TESTS:BOOL=OFF", opts)
        self.assertIn("-DBUILD_SHARED_LIBS:BOOL=ON", opts)
        self.assertIn("-DCMAKE_INSTALL_LIBDIR:PATH=/app/lib", opts)

    def test_app_is_the_last_module(self):
        app = self.manifest["modules"][-1]
        self.assertEqual(app["name"], "astrolabe")
        self.assertEqual(app["buildsystem"], "meson")

    def test_permissions(self):
        args = self.manifest["finish-args"]
        self.assertEqual(len(args), len(set(args)), "duplicate finish-args")
        self.assertTrue(REQUIRED_ARGS.issubset(args), REQUIRED_ARGS - set(args))
        for arg in args:
            for pattern in FORBIDDEN:
                self.assertIsNone(re.match(pattern, arg), "%s is more than the app needs" % arg)
        # folders for checkouts, and git/ssh configuration read-only
        self.assertTrue(any(a.startswith("--filesystem=~/") and not a.endswith(":ro") for a in args))
        for arg in args:
            if ".gitconfig" in arg or "config/git" in arg or ".ssh" in arg:
                self.assertTrue(arg.endswith(":ro"), arg)


if __name__ == "__main__":
    unittest.main(verbosity=2)
