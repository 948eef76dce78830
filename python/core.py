"""guestkit: inspect and edit disk images safely (Python binding).

    import guestkit
    with guestkit.GuestKit() as g:
        g.add_drive("disk.img", readonly=True)
        g.launch()
        g.mount("/dev/sda1", "/")
        print(g.ls("/"))

Every call of the C library is a method of GuestKit (dashes become
underscores; docs/api.md lists them).  Optional arguments are keyword
arguments.  Failures raise guestkit.Error with .errno, .errname and the
library's message.  The C calls run without the GIL, so threads that each
own a handle run in parallel.  A handle is not shared between threads
without care: each call takes the handle's lock.

This file is the hand-written core (python/core.py in the sources); the
methods and type tables come from the API table (generator/gen-python.c).
"""
import ctypes
import errno as _errno
import os
import threading

from ._actions import Actions as _Actions, CALLS as _CALLS, STRUCTS as _STRUCTS
from ._config import LIBDIR as _LIBDIR, VERSION as __version__

__all__ = ["GuestKit", "Error", "__version__"]


class Error(Exception):
    """A guestkit call failed.  .errno is the number (0 if unknown),
    .errname its name ("ENOENT"), .message the library's message."""

    def __init__(self, message, errno=0):
        self.message = message
        self.errno = errno
        self.errname = _errname(errno) if errno else ""
        super().__init__(f"{message} ({self.errname})" if self.errname else message)


def _load():
    names = []
    if os.environ.get("GUESTKIT_LIBRARY"):
        names.append(os.environ["GUESTKIT_LIBRARY"])
    # The loader's search path first (LD_LIBRARY_PATH: the build tree's ./run),
    # then where `make install` put the library.
    names += ["libguestkit.so.0", os.path.join(_LIBDIR, "libguestkit.so.0")]
    err = None
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError as e:
            err = e
    raise ImportError(f"guestkit: cannot load libguestkit.so.0: {err}")


_lib = _load()
_lib.gk_int_errno_name.argtypes = [ctypes.c_int]
_lib.gk_int_errno_name.restype = ctypes.c_char_p


def _errname(e):
    """The library's name for errno E (the names gkfish tests use: EDEADLK,
    not Python's EDEADLOCK), else Python's."""
    n = _lib.gk_int_errno_name(e).decode("ascii", "replace")
    return n if getattr(_errno, n, None) == e else _errno.errorcode.get(e, "")


_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None

_h_p = ctypes.c_void_p
_lib.gk_create.restype = _h_p
_lib.gk_create.argtypes = []
_lib.gk_close.argtypes = [_h_p]
_lib.gk_close.restype = None
_lib.gk_last_error.argtypes = [_h_p]
_lib.gk_last_error.restype = ctypes.c_char_p
_lib.gk_last_errno.argtypes = [_h_p]
_lib.gk_last_errno.restype = ctypes.c_int
_lib.gk_set_debug.argtypes = [_h_p, ctypes.c_int]
_lib.gk_set_debug.restype = None
_lib.gk_user_cancel.argtypes = [_h_p]
_lib.gk_user_cancel.restype = None
_lib.gk_free_strings.argtypes = [ctypes.c_void_p]
_lib.gk_free_strings.restype = None
_PROGRESS_CB = ctypes.CFUNCTYPE(None, _h_p, ctypes.c_void_p, ctypes.c_char_p,
                                ctypes.c_uint64, ctypes.c_uint64)
_lib.gk_set_progress_callback.argtypes = [_h_p, _PROGRESS_CB, ctypes.c_void_p]
_lib.gk_set_progress_callback.restype = None

