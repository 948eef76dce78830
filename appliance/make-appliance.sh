#!/bin/bash
# make-appliance.sh: build the guestkit appliance (kernel + initrd + manifest).
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
Builds the guestkit appliance (kernel, initrd, pvh, manifest) into DIR.
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
for t in cpio od dd find sort stat cp readlink touch; do
    lookup "$t" || die "host program '$t' not found (needed to build the appliance)"
done

trap 'rm -rf "$outdir/.mods" "$outdir/.kerr" "$outdir/manifest.tmp"' EXIT

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

# ---- small binary readers ---------------------------------------------
# (One od per read: under load every process costs tens of ms.)
# rd_bytes FILE OFFSET COUNT -> array B of byte values
rd_bytes () {
    B=($(od -An -v -t u1 -j "$2" -N "$3" -- "$1" 2>/dev/null))
    [ ${#B[@]} -eq "$3" ]
}
# le OFFSET WIDTH: little-endian unsigned integer from B -> U
le () {
    local i
    U=0
    for ((i = $2 - 1; i >= 0; i--)); do U=$(( (U << 8) | B[$1 + i] )); done
}
# hexb OFFSET COUNT: bytes of B as lowercase hex -> H
hexb () {
    local i
    H=
    for ((i = 0; i < $2; i++)); do printf -v H '%s%02x' "$H" "${B[$1 + i]}"; done
}

# elf_check FILE: ELF_OK=1 if FILE is a complete x86-64 ELF (every program
# header's data inside the file); ELF_PVH=1 if it also carries the Xen
# PHYS32_ENTRY note (type 18, name "Xen") that qemu needs for PVH boot.
elf_check () {
    local f=$1 phoff phentsize phnum fsize i b off fsz n j namesz descsz
    local -a w nw notes=()
    ELF_OK=0 ELF_PVH=0
    rd_bytes "$f" 0 64 || return 1
    hexb 0 6; [ "$H" = 7f454c460201 ] || return 1   # ELF, 64-bit, little-endian
    le 18 2; [ "$U" = 62 ] || return 1             # EM_X86_64
    le 32 8; phoff=$U
    le 54 2; phentsize=$U
    le 56 2; phnum=$U
    [ "$phentsize" = 56 ] && [ "$phnum" -gt 0 ] || return 1
    fsize=$(stat -L -c %s -- "$f") || return 1
    w=($(od -An -v -t u4 -j "$phoff" -N $((56 * phnum)) -- "$f"))
    [ ${#w[@]} -eq $((14 * phnum)) ] || return 1
    for ((i = 0; i < phnum; i++)); do
        b=$((i * 14))
        off=$(( w[b+2] + (w[b+3] << 32) ))
        fsz=$(( w[b+8] + (w[b+9] << 32) ))
        [ $((off + fsz)) -le "$fsize" ] || return 1
        [ "${w[b]}" = 4 ] && notes+=("$off:$fsz")
    done
    ELF_OK=1
    for n in "${notes[@]}"; do
        nw=($(od -An -v -t u4 -j "${n%:*}" -N "${n#*:}" -- "$f"))
        j=0
        while [ $((j + 3)) -le ${#nw[@]} ]; do
            namesz=${nw[j]} descsz=${nw[j+1]}
            # "Xen\0" as a little-endian word is 7234904
            if [ "$namesz" = 4 ] && [ "${nw[j+2]}" = 18 ] && [ "${nw[j+3]:-}" = 7234904 ]; then
                ELF_PVH=1
            fi
            j=$(( j + 3 + (namesz + 3) / 4 + (descsz + 3) / 4 ))
        done
    done
    return 0
}

# bz_header FILE: parse a bzImage header.  Sets KV (kernel version) and,
# when the boot protocol has them (>= 2.08), PSTART/PLEN (the compressed
# payload: (setup_sects+1)*512 + payload_offset, payload_length).
bz_header () {
    local ptr ss c i hx ch
    KV= PSTART= PLEN=
    rd_bytes "$1" 0 624 || return 1
    hexb 514 4; [ "$H" = 48647253 ] || return 1     # "HdrS"
    le 518 2
    if [ "$U" -ge 520 ]; then
        ss=${B[497]}; [ "$ss" = 0 ] && ss=4
        le 584 4; PSTART=$(( (ss + 1) * 512 + U ))
        le 588 4; PLEN=$U
    fi
    le 526 2; ptr=$U
    [ "$ptr" -gt 0 ] || return 1
    rd_bytes "$1" $((ptr + 512)) 64 || return 1
    for ((i = 0; i < 64; i++)); do
        c=${B[i]}
        [ "$c" -le 32 ] || [ "$c" -ge 127 ] && break
        printf -v hx '%02x' "$c"
        printf -v ch "\\x$hx"
        KV+=$ch
    done
    [ -n "$KV" ]
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
        if bz_header "$ksrc"; then kver=$KV
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
    if bz_header "$ksrc" && [ -n "$PSTART" ]; then
        rd_bytes "$ksrc" "$PSTART" 6 && hexb 0 6
        dec=
        case $H in
            02214c18*) dec="lz4 -dc" ;;
            1f8b*) dec="gzip -dc" ;;
            fd377a585a00*) dec="xz -dc --single-stream" ;;
            28b52ffd*) dec="zstd -dc" ;;
            425a68*) dec="bzip2 -dc" ;;
            5d0000*) dec="xz -dc --format=lzma" ;;
            894c5a4f*) dec="lzop -dc" ;;
            *) note "kernel $ksrc: unknown payload compression (magic $H); booting the bzImage" ;;
        esac
        if [ -n "$dec" ]; then
            if lookup "${dec%% *}"; then
                # The decompressor may complain about the size trailer the
                # kernel build appends: the result is validated as an ELF.
                dd if="$ksrc" bs=65536 iflag=skip_bytes,count_bytes skip="$PSTART" count="$PLEN" status=none |
                    $dec > "$outdir/kernel" 2> "$outdir/.kerr"
                if elf_check "$outdir/kernel" && [ "$ELF_PVH" = 1 ]; then
                    extracted=1 pvh=1
                else
                    note "kernel $ksrc: the extracted payload is not a PVH-capable ELF ($(head -c 200 "$outdir/.kerr")); booting the bzImage"
                fi
            else
                note "kernel $ksrc: the payload is ${dec%% *}-compressed and ${dec%% *} is not installed; booting the bzImage (about 0.3 s slower)"
            fi
        fi
    elif elf_check "$ksrc" && [ "$ELF_PVH" = 1 ]; then
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

