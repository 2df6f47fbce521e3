"""Check every relative link, and its #anchor, in README.md, examples/README.md and docs/**/*.md.

Run from anywhere:  python tools/check_links.py [REPO_ROOT]
An anchor resolves to an explicit <a id="..."> or a heading's GitHub slug.
docs/source/live-streaming-categories.md (the source page, kept as received)
is not checked. Exits 1 and lists the problems if any link is broken.
"""

import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent).resolve()
files = [
    root / "README.md",
    root / "examples" / "README.md",
    *sorted(p for p in (root / "docs").rglob("*.md") if p.name != "live-streaming-categories.md"),
]
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HREF = re.compile(r'<a\s+href="([^"]+)"')


def strip_code(text):
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def slug(h):
    h = h.strip().lower()
    h = re.sub(r"<[^>]+>", "", h)
    h = re.sub(r"[`*_\[\]()]", "", h)
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    text = path.read_text(encoding="utf-8")
    ids = set(re.findall(r'<a\s+id="([^"]+)"', text))
    seen: dict[str, int] = {}
    for line in re.sub(r"```.*?```", "", text, flags=re.S).splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            ids.add(s if n == 0 else f"{s}-{n}")
    return ids


bad = 0
count = 0
for f in files:
    text = strip_code(f.read_text(encoding="utf-8"))
    targets = LINK.findall(text) + HREF.findall(text)
    for t in targets:
        if re.match(r"[a-z]+:", t):
            continue
        count += 1
        path, _, frag = t.partition("#")
        target = (f.parent / path).resolve() if path else f
        if not target.exists():
            print(f"{f.relative_to(root)}: missing file {t}")
            bad += 1
            continue
        if frag and target.suffix == ".md" and frag not in anchors(target):
            print(f"{f.relative_to(root)}: missing anchor {t}")
            bad += 1
    # duplicate explicit ids in one file
    ids = re.findall(r'<a\s+id="([^"]+)"', f.read_text(encoding="utf-8"))
    for d in {i for i in ids if ids.count(i) > 1}:
        print(f"{f.relative_to(root)}: duplicate id {d}")
        bad += 1
print(f"{len(files)} files, {count} relative links, {bad} problems")
sys.exit(1 if bad else 0)
