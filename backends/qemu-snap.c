/* guestkit qemu backend: launch by restoring a saved, booted appliance.
 *
 * A *template* is the appliance booted once with no user drive
 * (gk.snapshot=1: its daemon sends READY, then waits for RESUME), its
 * guest RAM in a file mapped shared (memory-backend-file, share=on).
 * Once it is ready we pause it and save its device state with qemu's
 * migration and the x-ignore-shared capability: the RAM stays in its
 * file and only ~0.4 MB of device state is written.  Every launch then
 * starts a fresh qemu with the same command line plus the user's drives
 * (scsi-hd on the template's virtio-scsi controller, which the restored
 * guest scans), maps the RAM file privately (share=off: each VM writes
 * its own copies, the file never changes) and loads the state
 * (-incoming defer, migrate-incoming fd:N).  A fresh process per launch:
 * nothing of one user's VM reaches the next.
 *
 * A saved state is valid only for exactly what made it, so its key is
 * all of it: the qemu binary and firmware files (identity: device,
 * inode, size, mtime), the appliance's kernel, initrd and root, the
 * template's whole command line (machine, accelerator, memory, CPUs,
 * kernel line, devices), the host CPU under KVM, and the boot id (the
 * RAM file is written through the page cache and never fsync'd: after a
 * reboot it is rebuilt rather than trusted).  The directory is named by
 * a hash of the key and holds the key itself, compared in full.
 *
 * Cache layout, in the library's cache directory (snapshot-qemu/):
 *   lock           flock'd by whoever builds (one template at a time)
 *   <hash>/key     the key text
 *   <hash>/sums    "state SIZE FNV64": a truncated or changed state file
 *                  is detected (the RAM file: by size; a corrupt one
 *                  makes the restore fail, which removes the snapshot)
 *   <hash>/state   device state;  <hash>/ram  guest RAM
 * A template's files are created with no name (O_TMPFILE) and linked
 * into a temporary directory that is renamed into place: a killed build
 * leaves nothing, a reader never sees half a snapshot.  At most
 * SNAP_KEEP snapshots are kept (least recently used go). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "argv.h"
#include "backend.h"
#include "qemu.h"
#include "qmp.h"
#include "monoclock.h"
#include "stage.h"
#include "wire.h"

#define SNAP_KEEP 4
#define BOOT_TIMEOUT_MS 120000
#define QMP_TIMEOUT_MS 10000
#define SAVE_TIMEOUT_MS 60000
#define LOAD_TIMEOUT_MS 30000
#define KEY_MAX (1024 * 1024)
#define STATE_MAX (64 * 1024 * 1024)

/* PROG as execvp finds it (its identity is part of the key). */
static char *
which (const char *prog)
{
  if (strchr (prog, '/')) return realpath (prog, NULL);
  const char *path = getenv ("PATH");
  if (!path) path = "/usr/bin:/bin";
  for (const char *p = path; *p; ) {
    size_t n = strcspn (p, ":");
    char *c = NULL;
    if (n > 0 && asprintf (&c, "%.*s/%s", (int) n, p, prog) != -1) {
      if (access (c, X_OK) == 0) { char *r = realpath (c, NULL); free (c); return r; }
      free (c);
    }
    p += n;
    if (*p == ':') p++;
  }
  return NULL;
}

/* --- the cache --- */

struct snap {
  char *top;                    /* snapshot-qemu/ */
  char *dir;                    /* snapshot-qemu/<hash> */
  char *key;
  char name[17];
};

static char *
read_small (int dirfd, const char *name, size_t max, size_t *len_r)
{
  int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd == -1) return NULL;
  struct stat st;
  char *b = NULL;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && (size_t) st.st_size <= max
      && (b = malloc ((size_t) st.st_size + 1))) {
    ssize_t n = pread (fd, b, (size_t) st.st_size, 0);
    if (n != st.st_size) { free (b); b = NULL; }
    else { b[n] = '\0'; *len_r = (size_t) n; }
  }
  close (fd);
  return b;
}

/* Open S's saved state if it fits: 1 (*STATE, *RAM open), or 0 (none,
 * another key with the same hash, or damaged: WHY says which). */
