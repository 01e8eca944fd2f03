#!/usr/bin/env python
"""Build the documentation site and README without Quarto.

    python tools/docs.py build [--out _site]   # nbdev_proc_nbs -> _proc/, smalldocs render -> _site/
    python tools/docs.py readme                # README.md from nbs/index.ipynb (what `nbdev_readme` does with Quarto)
    python tools/docs.py readme --check        # exit 1 when README.md is out of date

nbdev 2's `nbdev_proc_nbs` insists on installing Quarto first; here we call the same steps it runs
(`refresh_quarto_yml`, the module index, the sidebar, `proc_nbs`) without that. Where Quarto exists,
`nbdev_docs` renders the same `_proc/` folder.
"""
from __future__ import annotations
import argparse, json, os, re, shutil, subprocess, sys, tarfile, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KATEX_VERSION = '0.16.11'   # the version smalldocs links to
KATEX_CDN = f'https://cdn.jsdelivr.net/npm/katex@{KATEX_VERSION}/dist'


def _only_imports_of_mixed_cells():
    """nbdev's docs processor executes every cell that contains an import *anywhere*, together with the rest of that
    cell, but not the cells before it that the rest depends on (nbdev's FAQ: keep imports in cells of their own).
    Here a cell that mixes imports with other code gets only its top-level imports executed; exported cells and
    `show_doc` cells run as before. The rendered outputs are the saved ones either way."""
    import ast
    import nbdev.processors as P
    if getattr(P.exec_show_docs, '_wavelet_pos_patched', False): return
    orig = P.exec_show_docs.__call__
    def __call__(self, cell):
        if cell.cell_type == 'code' and hasattr(self, 'k') and getattr(self.nb, 'has_docs_', False) \
           and not (cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'}):
            trees = cell.parsed_() or []
            body = list(trees)   # parsed_() gives the top-level statements
            imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
            nested = any(isinstance(n, (ast.Import, ast.ImportFrom)) for t in trees for n in ast.walk(t)) and not imports
            if (imports and len(imports) < len(body)) or nested:
                if imports: self.k.run_cell('\n'.join(ast.unparse(n) for n in imports))
                if self.k.exc: raise Exception(f"Error in the imports of cell {cell.idx_}:\n{cell.source}") from self.k.exc
                return
        return orig(self, cell)
    P.exec_show_docs.__call__ = __call__
    P.exec_show_docs._wavelet_pos_patched = True


def _show_docs_in_source_order():
    """nbdev 2.4's `add_show_docs` inserts the `show_doc` cells of one cell's names one by one at the same index, so a
    cell that defines `a` and then `b` documents `b` first. Handing it the names reversed puts them in source order."""
    import nbdev.processors as P
    if getattr(P._def_names, '_wavelet_pos_patched', False): return
    orig = P._def_names
    def _def_names(cell, shown): return orig(cell, shown)[::-1]
    _def_names._wavelet_pos_patched = True
    P._def_names = _def_names


def proc_nbs(skip: str | None = None) -> Path:
    "Process the notebooks for docs exactly as `nbdev_proc_nbs` does, minus its Quarto install step."
    os.chdir(ROOT)
    _only_imports_of_mixed_cells()
    _show_docs_in_source_order()
    import nbdev.quarto as q, nbdev.doclinks
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs as _proc
    cfg = get_config()
    q.refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    q.nbdev_sidebar.__wrapped__(path=cfg.nbs_path)
    cache = ROOT/'_proc'   # nbdev reprocesses only notebooks newer than its cache; a change to the processing here redoes all
    force = cache.exists() and Path(__file__).stat().st_mtime > cache.stat().st_mtime
    return Path(_proc(cfg.nbs_path, n_workers=0, force=force, **({'skip_file_re': skip} if skip else {})))


def site_url() -> str:
    "Where the site is published (`doc_host` + `doc_baseurl` of settings.ini), without a trailing slash."
    from nbdev.config import get_config
    cfg = get_config()
    return f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/')


def _hanging_lines(code: str) -> str:
    """The highlighted HTML of one code block with each source line in its own `<span class="code-line">`, whose wrapped
    continuation is indented 4 characters past the line's own indentation (styles.css wraps code instead of scrolling).
    Spans the highlighter opened across a newline (a multi-line string) are closed at the line's end and reopened on the
    next, and every newline stays in the text, so the copy button copies the code unchanged."""
    lines, stack, cur = [], [], []
    for tok in re.split(r'(<[^>]+>)', code):
        if not tok: continue
        if tok.startswith('</'): stack.pop(); cur.append(tok)
        elif tok.startswith('<'):
            cur.append(tok)
            if not tok.endswith('/>'): stack.append(tok)
        else:
            for i, part in enumerate(tok.split('\n')):
                if i:
                    cur.append('\n'); cur += ['</' + re.match(r'<(\w+)', s).group(1) + '>' for s in reversed(stack)]
                    lines.append(''.join(cur)); cur = list(stack)
                cur.append(part)
    tail = ''.join(cur)
    if re.sub(r'<[^>]+>', '', tail): lines.append(tail)
    def wrap(line):
        text = re.sub(r'<[^>]+>', '', line)
        h = len(text) - len(text.lstrip(' ')) + 4
        return f'<span class="code-line" style="padding-left:{h}ch;text-indent:-{h}ch">{line}</span>'
    return ''.join(map(wrap, lines))


_ALIGNED = re.compile(r'\S {2,}\S')   # a gap of two or more spaces inside a line: columns aligned by spaces

def _is_table(text: str) -> bool:
    "Whether a text output is aligned in columns (two or more lines with gaps of 2+ spaces between words): those keep their lines."
    return sum(bool(_ALIGNED.search(l)) for l in re.sub(r'<[^>]+>', '', text).split('\n')) >= 2


_SUP = str.maketrans('0123456789+-npT', '⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿᵖᵀ')
_TEX = {r'^\top': 'ᵀ', r'\times': '×', r'\cdot': '·', r'\theta': 'θ', r'\le': '≤', r'\ge': '≥', r'\psi': 'ψ', r'\ldots': '…'}

def _plain_maths(text: str) -> str:
    "Inline maths `$...$` of a page description as plain text for the `<meta>` tags, which no KaTeX typesets: `$L\\times S$` -> `L×S`."
    def one(m):
        s = m.group(1)
        for tex, u in _TEX.items(): s = re.sub(re.escape(tex) + r'(?![A-Za-z])\s*', u, s)
        s = re.sub(r'\^(\{[0-9+\-npT]+\}|[0-9npT])', lambda g: g.group(1).strip('{}').translate(_SUP), s)
        return re.sub(r'\\[A-Za-z]+\s*|[{}]', '', s)
    return re.sub(r'\$([^$]+)\$', one, text)


def _postprocess(site: Path) -> tuple[int, int]:
    """Fix what nbdev leaves for Quarto in the rendered pages, reading and writing each page once:
    - nbdev links names to this site's pages as absolute URLs of the published site, and leaves them as markdown inside
      the comments of signatures: links to pages that exist here become relative (the site works offline and wherever
      it is served), and the markdown ones become links;
    - a link to an anchor its page lacks (a private name nbdev knows but does not document) keeps its text only;
    - the table of contents repeats each heading as plain text, so maths in a heading showed there as raw LaTeX
      ("L \\times L"): the entry gets the heading's own markup, which KaTeX then typesets.
    - code wraps rather than scrolls (styles.css): each line of a code block gets a hanging indent (`_hanging_lines`), and
      so does each line of a text output, unless the output is a table aligned by spaces (`_is_table`), which scrolls.
    - page descriptions in `<meta>` tags (search engines, link previews) get their maths as plain text (`_plain_maths`).
    Returns (links made relative, contents entries given their maths)."""
    base = site_url() + '/'
    texts = {f: f.read_text() for f in site.glob('*.html')}
    pages, ids = {f.name for f in texts}, {f.name: set(re.findall(r'id="([^"]+)"', t)) for f, t in texts.items()}
    n_links = n_toc = 0
    def local(url):
        nonlocal n_links
        rest = url[len(base):] if url.startswith(base) else None
        if rest is None or rest.split('#')[0] not in pages: return url
        n_links += 1
        return rest
    def md_link(m): return f'<a href="{local(m.group(2))}">{m.group(1)}</a>'
    for f, old in texts.items():
        t = re.sub(r'<span class="co">.*?</span>', lambda m: re.sub(r'\[`([^`\]]+)`\]\(([^)\s]+)\)', md_link, m.group(0)), old, flags=re.S)
        t = re.sub(r'href="(https?://[^"]+)"', lambda m: f'href="{local(m.group(1))}"', t)
        t = re.sub(r'<a href="([\w.-]+\.html)?#([^"]+)">(.*?)</a>',
                   lambda m: m.group(0) if m.group(2) in ids.get(m.group(1) or f.name, ()) else m.group(3), t, flags=re.S)
        heads = dict(re.findall(r'<h[2-6] class="anchored" data-anchor-id="([^"]+)">(.*?)</h[2-6]>', t, flags=re.S))
        def entry(m):
            nonlocal n_toc
            inner = heads.get(m.group(2), '')
            if '<span class="math' not in inner: return m.group(0)
            n_toc += 1
            return m.group(1) + re.sub(r'</?a\b[^>]*>', '', inner) + '</a>'
        t = re.sub(r'(<a href="#([^"]+)" id="toc-[^"]*"[^>]*>)[^<]*</a>', entry, t)
        t = re.sub(r'(<meta (?:name|property)="(?:og:|twitter:)?description" content=")([^"]*)"', lambda m: m.group(1) + _plain_maths(m.group(2)) + '"', t)
        t = re.sub(r'(<pre class="sourceCode[^"]*"><code[^>]*>)(.*?)(</code></pre>)',
                   lambda m: m.group(0) if 'class="code-line"' in m.group(2) else m.group(1) + _hanging_lines(m.group(2)) + m.group(3), t, flags=re.S)
        t = re.sub(r'(<div class="cell-output[^"]*">\s*)<pre><code>(.*?)(</code></pre>)',
                   lambda m: m.group(0) if _is_table(m.group(2)) else f'{m.group(1)}<pre class="wrap"><code>{_hanging_lines(m.group(2))}{m.group(3)}', t, flags=re.S)
        if t != old: f.write_text(t)
    return n_links, n_toc


def _vendor_katex(site: Path) -> bool:
    "Make the site's maths work offline: fetch KaTeX from the npm registry once and point the pages at a local copy."
    cache = Path(os.environ.get('XDG_CACHE_HOME', Path.home()/'.cache'))/'wavelet_pos'/f'katex-{KATEX_VERSION}'
    if not (cache/'katex.min.js').exists():
        if not shutil.which('npm'): return False
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(['npm', 'pack', f'katex@{KATEX_VERSION}', '--silent'], cwd=tmp, capture_output=True, text=True, timeout=120)
            tgz = list(Path(tmp).glob('katex-*.tgz'))
            if r.returncode or not tgz: return False
            with tarfile.open(tgz[0]) as tf:
                members = [m for m in tf.getmembers() if m.name.startswith('package/dist/')]
                tf.extractall(tmp, members=members, filter='data')
            shutil.rmtree(cache, ignore_errors=True); cache.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(Path(tmp)/'package'/'dist', cache)
    shutil.copytree(cache, site/'site_libs'/'katex', dirs_exist_ok=True)
    for page in site.rglob('*.html'):
        html = page.read_text()
        if KATEX_CDN in html:
            rel = os.path.relpath(site/'site_libs'/'katex', page.parent)
            page.write_text(html.replace(KATEX_CDN, rel))
    return True


def _page_names(src: Path, skip: str | None) -> None:
    "Give each processed notebook the file name of its page (`output-file`), as Quarto does, and fix the sidebar."
    sidebar = src/'sidebar.yml'
    text = sidebar.read_text() if sidebar.exists() else ''
    _renames = {}
    if skip: text = ''.join(l for l in text.splitlines(True) if not (l.strip().startswith('- ') and re.search(skip, l.strip()[2:])))
    for nb in sorted(src.glob('*.ipynb')):
        if skip and re.search(skip, nb.name):
            nb.unlink(); text = re.sub(rf'(?m)^\s*- {re.escape(nb.name)}\n', '', text); continue
        raw = next((c for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'raw'), None)
        m = re.search(r'output-file:\s*(\S+)\.html', ''.join(raw['source'])) if raw else None
        if m and m.group(1) != nb.stem:
            _renames[nb.stem] = m.group(1)
            nb.rename(src/f'{m.group(1)}.ipynb'); text = text.replace(f'- {nb.name}\n', f'- {m.group(1)}.ipynb\n')
    if sidebar.exists(): sidebar.write_text(text)
    # links between notebooks name the source files (`03_positions.ipynb`): point them at the renamed pages
    renames = {f'{n}.ipynb': f'{p}.ipynb' for n, p in _renames.items()}
    for nb in src.glob('*.ipynb'):
        t = nb.read_text(); new = re.sub(r'\]\((?:\./)?([\w.-]+\.ipynb)', lambda m: f"]({renames.get(m.group(1), m.group(1))}", t)
        if new != t: nb.write_text(new)


def build(out: str | None = None, skip: str | None = None) -> Path:
    "Build the whole site into `out` (default `_site/`)."
    proc = proc_nbs(skip)
    site = Path(out).resolve() if out else ROOT/'_site'
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)/'src'
        shutil.copytree(proc, src)
        _page_names(src, skip)
        yml = src/'_quarto.yml'
        yml.unlink(); yml.write_text(proc.joinpath('_quarto.yml').read_text().replace('project:\n', f'project:\n  output-dir: "{site}"\n', 1))
        ny = src/'nbdev.yml'   # names its own output dir (_docs); ours above wins
        if ny.exists(): ny.write_text(re.sub(r'(?ms)^project:\n  output-dir:[^\n]*\n', '', ny.read_text()))
        if site.exists(): shutil.rmtree(site)
        r = subprocess.run([sys.executable, '-m', 'smalldocs.cli', 'render', str(src)] if _has_module('smalldocs.cli') else ['smalldocs', 'render', str(src)])
        if r.returncode: sys.exit(r.returncode)
        if not site.exists() and (src/'_site').exists(): shutil.move(str(src/'_site'), site)
    n_links, n_toc = _postprocess(site)
    print('links made local:', n_links, '| contents entries with maths:', n_toc)
    print('maths offline:', 'yes' if _vendor_katex(site) else 'no (npm unavailable; pages load KaTeX from its CDN)')
    print(f'site: {site}/index.html')
    return site


