#!/usr/bin/python3
"""embed_assets.py OUT FILE... — the dashboard's files as one C table of
{path, content type, bytes, length}, so the daemon serves them from its own
binary (no files to install, works offline). A file's path is /assets/NAME,
except index.html, which is /."""
import os
import sys

TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
}

out_path, files = sys.argv[1], sys.argv[2:]
with open(out_path, 'w') as out:
    out.write('/* Generated from web/ by scripts/embed_assets.py. */\n')
    out.write('#include "api/web_assets.h"\n\n')
    entries = []
    for n, path in enumerate(sorted(files)):
        name = os.path.basename(path)
        data = open(path, 'rb').read()
        out.write(f'static const unsigned char asset_{n}[] = {{\n')
        for i in range(0, len(data), 16):
            out.write('    ' + ', '.join(str(b) for b in data[i:i + 16]) + ',\n')
        out.write('    0};\n')
        url = '/' if name == 'index.html' else '/assets/' + name
        ctype = TYPES[os.path.splitext(name)[1]]
        entries.append(f'    {{"{url}", "{ctype}", asset_{n}, {len(data)}}},\n')
    out.write('\nconst web_asset web_assets[] = {\n' + ''.join(entries) + '    {0},\n};\n')
