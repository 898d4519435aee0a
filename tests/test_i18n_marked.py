"""Every string the app shows is marked for translation (so it is in the catalogue).

A static check of the code, file by file: a literal (or an f-string with words in it) given
to a Streamlit element, to a page link, or to an error meant for people
(``core.errors.UserError`` and its subclasses) must be wrapped in ``_()``, ``ngettext()``,
``pgettext()`` (or be a constant marked with ``N_()``). Text without words (icons,
markdown marks, placeholders only) needs no translation. It names each string it finds by
file and line; tests/core/test_i18n.py checks that every marked string has its French.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = sorted(
    [ROOT / "Home.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
)
CORE_FILES = sorted(p for p in (ROOT / "core").rglob("*.py") if "tokens" not in p.name)

# Streamlit calls whose text arguments people read (positional or these keywords)
SHOWN = {
    "title", "header", "subheader", "markdown", "caption", "text", "write", "button",
    "link_button", "page_link", "link", "info", "warning", "error", "success", "toast",
    "metric", "selectbox", "radio", "text_input", "text_area", "number_input", "checkbox",
    "toggle", "segmented_control", "pills", "tabs", "expander", "popover",
    "form_submit_button", "download_button", "file_uploader", "camera_input", "chat_input",
    "slider", "select_slider", "multiselect", "date_input", "spinner", "status", "dialog",
    "badge", "exception", "set_page_config", "Page", "chat_message",
}  # fmt: skip
TEXT_KEYWORDS = {"label", "help", "placeholder", "title", "body", "page_title", "caption", "value"}
MARKERS = {"_", "ngettext", "pgettext", "N_"}
_NO_WORDS = re.compile(r":material/[a-z_]+:|[^A-Za-zÀ-ÿ]")
# a code an error carries beside its message (AccountError("display_name", _("..."))): the
# name of a field, never a sentence
_CODE = re.compile(r"[a-z][a-z0-9_]*")


def has_words(text: str) -> bool:
    """True when ``text`` holds letters once icons and marks are out ("**", ":material/x:")."""
    return len(_NO_WORDS.sub("", text)) >= 2


def literal_words(node: ast.AST) -> bool:
    """A literal or f-string with words of its own (not only placeholders)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return has_words("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    if isinstance(node, ast.BinOp):  # "a" + "b"
        return literal_words(node.left) or literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return literal_words(node.body) or literal_words(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):  # st.tabs(["A", "B"])
        return any(literal_words(e) for e in node.elts)
    return False


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


@functools.cache  # the same for every file checked: parsed once per test process
def user_error_names() -> frozenset[str]:
    """``UserError`` and every class of core/ that derives from it (however deep)."""
    bases: dict[str, set[str]] = {}
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {n for b in node.bases if (n := _name(b))}
    found = {"UserError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return frozenset(found)
        found |= more


def is_log_call(func: ast.AST) -> bool:
    """``_log.exception("...")``, ``logging.getLogger(x).info(...)``: lines for the server's
    log, read by whoever runs it, in English (``st.exception`` and the like are not)."""
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if isinstance(owner, ast.Call):
        return _name(owner.func) == "getLogger"
    return isinstance(owner, ast.Name) and owner.id.lstrip("_") in {"log", "logger", "logging"}


def unmarked(path: Path, calls: set[str], *, codes: bool = False) -> list[str]:
    """The literals with words given to ``calls`` in ``path`` without a marker (``codes``:
    lower-case identifiers, the field names errors carry, are not text)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in calls:
            continue
        if is_log_call(node.func):
            continue
        args = list(node.args) + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for arg in args:
            if codes and isinstance(arg, ast.Constant) and _CODE.fullmatch(str(arg.value)):
                continue
            if literal_words(arg):
                text = ast.get_source_segment(path.read_text(encoding="utf-8"), arg) or ""
                found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {text[:70]}")
    return found


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_a_page_shows_is_marked(path):
    found = unmarked(path, SHOWN)
    assert not found, "strings shown without _():\n" + "\n".join(found)


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_of_an_error_for_people_is_marked(path):
    found = unmarked(path, user_error_names(), codes=True)
    assert not found, "error messages without _():\n" + "\n".join(found)


def test_the_check_finds_what_it_should():
    assert has_words("Add to cart") and not has_words("**") and not has_words(":material/add:")
    assert not has_words(" · ") and has_words("Sold {n}")
    code = ast.parse('st.button("Buy")\nst.button(_("Buy"))\nst.markdown(f"**{x}**")')
    calls = [n for n in ast.walk(code) if isinstance(n, ast.Call) and _name(n.func) == "button"]
    assert [literal_words(c.args[0]) for c in calls] == [True, False]
    logged = ast.parse('_log.exception("failed")\nst.exception("Shown")').body
    assert [is_log_call(line.value.func) for line in logged] == [True, False]
    assert _CODE.fullmatch("display_name") and not _CODE.fullmatch("Enter a name.")


def marked_inside_fstrings(source: str) -> list[int]:
    """Lines where a marker is called with a literal inside an f-string's braces: Babel's
    extractor does not look there, so the string never reaches the catalogue and stays in
    English (``f"{_('Choose photos')}"`` did)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _name(inner.func) in MARKERS
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    lines.append(inner.lineno)
    return lines


@pytest.mark.parametrize("path", UI_FILES + CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_string_to_translate_hides_in_an_f_string(path):
    lines = marked_inside_fstrings(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)}: _() inside an f-string on lines {lines}"


def test_the_f_string_check_finds_what_it_should():
    assert marked_inside_fstrings("f\"content: {css(_('Choose photos'))}\"") == [1]
    assert marked_inside_fstrings("label = _('Choose photos')\nf'{label}'\nf'{_(NAME)}'") == []