def _has_module(name: str) -> bool:
    import importlib.util
    try: return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError: return False


def _front(nb: dict) -> tuple[str, str]:
    "Title and description from the notebook's first markdown cell (`# Title` + `> description`)."
    for c in nb['cells']:
        if c['cell_type'] == 'markdown':
            src = ''.join(c['source'])
            title = re.search(r'^#\s+(.+)$', src, re.M); desc = re.search(r'^>\s*(.+)$', src, re.M)
            return (title.group(1).strip() if title else ''), (desc.group(1).strip() if desc else '')
    return '', ''


def readme_text() -> str:
    "README.md as nbdev would make it from `nbs/index.ipynb`: hidden cells dropped, code and outputs kept."
    from nbdev.config import get_config
    from nbdev.processors import FilterDefaults
    from execnb.nbio import read_nb, write_nb
    import nbformat
    from nbconvert import MarkdownExporter
    os.chdir(ROOT)
    cfg = get_config()
    src = cfg.nbs_path/cfg.readme_nb
    title, desc = _front(json.loads(src.read_text()))
    nb = read_nb(src)
    os.environ['IN_TEST'] = '1'
    _only_imports_of_mixed_cells()
    try: FilterDefaults()(nb)          # the same processing the docs pages get: hidden cells dropped, ...
    finally: del os.environ['IN_TEST']
    nb.cells = [c for c in nb.cells if c.cell_type != 'raw']   # front matter: we write the header ourselves
    with tempfile.TemporaryDirectory() as tmp:
        write_nb(nb, Path(tmp)/'index.ipynb')
        nbf = nbformat.read(str(Path(tmp)/'index.ipynb'), as_version=4)
    # the page title/description cell becomes the README header
    body_cells = []
    for c in nbf.cells:
        if c.cell_type == 'markdown' and re.match(r'^#\s', c.source) and not body_cells and title:
            continue
        body_cells.append(c)
    nbf.cells = body_cells
    nbf.metadata['language_info'] = {'name': 'python'}   # nbdev_clean strips it; code blocks should say python
    from traitlets.config import Config
    for c in nbf.cells:   # `#| echo: false`: show the output only, as Quarto does
        if c.cell_type == 'code' and re.search(r'^#\|\s*echo:\s*false', c.source, re.M): c.metadata['tags'] = ['remove_input']
    conf = Config(); conf.TagRemovePreprocessor.enabled = True; conf.TagRemovePreprocessor.remove_input_tags = ('remove_input',)
    exp = MarkdownExporter(config=conf); exp.exclude_output = False
    md, res = exp.from_notebook_node(nbf)
    # figures go next to the README, as nbdev_readme does with `index_files/`
    md = re.sub(r'!\[(.*?)\]\((output_[^)]+)\)', lambda m: f'![{m.group(1)}](index_files/figure-commonmark/{m.group(2)})', md)
    figs = {k: v for k, v in res.get('outputs', {}).items()}
    head = f'# {title}\n\n' + (f'> {desc}\n\n' if desc else '')
    # links between pages point at the published site from the README
    site = site_url()
    md = re.sub(r'\]\((?!https?:|#)([\w./-]+\.html(?:#[\w-]*)?)\)', lambda m: f']({site}/{m.group(1)})', md)
    return head + re.sub(r'\n{3,}', '\n\n', md).strip() + '\n', figs


def readme(check: bool = False) -> int:
    md, figs = readme_text()
    path, figdir = ROOT/'README.md', ROOT/'index_files'/'figure-commonmark'
    if check:
        same = path.exists() and path.read_text() == md
        same = same and all((figdir/k).exists() and (figdir/k).read_bytes() == v for k, v in figs.items())
        if not same: print('README.md is out of date with nbs/index.ipynb: run `make readme`', file=sys.stderr)
        return 0 if same else 1
    path.write_text(md)
    if figdir.exists(): shutil.rmtree(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    for k, v in figs.items(): (figdir/k).write_bytes(v)
    print(f'wrote {path} and {len(figs)} figure(s)')
    return 0


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('build', help='build the site'); b.add_argument('--out', default=None)
    b.add_argument('--skip', default=None, help='regex of notebook names to leave out (work in progress)')
    r = sub.add_parser('readme', help='write README.md from nbs/index.ipynb'); r.add_argument('--check', action='store_true')
    a = p.parse_args()
    if a.cmd == 'build': build(a.out, a.skip)
    else: sys.exit(readme(a.check))
