#!/usr/bin/env python
"""Run a notebook's code cells as one plain Python script, for machines without Jupyter (the GPU device machine).

    python tools/run_cells.py nbs/11_fast_attention.ipynb [more.ipynb ...] [--run gpu] [--run slow] [--keep-going]

Cells flagged `#| slow` / `#| gpu` are skipped unless asked for, as in `nbdev_test`; cells that export the library
(`nbdev_export()`) or use shell escapes and magics are skipped; `show_doc` and `display` become no-ops when nbdev
or IPython are missing. Each notebook runs in its own folder (relative paths as in Jupyter), in a fresh process,
with the current folder (the repository root) on PYTHONPATH so that `wavelet_pos` imports without being installed.
Needs `fastcore` for the tests (pure Python: carry its wheel). Exits non-zero at the first failing cell, naming it;
with `--keep-going` it runs every cell, names each one that fails, and exits non-zero at the end (a GPU session
then still gets the measurements of the cells after a failing test).
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


def script(path: pathlib.Path, run: set, keep_going: bool = False) -> str:
    "The notebook as a script that reports which cell failed."
    body, todo = [PRELUDE, 'import sys, traceback', '_failed = []'], cells(path, run)
    for i, src in todo:
        body.append(f'try:\n    exec(compile({src!r}, "{path.name}[cell {i}]", "exec"), globals())\n'
                    f'except BaseException:\n    traceback.print_exc(); print("FAILED: {path.name} cell {i}", flush=True); '
                    + (f'_failed.append({i})' if keep_going else 'sys.exit(1)'))
    body.append(f'if _failed: print(f"failed: {path.name} cells {{_failed}}"); sys.exit(1)')
    body.append(f'print("passed: {path.name} ({len(todo)} cells)")')
    return '\n'.join(body)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='+'); p.add_argument('--run', action='append', default=[], choices=list(FLAGS))
    p.add_argument('--keep-going', action='store_true', help='run every cell even after one fails')
    a = p.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get('PYTHONPATH')])))   # the repo's package
    failed = 0
    for nb in map(pathlib.Path, a.notebooks):
        failed += subprocess.run([sys.executable, '-c', script(nb.resolve(), set(a.run), a.keep_going)], cwd=nb.resolve().parent, env=env).returncode != 0
    sys.exit(1 if failed else 0)
