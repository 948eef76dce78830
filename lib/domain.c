/* guestkit: add-domain, the disks of a libvirt domain (guestfish -d).
 *
 * The domain's XML comes from libvirt (a read-only connection) and is
 * read with libxml2's XPath, not by hand: libvirt's XML is rich (disk
 * types, backing chains, namespaces) and a hand parser would misread it.
 * Each disk then goes through add-drive, with all of add-drive's checks
 * (a qcow2 backing or data file is refused there); all or nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "guestkit.h"
#include "internal.h"

/* One <disk> of the XML, as add-drive will get it. */
struct ddisk {
  char *file;                   /* source file or dev */
  char *format;                 /* driver type, or NULL */
  char *target;                 /* target dev, for messages */
  int readonly;                 /* <readonly/> */
  int blocksize;                /* blockio logical_block_size, or 0 */
};

static void
quiet (void *data, virErrorPtr e)
{
  (void) data; (void) e;          /* errors are reported through the handle */
}

static const char *
virt_msg (void)
{
  virErrorPtr e = virGetLastError ();
  return e && e->message ? e->message : "unknown libvirt error";
}

/* The string value of XPath EXPR relative to NODE, malloc'd, or NULL
 * when empty or absent. */
static char *
xstr (xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
  ctx->node = node;
  xmlXPathObjectPtr o = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  char *s = NULL;
  if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
    s = strdup ((const char *) o->stringval);
  xmlXPathFreeObject (o);
  return s;
}

static void
free_disks (struct ddisk *d, size_t n)
{
  for (size_t i = 0; i < n; i++) { free (d[i].file); free (d[i].format); free (d[i].target); }
  free (d);
}

/* Fill D from one <disk> element; 0, 1 to skip it (no source: an empty
 * CD-ROM), -1 with the error set. */
static int
read_disk (gk_h *g, const char *dom, xmlXPathContextPtr ctx, xmlNodePtr n, struct ddisk *d)
{
  char *type = xstr (ctx, n, "string(@type)");
  d->target = xstr (ctx, n, "string(target/@dev)");
  const char *tgt = d->target ? d->target : "?";
  int r = 0;
  if (type && (strcmp (type, "file") == 0 || strcmp (type, "block") == 0)) {
    d->file = xstr (ctx, n, strcmp (type, "file") == 0 ? "string(source/@file)" : "string(source/@dev)");
    if (!d->file) r = 1;
  }
  else if (type && strcmp (type, "network") == 0) {
    char *proto = xstr (ctx, n, "string(source/@protocol)");
    gk_int_error_errno (g, ENOTSUP, "add-domain: %s: disk %s is a network disk (%s): not "
                        "supported", dom, tgt, proto ? proto : "no protocol");
    free (proto);
    r = -1;
  }
  else {
    gk_int_error_errno (g, ENOTSUP, "add-domain: %s: disk %s has type '%s': only file and "
                        "block disks are supported", dom, tgt, type ? type : "(none)");
    r = -1;
  }
  free (type);
  if (r != 0) return r;
  d->format = xstr (ctx, n, "string(driver/@type)");
  if (d->format && strcmp (d->format, "raw") != 0 && strcmp (d->format, "qcow2") != 0) {
    gk_int_error_errno (g, ENOTSUP, "add-domain: %s: disk %s (%s) has format '%s': only raw "
                        "and qcow2 are supported", dom, tgt, d->file, d->format);
    return -1;
  }
  ctx->node = n;
  xmlXPathObjectPtr o = xmlXPathEvalExpression ((const xmlChar *) "count(readonly)", ctx);
  d->readonly = o && o->type == XPATH_NUMBER && o->floatval > 0;
  xmlXPathFreeObject (o);
  char *bs = xstr (ctx, n, "string(blockio/@logical_block_size)");
  if (bs) d->blocksize = atoi (bs);
  free (bs);
  return 0;
}

