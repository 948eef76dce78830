# Files and directories on a fresh filesystem.
run
mkfs ext2 /dev/sda
mount /dev/sda /
mkdir-p /etc/conf.d
write /etc/hostname "guest.example"
cat /etc/hostname
write-append /etc/hostname "\nsecond"
cat /etc/hostname
touch /etc/conf.d/empty
ls /etc/conf.d
cp /etc/hostname /etc/hostname.bak
mv /etc/hostname.bak /etc/hostname.old
exists /etc/hostname.bak
is-file /etc/hostname.old
ln-s hostname /etc/link
readlink /etc/link
chmod 0600 /etc/hostname
rm /etc/hostname.old
-rm /etc/hostname.old
rm-rf /etc/conf.d
ls /etc
umount-all
