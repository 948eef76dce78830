#!/usr/bin/env python3
"""Inspect a disk image read-only and print its operating systems as JSON.

    python3 examples/inspect.py disk.img [more disks...] [--apps]

From the build tree: PYTHONPATH=python ./run python3 examples/inspect.py disk.img
"""
import json
import sys

import guestkit


def inspect(disks, apps=False):
    with guestkit.GuestKit() as g:
        for d in disks:
            g.add_drive(d, readonly=True)
        g.launch()
        result = []
        for root in g.inspect_os():
            mp = g.inspect_get_mountpoints(root)      # mountpoint, device, ...
            os_ = {
                "root": root,
                "type": g.inspect_get_type(root),
                "distro": g.inspect_get_distro(root),
                "product_name": g.inspect_get_product_name(root),
                "version": [g.inspect_get_major_version(root), g.inspect_get_minor_version(root)],
                "arch": g.inspect_get_arch(root),
                "hostname": g.inspect_get_hostname(root),
                "package_format": g.inspect_get_package_format(root),
                "package_management": g.inspect_get_package_management(root),
                "mountpoints": dict(zip(mp[0::2], mp[1::2])),
                "filesystems": g.inspect_get_filesystems(root),
            }
            if apps:
                os_["applications"] = [
                    {"name": a["app2_name"], "version": a["app2_version"], "release": a["app2_release"]}
                    for a in g.inspect_list_applications2(root)]
            result.append(os_)
        return result


def main(argv):
    apps = "--apps" in argv
    disks = [a for a in argv if a != "--apps"]
    if not disks:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        print(json.dumps(inspect(disks, apps), indent=2))
    except guestkit.Error as e:
        print(f"inspect.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
