"The package: its version, that it equals what the notebooks export, and that it builds and imports as a wheel."
import configparser, shutil, subprocess, sys, zipfile
import wavelet_pos
from conftest import ROOT, tool


def settings(): 
    c = configparser.ConfigParser(); c.read(ROOT/'settings.ini'); return c['DEFAULT']


def test_version_matches_settings():
    assert wavelet_pos.__version__ == settings()['version']


def test_library_equals_notebook_export(tmp_path):
    "Export the notebooks into a scratch copy and compare with the committed library, file by file."
    for p in ['nbs', 'settings.ini', 'wavelet_pos', 'setup.py', 'README.md']:
        (shutil.copytree if (ROOT/p).is_dir() else shutil.copy)(ROOT/p, tmp_path/p)
    r = subprocess.run([tool('nbdev_export')], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for f in sorted((ROOT/'wavelet_pos').glob('*.py')):
        assert (tmp_path/'wavelet_pos'/f.name).read_text() == f.read_text(), f'{f.name} differs from what the notebooks export: run nbdev_export'
    exported = {f.name for f in (tmp_path/'wavelet_pos').glob('*.py')}
    assert exported == {f.name for f in (ROOT/'wavelet_pos').glob('*.py')}


def test_wheel_builds_and_imports(tmp_path):
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    whl = next(tmp_path.glob('wavelet_pos-*.whl'))
    assert settings()['version'] in whl.name
    names = zipfile.ZipFile(whl).namelist()
    for mod in (ROOT/'wavelet_pos').glob('*.py'): assert f'wavelet_pos/{mod.name}' in names
    # its dependencies are settings.ini's: the base ones unconditional, transformers only behind the `hf` extra
    meta = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    reqs = {l.split(': ', 1)[1] for l in meta.splitlines() if l.startswith('Requires-Dist: ')}
    assert set(settings()['requirements'].split()) <= reqs, reqs
    hf = settings()['hf_requirements'].split()
    assert hf and {f'{r}; extra == "hf"' for r in hf} <= reqs and not set(hf) & reqs, reqs
    # import the built wheel (not the checkout) from an unrelated folder
    site = tmp_path/'site'; zipfile.ZipFile(whl).extractall(site)
    code = 'import wavelet_pos, wavelet_pos.wavelets as w; print(wavelet_pos.__file__, w.scale_shift_grid(8, 2)[0].tolist())'
    r = subprocess.run([sys.executable, '-c', code], cwd='/', env={'PYTHONPATH': str(site), 'PATH': '/usr/bin:/bin'},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert str(site) in r.stdout and '[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]' in r.stdout
