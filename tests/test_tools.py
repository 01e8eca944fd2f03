"The developer tools that other machines rely on: the plain-script notebook runner used on the GPU machine."
import json, subprocess, sys
from conftest import ROOT


def nb(cells):
    return {'cells': [{'cell_type': t, 'metadata': {}, 'source': s, **({'outputs': [], 'execution_count': None} if t == 'code' else {})}
                      for t, s in cells], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}


def run(path, *flags):
    return subprocess.run([sys.executable, str(ROOT/'tools'/'run_cells.py'), str(path), *flags], capture_output=True, text=True, timeout=120)


def test_run_cells_skips_flags_and_names_the_failing_cell(tmp_path):
    p = tmp_path/'t.ipynb'
    p.write_text(json.dumps(nb([('markdown', '# t'), ('code', 'x = 2\nopen("here.txt", "w").write("ok")'),
                                ('code', '#| gpu\nassert x == 3, "gpu cell ran"'), ('code', '#| slow\nraise SystemExit(5)'),
                                ('code', '%timeit x'), ('code', 'show_doc(len); assert x == 2')])))
    r = run(p)
    assert r.returncode == 0 and 'passed: t.ipynb (2 cells)' in r.stdout, r.stdout + r.stderr
    assert (tmp_path/'here.txt').read_text() == 'ok'                         # runs in the notebook's folder
    r = run(p, '--run', 'gpu')
    assert r.returncode == 1 and 'FAILED: t.ipynb cell 2' in r.stdout and 'gpu cell ran' in r.stderr, r.stdout + r.stderr
