# copy-in and copy-out with several sources
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
! rm -rf cin cout && mkdir -p cin/sub cout && printf one > cin/one && printf two > cin/sub/two && printf three > three
mkdir /dst
copy-in cin three /dst
find /dst
copy-out /dst/cin /dst/three cout
! cd cout && find . | LC_ALL=C sort && cat three cin/one cin/sub/two && echo
