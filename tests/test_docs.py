"""The documentation site, checked as a person would see it: built offline, opened in headless Chromium.

Every notebook has a page with its title; every figure is a decoded image; every internal link resolves;
maths is typeset (KaTeX runs) on pages that have maths. Screenshots of every page go to `_screenshots/`.
"""
import functools, http.server, json, os, re, shutil, subprocess, sys, threading
from pathlib import Path
from urllib.parse import unquote
import pytest
from conftest import ROOT

CHROMIUM, DRIVER = shutil.which('chromium'), shutil.which('chromedriver')
if not (CHROMIUM and DRIVER):
    if os.environ.get('CI'): pytest.fail('Chromium and ChromeDriver are required in CI (apt-get install chromium chromium-driver)', pytrace=False)
    pytest.skip('Chromium/ChromeDriver not installed (make setup installs them)', allow_module_level=True)


def _pages():
    from nbdev.frontmatter import _nbpath2html
    out = []
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        md = next(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
        title = re.search(r'^#\s+(.+)$', md, re.M).group(1).strip()
        has_math = any(c['cell_type'] == 'markdown' and '$' in ''.join(c['source']) for c in cells)
        out.append((nb.name, _nbpath2html(nb).name, title, has_math))
    return out

PAGES = _pages()


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')/'_site'
    r = subprocess.run([sys.executable, 'tools/docs.py', 'build', '--out', str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown()


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--window-size=1280,2000']:
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def test_every_notebook_has_a_page(site):
    out, _ = site
    missing = [html for _, html, _, _ in PAGES if not (out/html).exists()]
    assert not missing, f'pages missing from the site: {missing}'


@pytest.mark.parametrize('nb,html,title,has_math', PAGES, ids=[p[0] for p in PAGES])
def test_page_in_browser(site, browser, nb, html, title, has_math):
    out, url = site
    browser.get(f'{url}/{html}')
    import time
    for _ in range(50):   # wait for deferred scripts (KaTeX) to finish
        if browser.execute_script('return document.readyState') == 'complete' and (not has_math or browser.execute_script("return document.querySelectorAll('.katex').length") > 0): break
        time.sleep(0.1)
    shots = ROOT/'_screenshots'; shots.mkdir(exist_ok=True)
    browser.save_screenshot(str(shots/f'{Path(html).stem}.png'))
    h1 = browser.execute_script("var h=document.querySelector('h1'); return h ? h.textContent.trim() : ''")
    assert h1 == title, f'{html}: title {h1!r}, expected {title!r}'
    assert title in browser.title
    # the sidebar lists every page
    side = browser.execute_script("return Array.from(document.querySelectorAll('#quarto-sidebar a, .sidebar a')).map(a => a.getAttribute('href'))")
    for _, other, _, _ in PAGES: assert any(h and h.split('#')[0].endswith(other) for h in side), f'{html}: sidebar lacks {other}'
    # figures: every <img> decoded to a real picture
    imgs = browser.execute_script("return Array.from(document.images).map(i => [i.getAttribute('src') || '', i.complete, i.naturalWidth])")
    bad = [s[:80] for s, complete, w in imgs if not (complete and w > 0)]
    assert not bad, f'{html}: images that did not load: {bad}'
    src = json.loads((ROOT/'nbs'/nb).read_text())
    n_figs = sum('image/png' in o.get('data', {}) for c in src['cells'] for o in c.get('outputs', []))
    assert len(imgs) >= n_figs, f'{html}: {n_figs} figures in the notebook, {len(imgs)} images on the page'
    # maths typeset
    if has_math: assert browser.execute_script("return document.querySelectorAll('.katex').length") > 0, f'{html}: maths not typeset'
    wide = browser.execute_script("return Array.from(document.querySelectorAll('.katex-display')).filter(e => e.scrollWidth > e.clientWidth + 2).map(e => e.textContent.slice(0, 60))")
    assert not wide, f'{html}: display maths wider than the text column at 1280 px (break it into lines): {wide}'
    # code and text outputs wrap with a hanging indent instead of hiding their ends, and the copy button (innerText) still
    # copies them unchanged; only text tables aligned by spaces (two lines or more with gaps of 2+ spaces) keep their lines and scroll
    for what, sel, tables_scroll in (('code blocks', 'pre.sourceCode > code', False), ('text outputs', '.cell-output pre:not(.sourceCode) > code', True)):
        wide, copy = browser.execute_script("""const c = Array.from(document.querySelectorAll(arguments[0])), tablesScroll = arguments[1];
            const table = e => e.textContent.split('\\n').filter(l => /\\S {2,}\\S/.test(l)).length >= 2;
            return [c.filter(e => e.parentElement.scrollWidth > e.parentElement.clientWidth + 2 && !(tablesScroll && table(e))).map(e => e.textContent.slice(0, 60)),
                    c.filter(e => e.innerText.replace(/\\n$/, '') !== e.textContent.replace(/\\n$/, '')).map(e => e.textContent.slice(0, 60))]""", sel, tables_scroll)
        assert not wide, f'{html}: {what} that scroll at 1280 px{" (not tables)" if tables_scroll else ""}: {wide}'
        assert not copy, f'{html}: {what} whose copied text differs: {copy}'
    # internal links resolve to files of the site
    hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    broken = []
    for h in hrefs:
        if not h.startswith(url): continue
        path = h[len(url):].split('#')[0].split('?')[0].lstrip('/') or 'index.html'
        frag = unquote(h.split('#', 1)[1]) if '#' in h else ''
        if not (out/path).exists(): broken.append(path)
        elif frag and f'id="{frag}"' not in _html(out/path): broken.append(f'{path}#{frag}')
    assert not broken, f'{html}: broken internal links {sorted(set(broken))}'


@functools.lru_cache(maxsize=None)
def _html(path: Path) -> str: return path.read_text()


def _docs():
    "tools/docs.py as a module."
    if str(ROOT/'tools') not in sys.path: sys.path.insert(0, str(ROOT/'tools'))
    import docs
    return docs


def test_links_to_own_pages_are_local(site):
    "nbdev writes links to the site's own pages as absolute URLs of the published site, and as markdown inside signatures' comments: both are fixed."
    site_url = _docs().site_url
    base = site_url() + '/'
    out, _ = site
    bad = {p.name: n for p in out.glob('*.html') if (n := _html(p).count(f'href="{base}') + len(re.findall(r'<span class="co">[^<]*\[`', _html(p))))}
    assert not bad, f'absolute or markdown links to this site left in: {bad}'
    assert '<a href="fast_attention.html#crossover">crossover</a>' in _html(out/'fast_attention.html')   # a name in a signature's comment


def test_api_docs_in_source_order(site):
    "The documentation of the names one cell defines comes in the order they are defined (nbdev 2.4 reverses it)."
    out, _ = site
    t = _html(out/'fast_attention.html')
    pos = [t.find(f'id="{n}"') for n in ('peak_memory', 'round_robin', 'main', 'crossover', 'fast_threshold')]
    assert -1 not in pos and pos == sorted(pos), pos


def test_contents_entries_keep_their_maths(site):
    "A heading with maths keeps it in the page's table of contents (typeset there too), not raw LaTeX."
    out, _ = site
    toc = re.findall(r'<a href="#[^"]+" id="toc-[^"]*"[^>]*>(.*?)</a>', _html(out/'fast_attention.html'), flags=re.S)
    mem = [e for e in toc if e.startswith('Memory: nothing of size')]
    assert mem and '<span class="math inline">' in mem[0], mem
    assert not [e for e in toc if '\\times' in e and '<span class="math' not in e]


def test_hanging_lines():
    "Each source line becomes one span; a highlighter span that crosses a newline is closed and reopened; the text is unchanged."
    _hanging_lines = _docs()._hanging_lines
    code = 'def f():\n    s = <span class="st">"""a\nb"""</span>\n\n    <a href="x.html#f">f</a>()'
    out = _hanging_lines(code)
    lines = re.findall(r'<span class="code-line" style="padding-left:(\d+)ch;text-indent:-(\d+)ch">', out)
    assert [int(a) for a, b in lines] == [4, 8, 4, 4, 8] and all(a == b for a, b in lines)
    assert re.sub(r'<[^>]+>', '', out) == re.sub(r'<[^>]+>', '', code)
    assert out.count('<span') == out.count('</span>') and out.count('<a ') == out.count('</a>')
    assert '<span class="st">"""a\n</span></span><span class="code-line" style="padding-left:4ch;text-indent:-4ch"><span class="st">b"""' in out


def test_is_table():
    "Text outputs aligned in columns by spaces keep their lines (they scroll); sentences, commands and indented lines wrap."
    _is_table = _docs()._is_table
    assert _is_table('L     fwd   bwd\n1024  1.2   1.3\n')
    assert _is_table('<span class="ansi">a  b</span>\nc  d')   # markup does not count
    assert not _is_table('trained 300 steps in 89 s; 4.4M parameters\n    ours: holds (5 seeds)')
    assert not _is_table('one  gap on one line only\nthe rest wraps')


def test_descriptions_without_raw_maths(site):
    "Link previews and search engines read `<meta>` descriptions, where no KaTeX runs: their maths is plain text."
    out, _ = site
    raw = {f.name: m for f in out.glob('*.html')
           for m in re.findall(r'<meta (?:name|property)="(?:og:|twitter:)?description" content="([^"]*)"', f.read_text()) if re.search(r'\$[^$]+\$', m)}
    assert not raw, f'descriptions with raw LaTeX: {raw}'
    _plain_maths = _docs()._plain_maths
    assert _plain_maths(r'in $Q^pT^\top$, $L\times S$ and $2^{10}$; costs $5') == 'in QᵖTᵀ, L×S and 2¹⁰; costs $5'
