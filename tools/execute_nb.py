#!/usr/bin/env python
"""Execute notebooks in place so their outputs (figures, tables) show in the docs, skipping cells flagged
`#| slow` or `#| gpu` unless asked: those keep the outputs committed from their real runs.

    python tools/execute_nb.py nbs/00_wavelets.ipynb [more.ipynb ...] [--run slow] [--run gpu]

Progress bars (tqdm's widgets) are written as the text of their final state, since a static page has no widget state.
Then `nbdev_clean` and `nbdev_export` (or `make export`).
"""
import argparse, copy, html, pathlib, nbformat
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


WIDGET = 'application/vnd.jupyter.widget-view+json'

def widget_text(output: dict, state: dict) -> dict | None:
    "A progress-bar widget output (tqdm) as a text output of its FINAL state; None if there is no state to read."
    children = state.get(output['data'][WIDGET]['model_id'], {}).get('state', {}).get('children') or []
    parts = [state.get(c.removeprefix('IPY_MODEL_'), {}) for c in children]
    if [p.get('model_name') for p in parts] != ['HTMLModel', 'FloatProgressModel', 'HTMLModel']: return None
    left, bar, right = (p['state'] for p in parts)
    n = round(10 * bar['value'] / bar['max']) if bar.get('max') else 0
    text = left['value'] + '|' + '█' * n + ' ' * (10 - n) + '|' + right['value']
    return nbformat.v4.new_output('display_data', data={'text/plain': html.unescape(text).replace('\u2007', ' ')})

def static_outputs(outputs: list, state: dict) -> list:
    "Outputs a static page can show: widgets (a static page has no widget state) become the text of their final state, or are dropped."
    out = []
    for o in outputs:
        if WIDGET not in o.get('data', {}): out.append(o); continue
        t = widget_text(o, state)
        if t is not None: out.append(t)
    return out


def execute(path: str, run: set[str]) -> list[int]:
    "Execute `path` in place; returns the indices of the cells skipped."
    nb = nbformat.read(path, as_version=4)
    work, skip = copy.deepcopy(nb), []
    for i, c in enumerate(work.cells):
        if c.cell_type == 'code' and skipped(c.source, run): c.source = 'pass'; skip.append(i)
    NotebookClient(work, timeout=3600, resources={'metadata': {'path': str(pathlib.Path(path).parent)}}).execute()
    state = work.metadata.get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}).get('state', {})
    for i, c in enumerate(work.cells):
        if c.cell_type == 'code' and i not in skip:
            nb.cells[i].outputs, nb.cells[i].execution_count = merge_streams(static_outputs(c.outputs, state)), c.execution_count
    nbformat.write(nb, path)
    return skip


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='+'); p.add_argument('--run', action='append', default=[], choices=list(FLAGS))
    a = p.parse_args()
    for nb in a.notebooks: print(nb, 'skipped cells', execute(nb, set(a.run)))
