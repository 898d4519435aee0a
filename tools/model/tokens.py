"""``python -m tools.model tokens``: tokenise the prompts of
``core/catalogue/categories.py`` into ``core/catalogue/category_tokens.py``, and the colour
and pattern prompts of ``core/catalogue/attributes.py`` into
``core/catalogue/attribute_tokens.py``, and the non-garment prompts of
``core/moderation/subjects.py`` (the "not clothing" AI flag) into
``core/moderation/flag_tokens.py`` (the app then needs no tokenizer for them). Needs
transformers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.catalogue.attributes import SETS, Attribute
from core.catalogue.categories import CATEGORIES, Category
from core.config import ROOT
from core.moderation.subjects import NON_GARMENTS, Subject

TOKENS_PATH = ROOT / "core" / "catalogue" / "category_tokens.py"
ATTRIBUTE_TOKENS_PATH = ROOT / "core" / "catalogue" / "attribute_tokens.py"
FLAG_TOKENS_PATH = ROOT / "core" / "moderation" / "flag_tokens.py"
SUBJECTS_SOURCE = "core/moderation/subjects.py"
CATEGORIES_SOURCE = "core/catalogue/categories.py"  # what the generated docstrings name
ATTRIBUTES_SOURCE = "core/catalogue/attributes.py"
TOKENS_COMMAND = "python -m tools.model tokens --tokenizer DIR_OR_HUB_ID"
# CLIP's tokenizer files (no weights) in ../shared, the folder beside the project on the
# team's machines and CI: the default of `tokens` and of an untrained export.
SHARED_TOKENIZER = ROOT.parent / "shared" / "clip-tokenizer"


def shared_tokenizer() -> str:
    """../shared/clip-tokenizer; without it, one sentence at once (no wait on the network)."""
    if SHARED_TOKENIZER.is_dir():
        return str(SHARED_TOKENIZER)
    raise SystemExit(
        f"No CLIP tokenizer at {SHARED_TOKENIZER}: it comes with ../shared, the folder the "
        "team's machines and CI have beside the project (README: The shared folder). "
        "Put it there, or pass --tokenizer DIR with a folder holding CLIP's tokenizer files."
    )


def categories_fingerprint(categories: Sequence[Category] = CATEGORIES) -> str:
    """Fingerprint of what the token module is made from: each category's code and prompts."""
    payload = json.dumps([[c.code, list(c.prompts)] for c in categories], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def attributes_fingerprint(sets: Mapping[str, Sequence[Attribute]] = SETS) -> str:
    """Fingerprint of what the attribute token module is made from: each set's name, and
    each option's code and prompts."""
    payload = json.dumps(
        [[name, [[a.code, list(a.prompts)] for a in options]] for name, options in sets.items()],
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def subjects_fingerprint(subjects: Sequence[Subject] = NON_GARMENTS) -> str:
    """Fingerprint of what the flag token module is made from: each subject's code and
    prompts."""
    payload = json.dumps([[s.code, list(s.prompts)] for s in subjects], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_tokenizer(name: str):
    """The CLIP tokenizer from a folder or a Hub id (transformers, build time only)."""
    try:
        from transformers import CLIPTokenizer
    except ImportError as exc:
        raise SystemExit(
            "The tokens command needs transformers: pip install -r requirements-model.txt"
        ) from exc
    try:
        return CLIPTokenizer.from_pretrained(name)
    except Exception as exc:  # offline, missing folder, bad files: one message
        raise SystemExit(f"Cannot load the CLIP tokenizer {name!r}: {exc}") from exc


def _encode(tokenizer, prompts: Sequence[str]) -> tuple[list[list[int]], list[list[int]]]:
    """Token ids and attention masks of ``prompts``, padded to the longest; each checked to
    be <start> ... <end> within the tokenizer's length."""
    encoded = tokenizer(list(prompts), padding=True)
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    limit = getattr(tokenizer, "model_max_length", 77)
    for prompt, row in zip(prompts, ids, strict=True):
        if (
            len(row) > limit
            or row[0] != tokenizer.bos_token_id
            or tokenizer.eos_token_id not in row
        ):
            raise SystemExit(f"The prompt {prompt!r} does not tokenise to <start> ... <end>.")
    return ids, mask


def _rows(prompts: Sequence[str], values: list[list[int]], per_line: int) -> list[str]:
    lines = []
    for prompt, row in zip(prompts, values, strict=True):
        chunks = [row[i : i + per_line] for i in range(0, len(row), per_line)]
        text = ",\n     ".join(", ".join(str(v) for v in chunk) for chunk in chunks)
        lines.append(f"    # {prompt}\n    ({text}),")
    return lines


def render_tokens_module(tokenizer, categories: Sequence[Category] = CATEGORIES) -> str:
    """The source of ``core/catalogue/category_tokens.py`` for ``categories``."""
    prompts = [(i, prompt) for i, c in enumerate(categories) for prompt in c.prompts]
    texts = [p for _, p in prompts]
    ids, mask = _encode(tokenizer, texts)
    codes = "\n".join(f"    {json.dumps(c.code)}," for c in categories)
    prompt_rows = "\n".join(f"    ({i}, {json.dumps(p)})," for i, p in prompts)
    return "\n".join(
        [
            f"# GENERATED by `{TOKENS_COMMAND}`; do not edit.",
            f'"""CLIP token ids of the prompts of {CATEGORIES_SOURCE}: the app loads no tokenizer.',
            "",
            "Each prompt is tokenised with the CLIP BPE tokenizer (<|startoftext|> ... "
            "<|endoftext|>)",
            f"and padded with {tokenizer.pad_token_id} to the longest prompt; ATTENTION_MASK marks"
            " its real tokens.",
            f"A test fails when CATEGORIES_FINGERPRINT no longer matches {CATEGORIES_SOURCE}.",
            '"""',
            "",
            f'CATEGORIES_FINGERPRINT = "{categories_fingerprint(categories)}"',
            f'TOKENIZER = "{type(tokenizer).__name__}, vocabulary of {len(tokenizer)}"',
            f"PAD_ID = {tokenizer.pad_token_id}",
            "",
            "# fmt: off",
            "CODES = (",
            codes,
            ")",
            "",
            "# (index in CODES of the prompt's category, prompt)",
            "PROMPTS = (",
            prompt_rows,
            ")",
            "",
            *_id_arrays(texts, ids, mask),
        ]
    )


def _id_arrays(texts, ids, mask) -> list[str]:
    """The INPUT_IDS and ATTENTION_MASK tuples that end both generated token modules."""
    return [
        "INPUT_IDS = (",
        *_rows(texts, ids, 12),
        ")",
        "",
        "ATTENTION_MASK = (",
        *_rows(texts, mask, 30),
        ")",
        "# fmt: on",
        "",
    ]


def render_attribute_tokens_module(
    tokenizer, sets: Mapping[str, Sequence[Attribute]] = SETS
) -> str:
    """The source of ``core/catalogue/attribute_tokens.py`` for the prompt ``sets`` (colour,
    pattern)."""
    prompts = [
        (name, i, prompt)
        for name, options in sets.items()
        for i, option in enumerate(options)
        for prompt in option.prompts
    ]
    texts = [p for _, _, p in prompts]
    ids, mask = _encode(tokenizer, texts)
    codes = []
    for name, options in sets.items():
        codes.append(f"    {json.dumps(name)}: (")
        codes += [f"        {json.dumps(a.code)}," for a in options]
        codes.append("    ),")
    prompt_rows = "\n".join(f"    ({json.dumps(s)}, {i}, {json.dumps(p)})," for s, i, p in prompts)
    return "\n".join(
        [
            f"# GENERATED by `{TOKENS_COMMAND}`; do not edit.",
            f'"""CLIP token ids of the colour and pattern prompts of {ATTRIBUTES_SOURCE}: the app',
            "loads no tokenizer.",
            "",
            "Each prompt is tokenised with the CLIP BPE tokenizer (<|startoftext|> ... "
            "<|endoftext|>)",
            f"and padded with {tokenizer.pad_token_id} to the longest prompt; ATTENTION_MASK marks"
            " its real tokens.",
            f"A test fails when ATTRIBUTES_FINGERPRINT no longer matches {ATTRIBUTES_SOURCE}.",
            '"""',
            "",
            f'ATTRIBUTES_FINGERPRINT = "{attributes_fingerprint(sets)}"',
            f'TOKENIZER = "{type(tokenizer).__name__}, vocabulary of {len(tokenizer)}"',
            f"PAD_ID = {tokenizer.pad_token_id}",
            "",
            "# fmt: off",
            "# each prompt set's option codes, in order",
            "CODES = {",
            *codes,
            "}",
            "",
            "# (prompt set, index in CODES[set] of the prompt's option, prompt)",
            "PROMPTS = (",
            prompt_rows,
            ")",
            "",
            *_id_arrays(texts, ids, mask),
        ]
    )


def render_flag_tokens_module(tokenizer, subjects: Sequence[Subject] = NON_GARMENTS) -> str:
    """The source of ``core/moderation/flag_tokens.py`` for the non-garment ``subjects``."""
    prompts = [(i, prompt) for i, s in enumerate(subjects) for prompt in s.prompts]
    texts = [p for _, p in prompts]
    ids, mask = _encode(tokenizer, texts)
    return "\n".join(
        [
            f"# GENERATED by `{TOKENS_COMMAND}`; do not edit.",
            f'"""CLIP token ids of the non-garment prompts of {SUBJECTS_SOURCE}: the app loads',
            "no tokenizer.",
            "",
            "Each prompt is tokenised with the CLIP BPE tokenizer (<|startoftext|> ... "
            "<|endoftext|>)",
            f"and padded with {tokenizer.pad_token_id} to the longest prompt; ATTENTION_MASK marks"
            " its real tokens.",
            f"A test fails when SUBJECTS_FINGERPRINT no longer matches {SUBJECTS_SOURCE}.",
            '"""',
            "",
            f'SUBJECTS_FINGERPRINT = "{subjects_fingerprint(subjects)}"',
            f'TOKENIZER = "{type(tokenizer).__name__}, vocabulary of {len(tokenizer)}"',
            f"PAD_ID = {tokenizer.pad_token_id}",
            "",
            "# fmt: off",
            "CODES = (",
            *(f"    {json.dumps(s.code)}," for s in subjects),
            ")",
            "",
            "# (index in CODES of the prompt's subject, prompt)",
            "PROMPTS = (",
            *(f"    ({i}, {json.dumps(p)})," for i, p in prompts),
            ")",
            "",
            *_id_arrays(texts, ids, mask),
        ]
    )


def write_tokens(
    tokenizer_name: str,
    path: Path = TOKENS_PATH,
    attributes_path: Path = ATTRIBUTE_TOKENS_PATH,
    flags_path: Path = FLAG_TOKENS_PATH,
    *,
    check: bool = False,
) -> list[Path]:
    """(Re)generate the three token modules; return the ones that were stale (with
    ``check``, only say so: nothing is written)."""
    tokenizer = load_tokenizer(tokenizer_name)
    stale = []
    for target, source in (
        (path, render_tokens_module(tokenizer)),
        (attributes_path, render_attribute_tokens_module(tokenizer)),
        (flags_path, render_flag_tokens_module(tokenizer)),
    ):
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != source:
            stale.append(target)
            if not check:
                target.write_text(source, encoding="utf-8")
    return stale