static int
snap_open (struct gk_int_vm *vm, const struct snap *s, int *state, int *ram, char *why, size_t wn)
{
  *state = *ram = -1;
  int d = open (s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (d == -1) { snprintf (why, wn, "no saved state yet"); return 0; }
  size_t kl = 0, sl = 0;
  char *key = read_small (d, "key", KEY_MAX, &kl);
  char *sums = read_small (d, "sums", 256, &sl);
  int r = 0;
  unsigned long long size = 0, sum = 0;
  if (!key || !sums || sscanf (sums, "state %llu %llx", &size, &sum) != 2) {
    snprintf (why, wn, "saved state %s incomplete", s->name);
    goto out;
  }
  if (kl != strlen (s->key) || memcmp (key, s->key, kl) != 0) {
    snprintf (why, wn, "saved state %s is for another configuration", s->name);
    goto out;
  }
  *state = openat (d, "state", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  *ram = openat (d, "ram", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st, rt;
  if (*state == -1 || *ram == -1 || fstat (*state, &st) == -1 || fstat (*ram, &rt) == -1
      || !S_ISREG (st.st_mode) || !S_ISREG (rt.st_mode)) {
    snprintf (why, wn, "saved state %s: files missing", s->name);
    goto out;
  }
  if ((unsigned long long) st.st_size != size || size > STATE_MAX
      || rt.st_size != (off_t) vm->memsize * 1024 * 1024) {
    snprintf (why, wn, "saved state %s: a file has the wrong size (truncated?)", s->name);
    goto out;
  }
  void *m = size ? mmap (NULL, size, PROT_READ, MAP_PRIVATE, *state, 0) : MAP_FAILED;
  if (m == MAP_FAILED || gk_int_snap_fnv64 (m, size, GK_FNV64_INIT) != sum) {
    snprintf (why, wn, "saved state %s: its checksum does not match (corrupt)", s->name);
    if (m != MAP_FAILED) munmap (m, size);
    goto out;
  }
  munmap (m, size);
  futimens (d, NULL);           /* recently used */
  r = 1;
 out:
  if (r != 1) {
    if (*state >= 0) close (*state);
    if (*ram >= 0) close (*ram);
    *state = *ram = -1;
  }
  free (key);
  free (sums);
  close (d);
  return r;
}

static void
rm_tree (int dirfd, const char *name)
{
  int d = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (d != -1) {
    DIR *dp = fdopendir (d);
    struct dirent *e;
    while (dp && (e = readdir (dp)))
      if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
        unlinkat (d, e->d_name, 0);
    if (dp) closedir (dp); else close (d);
  }
  unlinkat (dirfd, name, AT_REMOVEDIR);
}

/* Under the lock: stale temporary directories (a killed build), and the
 * least recently used snapshots beyond SNAP_KEEP. */
static void
prune (const char *top)
{
  int t = open (top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t == -1) return;
  DIR *dp = fdopendir (dup (t));
  struct { char name[64]; time_t mt; } keep[64];
  size_t n = 0;
  struct dirent *e;
  while (dp && (e = readdir (dp))) {
    struct stat st;
    if (e->d_name[0] == '.' || strcmp (e->d_name, "lock") == 0) continue;
    if (strncmp (e->d_name, "tmp.", 4) == 0) { rm_tree (t, e->d_name); continue; }
    if (strlen (e->d_name) < sizeof keep[0].name && n < 64
        && fstatat (t, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode)) {
      snprintf (keep[n].name, sizeof keep[n].name, "%s", e->d_name);
      keep[n++].mt = st.st_mtime;
    }
  }
  if (dp) closedir (dp);
  while (n > SNAP_KEEP) {
    size_t old = 0;
    for (size_t i = 1; i < n; i++) if (keep[i].mt < keep[old].mt) old = i;
    rm_tree (t, keep[old].name);
    keep[old] = keep[--n];
  }
  close (t);
}

/* --- the template --- */

/* What qemu prints when KVM cannot run the guest: it then pauses the VM,
 * so only the console says so (lib/conn.c watches for the same). */
static const char *const kvm_fatal[] = { "KVM internal error", "kvm run failed", NULL };

/* Wait for the daemon's READY frame on CH, draining the console CON into
 * TAIL (shown on failure) and forwarding it to FWD, the launch's console
 * (the library sees, e.g., a KVM failure there).  0, or -1 + vm->err. */
static int
wait_ready (struct gk_int_vm *vm, int ch, int con, int fwd, char *tail, size_t tn)
{
  int limit = vm->timeout_ms > 0 && vm->timeout_ms < BOOT_TIMEOUT_MS ? vm->timeout_ms
    : BOOT_TIMEOUT_MS;
  int64_t deadline = gk_int_mono_us () + (int64_t) limit * 1000;
  unsigned char head[GK_FRAME_HEAD];
  size_t got = 0, tl = 0;
  size_t body = 0, skipped = 0;
  tail[0] = '\0';
  for (;;) {
    int64_t left = (deadline - gk_int_mono_us ()) / 1000;
    if (left <= 0) {
      gk_int_vm_error (vm, ETIMEDOUT, "launch: the snapshot template did not become ready "
                       "in %d s; console: %s", limit / 1000, tail);
      return -1;
    }
    struct pollfd p[2] = { { .fd = ch, .events = POLLIN }, { .fd = con, .events = POLLIN } };
    if (poll (p, 2, (int) left) == -1) {
      if (errno == EINTR) continue;
      gk_int_vm_perror (vm, "launch: poll (snapshot template)");
      return -1;
    }
    if (p[1].revents) {
      char b[4096];
      ssize_t n = read (con, b, sizeof b);
      if (n > 0) {
        /* Only when the pipe has room (the library reads it after the
         * restore): a full pipe must not stop us; then the rest is
         * dropped, and TAIL still has it. */
        struct pollfd w = { .fd = fwd, .events = POLLOUT };
        if (fwd >= 0 && poll (&w, 1, 0) == 1 && (w.revents & POLLOUT))
          (void) !write (fwd, b, (size_t) n);
        for (ssize_t i = 0; i < n; i++) {     /* keep the last TN-1 bytes */
          if (tl == tn - 1) { memmove (tail, tail + 1, tl - 1); tl--; }
          tail[tl++] = (b[i] >= 0x20 && b[i] < 0x7f) ? b[i] : ' ';
        }
        tail[tl] = '\0';
        for (size_t k = 0; kvm_fatal[k]; k++)
          if (strstr (tail, kvm_fatal[k])) {
            /* A cold boot would fail the same way: no fallback. */
            vm->start_fatal = 1;
            gk_int_vm_error (vm, EIO, "launch: %s while booting the snapshot template",
                             kvm_fatal[k]);
            return -1;
          }
      }
      else if (!(p[0].revents & POLLIN)) p[1].fd = -1;
    }
    if (!p[0].revents) continue;
    ssize_t n;
    if (got < sizeof head) n = read (ch, head + got, sizeof head - got);
    else {
      char b[4096];
      n = read (ch, b, body - skipped < sizeof b ? body - skipped : sizeof b);
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      gk_int_vm_error (vm, EIO, "launch: the snapshot template exited before it was ready; "
                       "console: %s", tail);
      return -1;
    }
    if (got < sizeof head) {
      got += (size_t) n;
      if (got == sizeof head) {
        uint32_t kind;
        if (gk_int_frame_head_decode (head, &kind, &body) == -1 || kind != GK_K_READY) {
          gk_int_vm_error (vm, EPROTO, "launch: the snapshot template sent something "
                           "other than READY");
          return -1;
        }
      }
    }
    else skipped += (size_t) n;
    if (got == sizeof head && skipped == body) return 0;
  }
}

/* Stop qemu PID (its own process group) and reap it, bounded.  Its
 * status if it had ended by itself, else -1 (we killed it). */
static int
stop_qemu (pid_t pid, int grace_ms)
{
  for (int i = 0; ; i++) {
    int st;
    if (waitpid (pid, &st, WNOHANG) == pid) return st;
    if (i >= grace_ms) break;
    struct timespec ms = { 0, 1000000 };
    nanosleep (&ms, NULL);
  }
  kill (-pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return -1;
}

/* Remove NAME (a directory of files) in TOP. */
static void
rm_in (const char *top, const char *name)
{
  int t = open (top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t != -1) { rm_tree (t, name); close (t); }
}

/* Save the template booted as PID (control channel CH, console CON
 * forwarded to FWD, QMP QMP) into STATE once its daemon is ready.  0, or
 * -1 + vm->err. */
static int
save_template (struct gk_int_vm *vm, pid_t pid, int ch, int con, int fwd, int qmp, int state)
{
  char tail[1024];
  struct gk_int_qmp q;
  if (wait_ready (vm, ch, con, fwd, tail, sizeof tail) == -1
      || gk_int_qmp_open (&q, vm, qmp, QMP_TIMEOUT_MS) == -1
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"stop\"}") == -1
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"migrate-set-capabilities\", "
                         "\"arguments\": {\"capabilities\": [{\"capability\": "
                         "\"x-ignore-shared\", \"state\": true}]}}") == -1
      || gk_int_qmp_cmd_fd (&q, QMP_TIMEOUT_MS, state, "{\"execute\": \"getfd\", "
                            "\"arguments\": {\"fdname\": \"gkstate\"}}") == -1
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"migrate\", "
                         "\"arguments\": {\"uri\": \"fd:gkstate\"}}") == -1
      || gk_int_qmp_wait_migration (&q, SAVE_TIMEOUT_MS) == -1)
    return -1;
  gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"quit\"}");
  stop_qemu (pid, 10000);
  return 0;
}

