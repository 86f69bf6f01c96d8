"""Preferences of the real window: Ctrl+comma opens them, the dark style
applies at once and is kept, and the device name is kept in the local copy."""
import configparser
import os
import sqlite3
import subprocess
import sys
import time
import unittest

import pyatspi

sys.path.insert(0, os.path.dirname(__file__))
import uitest  # noqa: E402


db_path = uitest.db_path


def keyfile_value(key):
    parser = configparser.ConfigParser()
    parser.read(os.path.join(os.environ["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile"))
    return parser.get("dev/astrolabe/Astrolabe", key, fallback=None)


def brightness(path, x, y):
    """The grey level (0–255) of one pixel of a screenshot."""
    out = subprocess.run(["convert", path, "-crop", "1x1+%d+%d" % (x, y), "-colorspace", "Gray",
                          "-format", "%[fx:int(255*u)]", "info:"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


class PreferencesTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.app = uitest.App()
        self.addCleanup(self.app.stop)
        self.window = self.app.window()

    def open_preferences(self):
        # a click on the window gives it the keyboard (there is no window manager)
        uitest.click_at(uitest.find(self.window, "the welcome", role_name="label", name_is="Welcome to Astrolabe"))
        uitest.xdotool("key", "ctrl+comma")
        return uitest.find(self.app.node, "the preferences", role_name="frame", name_is="Preferences")

    def test_dark_style_and_device_name(self):
        preferences = self.open_preferences()
        follow = uitest.find(preferences, "Follow System", role_name="check box",
                             name_contains="Follow the System Style")
        self.assertTrue(follow.getState().contains(pyatspi.STATE_CHECKED))
        before = uitest.screenshot("preferences.png")
        # a point of the preferences' background, below its header bar
        box = preferences.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        point = (box.x + 20, box.y + box.height - 20)
        light = brightness(before, *point)

        # GTK 4.8's check buttons offer no AT-SPI action: a pointer click, as a person
        # would (the preferences, like every window here, sit at the screen's origin)
        uitest.click_at(uitest.find(preferences, "Dark", role_name="check box", name_contains="Dark Style"))
        uitest.wait_for("the setting", lambda: keyfile_value("color-scheme") == "'dark'")
        dark_shot = uitest.screenshot("preferences-dark.png")
        dark = brightness(dark_shot, *point)
        self.assertGreater(light, 180)
        self.assertLess(dark, 80)

        # the device name, kept in the local copy as it is typed
        entry = uitest.find(preferences, "the device name", role_name="text", name_is="Device Name")
        uitest.type_into(entry, "studio-box")

        def saved():
            with sqlite3.connect(db_path()) as db:
                row = db.execute("SELECT value FROM settings WHERE key = 'device-name'").fetchone()
            return row is not None and row[0] == "studio-box"
        uitest.wait_for("the device name to be kept", saved)
        uitest.screenshot("preferences-device.png")

        # the next start is dark at once, and shows the name it kept
        self.app.stop()
        self.app = uitest.App()
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        uitest.find(self.window, "the welcome", role_name="label", name_is="Welcome to Astrolabe")
        time.sleep(0.5)
        shot = uitest.screenshot("window-dark.png")
        wbox = self.window.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        self.assertLess(brightness(shot, wbox.x + 40, wbox.y + wbox.height - 40), 80)
        preferences = self.open_preferences()
        uitest.find(preferences, "the kept name", role_name="text", name_is="Device Name")
        self.assertTrue(uitest.find(preferences, "Dark", role_name="check box", name_contains="Dark Style")
                        .getState().contains(pyatspi.STATE_CHECKED))


if __name__ == "__main__":
    unittest.main(verbosity=2)
