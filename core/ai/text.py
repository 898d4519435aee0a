"""CLIP's text tower at run time: free text -> token ids -> unit text embedding, to compare
with the photos' image embeddings (text search).

Tokenising is ``core/ai/tokenizer.py`` (the model directory's ``tokenizer.json`` read by
Hugging Face ``tokenizers``, ids equal to transformers' ``CLIPTokenizer``).

Thread safety (Streamlit runs sessions in threads and shares one cached encoder): the
tokenizer is configured once in ``load`` and only read afterwards (``encode`` takes the Rust
tokenizer by shared reference; mutating its padding or truncation while another thread
encodes is what raises "Already borrowed", so we never do), and ONNX Runtime documents
``InferenceSession.run`` as safe to call concurrently. ``tests/core/ai/test_text.py`` embeds from
8 threads at once and checks every result against a serial run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.ai.errors import ModelError, ModelMissingError
from core.ai.model_dir import model_fingerprint, read_manifest, read_model_file
from core.ai.onnx import open_session, output_name, run_text_tower, unit
from core.ai.tokenizer import END_TOKEN, fold_text, load_tokenizer
from core.i18n import _


class TextEncoder:
    """CLIP's text tower over ONNX Runtime: unit text embeddings of free text, comparable
    with the image embeddings of the model whose ``fingerprint`` they carry.

    Build it with ``TextEncoder.load(model_dir)``; cache it (one per process is enough: it
    is safe to call from several threads).
    """

    def __init__(self, *, tokenizer, session, output: str, manifest: Mapping[str, Any]) -> None:
        self._tokenizer = tokenizer
        self._session = session
        self._output = output
        self.manifest = dict(manifest)
        self.fingerprint = model_fingerprint(manifest)
        self.pad_id = tokenizer.token_to_id(END_TOKEN)
        self.dimension = 0

    @property
    def session(self):
        """The text tower's ONNX Runtime session, which the classifier's load may share
        (``Classifier.load(text_session=...)``): one text tower in memory, opened once."""
        return self._session

    @classmethod
    def load(cls, model_dir: Path, *, verify: bool = True) -> TextEncoder:
        """The text encoder of the model in ``model_dir``.

        Each file's size and sha256 are checked against the manifest unless ``verify`` is
        false. Raises ModelMissingError when there is no model, or no text tower or
        tokenizer in it (text search is then off), ModelError when it is damaged.
        """
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        if "text" not in manifest["files"]:
            raise ModelMissingError(
                _(
                    "The model in {folder} has no separate text tower, so text search is off; "
                    "download the model again."
                ).format(folder=model_dir)
            )
        entry = manifest.get("tokenizer")
        if entry is None:
            raise ModelMissingError(
                _(
                    "The model in {folder} has no tokenizer (it was installed before text "
                    "search existed), so text search is off; download or export the model "
                    "again."
                ).format(folder=model_dir)
            )
        tokenizer = load_tokenizer(read_model_file(model_dir, entry, verify=verify), entry["path"])
        text_entry = manifest["files"]["text"]
        session = open_session(
            read_model_file(model_dir, text_entry, verify=verify), text_entry["path"]
        )
        output = output_name(session, "text", text_entry.get("output", ""))
        encoder = cls(tokenizer=tokenizer, session=session, output=output, manifest=manifest)
        try:  # one run: checks tokenizer and tower fit together, and warms the session up
            encoder.dimension = int(encoder.embed("a photo of a dress").shape[-1])
        except Exception as exc:  # ids beyond the tower's vocabulary, wrong inputs...
            raise ModelError(
                _(
                    "The text model {path} fails on a query; download or export the model again."
                ).format(path=text_entry["path"])
            ) from exc
        return encoder

    def token_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)``, int64 (N, L), what ``CLIPTokenizer(texts,
        padding=True, truncation=True)`` gives: padded with ``<|endoftext|>`` to the longest
        text (L <= 77). The text tower pools the first ``<|endoftext|>``, whose state is the
        same whatever follows (causal attention), so padding changes no embedding."""
        encodings = self._tokenizer.encode_batch([fold_text(t) for t in texts])
        length = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return ids, mask

    def embed(self, text: str) -> np.ndarray:
        """The unit text embedding (D,), float32, of ``text``.

        Raises ValueError when ``text`` has nothing to embed (empty, only spaces or
        invisible characters): the caller should not search for it.
        """
        ids, mask = self.token_ids([text])
        if mask.sum() <= 2:  # <|startoftext|> <|endoftext|> and nothing between
            raise ValueError(f"There is nothing to search for in {text!r}.")
        vector = run_text_tower(self._session, ids, mask, self._output)
        return unit(vector)[0].astype(np.float32)

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """Unit text embeddings (N, D), float32, one row per text (ValueError as ``embed``).

        One tower run per text: a quantised tower scales its activations over the whole
        batch, so a batched row would differ slightly from the same text embedded alone.
        Here ``embed_many(texts)[i]`` is exactly ``embed(texts[i])``.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.embed(text) for text in texts])
