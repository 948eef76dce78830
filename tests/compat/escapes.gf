# Escapes in double quotes: \r, octal, hex, \\, \"
echo "a\rb" | od -An -c
echo "\101\102\103" | od -An -c
echo "\x41\x42" | od -An -c
echo "tab\there" | od -An -c
echo "q\"q" "b\\b"
echo 'single\nquoted'
