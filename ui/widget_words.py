"""Streamlit's own words, in the person's language.

Streamlit (1.67) writes some words itself, in English, with no option to change them. In a
French page they were read out, or shown, in English:
- the photo uploader: its button ("Upload"), its limit ("25MB per file"), each file's size
  ("12.5KB"), and for screen readers "file upload", "Add files", "Remove <name>" and
  "<name>, 12.5KB";
- the camera: its buttons ("Take Photo", "Clear photo"), its permission request, "Switch
  camera", and its photo's alternative text ("Snapshot");
- charts: "visualization" for screen readers, the labels Vega writes inside a chart ("X-axis
  titled ... for a linear scale", "bar mark container"), and the toolbar's "Show data",
  "Download as PNG", "Copy Vega-Lite spec", "Fullscreen";
- everywhere: "Skip to main content", "Sidebar", "Collapse sidebar", "Help for <label>",
  "Fullscreen: <photo>", "Show password", "Press Enter to submit form", "Choose an option",
  and a date's "dd / mm / yyyy", "Choose date" and "month, <label>".

What is drawn in the uploader is changed by CSS (``uploader_css``). The rest are attributes
and text that CSS cannot reach: ``page_script()`` is a script in the page itself (Home.py
draws it on every page with ui.layout's), with these words in the person's language; it sets
them whenever Streamlit draws its elements anew, and touches only these known words.
Charts: every chart has a description in the person's language (ui.charts.spec); in another
language than English, Vega's English labels inside it are hidden from screen readers, which
read the chart by that description.
"""

from __future__ import annotations

import functools
import html
import json

from core.i18n import (
    LANGUAGES,
    _,
    current_language,
    format_file_size,
    use_language,
)

# One observer for the page, reading the newest words (st.html runs the script again when
# its words change: the language was switched). Attributes are found by CSS selectors built
# from the English they hold, so a page already in the person's language costs one query.
_PAGE_JS = """
(() => {
  const words = (window.__secondeMainWords ??= { data: null, observer: null });
  words.data = DATA;
  const quote = (text) => JSON.stringify(text);
  const apply = () => {
    const data = words.data;
    const set = (node, name, value) => {
      if (node.getAttribute(name) !== value) node.setAttribute(name, value);
    };
    for (const [name, table] of Object.entries(data.exact)) {
      const keys = Object.keys(table);
      if (!keys.length) continue;
      const selector = keys.map((k) => `[${name}=${quote(k)}]`).join(",");
      for (const node of document.querySelectorAll(selector)) {
        set(node, name, table[node.getAttribute(name)]);
      }
    }
    for (const [name, english, ours] of data.prefixed) {
      for (const node of document.querySelectorAll(`[${name}^=${quote(english)}]`)) {
        // split/join: the rest (a photo's title) may hold "$&", which replace() would expand
        set(node, name, ours.split("{}").join(node.getAttribute(name).slice(english.length)));
      }
    }
    // an uploader's button and file input: named by the words CSS draws on the button
    // (uploader_css), which screen readers and axe do not read from ::after
    for (const box of document.querySelectorAll('[data-testid="stFileUploaderDropzone"]')) {
      const button = box.querySelector('button[kind="secondary"]');
      const drawn = button?.querySelector('[data-testid="stMarkdownContainer"]');
      const content = drawn ? getComputedStyle(drawn, "::after").content : "none";
      const name = content.startsWith('"') ? JSON.parse(content) : data.choose;
      if (button) set(button, "aria-label", name);
      for (const input of box.querySelectorAll('input[type="file"]')) {
        set(input, "aria-label", name);
      }
    }
    // a file's name and size, as the page shows them (uploader_css writes each file's size,
    // formatted by Babel, in a hidden element): Streamlit's reads "pull.jpg, 2.1KB"
    const sizes = {};
    for (const held of document.querySelectorAll("[data-file-sizes]")) {
      Object.assign(sizes, JSON.parse(held.getAttribute("data-file-sizes")));
    }
    for (const chip of document.querySelectorAll('[data-testid="stFileChip"]')) {
      const name = chip.querySelector('[data-testid="stFileChipName"]')?.getAttribute("title");
      if (name === undefined || name === null) continue;
      if (sizes[name] !== undefined) set(chip, "aria-label", `${name}, ${sizes[name]}`);
      else if (!data.english) set(chip, "aria-label", name);  // no English "KB" left
    }
    for (const [scope, table] of Object.entries(data.texts)) {
      for (const root of document.querySelectorAll(scope)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const word = node.data.trim();
          if (table[word] !== undefined) node.data = node.data.split(word).join(table[word]);
        }
      }
    }
    if (!data.english) {  // Vega's labels inside a chart: English only
      for (const svg of document.querySelectorAll(
        '[data-testid="stVegaLiteChart"] > svg:not([aria-hidden="true"])'
      )) svg.setAttribute("aria-hidden", "true");
    }
  };
  if (words.observer === null) {
    let pending = false;  // once a frame, however many changes Streamlit makes in it
    words.observer = new MutationObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        apply();
      });
    });
    words.observer.observe(document.body, {
      childList: true, subtree: true, characterData: true, attributes: true,
      attributeFilter: ["aria-label", "placeholder", "alt", "aria-roledescription"],
    });
  }
  apply();
})();
"""


