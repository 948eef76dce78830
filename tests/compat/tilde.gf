# ~ expansion: ~ and ~root at the start of a word, not when quoted.
echo ~
echo ~/sub
echo ~root
echo "~"
echo a~b
