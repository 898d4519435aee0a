"""CLIP's tokenizer at run time: Hugging Face ``tokenizers`` on a model directory's
``tokenizer.json``, truncating to 77 tokens and padding with <|endoftext|> like CLIP."""

from __future__ import annotations

from pathlib import Path

from core.ai.errors import ModelError

MAX_TOKENS = 77  # CLIP's context length
START_ID, END_ID = 49406, 49407  # <|startoftext|>, <|endoftext|> (also the padding)


def load_tokenizer(path: Path):
    """``tokenizer.json`` as a ``tokenizers.Tokenizer``, truncating and padding like CLIP."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # a damaged or foreign file
        raise ModelError(
            f"The tokenizer {path.name} cannot be read; download or export the model again."
        ) from exc
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=END_ID, pad_token="<|endoftext|>")
    return tokenizer
