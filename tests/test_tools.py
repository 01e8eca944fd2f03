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
                                ('code', '%timeit x'), ('code', 'show_doc(len); assert x == 2; open("after.txt", "w").write("yes")')])))
    r = run(p)
    assert r.returncode == 0 and 'passed: t.ipynb (2 cells)' in r.stdout, r.stdout + r.stderr
    assert (tmp_path/'here.txt').read_text() == 'ok'                         # runs in the notebook's folder
    (tmp_path/'after.txt').unlink()
    r = run(p, '--run', 'gpu')
    assert r.returncode == 1 and 'FAILED: t.ipynb cell 2' in r.stdout and 'gpu cell ran' in r.stderr, r.stdout + r.stderr
    assert (tmp_path/'after.txt').exists() is False                        # stopped at the failing cell
    r = run(p, '--run', 'gpu', '--keep-going')                             # ... or, with --keep-going, runs the rest and names the failures
    assert r.returncode == 1 and 'failed: t.ipynb cells [2]' in r.stdout and (tmp_path/'after.txt').read_text() == 'yes', r.stdout + r.stderr


def test_execute_nb_merges_split_streams():
    sys.path.insert(0, str(ROOT/'tools'))
    from execute_nb import merge_streams
    st = lambda name, text: {'output_type': 'stream', 'name': name, 'text': text}
    img = {'output_type': 'display_data', 'data': {}, 'metadata': {}}
    got = merge_streams([st('stdout', 'a\n'), st('stdout', '\n'), st('stderr', 'w'), st('stderr', '!'), img, st('stdout', 'b')])
    assert got == [st('stdout', 'a\n\n'), st('stderr', 'w!'), img, st('stdout', 'b')]
    import nbformat                                                         # as the kernel gives them: NotebookNodes, which nbformat.write reads by attribute
    cell = nbformat.v4.new_code_cell('x')
    cell.outputs = merge_streams([nbformat.from_dict(st('stdout', 'a')), nbformat.from_dict(st('stdout', 'b'))])
    assert json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[cell])))['cells'][0]['outputs'][0]['text'] == ['ab']


def test_execute_nb_writes_progress_bars_as_their_final_text():
    "A static page cannot draw a widget: tqdm's bar is kept as the text of its last state, never as its '0%' placeholder."
    sys.path.insert(0, str(ROOT/'tools'))
    from execute_nb import static_outputs, WIDGET
    html = lambda v: {'model_name': 'HTMLModel', 'state': {'value': v}}
    state = {'box': {'model_name': 'HBoxModel', 'state': {'children': ['IPY_MODEL_l', 'IPY_MODEL_b', 'IPY_MODEL_r']}},
             'l': html('grid:\u2007100%'), 'r': html('\u20075/5\u2007[00:01&lt;00:00,\u20074.10it/s]'),
             'b': {'model_name': 'FloatProgressModel', 'state': {'value': 5.0, 'max': 5.0}}}
    bar = lambda mid: {'output_type': 'display_data', 'metadata': {}, 'data': {'text/plain': 'grid:   0%|', WIDGET: {'model_id': mid}}}
    out = static_outputs([bar('box'), bar('gone'), {'output_type': 'stream', 'name': 'stdout', 'text': 'x'}], state)
    assert [o['output_type'] for o in out] == ['display_data', 'stream']     # a widget without state is dropped
    assert out[0]['data'] == {'text/plain': 'grid: 100%|██████████| 5/5 [00:01<00:00, 4.10it/s]'}


def test_committed_notebooks_hold_no_widgets():
    "What the docs render: a widget output would show only its placeholder text (e.g. a progress bar at 0%)."
    bad = [(p.name, c.get('id')) for p in sorted((ROOT/'nbs').glob('*.ipynb')) for c in json.loads(p.read_text())['cells']
           if any('application/vnd.jupyter.widget-view+json' in o.get('data', {}) for o in c.get('outputs', []))]
    assert not bad, f"widget outputs (run the notebook with tools/execute_nb.py, which writes their final text): {bad}"


def test_gpu_session_rehearsal(tmp_path):
    "The prepared GPU session, rehearsed at toy size on the CPU: every stage runs and leaves its file where the device returns it."
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'gpu_session.py'), '--rehearse', '--out', str(tmp_path), '--budget', '400'],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads((tmp_path/'session.json').read_text())
    assert s['rehearse'] and [s['results'][k]['rc'] for k in ('env', 'tests', 'bench', 'table1')] == [0, 0, 0, 0], s
    bench = json.loads((tmp_path/'gpu.json').read_text())
    assert {r['method'] for r in bench['data']} == {'wavelet_chunked', 'wavelet_triton', 'rope_sdpa', 'wavelet_tip2'} and bench['config']['lengths'] == [256, 512]
    bundle = json.loads((tmp_path/'table1-gpu-small-smoke.json').read_text())
    assert bundle['progress']['left'] == [] and len(bundle['records']) == 6, bundle['progress']
    assert len(list(tmp_path.iterdir())) <= 8                                  # the device returns at most 8 files
    c = subprocess.run([sys.executable, str(ROOT/'tools'/'gpu_session.py'), '--collect', str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert c.returncode != 0 and 'is a rehearsal' in c.stderr                  # rehearsal files never become results


def test_gpu_session_kills_a_stage_at_its_time_limit(tmp_path):
    sys.path.insert(0, str(ROOT/'tools'))
    import time, gpu_session
    t0 = time.time()
    r = gpu_session.run(['bash', '-c', 'sleep 30 & sleep 30; echo NEV""ER'], 1, tmp_path/'log')   # a child with a grandchild
    assert r['rc'] == 'timeout' and time.time() - t0 < 10
    assert 'NEVER' not in (tmp_path/'log').read_text()


def test_gpu_session_training_stages_name_presets(tmp_path):
    "Every stage has a command, and each training stage runs a preset that exists."
    sys.path.insert(0, str(ROOT/'tools'))
    import gpu_session
    from wavelet_pos.gpu_runs import PRESETS
    assert set(gpu_session.TRAINING) <= set(gpu_session.STAGES) and set(gpu_session.TRAINING.values()) <= set(PRESETS)
    for stage in gpu_session.STAGES[1:]:
        cmd = gpu_session.stage_cmd(stage, tmp_path, False, 300)
        if stage in gpu_session.TRAINING: assert cmd[3] == gpu_session.TRAINING[stage] and '--smoke' not in cmd, cmd


def test_compat_reads_pytest_outcomes(tmp_path):
    "tools/compat.py: each test's outcome from pytest's JUnit XML, a failure named by the notebook's own exception."
    sys.path.insert(0, str(ROOT/'tools'))
    import compat
    test = tmp_path/'test_x.py'
    test.write_text("import pytest\ndef test_ok(): pass\n@pytest.mark.skip\ndef test_skip(): pass\n"
                    "def test_nb():\n    msg = 'RuntimeError: the kernels need tl.gather\\n'\n    assert False, 'x.ipynb failed:\\n' + msg\n")
    xml = tmp_path/'out.xml'
    subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={xml}', str(test)], cwd=tmp_path, capture_output=True)
    assert compat.outcomes(xml) == {'test_x::test_ok': 'passed', 'test_x::test_skip': 'skipped',
                                    'test_x::test_nb': 'failed: RuntimeError: the kernels need tl.gather'}
