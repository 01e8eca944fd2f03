#!/usr/bin/env python
"""Execute notebooks in place so their outputs (figures, tables) show in the docs, skipping cells flagged
`#| slow` or `#| gpu` unless asked: those keep the outputs committed from their real runs.

    python tools/execute_nb.py nbs/00_wavelets.ipynb [more.ipynb ...] [--run slow] [--run gpu]

Then `nbdev_clean` and `nbdev_export` (or `make export`).
"""
import argparse, copy, pathlib, nbformat
from nbclient import NotebookClient
from cellflags import FLAGS, skipped


def merge_streams(outputs: list) -> list:
    "Consecutive stream outputs of one name (stdout, stderr) as one: where a kernel splits them depends on flush timing, not on the code."
    out = []
    for o in outputs:
        if out and o.get('output_type') == 'stream' and out[-1].get('output_type') == 'stream' and out[-1]['name'] == o['name']:
            out[-1] = nbformat.from_dict({**out[-1], 'text': out[-1]['text'] + o['text']})   # a NotebookNode, as nbformat.write expects
        else: out.append(o)
    return out


def execute(path: str, run: set[str]) -> list[int]:
    "Execute `path` in place; returns the indices of the cells skipped."
    nb = nbformat.read(path, as_version=4)
    work, skip = copy.deepcopy(nb), []
    for i, c in enumerate(work.cells):
        if c.cell_type == 'code' and skipped(c.source, run): c.source = 'pass'; skip.append(i)
    NotebookClient(work, timeout=3600, resources={'metadata': {'path': str(pathlib.Path(path).parent)}}).execute()
    for i, c in enumerate(work.cells):
        if c.cell_type == 'code' and i not in skip: nb.cells[i].outputs, nb.cells[i].execution_count = merge_streams(c.outputs), c.execution_count
    nbformat.write(nb, path)
    return skip


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='+'); p.add_argument('--run', action='append', default=[], choices=list(FLAGS))
    a = p.parse_args()
    for nb in a.notebooks: print(nb, 'skipped cells', execute(nb, set(a.run)))
