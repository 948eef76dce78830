#!/bin/bash
# make-appliance.sh: build the guestkit appliance (kernel, initrd, root,
# manifest).  It decides what goes in; gkapp-tool (appliance/*.c, unit
# tested) reads the kernel headers, resolves module dependencies and writes
# the initrd archive and the root's staging tree.
#
#   make-appliance.sh --flavour qemu|uml --daemon PATH --outdir DIR [--kernel PATH]
#                     [--files-list FILE] [--modules-list FILE]
#
# Writes into DIR (which must exist and should be empty):
#   kernel    qemu: the uncompressed vmlinux ELF extracted from the bzImage
#             (booted through PVH), or a copy of the bzImage when that fails;
#             uml: a symbolic link to linux.uml.
#   pvh       empty file, present only when kernel is a PVH-capable ELF.
#   initrd    uncompressed newc cpio: /init (the daemon, linked
#             statically) and the boot modules only.
#   root      ext2 image of the appliance tree (busybox, the host
#             programs of files.list with their libraries, kernel modules),
#             attached read-only; /init mounts it and switches to it.
#   manifest  "#key<TAB>value" lines, then one "path<TAB>size<TAB>mtime" line
#             per host input (mtime as seconds.nanoseconds, from lstat).
#
# Kernel choice (qemu): --kernel, else $GUESTKIT_KERNEL, else the newest
# /boot/vmlinuz-VERSION that has /lib/modules/VERSION.
# Environment: GUESTKIT_MODULE_COMPRESS=auto|zstd|xz|none (default auto:
# modules not loaded at boot are stored zstd- or xz-compressed when the
# host's kmod can read them).
#
# Exit status 0 on success; otherwise a message naming what is missing is
# printed on stderr and the status is non-zero.

set -u
set -o pipefail
export LC_ALL=C
umask 022

PROG=make-appliance
die () { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
note () { printf '%s: %s\n' "$PROG" "$*" >&2; }

usage () {
    cat <<EOF
usage: $0 --flavour qemu|uml --daemon PATH --outdir DIR [--kernel PATH]
          [--files-list FILE] [--modules-list FILE]
Builds the guestkit appliance (kernel, initrd, root, pvh, manifest) into DIR.
EOF
}

t_start=$EPOCHREALTIME

# ---- arguments --------------------------------------------------------
flavour= daemon= outdir= kernel_arg= files_list= modules_list=
while [ $# -gt 0 ]; do
    case $1 in
        --flavour|--daemon|--outdir|--kernel|--files-list|--modules-list)
            [ $# -ge 2 ] || die "$1 needs an argument"
            opt=$1 val=$2; shift 2 ;;
        --*=*) opt=${1%%=*} val=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    case $opt in
        --flavour) flavour=$val ;;
        --daemon) daemon=$val ;;
        --outdir) outdir=$val ;;
        --kernel) kernel_arg=$val ;;
        --files-list) files_list=$val ;;
        --modules-list) modules_list=$val ;;
        *) usage >&2; die "unknown option: $opt" ;;
    esac
done

case $flavour in
    qemu|uml) ;;
    '') die "--flavour is required (qemu or uml)" ;;
    *) die "unknown flavour '$flavour' (expected qemu or uml)" ;;
esac
[ -n "$daemon" ] || die "--daemon is required"
[ -n "$outdir" ] || die "--outdir is required"