# Argument type -> ctypes types of its C parameters.
_CTYPES = {
    "bool": [ctypes.c_int], "int": [ctypes.c_int], "int64": [ctypes.c_int64],
    "string": [ctypes.c_char_p], "optstring": [ctypes.c_char_p],
    "stringlist": [ctypes.POINTER(ctypes.c_char_p)],
    "buffer": [ctypes.c_char_p, ctypes.c_size_t],
}
_INT_RANGE = {"int": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def _mk_struct(name, fields):
    s = type("gk_" + name, (ctypes.Structure,), {})
    s._fields_ = [(f, ctypes.c_int64 if t == "int64" else ctypes.c_void_p) for f, t in fields]
    lst = type("gk_" + name + "_list", (ctypes.Structure,), {})
    lst._fields_ = [("len", ctypes.c_size_t), ("val", ctypes.POINTER(s))]
    for fn, arg in (("gk_free_" + name, s), ("gk_free_" + name + "_list", lst)):
        getattr(_lib, fn).argtypes = [ctypes.POINTER(arg)]
        getattr(_lib, fn).restype = None
    return s, lst


_STRUCT_T = {n: _mk_struct(n, f) for n, f in _STRUCTS.items()}


def _decode(p):
    return ctypes.string_at(p).decode("utf-8", "surrogateescape")


def _struct_dict(name, v):
    return {f: getattr(v, f) if t == "int64" else _decode(getattr(v, f)) if getattr(v, f) else ""
            for f, t in _STRUCTS[name]}


class _Call:
    """One call's C function with its argtypes, restype and opts struct."""

    def __init__(self, name, spec):
        cfunc, self.ret, self.struct, self.args, self.optargs = spec
        self.name = name
        self.fn = getattr(_lib, cfunc)
        argtypes = [_h_p]
        for _, t in self.args:
            argtypes += _CTYPES[t]
        self.opts_t = None
        if self.optargs:
            fields = [("bitmask", ctypes.c_uint64)]
            for an, t in self.optargs:
                fields += [(an + ("_size" if i else ""), ct) for i, ct in enumerate(_CTYPES[t])]
            self.opts_t = type(cfunc + "_opts", (ctypes.Structure,), {"_fields_": fields})
            argtypes.append(ctypes.POINTER(self.opts_t))
        if self.ret == "buffer":
            argtypes.append(ctypes.POINTER(ctypes.c_size_t))
        self.fn.argtypes = argtypes
        self.fn.restype = {
            "err": ctypes.c_int, "int": ctypes.c_int, "bool": ctypes.c_int,
            "int64": ctypes.c_int64,
            "struct": ctypes.POINTER(_STRUCT_T[self.struct][0]) if self.struct else None,
            "structlist": ctypes.POINTER(_STRUCT_T[self.struct][1]) if self.struct else None,
        }.get(self.ret, ctypes.c_void_p)

    def convert(self, aname, t, v):
        """Python value -> list of C values; TypeError before any C call."""
        where = f"{self.name}: argument {aname}"
        if t == "bool":
            if not isinstance(v, (bool, int)):
                raise TypeError(f"{where} must be bool, not {type(v).__name__}")
            return [1 if v else 0]
        if t in ("int", "int64"):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{where} must be int, not {type(v).__name__}")
            lo, hi = _INT_RANGE[t]
            if not lo <= v <= hi:
                raise OverflowError(f"{where} out of range: {v}")
            return [v]
        if t in ("string", "optstring"):
            if v is None and t == "optstring":
                return [None]
            return [self.cstr(where, v)]
        if t == "stringlist":
            if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
                raise TypeError(f"{where} must be a list of str, not {type(v).__name__}")
            arr = (ctypes.c_char_p * (len(v) + 1))(*[self.cstr(where, s) for s in v], None)
            return [arr]
        if t == "buffer":
            if isinstance(v, str):
                v = v.encode("utf-8", "surrogateescape")
            if not isinstance(v, (bytes, bytearray, memoryview)):
                raise TypeError(f"{where} must be bytes, not {type(v).__name__}")
            v = bytes(v)
            return [v, len(v)]
        raise TypeError(f"{where}: unknown type {t}")

    @staticmethod
    def cstr(where, v):
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        if isinstance(v, str):
            v = v.encode("utf-8", "surrogateescape")
        if not isinstance(v, bytes):
            raise TypeError(f"{where} must be str, not {type(v).__name__}")
        if b"\0" in v:
            raise ValueError(f"{where} contains a NUL byte")
        return v

    def result(self, g, r, size):
        """The C result -> Python value (freeing the C memory), or raise."""
        ret = self.ret
        if ret in ("err", "int", "int64", "bool"):
            if r == -1:
                g._raise()
            return None if ret == "err" else bool(r) if ret == "bool" else r
        if not r:
            g._raise()
        if ret == "string":
            try:
                return _decode(r)
            finally:
                _libc.free(r)
        if ret == "buffer":
            try:
                return ctypes.string_at(r, size.value)
            finally:
                _libc.free(r)
        if ret == "stringlist":
            try:
                arr = ctypes.cast(r, ctypes.POINTER(ctypes.c_void_p))
                out = []
                while arr[len(out)]:
                    out.append(_decode(arr[len(out)]))
                return out
            finally:
                _lib.gk_free_strings(r)
        if ret == "struct":
            try:
                return _struct_dict(self.struct, r.contents)
            finally:
                getattr(_lib, "gk_free_" + self.struct)(r)
        try:
            lst = r.contents
            return [_struct_dict(self.struct, lst.val[i]) for i in range(lst.len)]
        finally:
            getattr(_lib, "gk_free_" + self.struct + "_list")(r)


class _Owned:
    def __init__(self, gk):
        self.gk = gk

    def __enter__(self):
        self.gk._lock.acquire()
        self.gk._owner = threading.get_ident()

    def __exit__(self, *exc):
        self.gk._owner = None
        self.gk._lock.release()
        return False


_CALL_OBJS = {}


def _get_call(name):
    c = _CALL_OBJS.get(name)
    if c is None:
        c = _CALL_OBJS[name] = _Call(name, _CALLS[name])
    return c


class GuestKit(_Actions):
    """A guestkit handle: one appliance.  Use as a context manager, or call
    close() (which also shuts the appliance down)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._owner = None          # thread inside a C call on this handle
        self._progress = None
        self._progress_c = None
        self._cb_error = None
        self._g = _lib.gk_create()
        if not self._g:
            raise Error("gk_create failed (out of memory)", _errno.ENOMEM)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self._g and exc[0] is None:
                self.shutdown()
        finally:
            self.close()
        return False

    def __del__(self):
        if getattr(self, "_g", None):
            self.close()

    def close(self):
        """Shut down (if needed) and free the handle.  Closing twice is fine;
        any other call on a closed handle raises Error (EBADF)."""
        with self._locked():
            if self._g:
                _lib.gk_close(self._g)
                self._g = None

    @property
    def closed(self):
        return not self._g

    def user_cancel(self):
        """Ask the call running on this handle (in another thread) to stop;
        it fails with ECANCELED.  Does not take the handle's lock."""
        g = self._g
        if g:
            _lib.gk_user_cancel(g)

    def set_debug(self, on):
        """Debug output (appliance console, protocol) on stderr; also
        GUESTKIT_DEBUG=1."""
        if not isinstance(on, (bool, int)):
            raise TypeError(f"set_debug: argument on must be bool, not {type(on).__name__}")
        with self._locked():
            _lib.gk_set_debug(self._handle(), 1 if on else 0)

    def set_progress_callback(self, fn):
        """fn(call_name, done, total) is called during long calls (total 0
        when unknown), in the thread making the call.  None removes it.  An
        exception raised by fn cancels the call and is re-raised by it."""
        with self._locked():
            h = self._handle()
            if fn is None:
                self._progress = self._progress_c = None
                _lib.gk_set_progress_callback(h, _PROGRESS_CB(), None)
                return
            if not callable(fn):
                raise TypeError("progress callback must be callable")

            def cb(_h, _opaque, call, done, total):
                try:
                    fn(call.decode("utf-8", "replace") if call else "", done, total)
                except BaseException as e:  # noqa: B036 - re-raised by the call
                    if self._cb_error is None:
                        self._cb_error = e
                    _lib.gk_user_cancel(_h)

            self._progress = fn
            self._progress_c = _PROGRESS_CB(cb)   # kept alive with the handle
            _lib.gk_set_progress_callback(h, self._progress_c, None)

    def _locked(self):
        """The handle's lock: one C call at a time (the C library allows one
        thread per handle).  A call from this handle's own progress
        callback would re-enter the library mid-call: refused."""
        if self._owner == threading.get_ident():
            raise Error("guestkit handle used from its own progress callback", _errno.EDEADLK)
        return _Owned(self)

    def _handle(self):
        if not self._g:
            raise Error("guestkit handle is closed", _errno.EBADF)
        return self._g

    def _raise(self):
        msg = _lib.gk_last_error(self._g)
        raise Error(msg.decode("utf-8", "replace") if msg else "unknown error",
                    _lib.gk_last_errno(self._g))

    def _call(self, name, args, optvals):
        c = _get_call(name)
        cargs = []
        for (an, t), v in zip(c.args, args):
            cargs += c.convert(an, t, v)
        if c.opts_t is not None:
            opts = c.opts_t()
            for i, ((an, t), v) in enumerate(zip(c.optargs, optvals)):
                if v is None:
                    continue
                opts.bitmask |= 1 << i
                vals = c.convert(an, t, v)
                setattr(opts, an, vals[0])
                if len(vals) > 1:
                    setattr(opts, an + "_size", vals[1])
            cargs.append(ctypes.byref(opts))
        size = ctypes.c_size_t(0)
        if c.ret == "buffer":
            cargs.append(ctypes.byref(size))
        with self._locked():
            h = self._handle()
            self._cb_error = None
            # ctypes releases the GIL for the duration of the foreign call.
            r = c.fn(h, *cargs)
            if self._cb_error is not None:
                e, self._cb_error = self._cb_error, None
                try:
                    c.result(self, r, size)     # frees a result, if any
                except Error:
                    pass
                raise e
            return c.result(self, r, size)
