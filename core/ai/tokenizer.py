"""CLIP's tokenizer at run time: ``tokenizer.json`` read by Hugging Face ``tokenizers``
(Rust), and the text clean-ups CLIP was trained with that ``tokenizer.json`` lacks.

``tokenizer.json`` is configured as transformers' ``CLIPTokenizer``: NFC, whitespace runs
to one space, lower case, CLIP's word regex, byte-level BPE with ``</w>`` word ends,
``<|startoftext|> ... <|endoftext|>``, at most 77 tokens (the end token kept last).
``fold_text`` first applies the lossless clean-ups of ftfy that OpenAI's CLIP tokenizer (and
transformers 4's slow ``CLIPTokenizer`` when ftfy was installed) ran before BPE: curly
quotes to straight ones, Latin ligatures and fullwidth forms to plain letters, invisible
control characters removed.
"""

from __future__ import annotations

import re
import unicodedata

from core.ai.errors import ModelError
from core.i18n import _

MAX_TOKENS = 77  # CLIP's context length: the text tower has 77 position embeddings
START_TOKEN = "<|startoftext|>"
END_TOKEN = "<|endoftext|>"  # also CLIPTokenizer's padding token

# ftfy 6's lossless fixes (ftfy.chardata), which CLIP's training tokenizer ran first:
# uncurl_quotes, fix_latin_ligatures, fix_character_width, remove_control_chars.
_SINGLE_QUOTES = re.compile("[\u02bc\u2018-\u201b]")
_DOUBLE_QUOTES = re.compile("[\u201c-\u201f]")
_LIGATURES = {
    **{ord(k): v for k, v in zip("ĲĳŉǱǲǳǄǅǆǇǈǉǊǋǌ", ("IJ", "ij", "ʼn", "DZ", "Dz", "dz", "DŽ",
       "Dž", "dž", "LJ", "Lj", "lj", "NJ", "Nj", "nj"), strict=True)},
    **{ord(k): v for k, v in zip("ﬀﬁﬂﬃﬄﬅﬆ", ("ff", "fi", "fl", "ffi", "ffl", "ſt", "st"),
       strict=True)},
}  # fmt: skip
_WIDTH = {0x3000: " "} | {
    i: unicodedata.normalize("NFKC", chr(i))
    for i in range(0xFF01, 0xFFF0)
    if unicodedata.normalize("NFKC", chr(i)) != chr(i)
}
_CONTROLS = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, *range(0x206A, 0x2070), 0xFEFF,
     *range(0xFFF9, 0xFFFD)]
)  # fmt: skip
_FOLD = _LIGATURES | _WIDTH | _CONTROLS


def fold_text(text: str) -> str:
    """``text`` with ftfy's lossless clean-ups, as CLIP was trained: straight quotes
    ("it’s" tokenises as "it 's", not "it ’ s"), no Latin ligatures, no fullwidth forms,
    no invisible control characters. Everything else is left to ``tokenizer.json``."""
    text = text.translate(_FOLD)
    return _SINGLE_QUOTES.sub("'", _DOUBLE_QUOTES.sub('"', text))


def load_tokenizer(data: bytes, name: str):
    """A ``tokenizers.Tokenizer`` for CLIP from ``tokenizer.json`` bytes, truncating to 77
    tokens; ModelError if it is not a CLIP tokenizer."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # bad UTF-8, bad JSON, unknown component: tokenizers' own errors
        raise ModelError(
            _("The tokenizer file {name} is damaged; download or export the model again.").format(
                name=name
            )
        ) from exc
    if tokenizer.token_to_id(START_TOKEN) is None or tokenizer.token_to_id(END_TOKEN) is None:
        raise ModelError(
            _(
                "The tokenizer file {name} is not CLIP's (it has no {start} and {end} tokens); "
                "download or export the model again."
            ).format(name=name, start=START_TOKEN, end=END_TOKEN)
        )
    # Set once, here: the tokenizer is shared between threads and never changed afterwards.
    # Truncation keeps room for the start and end tokens, as CLIPTokenizer(truncation=True).
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer
