"""Helpers for driving Astrolabe's real window through the accessibility tree.

Run inside ui-session.sh: it provides the X server, the D-Bus session and a
private home.
"""
import os
import shutil
import subprocess
import sys
import time

import pyatspi

BUILD_DIR = os.environ["ASTRO_BUILD_DIR"]
APP = os.path.join(BUILD_DIR, "src", "ui", "astrolabe")
CTL = os.path.join(BUILD_DIR, "src", "cli", "astrolabe-ctl")
ARTIFACTS = os.environ.get("ASTRO_ARTIFACTS", os.path.join(BUILD_DIR, "test-artifacts"))

_bus_launcher = None


def start_accessibility_bus():
    global _bus_launcher
    if _bus_launcher is None:
        _bus_launcher = subprocess.Popen(
            ["/usr/libexec/at-spi-bus-launcher", "--launch-immediately"])
        time.sleep(0.5)


def db_path():
    """The app's local copy in the session's private data folder."""
    return os.path.join(os.environ["XDG_DATA_HOME"], "astrolabe", "astrolabe.db")


def clear_local_copy():
    """A first start: no database, no WAL, nothing set aside."""
    folder = os.path.dirname(db_path())
    if os.path.isdir(folder):
        for entry in os.listdir(folder):
            os.unlink(os.path.join(folder, entry))


def wait_for(what, predicate, timeout=20.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def walk(node, depth=0, max_depth=40):
    if node is None or depth > max_depth:
        return
    yield node
    try:
        count = node.childCount
    except Exception:
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, depth + 1, max_depth)


def role(node):
    try:
        return node.getRoleName()
    except Exception:
        return ""


def name(node):
    try:
        return node.name or ""
    except Exception:
        return ""


def find_all(root, role_name=None, name_is=None, name_contains=None):
    found = []
    for node in walk(root):
        if role_name is not None and role(node) != role_name:
            continue
        if name_is is not None and name(node) != name_is:
            continue
        if name_contains is not None and name_contains not in name(node):
            continue
        found.append(node)
    return found


def find(root, what, timeout=20.0, **kwargs):
    return wait_for(what, lambda: (find_all(root, **kwargs) or [None])[0], timeout)


def task_row(root, task, timeout=20.0):
    """A task's row in the task list: a list item named "KEY, Title, Status, …"."""
    prefix = "%s, %s, " % (task["external_key"], task["title"])
    return wait_for("the row of " + task["external_key"],
                    lambda: next((n for n in find_all(root, role_name="list item")
                                  if name(n).startswith(prefix)), None), timeout)


def task_row_status(root, task):
    """The status a task's row shows now, or None when the row is not there."""
    prefix = "%s, %s, " % (task["external_key"], task["title"])
    for node in find_all(root, role_name="list item"):
        if name(node).startswith(prefix):
            return name(node)[len(prefix):].split(", ")[0]
    return None


def visible(node):
    try:
        return node.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return False


def actions(node):
    try:
        action = node.queryAction()
        return action if action.nActions > 0 else None
    except Exception:
        return None


def click(node):
    """Activates node, or the first node inside it that can be activated (a
    GtkMenuButton's accessible wraps the toggle button that has the action)."""
    for candidate in walk(node, max_depth=3):
        action = actions(candidate)
        if action is None:
            continue
        for i in range(action.nActions):
            if action.getName(i) in ("click", "press", "activate"):
                action.doAction(i)
                return
        action.doAction(0)
        return
    raise AssertionError("nothing to click in %s %r" % (role(node), name(node)))


def dump(root, out=sys.stderr):
    for node in walk(root):
        out.write("%s %r\n" % (role(node), name(node)))


class App:
    """The real astrolabe binary, launched and found on the accessibility bus."""

    def __init__(self, *args, env=None):
        start_accessibility_bus()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log_path = os.path.join(os.environ["XDG_CACHE_HOME"], "astrolabe-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([APP, *args], env=full_env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.node = wait_for("astrolabe on the accessibility bus", self._find_app)

    def _find_app(self):
        if self.process.poll() is not None:
            raise AssertionError("astrolabe exited with %s:\n%s" % (self.process.returncode, self.output()))
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            child = desktop.getChildAtIndex(i)
            if child is not None and name(child).lower() == "astrolabe":
                try:
                    if child.get_process_id() != self.process.pid:
                        continue
                except Exception:
                    pass
                return child
        return None

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def window(self, title="Astrolabe", timeout=20.0):
        return find(self.node, "window " + title, timeout, role_name="frame", name_is=title)

    def wait_exit(self, timeout=10.0):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("astrolabe did not exit")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def screenshot(filename):
    """Saves the whole Xvfb screen as a test artifact."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, filename)
    if shutil.which("import"):
        time.sleep(0.5)  # let the last frame land
        subprocess.run(["import", "-window", "root", path], check=True)
        print("screenshot: " + path)
    return path


def xdotool(*args):
    return subprocess.run(["xdotool", *args], check=True, capture_output=True, text=True).stdout


def type_into(node, text):
    """Types into an entry as a person would: a click into it, then the
    keyboard. (GTK 4.8 implements neither GrabFocus nor SetTextContents over
    AT-SPI; with no window manager the window sits at the screen's origin.)"""
    box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2), "click", "1")
    time.sleep(0.2)
    xdotool("key", "--clearmodifiers", "ctrl+a", "BackSpace")
    if text:
        xdotool("type", "--delay", "5", text)


def click_at(node):
    """A pointer click in the middle of node, for what offers no AT-SPI action
    in GTK 4.8 (rows of a list view). Only for nodes of a main window: with no
    window manager its origin is the screen's, which popovers' is not."""
    box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2), "click", "1")
