"""The Python binding on a real appliance (run by tests/test-python.sh).

One appliance is shared by the class; the thread test boots a second one
in a thread while the first keeps answering; the last test kills the shared
appliance's backend.
"""
import os
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import guestkit


class TestOffline(unittest.TestCase):
    """No appliance: types, closed handles, local calls."""

    def test_wrong_types(self):
        with guestkit.GuestKit() as g:
            self.assertRaises(TypeError, g.set_memsize, "512")
            self.assertRaises(TypeError, g.set_memsize, True)
            self.assertRaises(TypeError, g.add_drive, 42)
            self.assertRaises(TypeError, g.add_drive, "x.img", readonly="yes")
            self.assertRaises(TypeError, g.add_drive, "x.img", format=1)
            self.assertRaises(OverflowError, g.set_memsize, 2**40)
            self.assertRaises(ValueError, g.add_drive, "a\0b")
            self.assertRaises(TypeError, g.add_drive, "x.img", nosuchopt=1)
            self.assertRaises(TypeError, g.mkdir)
            self.assertRaises(TypeError, g.set_debug, "on")
            self.assertRaises(TypeError, g.set_progress_callback, 42)
            # Nothing reached the library: the handle is still unlaunched.
            self.assertEqual(g.get_memsize(), 512)

    def test_closed_handle(self):
        g = guestkit.GuestKit()
        g.close()
        g.close()
        self.assertTrue(g.closed)
        with self.assertRaises(guestkit.Error) as cm:
            g.get_memsize()
        self.assertEqual(cm.exception.errname, "EBADF")
        self.assertIn("closed", str(cm.exception))

    def test_local_error(self):
        with guestkit.GuestKit() as g:
            with self.assertRaises(guestkit.Error) as cm:
                g.get_pid()
            self.assertEqual(cm.exception.errname, "ESRCH")
            self.assertEqual(cm.exception.errno, 3)
            self.assertIn("get-pid", cm.exception.message)
            with self.assertRaises(guestkit.Error) as cm:
                g.add_drive("/nonexistent/disk.img")
            self.assertEqual(cm.exception.errname, "ENOENT")

    def test_drive_labels(self):
        # add_drive's 8th optional argument (the generator once lost the
        # method's call name past 7), and the label map.
        with tempfile.NamedTemporaryFile() as f, guestkit.GuestKit() as g:
            f.truncate(1 << 20)
            g.add_drive(f.name, format="raw", label="foo")
            g.add_drive_scratch(1 << 20, label="bar")
            self.assertEqual(g.list_disk_labels(), ["foo", "/dev/sda", "bar", "/dev/sdb"])
            with self.assertRaises(guestkit.Error) as cm:
                g.add_drive(f.name, label="foo")
            self.assertEqual(cm.exception.errname, "EINVAL")
            self.assertIn("label 'foo' is already", cm.exception.message)

    def test_generated(self):
        # Every call of the table is a method, with the table's docs.
        for name in ("mkfs", "part_list", "statns", "pread", "inspect_os", "launch"):
            self.assertTrue(callable(getattr(guestkit.GuestKit, name)), name)
        self.assertIn("make a filesystem", guestkit.GuestKit.mkfs.__doc__)
        self.assertIs(guestkit.GuestKit.stat, guestkit.GuestKit.statns)


