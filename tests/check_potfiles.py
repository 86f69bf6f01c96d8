"""Every file with a translatable string is listed in po/POTFILES.in, and every
file listed there exists, so no user-visible string escapes translation."""
import os
import re
import unittest

SOURCE = os.environ.get("ASTRO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))

MARKERS = {
    ".c": re.compile(r"\b(N?_|C_|NC_|g_dngettext|ngettext)\s*\("),
    ".ui": re.compile(r'translatable="yes"'),
    ".in": re.compile(r"."),
    ".xml": re.compile(r"<(summary|description)>"),
}


def listed():
    with open(os.path.join(SOURCE, "po", "POTFILES.in")) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def translatable_files():
    found = set()
    for top in ("src", "data"):
        for folder, _, files in os.walk(os.path.join(SOURCE, top)):
            for name in files:
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, SOURCE)
                extension = os.path.splitext(name)[1]
                if extension == ".in" and not (name.endswith(".desktop.in.in") or name.endswith(".metainfo.xml.in.in")):
                    continue
                if extension == ".xml" and not name.endswith(".gschema.xml"):
                    continue
                marker = MARKERS.get(extension)
                if marker is None:
                    continue
                with open(path, encoding="utf-8") as f:
                    if marker.search(f.read()):
                        found.add(relative)
    return found


class PotfilesTest(unittest.TestCase):
    def test_every_translatable_file_is_listed(self):
        missing = translatable_files() - set(listed())
        self.assertEqual(missing, set(), "add these to po/POTFILES.in")

    def test_every_listed_file_exists(self):
        for path in listed():
            self.assertTrue(os.path.exists(os.path.join(SOURCE, path)), path)

    def test_sorted(self):
        self.assertEqual(listed(), sorted(listed()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
