/* guestkit: errno values travel by name, so host and appliance may differ. */
#include <errno.h>
#include <string.h>
#include "wire.h"

static const struct { int e; const char *n; } tab[] = {
#ifdef EPERM
  { EPERM, "EPERM" },
#endif
#ifdef ENOENT
  { ENOENT, "ENOENT" },
#endif
#ifdef ESRCH
  { ESRCH, "ESRCH" },
#endif
#ifdef EINTR
  { EINTR, "EINTR" },
#endif
#ifdef EIO
  { EIO, "EIO" },
#endif
#ifdef ENXIO
  { ENXIO, "ENXIO" },
#endif
#ifdef E2BIG
  { E2BIG, "E2BIG" },
#endif
#ifdef ENOEXEC
  { ENOEXEC, "ENOEXEC" },
#endif
#ifdef EBADF
  { EBADF, "EBADF" },
#endif
#ifdef ECHILD
  { ECHILD, "ECHILD" },
#endif
#ifdef EAGAIN
  { EAGAIN, "EAGAIN" },
#endif
#ifdef ENOMEM
  { ENOMEM, "ENOMEM" },
#endif
#ifdef EACCES
  { EACCES, "EACCES" },
#endif
#ifdef EFAULT
  { EFAULT, "EFAULT" },
#endif
#ifdef ENOTBLK
  { ENOTBLK, "ENOTBLK" },
#endif
#ifdef EBUSY
  { EBUSY, "EBUSY" },
#endif
#ifdef EEXIST
  { EEXIST, "EEXIST" },
#endif
#ifdef EXDEV
  { EXDEV, "EXDEV" },
#endif
#ifdef ENODEV
  { ENODEV, "ENODEV" },
#endif
#ifdef ENOTDIR
  { ENOTDIR, "ENOTDIR" },
#endif
#ifdef EISDIR
  { EISDIR, "EISDIR" },
#endif
#ifdef EINVAL
  { EINVAL, "EINVAL" },
#endif
#ifdef ENFILE
  { ENFILE, "ENFILE" },
#endif
#ifdef EMFILE
  { EMFILE, "EMFILE" },
#endif
#ifdef ENOTTY
  { ENOTTY, "ENOTTY" },
#endif
#ifdef ETXTBSY
  { ETXTBSY, "ETXTBSY" },
#endif
#ifdef EFBIG
  { EFBIG, "EFBIG" },
#endif
#ifdef ENOSPC
  { ENOSPC, "ENOSPC" },
#endif
#ifdef ESPIPE
  { ESPIPE, "ESPIPE" },
#endif
#ifdef EROFS
  { EROFS, "EROFS" },
#endif
#ifdef EMLINK
  { EMLINK, "EMLINK" },
#endif
#ifdef EPIPE
  { EPIPE, "EPIPE" },
#endif
#ifdef EDOM
  { EDOM, "EDOM" },
#endif
#ifdef ERANGE
  { ERANGE, "ERANGE" },
#endif
#ifdef EDEADLK
  { EDEADLK, "EDEADLK" },
#endif
#ifdef ENAMETOOLONG
  { ENAMETOOLONG, "ENAMETOOLONG" },
#endif
#ifdef ENOLCK
  { ENOLCK, "ENOLCK" },
#endif
#ifdef ENOSYS
  { ENOSYS, "ENOSYS" },
#endif
#ifdef ENOTEMPTY
  { ENOTEMPTY, "ENOTEMPTY" },
#endif
#ifdef ELOOP
  { ELOOP, "ELOOP" },
#endif
#ifdef ENOMSG
  { ENOMSG, "ENOMSG" },
#endif
#ifdef EIDRM
  { EIDRM, "EIDRM" },
#endif
#ifdef ENODATA
  { ENODATA, "ENODATA" },
#endif
#ifdef ETIME
  { ETIME, "ETIME" },
#endif
#ifdef EPROTO
  { EPROTO, "EPROTO" },
#endif
#ifdef EBADMSG
  { EBADMSG, "EBADMSG" },
#endif
#ifdef EOVERFLOW
  { EOVERFLOW, "EOVERFLOW" },
#endif
#ifdef EILSEQ
  { EILSEQ, "EILSEQ" },
#endif
#ifdef ENOTSOCK
  { ENOTSOCK, "ENOTSOCK" },
#endif
#ifdef EMSGSIZE
  { EMSGSIZE, "EMSGSIZE" },
#endif
#ifdef EPROTONOSUPPORT
  { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
#endif
#ifdef EOPNOTSUPP
  { EOPNOTSUPP, "EOPNOTSUPP" },
#endif
#ifdef ECONNRESET
  { ECONNRESET, "ECONNRESET" },
#endif
#ifdef ENOBUFS
  { ENOBUFS, "ENOBUFS" },
#endif
#ifdef ETIMEDOUT
  { ETIMEDOUT, "ETIMEDOUT" },
#endif
#ifdef ECONNREFUSED
  { ECONNREFUSED, "ECONNREFUSED" },
#endif
#ifdef EHOSTUNREACH
  { EHOSTUNREACH, "EHOSTUNREACH" },
#endif
#ifdef EALREADY
  { EALREADY, "EALREADY" },
#endif
#ifdef EINPROGRESS
  { EINPROGRESS, "EINPROGRESS" },
#endif
#ifdef ESTALE
  { ESTALE, "ESTALE" },
#endif
#ifdef EDQUOT
  { EDQUOT, "EDQUOT" },
#endif
#ifdef ECANCELED
  { ECANCELED, "ECANCELED" },
#endif
#ifdef EUCLEAN
  { EUCLEAN, "EUCLEAN" },
#endif
#ifdef ENOMEDIUM
  { ENOMEDIUM, "ENOMEDIUM" },
#endif
#ifdef EMEDIUMTYPE
  { EMEDIUMTYPE, "EMEDIUMTYPE" },
#endif
#ifdef ENOTSUP
  { ENOTSUP, "ENOTSUP" },
#endif
};

const char *
gk_int_errno_name (int e)
{
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (tab[i].e == e) return tab[i].n;
  return "EIO";
}

int
gk_int_errno_from_name (const char *name)
{
  if (!name || !*name) return 0;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp (tab[i].n, name) == 0) return tab[i].e;
  return EIO;
}
