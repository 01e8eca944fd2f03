"Each notebook is a test unit: nbdev's own runner executes it, skipping cells flagged `slow` or `gpu` (settings.ini tst_flags)."
import subprocess
import pytest
from conftest import ROOT, tool

NOTEBOOKS = sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb'))


@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_notebook(nb):
    r = subprocess.run([tool('nbdev_test'), '--path', f'nbs/{nb}', '--do_print'], cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0 and 'Success' in r.stdout, f'{nb} failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}'
