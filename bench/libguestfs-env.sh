# shellcheck shell=sh
# Sourced by the benchmark scripts that time libguestfs: guestfish runs
# its own qemu (no libvirt), and TCG like ours where KVM does not run the
# appliance (libguestfs's accel=kvm:tcg picks a /dev/kvm whose nested KVM
# fails, as on this project's machines, and hangs).  gkbench does the
# same in C (bench/gkbench.c).
: "${LIBGUESTFS_BACKEND:=direct}"
export LIBGUESTFS_BACKEND
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ] && { [ ! -w /dev/kvm ] \
   || [ -f "${GUESTKIT_CACHEDIR:-/var/tmp/.guestkit-$(id -u)}/kvm-broken" ]; }; then
  LIBGUESTFS_BACKEND_SETTINGS=force_tcg
  export LIBGUESTFS_BACKEND_SETTINGS
fi
