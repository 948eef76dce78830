# stat/lstat field names and the stable values.
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
write /f "12345"
chmod 0640 /f
stat /f | cut -d: -f1
stat /f | grep -E '^(mode|size|nlink|uid|gid):'
lstat /f | grep -E '^(mode|size):'
statns /f | cut -d: -f1