/* The disks of the domain's XML; *N_R of them.  NULL with the error set
 * (also for a domain without disks: nothing to add is an error). */
static struct ddisk *
parse_disks (gk_h *g, const char *dom, const char *xml, size_t *n_r)
{
  struct ddisk *disks = NULL;
  size_t n = 0;
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr ctx = doc ? xmlXPathNewContext (doc) : NULL;
  xmlXPathObjectPtr set = ctx ? xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/disk", ctx) : NULL;
  if (!set || !set->nodesetval) {
    gk_int_error_errno (g, EINVAL, "add-domain: %s: cannot read the domain's XML from libvirt", dom);
    goto out;
  }
  int total = set->nodesetval->nodeNr;
  if (total > GK_MAX_DRIVES) total = GK_MAX_DRIVES + 1;   /* add-drive says "too many" */
  if (!(disks = calloc ((size_t) total + 1, sizeof *disks))) {
    gk_int_error_errno (g, ENOMEM, "add-domain: %s: out of memory", dom);
    goto out;
  }
  for (int i = 0; i < total; i++) {
    int r = read_disk (g, dom, ctx, set->nodesetval->nodeTab[i], &disks[n]);
    if (r == -1) { free_disks (disks, n + 1); disks = NULL; goto out; }
    if (r == 0) n++;
    else { free (disks[n].target); free (disks[n].file); disks[n] = (struct ddisk) { 0 }; }
  }
  if (n == 0) {
    gk_int_error_errno (g, ENOENT, "add-domain: %s: the domain has no disks", dom);
    free_disks (disks, 0);
    disks = NULL;
  }
 out:
  xmlXPathFreeObject (set);
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);
  *n_r = n;
  return disks;
}

/* The domain's XML and whether it runs; NULL with the error set. */
static char *
domain_xml (gk_h *g, const char *dom, const char *uri, int allowuuid, int *active_r)
{
  virSetErrorFunc (NULL, quiet);
  virConnectPtr conn = virConnectOpenReadOnly (uri);
  if (!conn) {
    gk_int_error_errno (g, EIO, "add-domain: %s: cannot connect to libvirt%s%s: %s", dom,
                        uri ? " at " : "", uri ? uri : "", virt_msg ());
    return NULL;
  }
  virDomainPtr d = allowuuid ? virDomainLookupByUUIDString (conn, dom) : NULL;
  if (!d) d = virDomainLookupByName (conn, dom);
  char *xml = NULL;
  if (!d)
    gk_int_error_errno (g, ENOENT, "add-domain: no libvirt domain called '%s': %s", dom, virt_msg ());
  else if (!(xml = virDomainGetXMLDesc (d, 0)))
    gk_int_error_errno (g, EIO, "add-domain: %s: cannot get the domain's XML: %s", dom, virt_msg ());
  else
    *active_r = virDomainIsActive (d) == 1;
  if (d) virDomainFree (d);
  virConnectClose (conn);
  return xml;
}

/* add-drive of disk D; the error names the domain and the disk. */
static int
add_disk (gk_h *g, const char *dom, const struct ddisk *d, int ro,
          const struct gk_add_domain_opts *opts)
{
  struct gk_add_drive_opts ao = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = ro };
  if (d->format) { ao.bitmask |= GK_ADD_DRIVE_FORMAT; ao.format = d->format; }
  if (d->blocksize) { ao.bitmask |= GK_ADD_DRIVE_BLOCKSIZE; ao.blocksize = d->blocksize; }
  if (opts && (opts->bitmask & GK_ADD_DOMAIN_IFACE)) {
    ao.bitmask |= GK_ADD_DRIVE_IFACE;
    ao.iface = opts->iface;
  }
  if (opts && (opts->bitmask & GK_ADD_DOMAIN_CACHEMODE)) {
    ao.bitmask |= GK_ADD_DRIVE_CACHEMODE;
    ao.cachemode = opts->cachemode;
  }
  /* (IFACE and CACHEMODE were checked as add-domain's choices, the same
   * as add-drive's.) */
  if (gk_int_local_add_drive (g, d->file, &ao) == 0) return 0;
  char *why = strdup (gk_last_error (g) ? gk_last_error (g) : "add-drive failed");
  int e = gk_last_errno (g);
  gk_int_error_errno (g, e ? e : EINVAL, "add-domain: %s: disk %s: %s", dom,
                      d->target ? d->target : "?", why ? why : "out of memory");
  free (why);
  return -1;
}