def _ours() -> dict:
    """Streamlit's English (as its frontend writes it) -> ours, in the current language."""
    return {
        "aria-label": {
            "Skip to main content": _("Skip to the page's content"),
            "Sidebar": _("Side menu"),
            "Collapse sidebar": _("Close the menu"),
            "Expand sidebar": _("Open the menu"),
            "Show password": _("Show the password"),
            "Hide password": _("Hide the password"),
            "Choose date": _("Choose a date"),
            "Show data": _("Show the data"),
            "Download as PNG": _("Download as PNG"),
            "Copy Vega-Lite spec": _("Copy the chart's Vega-Lite spec"),
            "Fullscreen": _("Full screen"),
            "Close fullscreen": _("Close full screen"),
            "Exit fullscreen": _("Leave full screen"),
            "Add files": _("Add photos"),
            "Switch camera": _("Switch camera"),
            "Open": _("Open"),
            "Clear all": _("Clear all"),
        },
        "placeholder": {"Choose an option": _("Choose an option")},
        "alt": {"Snapshot": _("The photo just taken")},
        "aria-roledescription": {"visualization": _("chart")},
        # "<english>{}": ours, "{}" the rest of the label (a field's name, a photo's)
        "prefixed": {
            "Help for {}": _("Help: {}"),
            "Fullscreen: {}": _("Full screen: {}"),
            "Remove {}": _("Remove {}"),
            "month, {}": _("month, {}"),
            "day, {}": _("day, {}"),
            "year, {}": _("year, {}"),
        },
        '[data-testid="stSkipToContent"]': {
            "Skip to main content": _("Skip to the page's content"),
        },
        '[data-testid="InputInstructions"]': {
            "Press Enter to submit form": _("Press Enter to send the form"),
            "Press Enter to apply": _("Press Enter to apply"),
        },
        '[data-testid="stCameraInput"]': {
            "Take Photo": _("Take the photo"),
            "Clear photo": _("Clear the photo"),
            "Uploading...": _("Sending the photo…"),
            "This app would like to use your camera.": _(
                "To take photos, allow this site to use your camera."
            ),
            "Learn how to allow access.": _("How to allow it."),
        },
        '[data-testid="stDateInput"]': {"dd": _("dd"), "mm": _("mm"), "yyyy": _("yyyy")},
    }


_ATTRIBUTES = ("aria-label", "placeholder", "alt", "aria-roledescription")
_TEXTS = (
    '[data-testid="stSkipToContent"]',
    '[data-testid="InputInstructions"]',
    '[data-testid="stCameraInput"]',
    '[data-testid="stDateInput"]',
)


