"The README is generated from nbs/index.ipynb and its code runs."
import re, subprocess, sys
from conftest import ROOT


def test_readme_in_sync_with_index_notebook():
    r = subprocess.run([sys.executable, 'tools/docs.py', 'readme', '--check'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr + r.stdout


def test_readme_python_runs(tmp_path):
    blocks = re.findall(r'```python\n(.*?)```', (ROOT/'README.md').read_text(), re.S)
    assert blocks, 'the README has no python example'
    script = tmp_path/'readme_example.py'; script.write_text('\n'.join(blocks))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr


def test_readme_commands_exist():
    "The quick-start commands the README names are real make targets."
    text = (ROOT/'README.md').read_text()
    targets = set(re.findall(r'^([a-z-]+):', (ROOT/'Makefile').read_text(), re.M))
    for cmd in re.findall(r'^make (\w+)', text, re.M): assert cmd in targets, cmd
