#!/usr/bin/env python3
"""splice-docs.py FILE ADMITD: prints FILE with every generated region
written anew. A region is

    <!-- generated: admitd config --markdown server -->
    ...
    <!-- end generated -->

and its content is what that admitd command prints. `make docs` writes the
result back; tests/integration/test_authoring.sh fails when they differ.
"""
import re, subprocess, sys

path, admitd = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r"(<!-- generated: admitd ([^>]*?) -->\n)(.*?)(<!-- end generated -->)", re.S)

def fill(m):
    out = subprocess.run([admitd] + m.group(2).split(), check=True, capture_output=True, text=True).stdout
    return m.group(1) + out + m.group(4)

sys.stdout.write(pat.sub(fill, text))