def _words() -> dict:
    """The script's data: Streamlit's English and every language's words for it -> the
    current language's, Streamlit's own in English (so that a switch of language changes
    the words already set), the pairs that would change nothing left out."""
    here = current_language()
    said_in: dict[str, dict] = {}  # language -> what the script sets in it: its words
    for code in LANGUAGES:
        with use_language(code):
            said_in[code] = _ours()

    def words_in(code: str, group: str, english: str) -> str:
        return english if code == "en" else said_in[code][group][english]  # English: Streamlit's

    def towards(group: str) -> dict[str, str]:
        pairs = {}
        for english in said_in[here][group]:
            for said in {english, *(words_in(code, group, english) for code in LANGUAGES)}:
                if said != words_in(here, group, english):
                    pairs[said] = words_in(here, group, english)
        return pairs

    prefixed = []
    for english in said_in[here]["prefixed"]:
        mine = words_in(here, "prefixed", english)
        for said in {english, *(words_in(code, "prefixed", english) for code in LANGUAGES)}:
            if said != mine and said.endswith("{}"):
                prefixed.append(("aria-label", said[:-2], mine))
    return {
        "exact": {name: towards(name) for name in _ATTRIBUTES},
        "prefixed": prefixed,
        "texts": {scope: towards(scope) for scope in _TEXTS},
        "choose": _("Choose photos"),  # an uploader's name until its CSS is there
        "english": here == "en",
    }


def page_script() -> str:
    """The script that puts Streamlit's own words in the person's language (module doc)."""
    return _script_in(current_language())


@functools.cache
def _script_in(language: str) -> str:
    with use_language(language):
        data = json.dumps(_words(), ensure_ascii=False, separators=(",", ":"))
    return "<script>" + _PAGE_JS.replace("DATA", embedded_json(data), 1) + "</script>"


def embedded_json(data: str) -> str:
    """JSON ``data`` safe inside a <script> element: every "<" as its JSON escape, so that
    no word ("</script>", "<!--") can end the script or open a comment."""
    return data.replace("<", "\\u003c")


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes, backslashes, angle brackets (no "</style>")
    and control characters as CSS escapes."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'


def uploader_html(
    upload_key: str, chips: dict[str, int], *, button: str | None = None, limit: str | None = None
) -> str:
    """For st.html, next to the uploader keyed ``upload_key``: its CSS (``uploader_css``) and
    its files' sizes as the page shows them, for the page's script (``page_script``) to
    name each file for screen readers the same way (in an element that takes no room: a
    <style> alone does not, Streamlit hides it)."""
    sizes = {name: format_file_size(size) for name, size in chips.items()}
    held = html.escape(json.dumps(sizes), quote=True)
    hide = '[data-testid="stElementContainer"]:has([data-file-sizes]) {display: none;}'
    return (
        f"<style>{hide}\n{uploader_css(upload_key, sizes, button=button, limit=limit)}</style>"
        f'<div hidden data-file-sizes="{held}"></div>'
    )


def uploader_css(
    upload_key: str, sizes: dict[str, str], *, button: str | None = None, limit: str | None = None
) -> str:
    """The uploader keyed ``upload_key`` in the person's language: its button ("Upload")
    and each file's size ("260.2KB"; ``sizes``: name -> our size, formatted) are hidden and
    ours written in their place (``::after``; the button's: ``button``, or "Choose photos").
    Its limit ("200MB per file") becomes ``limit``, or is hidden when the page's own caption
    says it. Their names for screen readers: ``page_script()``."""
    label = button or _("Choose photos")  # outside the f-string: Babel finds it there
    scope = f".st-key-{upload_key}"
    size_text = '[data-testid="stFileChipName"] + div'
    instructions = f'{scope} [data-testid="stFileUploaderDropzoneInstructions"]'
    rules = [
        f'{scope} [data-testid="stFileUploaderDropzone"] button p {{display: none;}}',
        f'{scope} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
        f"::after {{content: {_css_string(label)};}}",
        f"{scope} {size_text} {{font-size: 0;}}",
    ]
    if limit is None:
        rules.append(f"{instructions} {{display: none;}}")
    else:
        rules.append(f"{instructions} span {{font-size: 0;}}")
        rules.append(
            f"{instructions} span::after {{font-size: 0.75rem; content: {_css_string(limit)};}}"
        )
    for name, size in sizes.items():
        chip = f'{scope} [data-testid="stFileChip"]:has([title={_css_string(name)}])'
        content = _css_string(size)
        rules.append(f"{chip} {size_text}::after {{font-size: 0.75rem; content: {content};}}")
    return "\n".join(rules)
