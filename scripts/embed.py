#!/usr/bin/python3
"""embed.py IN OUT SYMBOL — a file's bytes as a C array (NUL-terminated),
so that documents like the OpenRPC description are part of the binary."""
import sys

data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'w') as out:
    out.write(f'/* Generated from {sys.argv[1].split("/")[-1]} by scripts/embed.py. */\n')
    out.write(f'extern const char {sys.argv[3]}[];\n')
    out.write(f'const char {sys.argv[3]}[] = {{\n')
    for i in range(0, len(data), 16):
        out.write('    ' + ', '.join(str(b) for b in data[i:i + 16]) + ',\n')
    out.write('    0};\n')