class TestAppliance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.disk = os.path.join(cls.dir.name, "disk.img")
        with open(cls.disk, "wb") as f:
            f.truncate(128 * 1024 * 1024)
        cls.g = guestkit.GuestKit()
        cls.g.add_drive(cls.disk, format="raw")
        cls.g.launch()
        cls.g.part_disk("/dev/sda", "mbr")
        cls.g.mkfs("ext4", "/dev/sda1", label="PYLABEL")
        cls.g.mount("/dev/sda1", "/")

    @classmethod
    def tearDownClass(cls):
        cls.g.close()
        cls.dir.cleanup()

    def test_01_files(self):
        g = self.g
        g.write("/hello", b"hello\0world")
        g.write("/text", "caf\u00e9")
        self.assertEqual(g.read_file("/hello"), b"hello\0world")
        self.assertEqual(g.cat("/text"), "caf\u00e9")
        g.mkdir("/d")
        self.assertEqual(sorted(g.ls("/")), ["d", "hello", "lost+found", "text"])
        self.assertTrue(g.is_file("/hello"))
        self.assertFalse(g.is_dir("/hello"))

    def test_02_struct(self):
        st = self.g.statns("/hello")
        self.assertIsInstance(st, dict)
        self.assertEqual(st["st_size"], 11)
        self.assertEqual(st["st_mode"] & 0o170000, 0o100000)
        self.assertEqual(self.g.stat("/hello")["st_ino"], st["st_ino"])

    def test_03_struct_list(self):
        parts = self.g.part_list("/dev/sda")
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0]["part_num"], 1)
        self.assertEqual(parts[0]["part_start"], 1048576)

    def test_04_optargs(self):
        # mkfs above: only label given, and it took.
        self.assertEqual(self.g.vfs_label("/dev/sda1"), "PYLABEL")
        # An optional argument left out leaves its bit clear (the link is
        # not followed); given, it is set and its value passed.
        self.g.ln_s("/hello", "/link")
        self.assertFalse(self.g.is_file("/link"))
        self.assertTrue(self.g.is_file("/link", followsymlinks=True))
        self.assertFalse(self.g.is_file("/link", followsymlinks=False))
        self.assertEqual(self.g.lstatns("/link")["st_mode"] & 0o170000, 0o120000)

    def test_05_buffer(self):
        self.assertEqual(self.g.pread("/hello", 5, 6), b"world")
        self.assertEqual(self.g.pread("/hello", 3, 4), b"o\0w")

    def test_06_errors(self):
        with self.assertRaises(guestkit.Error) as cm:
            self.g.cat("/nonexistent")
        e = cm.exception
        self.assertEqual(e.errname, "ENOENT")
        self.assertEqual(e.errno, 2)
        self.assertIn("/nonexistent", e.message)
        self.assertRaises(TypeError, self.g.write, "/f", 3)
        self.assertRaises(TypeError, self.g.ls, ["/"])
        self.assertRaises(TypeError, self.g.pread, "/hello", "5", 0)
        # Still usable after errors.
        self.assertEqual(self.g.cat("/text"), "caf\u00e9")

    def test_07_progress(self):
        # Uploads report progress from the library, chunk by chunk.  An
        # exception in the callback cancels the call and is raised by it;
        # the handle stays usable.
        g = self.g
        src = os.path.join(self.dir.name, "big")
        with open(src, "wb") as f:
            f.write(b"x" * (8 * 1024 * 1024))
        seen = []
        g.set_progress_callback(lambda call, done, total: seen.append((call, done, total)))
        g.upload(src, "/big0")
        self.assertTrue(seen)
        self.assertEqual(seen[-1], ("upload", 8 * 1024 * 1024, 8 * 1024 * 1024))
        seen.clear()
        # A call on the handle from its own callback is refused, not a
        # re-entry into the library in the middle of a call.
        inner = []

        def reenter(call, done, total):
            try:
                g.get_memsize()
            except guestkit.Error as e:
                inner.append(e.errname)
        g.set_progress_callback(reenter)
        g.upload(src, "/big1")
        self.assertEqual(set(inner), {"EDEADLK"})

        def boom(call, done, total):
            seen.append((call, done, total))
            raise KeyError("from callback")
        g.set_progress_callback(boom)
        try:
            with self.assertRaises(KeyError):
                g.upload(src, "/big")
        finally:
            g.set_progress_callback(None)
        self.assertEqual(seen[0][0], "upload")
        self.assertEqual(seen[0][2], 8 * 1024 * 1024)
        self.assertFalse(g.exists("/big"))      # a cancelled upload leaves nothing
        g.upload(src, "/big")                   # no callback now: completes
        self.assertEqual(g.statns("/big")["st_size"], 8 * 1024 * 1024)
        self.assertEqual(g.cat("/text"), "caf\u00e9")

    def test_08_threads(self):
        # A second handle boots in another thread while this one keeps
        # answering calls: only possible when the GIL is released in C.
        d2 = os.path.join(self.dir.name, "disk2.img")
        with open(d2, "wb") as f:
            f.truncate(64 * 1024 * 1024)
        state = {"launched": False, "error": None, "calls_during_launch": 0}
        in_launch = threading.Event()

        def other():
            try:
                with guestkit.GuestKit() as g2:
                    g2.add_drive(d2, format="raw")
                    in_launch.set()
                    g2.launch()
                    state["launched"] = True
                    g2.mkfs("ext2", "/dev/sda")
                    g2.mount("/dev/sda", "/")
                    g2.write("/x", b"thread")
                    state["read"] = g2.cat("/x")
            except BaseException as e:
                state["error"] = e
            finally:
                in_launch.set()
        t = threading.Thread(target=other)
        t.start()
        in_launch.wait()
        while t.is_alive():
            self.g.is_file("/hello")
            if not state["launched"]:
                state["calls_during_launch"] += 1
            time.sleep(0.05)
        t.join()
        self.assertIsNone(state["error"])
        self.assertEqual(state["read"], "thread")
        self.assertGreaterEqual(state["calls_during_launch"], 3)

    def test_99_dead_appliance(self):
        g = self.g
        os.kill(g.get_pid(), signal.SIGKILL)
        with self.assertRaises(guestkit.Error) as cm:
            g.ls("/")
        self.assertTrue(cm.exception.message)
        with self.assertRaises(guestkit.Error):
            g.cat("/hello")


