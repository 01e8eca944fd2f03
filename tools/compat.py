#!/usr/bin/env python
"""Which torch releases the library works with, measured: for each torch release asked for, a virtual environment with
that torch and `wavelet_pos[dev]` (editable), then the notebook and package tests (`make test` without the docs site),
saved with provenance to results/compat/torch-VERSION.json. The install section of the README reads these files.

    python tools/compat.py 2.6.0 2.14.1 [--venvs /tmp/compat] [--keep]

Each release costs a few GB of disk (PyPI's Linux torch wheels are CUDA builds; they run on the CPU) and ~5-10 minutes.
The environments are kept in --venvs between runs, so a rerun only repeats the tests.
"""
import argparse, re, subprocess, sys, time, xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ['tests/test_notebooks.py', 'tests/test_package.py']
PACKAGES = ['torch', 'triton', 'transformers', 'numpy']


def venv_for(version: str, venvs: Path) -> Path:
    "A virtual environment with torch==version and wavelet_pos[dev] (editable), made once."
    v = venvs/f'torch-{version}'
    py = v/'bin'/'python'
    if (v/'.ready').exists(): return py
    subprocess.run([sys.executable, '-m', 'venv', str(v)], check=True)
    pip = [str(py), '-m', 'pip', 'install', '-q']
    subprocess.run([*pip, '--upgrade', 'pip'], check=True)
    subprocess.run([*pip, f'torch=={version}'], check=True)   # first: `wavelet_pos[dev]` must not choose another torch
    subprocess.run([*pip, '-e', f'{ROOT}[dev]'], check=True)
    got = subprocess.run([str(py), '-c', 'import torch; print(torch.__version__.split("+")[0])'], capture_output=True, text=True, check=True).stdout.strip()
    if got != version: raise SystemExit(f'asked for torch {version}, the environment has {got} (a dependency moved it)')
    (v/'.ready').touch()
    return py


def outcomes(xml: Path) -> dict:
    "Test id -> 'passed' / 'skipped' / 'failed: <the exception that failed it>' (`_cause`) from pytest's JUnit XML."
    out = {}
    for case in ET.parse(xml).getroot().iter('testcase'):
        name = case.get('classname', '').split('.')[-1] + '::' + case.get('name')
        bad = case.find('failure') if case.find('failure') is not None else case.find('error')
        if case.find('skipped') is not None: out[name] = 'skipped'
        elif bad is None: out[name] = 'passed'
        else: out[name] = 'failed: ' + _cause(bad.text or bad.get('message') or '')
    return out


def _cause(text: str) -> str:
    "The last exception line of a failure's text (the notebook's own error, not the test's 'X failed' assertion)."
    errs = [m.group(1) for l in text.splitlines() if (m := re.match(r'^(?:E\s+)?([\w.]+(?:Error|Exception)(?:[:(].*)?)$', l.strip()))
            and not m.group(1).rstrip().endswith('failed:')]
    return (errs[-1] if errs else (text.strip().splitlines() or [''])[0])[:300]


def record(xml: str, wall: float, out: str) -> None:
    "Inside the tested environment: save the outcomes with that environment's provenance (its torch, its machine)."
    sys.path.insert(0, str(ROOT))
    from importlib.metadata import version, PackageNotFoundError
    from wavelet_pos.provenance import save_result
    def ver(p):
        try: return version(p)
        except PackageNotFoundError: return None
    res = outcomes(Path(xml))
    counts = {k: sum(v.split(':')[0] == k for v in res.values()) for k in ('passed', 'failed', 'skipped')}
    save_result(out, dict(counts=counts, tests=res, versions={p: ver(p) for p in PACKAGES}),
                config=dict(tests=TESTS, command='python tools/compat.py'), wall_time=wall)
    print(f"{out}: {counts['passed']} passed, {counts['failed']} failed")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('versions', nargs='*', help='torch releases, e.g. 2.6.0 2.14.1')
    ap.add_argument('--venvs', default='/tmp/wavelet_pos_compat', help='where the environments are kept (default %(default)s)')
    ap.add_argument('--out', default=str(ROOT/'results'/'compat'), help='result folder (default results/compat)')
    ap.add_argument('--record', nargs=3, metavar=('XML', 'WALL', 'OUT'), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.record: return record(a.record[0], float(a.record[1]), a.record[2])
    if not a.versions: ap.error('name at least one torch release, e.g. 2.6.0')
    for version in a.versions:
        if not all(p.isdigit() for p in version.split('.')): ap.error(f'version={version!r}: give a release such as 2.6.0')
        py = venv_for(version, Path(a.venvs))
        xml = Path(a.venvs)/f'torch-{version}.xml'
        t0 = time.time()
        subprocess.run([str(py), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={xml}', *TESTS], cwd=ROOT)
        subprocess.run([str(py), __file__, '--record', str(xml), str(time.time() - t0), str(Path(a.out)/f'torch-{version}.json')], check=True)


if __name__ == '__main__': main()
