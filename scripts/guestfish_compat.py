"""Probes of what this tree's gkfish accepts, shared by
scripts/guestfish-compat-table and scripts/guestfish-script-check.

gkfish is `./run fish/gkfish` of this tree, or $GKFISH.  Nothing here
launches an appliance: commands are probed with `gkfish -h CMD`, options
by parsing them in front of `--version`.
"""
import functools
import os
import re
import shlex
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GKFISH = shlex.split(os.environ.get("GKFISH", f"{TOP}/run {TOP}/fish/gkfish"))

# guestfish options that take the next word as their argument.
ARG_OPTS = {"-a", "--add", "-c", "--connect", "-d", "--domain", "-f", "--file",
            "-m", "--mount", "-N", "--new", "--key"}


def run(argv):
    """(exit status, stdout) of argv, in the C locale."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LANG="C", LC_ALL="C"))
    return p.returncode, p.stdout.decode("utf-8", "replace")


@functools.lru_cache(maxsize=None)
def usage(cmd):
    """gkfish's usage line of CMD, or None when gkfish lacks CMD."""
    rc, out = run(GKFISH + ["-h", cmd])
    if rc != 0:
        return None
    for line in out.splitlines():
        if line.startswith("usage: "):
            return line[len("usage: "):].strip()
    return cmd


def split_synopsis(line):
    """(required args, optional arg names with '_' for '-') of a synopsis."""
    req, opt = [], []
    for w in line.split()[1:]:
        m = re.match(r"^\[([a-zA-Z0-9_-]+):", w)
        if m:
            opt.append(m.group(1).replace("-", "_"))
        elif not w.startswith("["):
            req.append(w)
    return req, opt


def have_optarg(cmd, name):
    """Whether gkfish's CMD takes the optional argument NAME:."""
    u = usage(cmd)
    return u is not None and name.replace("-", "_") in split_synopsis(u)[1]


@functools.lru_cache(maxsize=None)
def have_option(opt):
    """Whether gkfish parses OPT ("--name", "--name=value" or "-x") the
    way guestfish does: OPT (with a dummy argument when it takes one) in
    front of --version must exit 0.  getopt's unique-prefix matching
    counts, as it does for guestfish (`--i` is `--inspector`)."""
    name = opt.split("=", 1)[0]
    argv = [opt]
    if name in ARG_OPTS and "=" not in opt:
        argv.append({"-a": "/dev/null", "--add": "/dev/null", "-f": "/dev/null",
                     "--file": "/dev/null", "-N": "fs", "--new": "fs",
                     "--key": "/dev/sda1:key:x"}.get(name, "x"))
    if name in ("-h", "--cmd-help", "--help", "-V", "--version"):
        argv = [opt]
    else:
        argv.append("--version")
    return run(GKFISH + argv)[0] == 0