/* What the optional arguments libguestfs has and guestkit does not
 * mean: refused if they ask for something, accepted if they do not. */
static int
check_opts (gk_h *g, const char *dom, const struct gk_add_domain_opts *o)
{
  if (!o) return 0;
  if ((o->bitmask & GK_ADD_DOMAIN_LIVE) && o->live) {
    gk_int_error_errno (g, ENOTSUP, "add-domain: %s: live: not supported (libguestfs "
                        "removed it in 1.48)", dom);
    return -1;
  }
  if ((o->bitmask & GK_ADD_DOMAIN_DISCARD) && strcmp (o->discard, "disable") != 0
      && strcmp (o->discard, "besteffort") != 0) {
    gk_int_error_errno (g, ENOTSUP, "add-domain: %s: discard:%s: not supported (disable "
                        "or besteffort)", dom, o->discard);
    return -1;
  }
  return 0;
}

int
gk_int_local_add_domain (gk_h *g, const char *dom, const struct gk_add_domain_opts *opts)
{
  int ro = opts && (opts->bitmask & GK_ADD_DOMAIN_READONLY) && opts->readonly;
  int allowuuid = opts && (opts->bitmask & GK_ADD_DOMAIN_ALLOWUUID) && opts->allowuuid;
  const char *uri = opts && (opts->bitmask & GK_ADD_DOMAIN_LIBVIRTURI) ? opts->libvirturi : NULL;
  const char *rodisk = opts && (opts->bitmask & GK_ADD_DOMAIN_READONLYDISK)
                       ? opts->readonlydisk : "write";
  if (check_opts (g, dom, opts) == -1) return -1;
  int active = 0;
  char *xml = domain_xml (g, dom, uri, allowuuid, &active);
  if (!xml) return -1;
  size_t n = 0;
  struct ddisk *disks = parse_disks (g, dom, xml, &n);
  free (xml);
  if (!disks) return -1;
  int r = 0;
  if (active && !ro) {
    gk_int_error_errno (g, EBUSY, "add-domain: %s: the domain is running: writing to the "
                        "disks of a running virtual machine corrupts them; add it read-only "
                        "(readonly:true, gkfish --ro)", dom);
    r = -1;
  }
  for (size_t i = 0; r == 0 && i < n; i++)
    if (disks[i].readonly && !ro && strcmp (rodisk, "error") == 0) {
      gk_int_error_errno (g, EPERM, "add-domain: %s: disk %s (%s) is <readonly/> in the "
                          "domain's XML and readonlydisk is error", dom,
                          disks[i].target ? disks[i].target : "?", disks[i].file);
      r = -1;
    }
  size_t before = g->nr_drives;
  for (size_t i = 0; r == 0 && i < n; i++) {
    if (disks[i].readonly && strcmp (rodisk, "ignore") == 0) continue;
    int dro = ro || (disks[i].readonly && strcmp (rodisk, "read") == 0);
    if (add_disk (g, dom, &disks[i], dro, opts) == -1) r = -1;
  }
  if (r == -1)                  /* all or nothing */
    while (g->nr_drives > before) gk_int_drive_free (&g->drives[--g->nr_drives]);
  int added = (int) (g->nr_drives - before);
  free_disks (disks, n);
  return r == -1 ? -1 : added;
}
