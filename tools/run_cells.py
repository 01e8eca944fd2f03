#!/usr/bin/env python
"""Run a notebook's code cells as one plain Python script, for machines without Jupyter (the GPU device machine).

    python tools/run_cells.py nbs/11_fast_attention.ipynb [more.ipynb ...] [--run gpu] [--run slow]

Cells flagged `#| slow` / `#| gpu` are skipped unless asked for, as in `nbdev_test`; cells that export the library
(`nbdev_export()`) or use shell escapes and magics are skipped; `show_doc` and `display` become no-ops when nbdev
or IPython are missing. Each notebook runs in its own folder (relative paths as in Jupyter), in a fresh process,
with the current folder (the repository root) on PYTHONPATH so that `wavelet_pos` imports without being installed.
Needs `fastcore` for the tests (pure Python: carry its wheel). Exits non-zero at the first failing cell, naming it.
"""
import argparse, json, os, pathlib, subprocess, sys
from cellflags import FLAGS, skipped

PRELUDE = '''
try: from nbdev.showdoc import show_doc
except ImportError: show_doc = lambda *a, **k: None
try: from IPython.display import display
except ImportError: display = lambda *a, **k: None
'''


def cells(path: pathlib.Path, run: set) -> list:
    "(index, source) of the code cells to run."
    out = []
    for i, c in enumerate(json.loads(path.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        if skipped(src, run) or 'nbdev_export()' in src: continue
        if any(l.lstrip().startswith(('%', '!')) for l in src.splitlines()): continue
        out.append((i, src))
    return out


def script(path: pathlib.Path, run: set) -> str:
    "The notebook as a script that reports which cell failed."
    body, todo = [PRELUDE, 'import sys, traceback'], cells(path, run)
    for i, src in todo:
        body.append(f'try:\n    exec(compile({src!r}, "{path.name}[cell {i}]", "exec"), globals())\n'
                    f'except BaseException:\n    traceback.print_exc(); print("FAILED: {path.name} cell {i}"); sys.exit(1)')
    body.append(f'print("passed: {path.name} ({len(todo)} cells)")')
    return '\n'.join(body)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='+'); p.add_argument('--run', action='append', default=[], choices=list(FLAGS))
    a = p.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get('PYTHONPATH')])))   # the repo's package
    failed = 0
    for nb in map(pathlib.Path, a.notebooks):
        failed += subprocess.run([sys.executable, '-c', script(nb.resolve(), set(a.run))], cwd=nb.resolve().parent, env=env).returncode != 0
    sys.exit(1 if failed else 0)