/* Boot a template with R's settings, its RAM in RAM, its console
 * forwarded to FWD, and save its state into STATE.  0, or -1 + vm->err. */
static int
run_template (struct gk_int_vm *vm, const struct gk_int_qemu_run *r, int ram, int state,
              int fwd)
{
  int stage = -1, ch[2] = { -1, -1 }, qm[2] = { -1, -1 }, con[2] = { -1, -1 };
  pid_t pid = -1;
  char **argv = NULL;
  int ret = -1;
  struct gk_int_qemu_run t = *r;
  t.inherit[QFD_RAM - 4] = ram;
  if (vm->stage) {
    /* Its own staging disk, of the same size (the guest saw its size). */
    stage = memfd_create ("guestkit-template-stage", MFD_CLOEXEC);
    if (stage == -1 || ftruncate (stage, (off_t) GK_STAGE_SIZE) == -1) {
      gk_int_vm_perror (vm, "launch: the snapshot template's staging disk");
      goto out;
    }
    t.inherit[QFD_STAGE - 4] = stage;
  }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) == -1
      || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qm) == -1
      || pipe2 (con, O_CLOEXEC) == -1) {
    gk_int_vm_perror (vm, "launch: socketpair (snapshot template)");
    goto out;
  }
  t.inherit[QFD_QMP - 4] = qm[1];
  for (size_t i = QFD_DRIVES - 4; i < sizeof t.inherit / sizeof t.inherit[0]; i++) t.inherit[i] = -1;
  if (!(argv = gk_int_qemu_snap_argv (&t.cfg, t.ram, QFD_QMP, 1))) {
    gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
    goto out;
  }
  struct gk_int_vm tv = *vm;    /* the template has no user drives */
  tv.nr_drives = 0;
  tv.err.msg = NULL;
  pid = gk_int_qemu_spawn (&tv, &t, argv, ch[1], con[1]);
  close (ch[1]); close (qm[1]); close (con[1]);
  ch[1] = qm[1] = con[1] = -1;
  if (pid == -1) { vm->err = tv.err; goto out; }
  if (save_template (vm, pid, ch[0], con[0], fwd, qm[0], state) == 0) { pid = -1; ret = 0; }
 out:
  if (pid > 0) stop_qemu (pid, 0);
  gk_int_argv_free (argv);
  for (int i = 0; i < 2; i++) {
    if (ch[i] >= 0) close (ch[i]);
    if (qm[i] >= 0) close (qm[i]);
    if (con[i] >= 0) close (con[i]);
  }
  if (stage >= 0) close (stage);
  return ret;
}

