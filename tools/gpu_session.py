#!/usr/bin/env python
"""One prepared GPU session: the device checks of issues #7 and #8 in ONE command that fits the device budget.

A lent GPU comes with 15 minutes of device time per session (start-up and idle time included) and at most 10 minutes
per command, so everything the GPU owes runs from this one script, in order of priority, each stage time-boxed and
each leaving its own file under OUT (the device returns at most 8 files):

  env     session.json   GPU, driver, torch and CUDA versions; at the end also every stage's status and seconds
  tests   session.log    the `#| gpu` tests of nbs/04 and nbs/11 (with their CPU cells; the benchmark cell is also
                         `slow`, so it is not run twice), via tools/run_cells.py; they also write eval_gpu.json
                         (a llama-long forward at 4k..32k tokens: time and peak memory)
  bench   gpu.json       python -m wavelet_pos.fast_attention (L = 1k..32k, bf16, d = 128), saved after each length
  table1  table1-gpu-small.json   the bundle of python -m wavelet_pos.gpu_runs table1-gpu-small (cells that finish)
  table2  table2-code-long.json   the same for Table 2's preset (about one session on its own: not in the default)
  table3  table3-gpu-small.json   the same for the Table 3 ablation (after table1, whose Ricker cell it copies; not in the default)
  table4  table4-gpu-small.json   the same for the Table 4 ablation (not in the default)

  Here, once:   python tools/gpu_session.py --prepare          (data into data_cache/, device wheels into .whl/)
  Device:       carry=['.whl', 'data_cache'], timeout_s=600, the command printed by --prepare; at once after it, if
                3+ minutes of device time are left, the same with `--stages table1 --budget <left - 60>` (resumes
                the cells from the checkpoints under runs/ on the still-warm machine)
  Here, after:  python tools/gpu_session.py --collect FILES_AT (result files to results/, the session's log kept)
  Rehearsal:    python tools/gpu_session.py --rehearse --out /tmp/OUT   (the same stages at toy size on the CPU)
"""
import argparse, json, os, shutil, signal, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ('env', 'tests', 'bench', 'table1', 'table2', 'table3', 'table4')
TRAINING = dict(table1='table1-gpu-small', table2='table2-code-long', table3='table3-gpu-small', table4='table4-gpu-small')  # stage -> preset
DEFAULT_STAGES = ('env', 'tests', 'bench', 'table1')
CAPS = dict(env=30, tests=240, bench=210)   # seconds a stage may take at most; training stages take what is left
RESERVE = 20                                # seconds kept back at the end for writing session.json
WHEELS = ('fastcore==1.14.5', 'PyWavelets==1.9.0')   # what the device image lacks (KINDS.md lists what it has)
NOTEBOOKS = ('nbs/04_attention.ipynb', 'nbs/11_fast_attention.ipynb')
DEVICE_COMMAND = ('python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl'
                  ' && export PYTHONPATH=/tmp/site || exit; python3 tools/gpu_session.py --out $OUT --budget {budget}')


def run(cmd: list, timeout: float, log: Path) -> dict:
    "Run `cmd` in its own process group, output appended to `log`; past `timeout` the whole group is killed."
    t0 = time.time()
    with open(log, 'a') as f:
        f.write(f"\n$ {' '.join(map(str, cmd))}   (timeout {timeout:.0f} s)\n"); f.flush()
        p = subprocess.Popen(list(map(str, cmd)), cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try: rc = p.wait(timeout=max(1.0, timeout))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL); p.wait(); rc = 'timeout'
        f.write(f"[exit {rc} after {time.time() - t0:.1f} s]\n")
    return dict(rc=rc, seconds=round(time.time() - t0, 1))