# ---- the initrd -------------------------------------------------------
# The initrd is three newc archives back to back (the kernel unpacks them
# in turn):
#   1. the skeleton, written here with printf (no process per entry):
#      directories, symbolic links, /init, small generated files and
#      /dev/console (so the kernel can open the console before devtmpfs
#      is mounted; no mknod needed, the build runs as any user);
#   2. the host's regular files, archived by cpio straight from / at their
#      host paths (no copy);
#   3. the kernel modules (copied, compressed and depmod'ed in a staging
#      directory).
# Archives 1 and 3 have fixed timestamps; all entries are owned by root.

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
    SK_DIRS+=("$d:${2:-755}")
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
M=$outdir/.mods
rm -rf "$M"
BOOTMODS=() MODS=()
if [ -f "$moddir/modules.dep" ]; then
    man_add "$moddir/modules.dep"
    builtin=$moddir/modules.builtin
    if [ -f "$builtin" ]; then man_add "$builtin"; else builtin=/dev/null; fi
    # Resolve names -> module files (+ dependencies) in load order.
    res=$(awk -v flavour="$flavour" '
        function modname(p,  n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.[a-z0-9]+)?$/, "", n); gsub(/-/, "_", n); return n }
        function visit(n,  d, k, i) {
            if (n in done) return
            done[n] = 1
            k = split(deps[n], d, " ")
            for (i = k; i >= 1; i--) visit(modname(d[i]))
            print "COPY " path[n]
        }
        function bvisit(n,  d, k, i) {
            if (n in bdone) return
            bdone[n] = 1
            k = split(deps[n], d, " ")
            for (i = k; i >= 1; i--) bvisit(modname(d[i]))
            print "BOOT " path[n]
        }
        FILENAME == ARGV[1] { i = index($0, ":"); p = substr($0, 1, i - 1); n = modname(p); path[n] = p; deps[n] = substr($0, i + 1); next }
        FILENAME == ARGV[2] { builtin[modname($0)] = 1; next }
        {
            sub(/#.*/, "")
            if (NF == 0) next
            n = $1; opt = 0
            if (n ~ /\?$/) { opt = 1; sub(/\?$/, "", n) }
            gsub(/-/, "_", n)
            boot = 0; hasfl = 0; match_fl = 0
            for (i = 2; i <= NF; i++) {
                if ($i == "boot") boot = 1
                else if ($i == "qemu" || $i == "uml") { hasfl = 1; if ($i == flavour) match_fl = 1 }
                else { print "BADTAG " $i; next }
            }
            if (hasfl && !match_fl) next
            if (n in path) { want[++nw] = n; if (boot) bwant[++nb] = n }
            else if (n in builtin) print "BUILTIN " n
            else print (opt ? "OPTMISSING " : "MISSING ") n
        }
        END {
            for (i = 1; i <= nw; i++) visit(want[i])
            for (i = 1; i <= nb; i++) bvisit(bwant[i])
        }' "$moddir/modules.dep" "$builtin" "$modules_list") || die "resolving modules failed"
    missing= optmissing=
    while read -r kind arg; do
        case $kind in
            COPY) MODS+=("$arg") ;;
            BOOT) BOOTMODS+=("$arg") ;;
            MISSING) missing+=" $arg" ;;
            OPTMISSING) optmissing+=" $arg" ;;
            BADTAG) die "$modules_list: unknown tag '$arg'" ;;
        esac
    done <<< "$res"
    [ -z "$missing" ] || die "kernel $kver has no module(s)$missing (required by $modules_list; modules are in $moddir)"
    if [ -n "$optmissing" ]; then
        note "kernel $kver lacks optional module(s)$optmissing: skipped"
    fi
    if [ ${#MODS[@]} -gt 0 ]; then
        md=$M/lib/modules/$kver
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
        "$FOUND" -b "$M" "$kver" || die "depmod -b $M $kver failed"
    fi
else
    # No modules for this kernel (UML without modules): only optional ones.
    if awk -v fl="$flavour" '{ sub(/#.*/, "") } NF && $1 !~ /\?$/ {
            ok = 1; for (i = 2; i <= NF; i++) if ($i == "qemu" || $i == "uml") ok = 0
            for (i = 2; i <= NF; i++) if ($i == fl) ok = 1
            if (ok) { found = 1; exit } } END { exit !found }' "$modules_list"; then
        die "kernel $kver has no modules ($moddir/modules.dep is missing) but $modules_list requires some"
    fi
fi
canon_dir /lib || die "/lib does not exist on the host"
gkdir=$CANON/gk
skel_dir "$gkdir"
boot_list=
for m in "${BOOTMODS[@]}"; do boot_list+="/lib/modules/$kver/$m"$'\n'; done

# ---- write the archives ------------------------------------------------
# Both flavours: the full tree goes into an ext2 image (root) attached as
# a read-only disk, and the initrd holds only /init and the boot modules.
# Every MB of initrd costs 5-7 ms of boot and ~3 MB of qemu memory (qemu's
# copy, the guest's copy, the unpacked files); disk pages are read only
# when used.  (UML: the 38 MB all-in-one initrd booted 0.2 s slower.)
split=1
full=$outdir/initrd
[ $split = 1 ] && full=$outdir/.root1.cpio
exec 3> "$full" || die "cannot write $full"
nc_ino=0
nc_pad () {
    case $1 in 1) printf '\0' >&3 ;; 2) printf '\0\0' >&3 ;; 3) printf '\0\0\0' >&3 ;; esac
}
# nc_hdr NAME MODE SIZE RDEVMAJOR RDEVMINOR NLINK  (newc header + name)
nc_hdr () {
    local ns=$(( ${#1} + 1 ))
    nc_ino=$((nc_ino + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        "$nc_ino" "$2" 0 0 "$6" 0 "$3" 0 0 "$4" "$5" "$ns" 0 "$1" >&3
    nc_pad $(( (4 - (110 + ns) % 4) % 4 ))
}
# nc_data NAME MODE(octal) CONTENT
nc_data () {
    nc_hdr "${1#/}" $((8#100000 | 8#$2)) ${#3} 0 0 1
    printf '%s' "$3" >&3
    nc_pad $(( (4 - ${#3} % 4) % 4 ))
}
for e in "${SK_DIRS[@]}"; do
    d=${e%:*}
    nc_hdr "${d#/}" $((8#40000 | 8#${e##*:})) 0 0 0 2
done
for ((i = 0; i < ${#SK_LINKS[@]}; i += 2)); do
    t=${SK_LINKS[i+1]}
    nc_hdr "${SK_LINKS[i]#/}" $((8#120777)) ${#t} 0 0 1
    printf '%s' "$t" >&3
    nc_pad $(( (4 - ${#t} % 4) % 4 ))
done
nc_hdr dev/console $((8#20600)) 0 5 1 1
nc_data /etc/passwd 644 $'root:x:0:0:root:/root:/bin/sh\n'
nc_data /etc/group 644 $'root:x:0:\n'
nc_hdr etc/mtab $((8#120777)) 19 0 0 1; printf '../proc/self/mounts' >&3; nc_pad 1
nc_data "$gkdir/boot-modules" 644 "$boot_list"
nc_data "$gkdir/flavour" 644 "$flavour"$'\n'
nc_data "$gkdir/kernel-version" 644 "$kver"$'\n'
dsize=$(stat -c %s -- "$daemon") || die "cannot stat $daemon"
nc_hdr init $((8#100755)) "$dsize" 0 0 1
cat -- "$daemon" >&3 || die "cannot read the daemon $daemon"
nc_pad $(( (4 - dsize % 4) % 4 ))
nc_hdr 'TRAILER!!!' 0 0 0 0 1
exec 3>&-

# 2: host files, at their host paths.  (split: separate files, since
# cpio -i stops at the first archive's end.)
[ $split = 1 ] && full=$outdir/.root2.cpio
(builtin cd / && printf '%s\n' "${REGS[@]#/}" |
    cpio -o -H newc -R 0:0 --reproducible --quiet) >> "$full" ||
    die "cpio failed archiving the host files"
# 3: modules.
[ $split = 1 ] && full=$outdir/.root3.cpio
if [ -d "$M/lib" ]; then
    (builtin cd "$M" && touch -h -d @0 -- lib && find lib -exec touch -h -d @0 -- {} + &&
        find lib -mindepth 1 | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >> "$full" ||
        die "cpio failed archiving the modules"
fi

if [ $split = 1 ]; then
    # root: the tree as an ext2 image (mke2fs -d, no root rights needed).
    R=$outdir/.rootfs
    rm -rf "$R"; mkdir -p "$R" || die "cannot create $R"
    for a in "$outdir"/.root[123].cpio; do
        [ -f "$a" ] || continue
        (builtin cd "$R" && cpio -idm --quiet --no-absolute-filenames --nonmatching 'dev/console' < "$a") ||
            die "cpio failed unpacking $a into $R"
        rm -f "$a"
    done
    kb=$(du -sk "$R" | cut -f1) || die "du failed on $R"
    lookup mke2fs || die "mke2fs not found (install e2fsprogs)"
    "$FOUND" -q -F -t ext2 -b 4096 -m 0 -L gkroot -E root_owner=0:0 -d "$R" \
        "$outdir/root" $(( kb * 5 / 4 + 8192 ))K || die "mke2fs -d failed building $outdir/root"
    rm -rf "$R"
    # initrd: /init (the daemon, static), /dev/console, the boot modules.
    exec 3> "$outdir/initrd" || die "cannot write $outdir/initrd"
    nc_ino=0
    for d in dev proc sys gkroot lib lib/gk lib/modules "lib/modules/$kver"; do
        nc_hdr "$d" $((8#40755)) 0 0 0 2
    done
    nc_hdr dev/console $((8#20600)) 0 5 1 1
    nc_data "/lib/gk/boot-modules" 644 "$boot_list"
    nc_hdr init $((8#100755)) "$dsize" 0 0 1
    cat -- "$daemon" >&3 || die "cannot read the daemon $daemon"
    nc_pad $(( (4 - dsize % 4) % 4 ))
    nc_hdr 'TRAILER!!!' 0 0 0 0 1
    exec 3>&-
    if [ ${#BOOTMODS[@]} -gt 0 ]; then
        (builtin cd "$M" && printf "lib/modules/$kver/%s\n" "${BOOTMODS[@]}" |
            while IFS= read -r f; do printf '%s\n' "${f%/*}"; done | sort -u |
            awk -F/ '{ p = $1; for (i = 2; i <= NF; i++) { p = p "/" $i; if (i > 3 && !(p in s)) { s[p]; print p } } }' > "$outdir/.dirs" &&
            { cat "$outdir/.dirs"; printf "lib/modules/$kver/%s\n" "${BOOTMODS[@]}"; } |
            cpio -o -H newc -R 0:0 --reproducible --quiet) >> "$outdir/initrd" ||
            die "cpio failed archiving the boot modules"
        rm -f "$outdir/.dirs"
    fi
fi
rm -rf "$M"

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
printf '%s: %s appliance, kernel %s (%s%s), initrd %d bytes (%d host files, %d modules), built in %d.%02d s\n' \
    "$PROG" "$flavour" "$kver" "$ksrc" "$( [ -e "$outdir/pvh" ] && echo ', PVH vmlinux')" \
    "$isize" "${#REGS[@]}" "${#MODS[@]}" $((us / 1000000)) $(( us % 1000000 / 10000 ))
exit 0