/* Name the saved RAM and STATE (files with no name) as S: linked with
 * the key and sums into a temporary directory, renamed into place.
 * 0, or -1 + vm->err (nothing left behind). */
static int
publish (struct gk_int_vm *vm, const struct snap *s, int ram, int state)
{
  struct stat st;
  if (fstat (state, &st) == -1 || st.st_size <= 0 || st.st_size > STATE_MAX) {
    gk_int_vm_error (vm, EIO, "launch: qemu saved no usable state");
    return -1;
  }
  void *m = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, state, 0);
  if (m == MAP_FAILED) { gk_int_vm_perror (vm, "launch: mmap (saved state)"); return -1; }
  uint64_t sum = gk_int_snap_fnv64 (m, (size_t) st.st_size, GK_FNV64_INIT);
  munmap (m, (size_t) st.st_size);
  char tmp[4200], src[64], dst[4300];
  snprintf (tmp, sizeof tmp, "%s/tmp.XXXXXX", s->top);
  if (!mkdtemp (tmp)) { gk_int_vm_perror (vm, "launch: mkdtemp in %s", s->top); return -1; }
  FILE *kf = NULL, *sf = NULL;
  snprintf (src, sizeof src, "/proc/self/fd/%d", ram);
  snprintf (dst, sizeof dst, "%s/ram", tmp);
  int ok = linkat (AT_FDCWD, src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0;
  snprintf (src, sizeof src, "/proc/self/fd/%d", state);
  snprintf (dst, sizeof dst, "%s/state", tmp);
  ok = ok && linkat (AT_FDCWD, src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0;
  snprintf (dst, sizeof dst, "%s/key", tmp);
  ok = ok && (kf = fopen (dst, "wxe")) && fputs (s->key, kf) >= 0;
  if (kf && fclose (kf) != 0) ok = 0;
  snprintf (dst, sizeof dst, "%s/sums", tmp);
  ok = ok && (sf = fopen (dst, "wxe"))
    && fprintf (sf, "state %lld %016llx\n", (long long) st.st_size, (unsigned long long) sum) > 0;
  if (sf && fclose (sf) != 0) ok = 0;
  if (ok && rename (tmp, s->dir) == -1) {
    ok = 0;
    if (errno == ENOTEMPTY || errno == EEXIST) {
      /* A damaged one or another key with the same hash: replace it. */
      char old[64];
      snprintf (old, sizeof old, "tmp.old-%s", s->name);
      char oldp[4300];
      snprintf (oldp, sizeof oldp, "%s/%s", s->top, old);
      ok = rename (s->dir, oldp) == 0 && rename (tmp, s->dir) == 0;
      rm_in (s->top, old);
    }
  }
  if (!ok) {
    gk_int_vm_perror (vm, "launch: cannot publish the saved state in %s", s->top);
    rm_in (s->top, strrchr (tmp, '/') + 1);
    return -1;
  }
  return 0;
}

/* Boot a template with R's settings, save it, publish it as S.  0, or -1 + vm->err. */
static int
build (struct gk_int_vm *vm, const struct gk_int_qemu_run *r, const struct snap *s, int fwd)
{
  int64_t t0 = gk_int_mono_us ();
  int ram = open (s->top, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  int state = open (s->top, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  int ret = -1;
  if (ram == -1 || state == -1 || ftruncate (ram, (off_t) vm->memsize * 1024 * 1024) == -1)
    gk_int_vm_perror (vm, "launch: cannot create the snapshot files in %s", s->top);
  else if (run_template (vm, r, ram, state, fwd) == 0) {
    gk_int_vm_timing (vm, "launch.snapshot_build", gk_int_mono_us () - t0);
    ret = publish (vm, s, ram, state);
  }
  if (ram >= 0) close (ram);
  if (state >= 0) close (state);
  return ret;
}

/* --- restore --- */

static pid_t
restore (struct gk_int_vm *vm, struct gk_int_qemu_run *r, int state, int ram,
         int ctl, int console)
{
  int qm[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qm) == -1) {
    gk_int_vm_perror (vm, "launch: socketpair (QMP)");
    return -1;
  }
  r->inherit[QFD_RAM - 4] = ram;
  r->inherit[QFD_QMP - 4] = qm[1];
  r->inherit[QFD_STATE - 4] = state;
  char **argv = gk_int_qemu_snap_argv (&r->cfg, r->ram, QFD_QMP, 0);
  pid_t pid = -1;
  if (!argv) gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
  else pid = gk_int_qemu_spawn (vm, r, argv, ctl, console);
  gk_int_argv_free (argv);
  r->inherit[QFD_RAM - 4] = r->inherit[QFD_QMP - 4] = r->inherit[QFD_STATE - 4] = -1;
  close (qm[1]);
  int64_t t0 = gk_int_mono_us (), t1 = 0, t2 = 0;
  struct gk_int_qmp q;
  if (pid == -1
      || gk_int_qmp_open (&q, vm, qm[0], QMP_TIMEOUT_MS) == -1
      || (t1 = gk_int_mono_us (), 0)
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"migrate-set-capabilities\", "
                         "\"arguments\": {\"capabilities\": [{\"capability\": "
                         "\"x-ignore-shared\", \"state\": true}]}}") == -1
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"migrate-incoming\", "
                         "\"arguments\": {\"uri\": \"fd:%d\"}}", QFD_STATE) == -1
      || gk_int_qmp_wait_migration (&q, LOAD_TIMEOUT_MS) == -1
      || (t2 = gk_int_mono_us (), 0)
      || gk_int_qmp_cmd (&q, QMP_TIMEOUT_MS, "{\"execute\": \"cont\"}") == -1) {
    /* Killed from outside (not a damaged state, which makes qemu exit):
     * the launch fails, as a cold boot's would, and the state is kept. */
    int st = pid > 0 ? stop_qemu (pid, 200) : -1;
    if (st != -1 && WIFSIGNALED (st)) {
      vm->start_fatal = 1;
      gk_int_vm_error (vm, EIO, "launch: the appliance died while it was restored "
                       "(qemu killed by signal %d)", WTERMSIG (st));
    }
    close (qm[0]);
    return -1;
  }
  /* qemu keeps running without its monitor. */
  close (qm[0]);
  gk_int_vm_timing (vm, "launch.qemu_start", t1 - t0);
  gk_int_vm_timing (vm, "launch.state_load", t2 - t1);
  gk_int_vm_timing (vm, "launch.cont", gk_int_mono_us () - t2);
  return pid;
}

