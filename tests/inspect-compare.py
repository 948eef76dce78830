#!/usr/bin/env python3
"""Compare gkinspector's JSON with virt-inspector's XML for one image.

  inspect-compare.py NAME GK.json VIRT.xml [noapps]

Prints one TAP line per field both tools report ("ok - NAME: field" or
"not ok - ..."); a difference listed in KNOWN (image, field) is "ok"
with the reason (docs/inspection-compat.md explains each).  VIRT.xml may
be empty: virt-inspector found no operating system.  "noapps": VIRT.xml
came from virt-inspector --no-applications (it cannot list this guest's
packages), so applications are not compared.  Exit status 0.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

# (image glob, field) -> why the tools differ; docs/inspection-compat.md.
KNOWN = {
    ("fedora.img", "*"): "synthetic shape: no /bin, no fstab virt-inspector accepts",
    ("ubuntu.img", "*"): "synthetic shape: libguestfs needs /bin and /etc/fstab",
    ("windows.img", "*"): "synthetic shape: no System32/cmd.exe, which libguestfs requires",
    ("hostile.img", "*"): "hostile files: libguestfs gives up on the root",
    ("dirty.img", "*"): "no /bin, no fstab: not a root for libguestfs",
    ("lvm.img", "*"): "no /bin: not a root for libguestfs",
    ("apk-pacman.img", "roots"):
        "the Alpine root has no /etc/fstab or /etc/hosts, one of which "
        "libguestfs 1.48 requires of a Linux root; gkinspector recognises "
        "it by /etc/alpine-release",
    ("rpm-hostile.img", "roots"):
        "hostile rpm databases (a symlink out of the root, a FIFO, garbage): "
        "virt-inspector 1.48 finds no root even with --no-applications; "
        "gkinspector recognises the roots and refuses the databases",
    ("fedora-rpm.img", "package_management"):
        "libguestfs 1.48 says dnf only if /usr/bin/dnf exists (the test "
        "image has no dnf binary); gkinspector by the version (Fedora >= 22)",
    ("fedora-btrfs.img", "package_management"):
        "libguestfs 1.48 says dnf only if /usr/bin/dnf exists (the test "
        "image has no dnf binary); gkinspector by the version (Fedora >= 22)",
    ("debian.img", "product_name"):
        "libguestfs 1.48 names a Debian by /etc/debian_version (12.x); "
        "gkinspector by PRETTY_NAME of os-release",
}


def known(image, field):
    for (img, fld), why in KNOWN.items():
        if img in (image, "*") and (fld == "*" or field.split()[-1] == fld):
            return why
    return None


def btrfsvol(name):
    """libguestfs 1.48 leaves the device of a btrfsvol: name as its
    appliance saw it (btrfsvol:/dev/sdb2/root in one run, /dev/sda2 in
    another: its own disk may come first), where plain device names are
    given back as the user's.  Each comparison adds one disk, the user's
    /dev/sda: the disk letter is put right, partition and subvolume kept."""
    return re.sub(r"^btrfsvol:/dev/sd[a-z]+([0-9]*)/", r"btrfsvol:/dev/sda\1/", name)


def virt_roots(path):
    try:
        data = open(path, "rb").read()
    except OSError:
        data = b""
    if not data.strip():
        return {}
    tree = ET.fromstring(data)
    roots = {}
    for os_ in tree.findall("operatingsystem"):
        # virt-inspector leaves out what it does not know; gkinspector
        # says "unknown" (and 0 for versions).
        t = lambda tag: (os_.findtext(tag) or "unknown").strip()
        r = {
            "type": t("name"), "distro": t("distro"),
            "product_name": t("product_name"),
            "major_version": os_.findtext("major_version") or "0",
            "minor_version": os_.findtext("minor_version") or "0",
            "arch": t("arch"), "hostname": t("hostname"),
            "package_format": t("package_format"),
            "package_management": t("package_management"),
            "product_variant": t("product_variant"),
            "windows_systemroot": t("windows_systemroot"),
            "windows_current_control_set": t("windows_current_control_set"),
            "mountpoints": sorted(
                (m.text or "", btrfsvol(m.get("dev", ""))) for m in os_.iter("mountpoint")),
            "filesystems": sorted(btrfsvol(f.get("dev", "")) for f in os_.iter("filesystem")),
            "drive_mappings": sorted(
                (d.get("name", ""), d.text or "") for d in os_.iter("drive_mapping")),
            "apps": [(a.findtext("name") or "", a.findtext("display_name") or "",
                      a.findtext("version") or "")
                     for a in os_.iter("application")],
        }
        roots[btrfsvol(os_.findtext("root") or "")] = r
    return roots


def gk_roots(path):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return {}
    roots = {}
    for o in doc.get("operatingsystems", []):
        r = {k: str(o.get(k, "")) for k in (
            "type", "distro", "product_name", "major_version", "minor_version",
            "arch", "hostname", "package_format", "package_management",
            "product_variant", "windows_systemroot",
            "windows_current_control_set")}
        for k in ("windows_systemroot", "windows_current_control_set"):
            r[k] = r[k] or "unknown"
        r["mountpoints"] = sorted((m["mountpoint"], m["device"])
                                  for m in o.get("mountpoints", []))
        r["filesystems"] = sorted(o.get("filesystems", []))
        r["drive_mappings"] = sorted(o.get("drive_mappings", {}).items())
        r["apps"] = [(a["name"], a["version"]) for a in o.get("applications", [])]
        roots[o["root"]] = r
    return roots


def main():
    image, gk_path, virt_path = sys.argv[1:4]
    noapps = sys.argv[4:5] == ["noapps"]
    gk, vi = gk_roots(gk_path), virt_roots(virt_path)
    out = []

    def check(field, a, b):
        name = "%s: %s" % (image, field)
        if a == b:
            out.append("ok - %s (%s)" % (name, shorten(a)))
            return
        why = known(image, field)
        if why:
            out.append("ok - %s # known difference: gkinspector %s, "
                       "virt-inspector %s: %s" % (name, shorten(a), shorten(b), why))
        else:
            out.append("not ok - %s: gkinspector %s, virt-inspector %s"
                       % (name, shorten(a), shorten(b)))

    check("roots", sorted(gk), sorted(vi))
    for root in sorted(set(gk) & set(vi)):
        g, v = gk[root], vi[root]
        for f in ("type", "distro", "product_name", "major_version",
                  "minor_version", "arch", "hostname", "package_format",
                  "package_management", "mountpoints", "filesystems",
                  "drive_mappings"):
            check("%s %s" % (root, f), g[f], v[f])
        if g["type"] == "windows":
            for f in ("product_variant", "windows_systemroot",
                      "windows_current_control_set"):
                check("%s %s" % (root, f), g[f], v[f])
        if noapps:
            out.append("ok - %s: %s applications # not compared: virt-inspector "
                       "1.48 on Debian cannot list rpm packages (its appliance "
                       "lacks /usr/lib/rpm/rpmrc: rpmtsInitIterator fails); "
                       "gkinspector lists %d" % (image, root, len(g["apps"])))
            continue
        check("%s applications count" % root, len(g["apps"]), len(v["apps"]))
        if g["type"] == "windows":
            # Ours: DisplayName, else the key; theirs: key and DisplayName.
            check("%s applications.windows_names" % root,
                  sorted(n for n, _ in g["apps"]),
                  sorted(d or n for n, d, _ in v["apps"]))
            check("%s applications versions" % root,
                  sorted(ver for _, ver in g["apps"]),
                  sorted(ver for _, _, ver in v["apps"]))
        else:
            check("%s applications names" % root,
                  sorted(n for n, _ in g["apps"]),
                  sorted(n for n, _, _ in v["apps"]))
    print("\n".join(out))


def shorten(x):
    s = repr(x)
    return s if len(s) <= 160 else s[:150] + "...(%d chars)" % len(s)


if __name__ == "__main__":
    main()