class TestInspectExample(unittest.TestCase):
    """examples/inspect.py on an image laid out like an Ubuntu guest."""

    def test_inspect_py(self):
        with tempfile.TemporaryDirectory() as d:
            disk = os.path.join(d, "ubuntu.img")
            with open(disk, "wb") as f:
                f.truncate(64 * 1024 * 1024)
            with guestkit.GuestKit() as g:
                g.add_drive(disk, format="raw")
                g.launch()
                g.part_disk("/dev/sda", "mbr")
                g.mkfs("ext4", "/dev/sda1")
                g.mount("/dev/sda1", "/")
                g.mkdir_p("/etc")
                g.mkdir_p("/var/lib/dpkg")
                g.write("/etc/os-release", 'NAME=Ubuntu\nID=ubuntu\nVERSION_ID="22.04"\n'
                        "PRETTY_NAME='Ubuntu 22.04.3 LTS'\n")
                g.write("/etc/hostname", "ubu\n")
                g.write("/etc/fstab", "/dev/sda1 / ext4 defaults 1 1\n")
                g.write("/var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\n"
                        "Version: 5.1-6ubuntu1\nArchitecture: amd64\n")
            with open(disk, "rb") as f:
                before = f.read()
            top = os.environ.get("TOP_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
            p = subprocess.run([sys.executable, os.path.join(top, "examples", "inspect.py"), disk, "--apps"],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(p.returncode, 0, p.stderr)
            oses = json.loads(p.stdout)
            self.assertEqual(len(oses), 1)
            o = oses[0]
            self.assertEqual(o["root"], "/dev/sda1")
            self.assertEqual(o["type"], "linux")
            self.assertEqual(o["distro"], "ubuntu")
            self.assertEqual(o["version"], [22, 4])
            self.assertEqual(o["hostname"], "ubu")
            self.assertEqual(o["package_format"], "deb")
            self.assertEqual(o["mountpoints"], {"/": "/dev/sda1"})
            self.assertEqual(o["applications"], [{"name": "bash", "version": "5.1", "release": "6ubuntu1"}])
            # Read-only: not a byte of the image changed.
            with open(disk, "rb") as f:
                self.assertEqual(f.read(), before)
            # A missing image: a clean message and exit 1, no traceback.
            p = subprocess.run([sys.executable, os.path.join(top, "examples", "inspect.py"),
                                os.path.join(d, "missing.img")], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn("ENOENT", p.stderr)
            self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
