"""The documentation holds together: the README stays short (under 260 lines),
links every page in docs/, and no link in the README, docs/*.md or
tests/README.md points at a file, or a heading, that does not exist.

Links are Markdown inline links, [text](target), outside fenced code blocks;
web addresses are not followed (no network). A target's #fragment must be a
heading of the target page, spelt as GitHub spells heading anchors.
"""

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 260

LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text):
    """The lines of a Markdown text outside fenced code blocks."""
    inside = False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            yield line


def links(path):
    """Every inline link target of a Markdown file, in order."""
    found = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        # Inline code is not a link: `[x](y)` inside backticks stays text.
        line = re.sub(r"`[^`]*`", "", line)
        found.extend(LINK.findall(line))
    return found


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped
    (letters, digits, '_' and '-' stay), spaces become '-'."""
    text = heading.strip().lower()
    kept = []
    for ch in text:
        if ch in " -_" or unicodedata.category(ch)[0] in "LN":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings (duplicates get -1, -2, ...)."""
    seen = {}
    result = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


def linked_files(path):
    """The files a Markdown file links to (resolved paths)."""
    return {(path.parent / t.partition("#")[0]).resolve()
            for t in links(path) if t.partition("#")[0]}


def broken_links(path, root=ROOT):
    """The links of `path` whose file or heading does not exist, with why
    (paths shown relative to `root`)."""
    problems = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, fragment = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{path.relative_to(root)}: link to {target}: no such file")
            continue
        if fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            problems.append(f"{path.relative_to(root)}: link to {target}: no heading "
                            f"'#{fragment}' in {dest.relative_to(root)}")
    return problems


def checked_pages():
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    tests_readme = ROOT / "tests" / "README.md"
    if tests_readme.exists():
        pages.append(tests_readme)
    return pages


def test_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n < MAX_README_LINES, (
        f"README.md has {n} lines; keep it under {MAX_README_LINES} and move reference "
        f"material to docs/")


def test_every_docs_page_is_linked_from_the_readme():
    linked = linked_files(README)
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert pages, "docs/ has no pages"
    missing = [str(p.relative_to(ROOT)) for p in pages if p.resolve() not in linked]
    assert not missing, f"README.md does not link {', '.join(missing)}"


def test_the_readme_links_the_other_guides():
    linked = linked_files(README)
    for guide in ("tests/README.md", "engine/FORMAT.md", "bench/RESULTS.md"):
        assert (ROOT / guide).resolve() in linked, f"README.md does not link {guide}"


def test_no_link_is_broken():
    problems = [p for page in checked_pages() for p in broken_links(page)]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_should(tmp_path):
    # The helpers themselves, on a page made to be wrong: a missing file, a
    # missing heading, a link inside code (ignored) and a web address (ignored).
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# The `lightning` VFS: compressed\n\n## Limitations\n")
    page.write_text(
        "[a](missing.md) [b](other.md#limitations) [c](other.md#nope)\n"
        "[d](other.md#the-lightning-vfs-compressed) [e](https://example.org/x)\n"
        "`[f](ignored.md)`\n```\n[g](also-ignored.md)\n```\n")
    problems = broken_links(page, root=tmp_path)
    assert problems == [
        "page.md: link to missing.md: no such file",
        "page.md: link to other.md#nope: no heading '#nope' in other.md",
    ]
    assert slug("`lightning_bench(workload, n [, value_size [, threads]])`") == \
        "lightning_benchworkload-n--value_size--threads"