static int
snap_init (struct gk_int_vm *vm, const struct gk_int_qemu_run *r, struct snap *s)
{
  memset (s, 0, sizeof *s);
  char **tmpl = gk_int_qemu_snap_argv (&r->cfg, r->ram, QFD_QMP, 1);
  char *qemu = which (r->cfg.qemu);
  int afd[3] = { r->inherit[QFD_KERNEL - 4], r->inherit[QFD_INITRD - 4], r->inherit[QFD_ROOT - 4] };
  s->key = tmpl ? gk_int_snap_key (tmpl, qemu, r->cfg.kvm, afd) : NULL;
  free (qemu);
  gk_int_argv_free (tmpl);
  if (!s->key || asprintf (&s->top, "%s", vm->snapshot_dir) == -1) { s->top = NULL; return -1; }
  snprintf (s->name, sizeof s->name, "%016llx",
            (unsigned long long) gk_int_snap_fnv64 (s->key, strlen (s->key), GK_FNV64_INIT));
  if (asprintf (&s->dir, "%s/%s", s->top, s->name) == -1) { s->dir = NULL; return -1; }
  if (mkdir (s->top, 0700) == -1 && errno != EEXIST) return -1;
  return 0;
}

static void
snap_free (struct snap *s)
{
  free (s->top); free (s->dir); free (s->key);
}