abspath () { case $1 in /*) printf '%s' "$1" ;; *) printf '%s' "$PWD/$1" ;; esac; }
self=$(abspath "$0")
sdir=${self%/*}
daemon=$(abspath "$daemon")
outdir=$(abspath "$outdir")
files_list=$(abspath "${files_list:-$sdir/files.list}")
modules_list=$(abspath "${modules_list:-$sdir/modules.list}")

[ -f "$daemon" ] || die "daemon $daemon: no such file"
[ -x "$daemon" ] || die "daemon $daemon: not executable"
[ -d "$outdir" ] || die "output directory $outdir: no such directory"
[ -w "$outdir" ] || die "output directory $outdir: not writable"
[ -r "$files_list" ] || die "files list $files_list: cannot read it"
[ -r "$modules_list" ] || die "modules list $modules_list: cannot read it"

HOSTPATH="/usr/sbin /usr/bin /sbin /bin"
# Find a program on the host (no fork).  Sets FOUND.
lookup () {
    local d
    FOUND=
    case $1 in
        /*) [ -e "$1" ] && FOUND=$1 ;;
        *) for d in $HOSTPATH; do
               if [ -f "$d/$1" ] && [ -x "$d/$1" ]; then FOUND=$d/$1; break; fi
           done ;;
    esac
    [ -n "$FOUND" ]
}
for t in dd sort stat cp readlink mke2fs; do
    lookup "$t" || die "host program '$t' not found (needed to build the appliance)"
done

trap 'rm -rf "$outdir/.rootfs" "$outdir/.kerr" "$outdir/manifest.tmp"' EXIT

# Host inputs listed in the manifest (deduplicated, in order).
declare -A man_seen=()
MAN=()
man_add () {
    local p
    for p; do
        [ -n "${man_seen[$p]+x}" ] && continue
        man_seen[$p]=1; MAN+=("$p")
    done
}
man_add "$self" "$daemon" "$files_list" "$modules_list"

# ---- gkapp-tool ---------------------------------------------------------
# Next to this script in the build tree, in the build tree's appliance/
# beside daemon/ (VPATH builds), or next to the installed daemon.
tool=${GUESTKIT_APPLIANCE_TOOL:-}
if [ -z "$tool" ]; then
    for t in "$sdir/gkapp-tool" "${daemon%/*}/../appliance/gkapp-tool" "${daemon%/*}/gkapp-tool"; do
        [ -x "$t" ] && { tool=$t; break; }
    done
fi
if [ -n "${GUESTKIT_APPLIANCE_TOOL:-}" ]; then
    [ -x "$tool" ] || die "GUESTKIT_APPLIANCE_TOOL=$tool: no such executable"
fi
[ -n "$tool" ] || die "gkapp-tool not found next to $self or $daemon (run make, or set GUESTKIT_APPLIANCE_TOOL)"
tool=$(abspath "$tool")
man_add "$tool"

# kernel_info FILE: the bzImage header through gkapp-tool.  Sets KV and,
# when the boot protocol has them, PSTART/PLEN/PCOMP (the payload).
kernel_info () {
    local k v
    KV= PSTART= PLEN= PCOMP=
    while IFS='=' read -r k v; do
        case $k in
            version) KV=$v ;;
            payload_offset) PSTART=$v ;;
            payload_length) PLEN=$v ;;
            compression) PCOMP=$v ;;
        esac
    done < <("$tool" kernel "$1" 2>/dev/null)
    [ -n "$KV" ]
}
# is_pvh FILE: a complete x86-64 ELF with the PVH entry note?
is_pvh () {
    [ "$("$tool" elf "$1" 2>/dev/null)" = pvh=1 ]
}

# ---- kernel -----------------------------------------------------------
kernel_env=
kauto=0
if [ "$flavour" = qemu ]; then
    kernel_env=${GUESTKIT_KERNEL-}
    ksrc=${kernel_arg:-$kernel_env}
    if [ -n "$ksrc" ]; then
        ksrc=$(abspath "$ksrc")
        [ -f "$ksrc" ] || die "kernel $ksrc: no such file"
        [ -r "$ksrc" ] || die "kernel $ksrc: not readable"
        if kernel_info "$ksrc"; then kver=$KV
        else
            kver=$(grep -a -o -m1 'Linux version [^ ]*' -- "$ksrc" | head -n1)
            kver=${kver#Linux version }
            [ -n "$kver" ] || die "kernel $ksrc: cannot find its version (not a bzImage or vmlinux?)"
        fi
        [ -d "/lib/modules/$kver" ] || die "kernel $ksrc is version $kver but /lib/modules/$kver does not exist"
    else
        kauto=1
        vers=
        for f in /boot/vmlinuz-*; do
            [ -f "$f" ] || continue
            v=${f#/boot/vmlinuz-}
            [ -d "/lib/modules/$v" ] && vers+="$v"$'\n'
        done
        [ -n "$vers" ] || die "no kernel found: need /boot/vmlinuz-VERSION with a matching /lib/modules/VERSION (install linux-image-cloud-amd64, or set GUESTKIT_KERNEL)"
        kver=$(printf '%s' "$vers" | sort -V | tail -n1)
        ksrc=/boot/vmlinuz-$kver
        [ -r "$ksrc" ] || die "kernel $ksrc: not readable by uid $(id -u) (make it readable, or set GUESTKIT_KERNEL to a readable copy)"
    fi
    moddir=/lib/modules/$kver
    man_add "$ksrc"
    [ $kauto = 1 ] && man_add /boot /lib/modules

    # Extract the vmlinux ELF from the bzImage's compressed payload.
    pvh=0
    extracted=0
    if kernel_info "$ksrc" && [ -n "$PSTART" ]; then
        dec=
        case $PCOMP in
            lz4) dec="lz4 -dc" ;;
            gzip) dec="gzip -dc" ;;
            xz) dec="xz -dc --single-stream" ;;
            zstd) dec="zstd -dc" ;;
            bzip2) dec="bzip2 -dc" ;;
            lzma) dec="xz -dc --format=lzma" ;;
            lzo) dec="lzop -dc" ;;
            *) note "kernel $ksrc: unknown payload compression; booting the bzImage" ;;
        esac
        if [ -n "$dec" ]; then
            if lookup "${dec%% *}"; then
                # The decompressor may complain about the size trailer the
                # kernel build appends: the result is validated as an ELF.
                dd if="$ksrc" bs=65536 iflag=skip_bytes,count_bytes skip="$PSTART" count="$PLEN" status=none |
                    $dec > "$outdir/kernel" 2> "$outdir/.kerr"
                if is_pvh "$outdir/kernel"; then
                    extracted=1 pvh=1
                else
                    note "kernel $ksrc: the extracted payload is not a PVH-capable ELF ($(head -c 200 "$outdir/.kerr")); booting the bzImage"
                fi
            else
                note "kernel $ksrc: the payload is ${dec%% *}-compressed and ${dec%% *} is not installed; booting the bzImage (about 0.3 s slower)"
            fi
        fi
    elif is_pvh "$ksrc"; then
        cp -- "$ksrc" "$outdir/kernel" || die "cannot copy kernel $ksrc"
        extracted=1 pvh=1
    fi
    if [ $extracted = 0 ]; then
        cp -- "$ksrc" "$outdir/kernel" || die "cannot copy kernel $ksrc"
    fi
    rm -f "$outdir/pvh"
    [ $pvh = 1 ] && : > "$outdir/pvh"
else
    ksrc=${kernel_arg:-/usr/bin/linux.uml}
    ksrc=$(abspath "$ksrc")
    [ -f "$ksrc" ] || die "UML kernel $ksrc: no such file (install user-mode-linux)"
    [ -x "$ksrc" ] || die "UML kernel $ksrc: not executable"
    ksrc=$(readlink -f -- "$ksrc")
    kver=$("$ksrc" --version 2>/dev/null | head -n1)
    kver=${kver%% *}
    if [ -z "$kver" ] || [ ! -d "/usr/lib/uml/modules/$kver" ]; then
        set -- /usr/lib/uml/modules/*/modules.dep
        if [ $# = 1 ] && [ -f "$1" ]; then d=${1%/modules.dep}; kver=${d##*/}; fi
    fi
    [ -n "$kver" ] || die "UML kernel $ksrc: cannot find its version"
    moddir=/usr/lib/uml/modules/$kver
    man_add "$ksrc"
    ln -sf -- "$ksrc" "$outdir/kernel" || die "cannot link $outdir/kernel"
    rm -f "$outdir/pvh"
fi

# ---- what goes into the root -------------------------------------------
# Host files keep their host paths; links are copied as links, with their
# targets.  SK_DIRS and SK_LINKS are (path, mode) and (path, target) pairs.
declare -A canon_cache=() seen=() skel_dir_done=() present=()
REGS=() PEND=() SK_DIRS=() SK_LINKS=()
origpwd=$PWD

# canon_dir DIR -> CANON, the physical path of host directory DIR.
canon_dir () {
    if [ -n "${canon_cache[$1]+x}" ]; then CANON=${canon_cache[$1]}; return 0; fi
    builtin cd -P -- "$1" 2>/dev/null || return 1
    CANON=$PWD
    builtin cd -- "$origpwd" || die "cannot return to $origpwd"
    canon_cache[$1]=$CANON
}
# skel_dir DIR MODE: a directory entry (parents first, once each).
skel_dir () {
    local d=$1 parent
    [ "$d" = / ] && return 0
    [ -n "${skel_dir_done[$d]+x}" ] && return 0
    parent=${d%/*}
    [ -n "$parent" ] && skel_dir "$parent"
    skel_dir_done[$d]=1
    SK_DIRS+=("$d" "${2:-755}")
}
# skel_link PATH TARGET
skel_link () {
    [ -n "${present[$1]+x}" ] && return 0
    present[$1]=1
    SK_LINKS+=("$1" "$2")
}
# link_components DIR: queue every symlink among DIR's components.
link_components () {
    local pre= comp rest=${1#/}
    while [ -n "$rest" ]; do
        comp=${rest%%/*}
        if [ "$comp" = "$rest" ]; then rest=; else rest=${rest#*/}; fi
        pre=$pre/$comp
        if [ -L "$pre" ] && [ -z "${seen[$pre]+x}" ]; then add_path "$pre"; fi
    done
}
# add_path PATH: put host PATH (a file, a chain of links, a directory)
# into the initrd at the same path.  Links are resolved by flush_links.
add_path () {
    local p=$1 d b real
    case $p in
        *$'\n'*|*$'\t'*) die "refusing a path with a tab or newline: $p" ;;
        /*) ;;
        *) die "internal error: relative path $p" ;;
    esac
    [ -n "${seen[$p]+x}" ] && return 0
    seen[$p]=1
    d=${p%/*}; b=${p##*/}
    [ -n "$d" ] || d=/
    canon_dir "$d" || die "$p: directory $d does not exist on the host"
    if [ "$CANON" != "$d" ]; then
        link_components "$d"
        canon_dir "$d"
    fi
    if [ "$CANON" = / ]; then real=/$b; else real=$CANON/$b; fi
    if [ "$real" != "$p" ]; then add_path "$real"; return 0; fi
    if [ -L "$p" ]; then
        PEND+=("$p")
    elif [ -f "$p" ]; then
        [ -r "$p" ] || die "$p: not readable"
        REGS+=("$p"); present[$p]=1
        man_add "$p"
        skel_dir "$CANON"
    elif [ -d "$p" ]; then
        skel_dir "$p"
    else
        die "$p: not found on the host (a dangling link?)"
    fi
}
# flush_links: read the queued links (one readlink per round), add them
# and their targets, until no link is left.
flush_links () {
    local -a P T
    local i p t d
    while [ ${#PEND[@]} -gt 0 ]; do
        P=("${PEND[@]}"); PEND=()
        mapfile -t T < <(readlink -- "${P[@]}")
        [ ${#T[@]} -eq ${#P[@]} ] || die "readlink failed on: ${P[*]}"
        for ((i = 0; i < ${#P[@]}; i++)); do
            p=${P[i]} t=${T[i]}
            d=${p%/*}
            skel_dir "${d:-/}"
            skel_link "$p" "$t"
            man_add "$p"
            case $t in
                /*) add_path "$t" ;;
                *) add_path "$d/$t" ;;
            esac
        done
    done
}

# Top level: mirror the host's /bin, /sbin, /lib* (links when usr-merged).
for d in /usr /usr/bin /usr/sbin /usr/lib /bin /sbin /lib /lib32 /lib64 /libx32; do
    [ -L "$d" ] || [ -d "$d" ] && add_path "$d"
done
for d in /dev /proc /sys /run /sysroot /etc; do skel_dir "$d"; done
# The root is read-only: the daemon writes the resolver (set-network) in
# /run, a tmpfs (daemon/network.c).
skel_link /etc/resolv.conf /run/resolv.conf
# lvm refuses to run without its system directory; it stays empty (the
# daemon passes all settings with --config and writes no backups).
skel_dir /etc/lvm
skel_dir /tmp 1777
skel_dir /root 700
flush_links

# busybox (static on Debian: busybox-static)
if [ -x /bin/busybox ]; then bb=/bin/busybox
elif lookup busybox; then bb=$FOUND
else die "busybox not found (install busybox-static)"
fi
add_path "$bb"

# files.list
while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [ -n "$line" ] || continue
    opt=0
    case $line in *\?) opt=1; line=${line%\?} ;; esac
    if lookup "$line"; then
        add_path "$FOUND"
    elif [ $opt = 0 ]; then
        case $line in
            /*) die "$line (from $files_list): not found on the host" ;;
            *) die "program '$line' (from $files_list): not found in $HOSTPATH" ;;
        esac
    fi
done < "$files_list"
flush_links

# in_path NAME: is NAME a program in one of the appliance's PATH dirs?
in_path () {
    local d
    for d in /usr/sbin /usr/bin /sbin /bin; do
        canon_dir "$d" 2>/dev/null || continue
        [ -n "${present[$CANON/$1]+x}" ] && return 0
    done
    return 1
}
# The kernel's on-demand module loading runs /sbin/modprobe.
canon_dir /sbin || die "/sbin does not exist on the host"
sbin=$CANON
if [ -z "${present[$sbin/modprobe]+x}" ]; then
    lookup modprobe || die "modprobe not found (install kmod)"
    add_path "$FOUND"
    flush_links
    canon_dir "${FOUND%/*}"
    skel_link "$sbin/modprobe" "$CANON/${FOUND##*/}"
fi

# Shared libraries of the daemon and of every ELF program: the dynamic
# loader lists them (what ldd does, without ldd's per-file overhead).
ELFS=("$daemon")
for f in "${REGS[@]}"; do
    magic=
    IFS= read -r -n 4 -d '' magic < "$f" 2>/dev/null || true
    [ "$magic" = $'\x7fELF' ] && ELFS+=("$f")
done
rtld=
for f in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-x86-64.so.2 /lib/ld-linux.so.2 \
         /lib/ld-linux-aarch64.so.1; do
    [ -x "$f" ] && { rtld=$f; break; }
done
LIBS=()
for f in "${ELFS[@]}"; do
    if [ -n "$rtld" ]; then
        out=$("$rtld" --list "$f" 2>&1)
    else
        out=$(ldd "$f" 2>&1)
    fi
    case $out in
        *"not a dynamic executable"*|*"statically linked"*) continue ;;
    esac
    while IFS= read -r line; do
        case $line in
            *"=> not found"*)
                lib=${line%% =>*}; lib=${lib#"${lib%%[![:space:]]*}"}
                die "$f needs $lib, which was not found on the host" ;;
            *"=> /"*)
                lib=${line#*=> }; LIBS+=("${lib% (0x*}") ;;
            [[:space:]]/*)
                lib=${line#"${line%%[![:space:]]*}"}; LIBS+=("${lib% (0x*}") ;;
        esac
    done <<< "$out"
done
for lib in "${LIBS[@]}"; do
    add_path "$lib"
    # A hwcaps-optimised copy may not suit the guest CPU: add the base one.
    case $lib in
        */glibc-hwcaps/*/*)
            base=${lib%%/glibc-hwcaps/*}/${lib##*/}
            [ -e "$base" ] && add_path "$base" ;;
    esac
done
flush_links

# busybox applets, only where no host program of that name is present.
canon_dir "${bb%/*}"; bbdir=$CANON
declare -A have_applet=()
for a in $("$bb" --list); do have_applet[$a]=1; done
required_applets="sh ls df cat echo dd mkdir rm stat true false sync sleep uname find grep sed head tail wc"
for a in $required_applets mount umount ln cp mv chmod chown touch mknod readlink \
         realpath dmesg ps kill env printf test [ [[ tr cut sort uniq xargs basename \
         dirname du mktemp od hexdump tee expr seq cmp diff awk date id hostname \
         chroot pwd rmdir which free nproc truncate losetup cpio zcat gunzip \
         bunzip2 bzcat fdisk less vi ip ifconfig poweroff reboot halt fsync \
         fstrim swapon swapoff mkswap blockdev wget; do
    [ -n "${have_applet[$a]+x}" ] || continue
    in_path "$a" || skel_link "$bbdir/$a" busybox
done
for a in $required_applets; do
    in_path "$a" || die "busybox $bb has no '$a' applet"
done

# ---- kernel modules -----------------------------------------------------
# modules.list against the kernel's modules.dep (gkapp-tool modules): the
# wanted modules with their dependencies, and the boot ones, in load order.
BOOTMODS=() MODS=()
[ -f "$moddir/modules.dep" ] && man_add "$moddir/modules.dep"
[ -f "$moddir/modules.builtin" ] && man_add "$moddir/modules.builtin"
res=$("$tool" modules "$flavour" "$moddir" "$modules_list") || die "resolving the modules of $modules_list failed"
missing= optmissing=
while read -r kind arg; do
    case $kind in
        COPY) MODS+=("$arg") ;;
        BOOT) BOOTMODS+=("$arg") ;;
        MISSING) missing+=" $arg" ;;
        OPTMISSING) optmissing+=" $arg" ;;
    esac
done <<< "$res"
[ -z "$missing" ] || die "kernel $kver has no module(s)$missing (required by $modules_list; modules are in $moddir)"
[ -z "$optmissing" ] || note "kernel $kver lacks optional module(s)$optmissing: skipped"
canon_dir /lib || die "/lib does not exist on the host"
gkdir=$CANON/gk
skel_dir "$gkdir"
boot_list=
for m in "${BOOTMODS[@]}"; do boot_list+="/lib/modules/$kver/$m"$'\n'; done

# ---- the root -------------------------------------------------------------
# The tree is described one entry a line (appliance/spec.h) and
# gkapp-tool makes it in a staging directory; the modules are copied,
# compressed and depmod'ed there; mke2fs -d (no root rights needed) makes
# the ext2 image.  The tree is not in the initrd: every MB of initrd costs
# 5-7 ms of boot and ~3 MB of qemu memory, disk pages are read only when
# used.
R=$outdir/.rootfs
rm -rf "$R"; mkdir -p "$R" || die "cannot create $R"
esc () { local t=${1//\\/\\\\}; t=${t//$'\n'/\\n}; printf '%s' "${t//$'\t'/\\t}"; }
{
    printf 'd\t%s\t%s\n' "${SK_DIRS[@]}"
    [ ${#SK_LINKS[@]} -gt 0 ] && printf 'l\t%s\t%s\n' "${SK_LINKS[@]}"
    printf 's\t/etc/passwd\t644\troot:x:0:0:root:/root:/bin/sh\\n\n'
    printf 's\t/etc/group\t644\troot:x:0:\\n\n'
    printf 'l\t/etc/mtab\t../proc/self/mounts\n'
    printf 's\t%s\t644\t%s\n' "$gkdir/boot-modules" "$(esc "$boot_list")" \
        "$gkdir/flavour" "$flavour\n" "$gkdir/kernel-version" "$kver\n"
    printf 'f\t/init\t755\t%s\n' "$daemon"
    for f in "${REGS[@]}"; do printf 'f\t%s\t-\t%s\n' "$f" "$f"; done
} | "$tool" tree "$R" || die "gkapp-tool failed making the tree in $R"
if [ ${#MODS[@]} -gt 0 ]; then
    md=$R/lib/modules/$kver
    mkdir -p "$md" || die "cannot create $md"
    meta=()
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [ -f "$moddir/$f" ] && meta+=("$f")
    done
    (builtin cd "$moddir" && cp --parents -t "$md" -- "${MODS[@]}" "${meta[@]}") ||
        die "copying modules from $moddir failed"
    for m in "${MODS[@]}" "${meta[@]}"; do man_add "$moddir/$m"; done
    # Compress the modules that are not loaded at boot: modprobe (the
    # host's kmod) decompresses them when the kernel asks for them.
    declare -A isboot=()
    for m in "${BOOTMODS[@]}"; do isboot[$m]=1; done
    COMP=()
    for m in "${MODS[@]}"; do
        [ -n "${isboot[$m]+x}" ] || COMP+=("$md/$m")
    done
    mc=${GUESTKIT_MODULE_COMPRESS:-auto}
    if [ "$mc" = auto ]; then
        mc=none
        kmodfeat=
        lookup modprobe && kmodfeat=$("$FOUND" --version 2>/dev/null)
        if [[ $kmodfeat == *+ZSTD* ]] && lookup zstd; then mc=zstd
        elif [[ $kmodfeat == *+XZ* ]] && lookup xz; then mc=xz
        fi
    fi
    if [ ${#COMP[@]} -gt 0 ]; then
        case $mc in
            zstd) zstd -q -6 --rm -- "${COMP[@]}" || die "zstd failed on the modules" ;;
            xz) xz -q -6 --check=crc32 -- "${COMP[@]}" || die "xz failed on the modules" ;;
            none) ;;
            *) die "GUESTKIT_MODULE_COMPRESS=$mc: expected auto, zstd, xz or none" ;;
        esac
    fi
    lookup depmod || die "depmod not found (install kmod)"
    "$FOUND" -b "$R" "$kver" || die "depmod -b $R $kver failed"
fi
kb=$(du -sk "$R" | cut -f1) || die "du failed on $R"
lookup mke2fs || die "mke2fs not found (install e2fsprogs)"
"$FOUND" -q -F -t ext2 -b 4096 -m 0 -L gkroot -E root_owner=0:0 -d "$R" \
    "$outdir/root" $(( kb * 5 / 4 + 8192 ))K || die "mke2fs -d failed building $outdir/root"

# ---- the initrd -----------------------------------------------------------
# /init (the daemon, static), /dev/console (so the kernel can give /init a
# console before devtmpfs is mounted; in an archive no mknod is needed)
# and the boot modules (plain, for finit_module), in one newc archive.
{
    printf 'd\t%s\t755\n' dev proc sys gkroot lib lib/gk lib/modules "lib/modules/$kver"
    declare -A bdirs=()
    for m in "${BOOTMODS[@]}"; do
        d=lib/modules/$kver rest=${m%/*}
        [ "$rest" = "$m" ] && continue
        while [ -n "$rest" ]; do
            d+=/${rest%%/*}
            if [ "${rest#*/}" = "$rest" ]; then rest=; else rest=${rest#*/}; fi
            [ -n "${bdirs[$d]+x}" ] || { bdirs[$d]=1; printf 'd\t%s\t755\n' "$d"; }
        done
    done
    printf 'c\tdev/console\t600\t5\t1\n'
    printf 's\tlib/gk/boot-modules\t644\t%s\n' "$(esc "$boot_list")"
    printf 'f\tinit\t755\t%s\n' "$daemon"
    for m in "${BOOTMODS[@]}"; do printf 'f\tlib/modules/%s/%s\t644\t%s\n' "$kver" "$m" "$md/$m"; done
} | "$tool" cpio > "$outdir/initrd" || die "gkapp-tool failed writing $outdir/initrd"
rm -rf "$R"

# ---- manifest -----------------------------------------------------------
{
    printf '#format\t1\n'
    printf '#flavour\t%s\n' "$flavour"
    printf '#builder\t%s\n' "$self"
    printf '#daemon\t%s\n' "$daemon"
    printf '#kernel-source\t%s\n' "$ksrc"
    printf '#kernel-version\t%s\n' "$kver"
    if [ "$flavour" = qemu ]; then printf '#kernel-env\t%s\n' "$kernel_env"; fi
    stat --printf '%n\t%s\t%.9Y\n' -- "${MAN[@]}" | sort
} > "$outdir/manifest.tmp" || die "stat failed on the inputs"
mv -f -- "$outdir/manifest.tmp" "$outdir/manifest" || die "cannot write $outdir/manifest"

t_end=$EPOCHREALTIME
us=0
if [ -n "$t_start" ] && [ -n "$t_end" ]; then us=$(( 10#${t_end/./} - 10#${t_start/./} )); fi
isize=$(stat -c %s -- "$outdir/initrd")
printf '%s: %s appliance, kernel %s (%s%s), initrd %d bytes, root %d host files + %d modules, built in %d.%02d s\n' \
    "$PROG" "$flavour" "$kver" "$ksrc" "$( [ -e "$outdir/pvh" ] && echo ', PVH vmlinux')" \
    "$isize" "${#REGS[@]}" "${#MODS[@]}" $((us / 1000000)) $(( us % 1000000 / 10000 ))
exit 0
