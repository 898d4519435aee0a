"""Streamlit's own words in its file uploader, camera and charts, in the person's language.

Streamlit (1.67) writes some words of these two widgets itself, in English, with no option
to change them: the uploader's button ("Upload"), its limit ("200MB per file"), each file's
size ("12.5KB") and the ARIA labels screen readers read ("file upload", "Add files",
"Remove <name>", "<name>, 12.5KB"); the camera's buttons ("Take Photo", "Clear photo"),
its permission request, its switch ("Switch camera") and its photo's alternative text
("Snapshot"); a chart's kind for screen readers ("visualization", Vega's) and the labels
Vega writes inside it ("X-axis titled ... for a linear scale", "bar mark container"): in
another language than English these are hidden from screen readers, which read the chart
by its description (ui.charts.spec). A French page read them all out in English.

What is drawn is changed by CSS (``uploader_css``: hidden, and ours written in its place).
Attributes and the camera's text are out of CSS's reach: ``words()`` draws a component
whose few lines of JavaScript run in the page (same origin), set those attributes and
texts to ours, and again whenever Streamlit draws the widgets anew. They touch only the
known words of these two widgets; the uploader's files and the camera's picture are
untouched.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import _, current_language, format_file_size

_WORDS_JS = """
export default function ({ data }) {
  // Streamlit calls this again whenever ``data`` changes (a file added: its size), without
  // the previous call's cleanup: one observer for the page, reading the newest words, so
  // that no older call's words are ever set against them.
  const words = (window.__secondeMainWords ??= { data, observer: null });
  words.data = data;
  const set = (node, name, value) => {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  };
  const retext = (root, camera) => {  // the camera's words are text nodes of its buttons
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const word = node.data.trim();
      const ours = camera[word];
      if (ours !== undefined && ours !== word) node.data = node.data.replace(word, ours);
    }
  };
  const apply = () => {
    const data = words.data;
    for (const box of document.querySelectorAll('[data-testid="stFileUploader"]')) {
      for (const input of box.querySelectorAll('input[type="file"]')) {
        set(input, "aria-label", data.choose);
      }
      for (const button of box.querySelectorAll(
        '[data-testid="stFileUploaderDropzone"] button[kind="secondary"]'
      )) set(button, "aria-label", data.choose);
      for (const button of box.querySelectorAll('button[kind="borderlessIcon"]')) {
        set(button, "aria-label", data.add);
      }
      for (const chip of box.querySelectorAll('[data-testid="stFileChip"]')) {
        const shown = chip.querySelector('[data-testid="stFileChipName"]');
        const name = shown?.getAttribute("title") ?? "";
        const size = data.sizes[name];
        set(chip, "aria-label", size ? `${name}, ${size}` : name);
        const remove = chip.querySelector('[data-testid="stFileChipDeleteBtn"] button');
        if (remove) set(remove, "aria-label", data.remove.replace("{name}", name));
      }
    }
    for (const chart of document.querySelectorAll(
      '[data-testid="stVegaLiteChart"][role="graphics-document"]'
    )) {
      set(chart, "aria-roledescription", data.chart);
      // Vega's own labels inside ("group mark container"...), English whatever the spec
      // says (ui.charts.spec): read the chart by its description alone
      if (data.chartInside === false) {
        for (const svg of chart.querySelectorAll(":scope > svg")) set(svg, "aria-hidden", "true");
      }
    }
    for (const camera of document.querySelectorAll('[data-testid="stCameraInput"]')) {
      retext(camera, data.camera);
      for (const img of camera.querySelectorAll("img")) set(img, "alt", data.snapshot);
      for (const button of camera.querySelectorAll(
        '[data-testid="stCameraInputSwitchButton"] button'
      )) set(button, "aria-label", data.switch);
    }
  };
  if (words.observer === null) {
    words.observer = new MutationObserver(apply);
    words.observer.observe(document.body, {
      childList: true, subtree: true, characterData: true,
      attributes: true,
      attributeFilter: ["aria-label", "alt", "aria-roledescription", "aria-hidden"],
    });
  }
  apply();
}
"""
_words = st.components.v2.component("seconde_main.widget_words", js=_WORDS_JS)


def camera_words() -> dict[str, str]:
    """The camera's English words (as Streamlit 1.67 writes them) -> ours."""
    return {
        "Take Photo": _("Take the photo"),
        "Clear photo": _("Clear the photo"),
        "Uploading...": _("Sending the photo…"),
        "This app would like to use your camera.": _(
            "To take photos, allow this site to use your camera."
        ),
        "Learn how to allow access.": _("How to allow it."),
    }


def words(key: str, sizes: dict[str, int] | None = None, *, choose: str | None = None) -> None:
    """Draw the component that puts the page's uploaders, camera and charts in the person's
    language (one per page is enough: it watches the whole page); ``sizes``: the uploaded
    files' names -> bytes, read out with their names; ``choose``: the uploaders' button."""
    _words(
        key=key,
        data={
            "choose": choose or _("Choose photos"),
            "add": _("Add photos"),
            "remove": _("Remove {name}"),
            "sizes": {name: format_file_size(size) for name, size in (sizes or {}).items()},
            "camera": camera_words(),
            "snapshot": _("The photo just taken"),
            "switch": _("Switch camera"),
            "chart": _("chart"),
            # Vega's labels inside a chart are English: read in English only
            "chartInside": current_language() == "en",
        },
    )


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes, backslashes, angle brackets (no "</style>")
    and control characters as CSS escapes."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'


def uploader_css(
    upload_key: str, chips: dict[str, int], *, button: str | None = None, limit: str | None = None
) -> str:
    """The uploader keyed ``upload_key`` in the person's language: its button ("Upload")
    and each file's size ("260.2KB"; ``chips``: name -> bytes) are hidden and ours written
    in their place (``::after``; the button's: ``button``, or "Choose photos"). Its limit
    ("200MB per file") becomes ``limit``, or is
    hidden when the page's own caption says it. Their names for screen readers: ``words()``."""
    scope = f".st-key-{upload_key}"
    size_text = '[data-testid="stFileChipName"] + div'
    instructions = f'{scope} [data-testid="stFileUploaderDropzoneInstructions"]'
    rules = [
        f'{scope} [data-testid="stFileUploaderDropzone"] button p {{display: none;}}',
        f'{scope} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
        f"::after {{content: {_css_string(button or _('Choose photos'))};}}",
        f"{scope} {size_text} {{font-size: 0;}}",
    ]
    if limit is None:
        rules.append(f"{instructions} {{display: none;}}")
    else:
        rules.append(f"{instructions} span {{font-size: 0;}}")
        rules.append(
            f"{instructions} span::after {{font-size: 0.75rem; content: {_css_string(limit)};}}"
        )
    for name, size in chips.items():
        chip = f'{scope} [data-testid="stFileChip"]:has([title={_css_string(name)}])'
        rules.append(
            f"{chip} {size_text}::after {{font-size: 0.75rem; "
            f"content: {_css_string(format_file_size(size))};}}"
        )
    return "\n".join(rules)