/* Where the last restore came from (restore_failed removes it). */
static void
remember (struct gk_int_vm *vm, const struct snap *s)
{
  snprintf (vm->snap_dir, sizeof vm->snap_dir, "%s", s->dir);
}

pid_t
gk_int_qemu_restore (struct gk_int_vm *vm, struct gk_int_qemu_run *r, int ctl, int console)
{
  vm->snap_dir[0] = '\0';
  for (size_t i = 0; i < vm->nr_drives; i++)
    if (vm->drives[i].iface && strcmp (vm->drives[i].iface, "ide") == 0) {
      snprintf (vm->how, sizeof vm->how, "cold boot: an ide drive needs the pc machine");
      return -1;
    }
  struct snap s;
  if (snap_init (vm, r, &s) == -1) {
    snprintf (vm->how, sizeof vm->how, "cold boot: snapshot directory %.600s: %.200s",
              vm->snapshot_dir, strerror (errno));
    snap_free (&s);
    return -1;
  }
  char why[512];
  int state, ram;
  int64_t t0 = gk_int_mono_us ();
  int o = snap_open (vm, &s, &state, &ram, why, sizeof why);
  int built = 0;
  if (o != 1) {
    /* One template at a time; whoever waited may find it built. */
    char lock[4200];
    snprintf (lock, sizeof lock, "%s/lock", s.top);
    int lk = open (lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    while (lk != -1 && flock (lk, LOCK_EX) == -1 && errno == EINTR) ;
    if (lk == -1) {
      snprintf (vm->how, sizeof vm->how, "cold boot: %.600s: %.200s", lock, strerror (errno));
      snap_free (&s);
      return -1;
    }
    o = snap_open (vm, &s, &state, &ram, why, sizeof why);
    if (o != 1) {
      prune (s.top);
      if (build (vm, r, &s, console) == -1) {
        snprintf (vm->how, sizeof vm->how, "%s: saving a snapshot failed (%.200s): %.600s",
                  vm->start_fatal ? "failed" : "cold boot", why, vm->err.msg ? vm->err.msg : "?");
        close (lk);
        snap_free (&s);
        return -1;
      }
      built = 1;
      o = snap_open (vm, &s, &state, &ram, why, sizeof why);
    }
    close (lk);
    if (o != 1) {
      snprintf (vm->how, sizeof vm->how, "cold boot: %.500s", why);
      snap_free (&s);
      return -1;
    }
  }
  gk_int_vm_timing (vm, "launch.snapshot_open", gk_int_mono_us () - t0);
  pid_t pid = restore (vm, r, state, ram, ctl, console);
  close (state);
  close (ram);
  if (pid == -1 && vm->start_fatal)
    snprintf (vm->how, sizeof vm->how, "failed: qemu was killed while restoring %s", s.name);
  else if (pid == -1) {
    /* Never again: the next launch builds a new one. */
    snprintf (vm->how, sizeof vm->how, "cold boot: restoring %s failed: %.600s", s.name,
              vm->err.msg ? vm->err.msg : "?");
    remember (vm, &s);
    /* Unless an nbd drive may be why (its server gone): qemu exits then
     * too, and the saved state is not to blame. */
    int nbd = 0;
    for (size_t i = 0; i < vm->nr_drives; i++) nbd |= vm->drives[i].nbd_export != NULL;
    if (!nbd) gk_int_qemu_restore_failed (vm);
  }
  else {
    snprintf (vm->how, sizeof vm->how, "restored snapshot %s%s", s.name,
              built ? " (saved just now: none fitted)" : "");
    remember (vm, &s);
    vm->restored = 1;
  }
  snap_free (&s);
  return pid;
}

void
gk_int_qemu_restore_failed (struct gk_int_vm *vm)
{
  if (!vm->snap_dir[0]) return;
  /* Rename first (atomic for readers), then remove. */
  char old[sizeof vm->snap_dir + 16];
  char *b = strrchr (vm->snap_dir, '/');
  if (!b) return;
  snprintf (old, sizeof old, "%.*s/tmp.bad-%s", (int) (b - vm->snap_dir), vm->snap_dir, b + 1);
  if (rename (vm->snap_dir, old) == 0) {
    *strrchr (old, '/') = '\0';
    char name[sizeof vm->snap_dir + 16];
    snprintf (name, sizeof name, "tmp.bad-%s", b + 1);
    rm_in (old, name);
  }
  vm->snap_dir[0] = '\0';
}
