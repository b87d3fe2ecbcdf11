#!/bin/sh
# fetch.sh refreshes the OpenCC dictionaries that package hant embeds.
#
# It downloads Debian's OpenCC packages at a pinned version, extracts them,
# reads s2twp.json to learn which dictionaries the s2twp chain uses,
# decompiles each .ocd2 to OpenCC's text format with the packaged
# opencc_dict, and writes the licence notice. Run it from anywhere; it writes
# only into the folder it lives in. Needs apt-get (with a fresh
# `apt-get update`), dpkg-deb and the libraries opencc_dict links against
# (`apt-get install opencc` provides them).
set -eu

VERSION=${OPENCC_VERSION:-1.1.6+ds1-1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt-get download runs as _apt

cd "$work"
apt-get download "libopencc1.1=$VERSION" "libopencc-data=$VERSION" "opencc=$VERSION" >/dev/null
for deb in ./*.deb; do
	dpkg-deb -x "$deb" root
done

share=root/usr/share/opencc
libdir=$(dirname "$(find root -name 'libopencc.so.*' | head -n 1)")
cp "$share/s2twp.json" "$here/s2twp.json"

# Every dictionary file named anywhere in the config: the segmentation
# dictionary and each step of the conversion chain.
dicts=$(grep -o '"file": *"[^"]*"' "$share/s2twp.json" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
rm -f "$here"/*.txt
for f in $dicts; do
	name=${f%.ocd2}
	LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		root/usr/bin/opencc_dict -i "$share/$f" -o "$work/$name.txt" -f ocd2 -t text
	# Sort by key so that refreshes give small, reviewable diffs.
	LC_ALL=C sort -t "$(printf '\t')" -k1,1 "$work/$name.txt" >"$here/$name.txt"
done

{
	echo "The dictionaries in this folder (*.txt) and s2twp.json come from OpenCC"
	echo "(Open Chinese Convert, https://github.com/BYVoid/OpenCC), as packaged by"
	echo "Debian in libopencc1.1 and libopencc-data $VERSION, and were converted"
	echo "from .ocd2 to text with Debian's opencc_dict. They are distributed under"
	echo "the Apache License, Version 2.0. Debian's copyright file follows, then"
	echo "the licence text."
	echo
	echo "--- usr/share/doc/libopencc-data/copyright ---"
	echo
	cat root/usr/share/doc/libopencc-data/copyright
	echo
	echo "--- Apache License, Version 2.0 ---"
	echo
	cat /usr/share/common-licenses/Apache-2.0
} >"$here/LICENSE"

cat >"$here/README.md" <<README
# OpenCC dictionaries for s2twp

Taken from Debian's OpenCC $VERSION packages (libopencc1.1, libopencc-data;
Apache-2.0, see LICENSE): the dictionaries that s2twp.json names, decompiled
from .ocd2 to text with opencc_dict and sorted by key. Refresh with
\`sh generator/hant/data/fetch.sh\` (after \`apt-get update\`; set
OPENCC_VERSION to take another version), then run \`go test ./generator/hant/\`.
README
ls -l "$here"