def env_info() -> dict:
    "What the machine is: GPU, driver, torch and CUDA versions (without initialising anything that could hang)."
    info = dict(python=sys.version.split()[0], cpus=os.cpu_count(), start=datetime.now(timezone.utc).isoformat())
    try:
        import torch
        info.update(torch=torch.__version__, cuda=torch.version.cuda, gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
        if torch.cuda.is_available(): info['capability'] = list(torch.cuda.get_device_capability(0))
    except Exception as e: info['torch_error'] = repr(e)
    smi = shutil.which('nvidia-smi')
    if smi:
        r = subprocess.run([smi, '--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], capture_output=True, text=True, timeout=20)
        info['nvidia_smi'] = r.stdout.strip()
    return info


def stage_cmd(stage: str, out: Path, rehearse: bool, left: float) -> list:
    "The command (argv) of one stage, sized by what is left of the budget."
    py = sys.executable
    if stage == 'tests':
        if rehearse: return [py, 'tools/run_cells.py', NOTEBOOKS[0]]           # no GPU: the CPU cells of the smaller notebook
        return [py, 'tools/run_cells.py', *NOTEBOOKS, '--run', 'gpu', '--keep-going']   # a failing test does not cost the later measurements
    if stage == 'bench':
        limit = max(0, min(CAPS['bench'], left) - 90)      # no new length after this: the last one (32k) may take a minute or more
        if rehearse: return [py, '-m', 'wavelet_pos.fast_attention', '--device', 'cpu', '--dtype', 'float32', '--lengths', '256', '512',
                              '--methods', 'wavelet_chunked', 'wavelet_triton', 'rope_sdpa', 'wavelet_tip2', '--heads', '2', '--repeats', '1',
                              '--block-size', '64', '--time-limit', str(limit), '--out', str(out/'gpu.json')]
        return [py, '-m', 'wavelet_pos.fast_attention', '--time-limit', str(limit), '--repeats', '3', '--out', str(out/'gpu.json')]
    if stage in TRAINING:
        preset = TRAINING[stage]
        return ([py, '-m', 'wavelet_pos.gpu_runs', preset, '--budget', str(int(left - 30)), '--copy-results-to', str(out)]
                + (['--smoke'] if rehearse else []))
    raise ValueError(f"stage={stage!r} is unknown; choose one of {list(STAGES)}")


def session(out: Path, budget: float, stages: list, rehearse: bool) -> dict:
    "Run the stages in order within `budget` seconds; write OUT/session.json after each."
    t0 = time.time(); out.mkdir(parents=True, exist_ok=True)
    log = out/'session.log'                                  # every stage's output
    sys.path.insert(0, str(ROOT))
    from wavelet_pos.gpu_runs import use_device_data
    os.environ['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    carried = (ROOT/'data_cache').exists() or not rehearse        # a rehearsal may use this machine's own data folder
    rec = dict(budget_s=budget, stages=stages, rehearse=rehearse, data_env=use_device_data(ROOT) if carried else {}, results={})
    if rehearse:                                                  # a rehearsal starts from nothing, every time; Triton runs interpreted
        os.environ['TRITON_INTERPRET'] = '1'
        for name in TRAINING.values(): shutil.rmtree(ROOT/'runs'/f'{name}-smoke', ignore_errors=True)
    def save():
        rec['seconds'] = round(time.time() - t0, 1)
        tmp = out/'.session.json.tmp'; tmp.write_text(json.dumps(rec, indent=1)); tmp.replace(out/'session.json')
    for stage in stages:
        left = budget - RESERVE - (time.time() - t0)
        if left < 30: rec['results'][stage] = dict(rc='skipped: no time left'); save(); continue
        if stage == 'env': rec['env'] = env_info(); rec['results'][stage] = dict(rc=0); save(); continue
        print(f"[{time.time() - t0:6.0f} s] {stage} (up to {min(CAPS.get(stage, left), left):.0f} s)", flush=True)
        rec['results'][stage] = run(stage_cmd(stage, out, rehearse, left), min(CAPS.get(stage, left), left), log)
        save()
        if stage == 'tests':                                    # the GPU notebook cells write this into the working tree
            ev = ROOT/'results'/'fast_attention'/'eval_gpu.json'
            if ev.exists() and ev.stat().st_mtime > t0: shutil.copy2(ev, out/'eval_gpu.json')
        print(f"[{time.time() - t0:6.0f} s] {stage}: {rec['results'][stage]}", flush=True)
    save()
    return rec


def prepare() -> str:
    "Here, before a device session: stage the data, fetch the wheels the device lacks, and print the device command."
    sys.path.insert(0, str(ROOT))
    from wavelet_pos.gpu_runs import stage_device_data
    print('data:', stage_device_data(ROOT/'data_cache'))
    whl = ROOT/'.whl'; whl.mkdir(exist_ok=True)
    plats = [a for p in ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64') for a in ('--platform', p)]
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                    '--implementation', 'cp', *plats, '-d', str(whl), *WHEELS], check=True)
    mb = sum(f.stat().st_size for d in ('.whl', 'data_cache') for f in (ROOT/d).rglob('*') if f.is_file()) / 2**20
    cmd = DEVICE_COMMAND.format(budget=540)
    print(f"carried: {mb:.1f} MiB in .whl/ and data_cache/\ndevice command (carry=['.whl', 'data_cache'], timeout_s=600):\n{cmd}")
    return cmd


def collect(files_at: Path) -> list:
    "Here, after: result files to where the notebooks read them; the session record and log under results/gpu_sessions/."
    sys.path.insert(0, str(ROOT))
    from wavelet_pos.gpu_runs import unbundle_results, PRESETS
    files_at, written = Path(files_at), []
    s = json.loads((files_at/'session.json').read_text())
    if s.get('rehearse'): raise ValueError(f"{files_at/'session.json'} is a rehearsal (rehearse=True): its files are not results")
    for name in ('gpu.json', 'eval_gpu.json'):
        if (files_at/name).exists():
            dest = ROOT/'results'/'fast_attention'/name; shutil.copy2(files_at/name, dest); written.append(dest)
    for name in PRESETS:
        if (files_at/f'{name}.json').exists(): written += unbundle_results(files_at/f'{name}.json', ROOT/'results'/'gpu')
    day = s.get('env', {}).get('start', datetime.now(timezone.utc).isoformat())[:19].replace(':', '-')
    keep = ROOT/'results'/'gpu_sessions'/day; keep.mkdir(parents=True, exist_ok=True)
    for name in ('session.json', 'session.log'):
        if (files_at/name).exists(): shutil.copy2(files_at/name, keep/name); written.append(keep/name)
    for w in written: print(w.relative_to(ROOT))
    return written


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', help='where the files that come back go ($OUT on the device)')
    ap.add_argument('--budget', type=float, default=540, help='seconds for the whole session command (default: %(default)s)')
    ap.add_argument('--stages', nargs='+', choices=STAGES, default=list(DEFAULT_STAGES), help='stages in order (default: %(default)s)')
    ap.add_argument('--rehearse', action='store_true', help='the same stages at toy size on the CPU (no GPU needed)')
    ap.add_argument('--prepare', action='store_true', help='here: stage data_cache/ and .whl/, print the device command')
    ap.add_argument('--collect', metavar='FILES_AT', help="here: put a session's returned files under results/")
    a = ap.parse_args()
    if a.prepare: prepare()
    elif a.collect: collect(Path(a.collect))
    elif a.out: print(json.dumps(session(Path(a.out), a.budget, a.stages, a.rehearse)['results'], indent=1))
    else: ap.error('give --out (run a session), --prepare or --collect')
